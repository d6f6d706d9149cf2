"""One contender per process: time it, and measure its peak memory cleanly.

``benchmarks/run.py`` starts this file once per contender, so that imports,
allocator caches and leftovers of one measurement never count in the next::

    python benchmarks/measure.py serve --runs 50000 --latency 0.02
    python benchmarks/measure.py fetch runlytics --url http://127.0.0.1:PORT --repeat 5
    python benchmarks/measure.py frame naive --runs 1000000 --repeat 3
    python benchmarks/measure.py store --runs 1000000 --repeat 3
    python benchmarks/measure.py analysis --runs 1000000 --repeat 3

Each task prints one JSON object on its last stdout line: lists of wall and
CPU seconds and of peak memory (MB above the baseline taken right before the
timed call, after imports and after the input was built), one entry per
repeat, plus task-specific figures. Peak memory is Linux's ``VmHWM``, reset
before every repeat by writing ``5`` to ``/proc/self/clear_refs``; where that
is not possible, ``ru_maxrss`` is used (then repeats after the first can only
show the same or a higher peak).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import io
import json
import os
import resource
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

API_KEY = "sim-key"
PAGE_SIZE = 100
RUNS_PATH = "/v1/workflows/runs"
TIMESTAMPS = ("created_at", "modified_at", "queued_at", "started_at", "finished_at",
              "next_attempt_at")
ENUMS = ("status", "trigger_type", "run_with")  # proxy_location can be an object: unhashable

# -- memory ---------------------------------------------------------------------


def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


class Peak:
    """Peak resident memory above the memory in use when it was made."""

    def __init__(self) -> None:
        _release()
        self.resettable = _reset_peak()
        self.base_kb = _status_kb("VmRSS") if self.resettable else _maxrss_kb()

    def extra_mb(self) -> float:
        peak = _status_kb("VmHWM") if self.resettable else _maxrss_kb()
        return max(0, (peak or 0) - (self.base_kb or 0)) / 1024


def _maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _release() -> None:
    """Hand freed memory back to the system, so the next repeat starts from a true baseline."""
    gc.collect()
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def timed(call: Callable[[], Any], repeat: int,
          after: Callable[[Any], dict[str, Any]] | None = None) -> dict[str, Any]:
    """Run ``call`` ``repeat`` times; wall, CPU (all threads), peak MB of each run."""
    result: dict[str, Any] = {"wall": [], "cpu": [], "peak_mb": []}
    for _ in range(repeat):
        peak = Peak()
        wall, cpu = time.perf_counter(), time.process_time()
        out = call()
        result["wall"].append(time.perf_counter() - wall)
        result["cpu"].append(time.process_time() - cpu)
        result["peak_mb"].append(peak.extra_mb())
        if after is not None:
            result.update(after(out))
        del out
        _release()
    result["peak_method"] = "VmHWM" if _reset_peak() else "ru_maxrss"
    return result


# -- fetch ----------------------------------------------------------------------


def serve(runs: int, latency: float, seed: int) -> None:
    """Serve a frozen simulator until SIGINT/SIGTERM; print its URL first."""
    from data import NOW

    from runlytics.simulator import Simulator, run_forever

    sim = Simulator(n_runs=runs, seed=seed, now=NOW)
    sim.latency = latency
    run_forever("127.0.0.1", 0, live=False, sim=sim,
                on_ready=lambda url: print(url, flush=True))


def fetch_runlytics(url: str) -> Callable[[], Any]:
    from runlytics import Client, RunQuery

    def call() -> Any:
        fetched = Client(api_key=API_KEY, base_url=url, progress=False).fetch(RunQuery())
        return fetched.to_frame(consume=True), fetched.report

    return call


def fetch_httpx_loop(url: str) -> Callable[[], Any]:
    """What a user writes first: one page after the other until an empty page."""
    import httpx

    def call() -> Any:
        runs: list[dict[str, Any]] = []
        with httpx.Client(base_url=url, headers={"x-api-key": API_KEY}, timeout=30) as client:
            page = 1
            while True:
                response = client.get(RUNS_PATH, params={"page": page, "page_size": PAGE_SIZE})
                response.raise_for_status()
                batch = response.json()
                if not batch:
                    break
                runs.extend(batch)
                page += 1
        return runs, page

    return call


def fetch_sdk(url: str) -> Callable[[], Any]:
    """The official SDK's ``get_workflow_runs`` (one page a call), paged in a loop."""
    from skyvern.client import Skyvern  # the synchronous client, not skyvern.Skyvern (async)

    def call() -> Any:
        client = Skyvern(base_url=url, api_key=API_KEY)
        runs: list[Any] = []
        page = 1
        while True:
            batch = client.get_workflow_runs(page=page, page_size=PAGE_SIZE)
            if not batch:
                break
            runs.extend(batch)
            page += 1
        return runs, page

    return call


def task_fetch(contender: str, url: str, repeat: int) -> dict[str, Any]:
    import httpx

    make = {"runlytics": fetch_runlytics, "httpx-loop": fetch_httpx_loop, "sdk": fetch_sdk}
    call = make[contender](url)
    httpx.get(url + RUNS_PATH, params={"page_size": 1},
              headers={"x-api-key": API_KEY}).raise_for_status()  # the server is up

    def after(out: Any) -> dict[str, Any]:
        got, extra = out
        if contender == "runlytics":
            return {"runs": len(got), "requests": extra.requests, "retries": extra.retries,
                    "frame_mb": got.memory_usage(deep=True).sum() / 2**20}
        return {"runs": len(got), "requests": extra}

    return timed(call, repeat, after)


# -- frame ----------------------------------------------------------------------


def frame_naive(pages: list[bytes]) -> Any:
    """The route through Python dicts: decode, DataFrame, then fix the dtypes."""
    import pandas as pd

    records: list[dict[str, Any]] = []
    for page in pages:
        records.extend(json.loads(page))
    frame = pd.DataFrame(records)
    del records
    for name in TIMESTAMPS:
        frame[name] = pd.to_datetime(frame[name], format="ISO8601", utc=True)
    for name in ENUMS:
        frame[name] = frame[name].astype("category")
    return frame


def floor_input(pages: list[bytes]) -> tuple[bytes, Any]:
    """The same runs as NDJSON, readable by pyarrow's JSON reader, and their schema.

    Not timed. Proxy objects get their own key (a column cannot be both string
    and object); the schema is inferred from the whole text once, because the
    reader's per-block inference fails when a field is null in a whole block
    and an object in a later one.
    """
    import pyarrow.json as pj

    separator = b'},{"workflow_run_id"'
    text = b"\n".join(p[1:-1].replace(separator, b'}\n{"workflow_run_id"') for p in pages)
    text = text.replace(b'"proxy_location":{', b'"proxy_location_object":{') + b"\n"
    sample = text[: text.index(b"\n", min(len(text) - 1, 20 * 2**20)) + 1]
    schema = pj.read_json(io.BytesIO(sample),
                          read_options=pj.ReadOptions(block_size=len(sample) + 1)).schema
    return text, schema


def task_frame(contender: str, runs: int, repeat: int) -> dict[str, Any]:
    from data import make_pages

    from runlytics.frame import batches as frame_module
    from runlytics.frame import checked as checked_path

    pages = make_pages(runs)
    info: dict[str, Any] = {"json_bytes_per_run": sum(map(len, pages)) / runs}
    read_checked = checked_path.raw_table
    if contender == "runlytics":
        # Count batches the JSON reader could not take (they go through Python dicts).
        checked = [0]

        def counting(batch: list[Any]) -> Any:
            checked[0] += 1
            return read_checked(batch)

        checked_path.raw_table = counting  # type: ignore[assignment]
        # (put back after the timings, for runs in one process: benchmarks/run.py --quick)

        def call() -> Any:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return frame_module.runs_frame(pages)

        def after(frame: Any) -> dict[str, Any]:
            return {"rows": len(frame), "frame_mb": frame.memory_usage(deep=True).sum() / 2**20,
                    "checked_batches": checked[0],
                    "batches": -(-sum(map(len, pages)) // frame_module._BATCH_BYTES)}
    elif contender == "naive":
        def call() -> Any:
            return frame_naive(pages)

        def after(frame: Any) -> dict[str, Any]:
            return {"rows": len(frame), "frame_mb": frame.memory_usage(deep=True).sum() / 2**20}
    elif contender == "floor":
        import pyarrow.json as pj

        text, schema = floor_input(pages)
        del pages
        gc.collect()

        def call() -> Any:
            return pj.read_json(io.BytesIO(text),
                                parse_options=pj.ParseOptions(explicit_schema=schema))

        def after(table: Any) -> dict[str, Any]:
            return {"rows": table.num_rows, "table_mb": table.nbytes / 2**20}
    else:
        raise SystemExit(f"unknown frame contender {contender!r}")
    try:
        return {**info, **timed(call, repeat, after)}
    finally:
        checked_path.raw_table = read_checked


# -- store ----------------------------------------------------------------------


def task_store(runs: int, repeat: int) -> dict[str, Any]:
    from data import make_pages

    from runlytics.frame import runs_frame
    from runlytics.store import read_frame, write_parquet

    pages = make_pages(runs)
    json_bytes = sum(map(len, pages))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = runs_frame(pages)
    del pages
    gc.collect()
    with tempfile.TemporaryDirectory(prefix="runlytics-bench-") as folder:
        path = Path(folder) / "runs.parquet"
        write = timed(lambda: write_parquet(frame, path), repeat)
        size = path.stat().st_size
        read = timed(lambda: read_frame(path), repeat,
                     lambda back: {"rows_back": len(back)})
    return {"write": write, "read": read, "file_bytes": size, "rows": len(frame),
            "json_bytes_per_run": json_bytes / runs}


# -- analysis and report ----------------------------------------------------------


def task_analysis(runs: int, repeat: int) -> dict[str, Any]:
    import bench_analysis

    frame = bench_analysis.make_runs(runs)
    helpers = {}
    for label, call, primary in bench_analysis.cases(bench_analysis.NOW):
        if primary:
            helpers[label] = timed(lambda call=call: call(frame), repeat)
    result: dict[str, Any] = {"rows": len(frame), "helpers": helpers}
    try:
        from runlytics.report import build_report, write_report
    except ImportError as exc:
        result["report_skipped"] = f"runlytics.report cannot be imported: {exc}"
        return result
    import matplotlib

    matplotlib.use("Agg")
    with tempfile.TemporaryDirectory(prefix="runlytics-bench-") as folder:
        def report() -> Any:
            built = build_report(frame, now=bench_analysis.NOW)
            return write_report(built, Path(folder) / "report.html")

        try:
            result["report"] = timed(report, repeat)
        except Exception as exc:  # the report module is young: say what broke, go on
            result["report_skipped"] = f"build_report/write_report failed: " \
                                       f"{type(exc).__name__}: {exc}"
    return result


# -- entry point --------------------------------------------------------------------


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="task", required=True)
    p = sub.add_parser("serve")
    p.add_argument("--runs", type=int, required=True)
    p.add_argument("--latency", type=float, default=0.02)
    p.add_argument("--seed", type=int, default=7)
    p = sub.add_parser("fetch")
    p.add_argument("contender", choices=["runlytics", "httpx-loop", "sdk"])
    p.add_argument("--url", required=True)
    p.add_argument("--repeat", type=int, default=1)
    p = sub.add_parser("frame")
    p.add_argument("contender", choices=["runlytics", "naive", "floor"])
    for name in ("store", "analysis"):
        sub.add_parser(name)
    for name, task in sub.choices.items():
        if name not in ("serve", "fetch"):
            task.add_argument("--runs", type=int, required=True)
            task.add_argument("--repeat", type=int, default=1)
    return parser.parse_args(argv)


def run_task(argv: list[str]) -> dict[str, Any]:
    """Run one measuring task (any but ``serve``) here; its result."""
    args = parse(argv)
    if args.task == "fetch":
        result = task_fetch(args.contender, args.url, args.repeat)
    elif args.task == "frame":
        result = task_frame(args.contender, args.runs, args.repeat)
    elif args.task == "store":
        result = task_store(args.runs, args.repeat)
    elif args.task == "analysis":
        result = task_analysis(args.runs, args.repeat)
    else:
        raise SystemExit(f"{args.task} is not a measuring task")
    result["pid"] = os.getpid()
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.task == "serve":
        serve(args.runs, args.latency, args.seed)
        return 0
    print(json.dumps(run_task(sys.argv[1:] if argv is None else argv)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
