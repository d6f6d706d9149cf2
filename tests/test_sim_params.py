"""Query validation (``runlytics.sim.params``): FastAPI's 422 bodies, byte for byte."""

from __future__ import annotations

from sim_support import DATA, RUNS, recorded_json

pytest_plugins = ["sim_fixtures"]


def test_validation_errors_match_the_recordings(client):
    response = client.get(RUNS, params={"page": 0, "page_size": 5})
    assert response.status_code == 422
    assert response.content == (DATA / "422_page_0.json").read_bytes()
    response = client.get(RUNS, params={"status": "failed,completed"})
    assert response.content == (DATA / "422_status_comma_joined.json").read_bytes()


def test_every_invalid_parameter_is_reported_in_order(client):
    long = "k" * 501
    response = client.get(RUNS, params=[("page", "abc"), ("page_size", "0"), ("status", "failed"),
                                        ("status", "FAILED"), ("search_key", long),
                                        ("error_code", long)])
    assert response.status_code == 422
    assert response.json() == {"detail": [
        {"type": "int_parsing", "loc": ["query", "page"],
         "msg": "Input should be a valid integer, unable to parse string as an integer",
         "input": "abc"},
        {"type": "greater_than_equal", "loc": ["query", "page_size"],
         "msg": "Input should be greater than or equal to 1", "input": "0", "ctx": {"ge": 1}},
        {**recorded_json("422_status_comma_joined.json")["detail"][0],
         "loc": ["query", "status", 1], "input": "FAILED"},
        {"type": "string_too_long", "loc": ["query", "search_key"],
         "msg": "String should have at most 500 characters", "input": long,
         "ctx": {"max_length": 500}},
        {"type": "string_too_long", "loc": ["query", "error_code"],
         "msg": "String should have at most 500 characters", "input": long,
         "ctx": {"max_length": 500}},
    ]}


def test_integers_are_parsed_like_pydantic(client, sim):
    first = sim.runs()[:3]
    for text in ("3", " 3 ", "+3", "3.0", "0_3"):
        assert client.get(RUNS, params={"page_size": text}).json() == first, text
    for text in ("3.5", "1e3", "", "0x3", "three"):
        assert client.get(RUNS, params={"page_size": text}).status_code == 422, text
    huge = client.get(RUNS, params={"page_size": 10**6})
    assert huge.json() == sim.runs()  # no maximum page size
