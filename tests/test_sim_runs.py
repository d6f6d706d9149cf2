"""Run objects (``runlytics.sim.runs``): the recorded keys, timestamps, cached JSON."""

from __future__ import annotations

from datetime import datetime

import orjson
from sim_support import NOW, STAMP, STAMPS, fetch_all, recorded_json

from runlytics.schema import api_field_names
from runlytics.simulator import API_FIELDS, Simulator

pytest_plugins = ["sim_fixtures"]


def test_every_run_has_the_recorded_keys_in_the_recorded_order(client, sim):
    recorded_keys = list(recorded_json("runs_page1_size5.json")[0])
    assert list(API_FIELDS) == recorded_keys
    assert set(recorded_keys) == set(api_field_names())
    runs = fetch_all(client)
    assert len(runs) == len(sim) == 1200
    assert all(list(run) == recorded_keys for run in runs)
    assert all(run["attempts"] == [] for run in runs)


def test_timestamps_are_naive_utc_with_and_without_fraction(sim):
    values = [run[k] for run in sim.runs() for k in STAMPS if run[k] is not None]
    assert all(STAMP.fullmatch(v) for v in values)
    assert all(datetime.fromisoformat(v).tzinfo is None for v in values)
    whole = [v for v in values if "." not in v]
    assert 0 < len(whole) < len(values) / 10


def test_template_rendering_equals_orjson_of_the_full_object():
    sim = Simulator(n_runs=1000, seed=5, now=NOW, hostile=True, tie_groups=2)
    sim.advance(3600)  # re-rendered runs too
    for run in sim._index:
        assert run.render() == orjson.dumps(run.to_dict())
