"""HTTP and the in-process transport (``runlytics.sim.server``)."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import orjson
import pytest
from sim_support import KEY, NOW, RUNS

from runlytics.simulator import Simulator, mock_transport, run_forever, serve

pytest_plugins = ["sim_fixtures"]


def test_responses_are_json_with_a_content_length(client):
    response = client.get(RUNS, params={"page_size": 7})
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    assert len(response.json()) == 7


def test_latency_delays_each_answer(served):
    sim, c = served
    sim.latency = 0.2
    started = time.perf_counter()
    c.get(RUNS)
    assert time.perf_counter() - started >= 0.2


def test_mock_transport_behaves_like_http():
    sim = Simulator(n_runs=50, seed=1, now=NOW)
    with httpx.Client(transport=mock_transport(sim), base_url="http://sim", headers=KEY) as c:
        assert c.get(RUNS, params={"page_size": 50}).json() == sim.runs()
        assert c.get(RUNS, params={"page": 0}).status_code == 422
        sim.fail_next("drop")
        with pytest.raises(httpx.RemoteProtocolError):
            c.get(RUNS)


def test_keep_alive_serves_several_requests_on_one_connection(client, sim):
    host, port = client.base_url.host, client.base_url.port
    request = (f"GET {RUNS}?page_size=2 HTTP/1.1\r\nHost: x\r\nx-api-key: sim-key\r\n\r\n"
               ).encode()
    with socket.create_connection((host, port), timeout=5) as sock:
        stream = sock.makefile("rb")
        for _ in range(3):
            sock.sendall(request)
            status = stream.readline()
            headers = {}
            while (line := stream.readline()) != b"\r\n":
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            assert status.startswith(b"HTTP/1.1 200")
            assert orjson.loads(body) == sim.runs()[:2]
        stream.close()


def test_concurrent_readers_while_the_history_changes():
    sim = Simulator(n_runs=500, seed=9, now=NOW)
    errors: list[str] = []
    with serve(sim) as url:
        def read() -> None:
            with httpx.Client(base_url=url, headers=KEY) as c:
                for page in range(1, 30):
                    response = c.get(RUNS, params={"page": page, "page_size": 25})
                    if response.status_code != 200 or not isinstance(response.json(), list):
                        errors.append(response.text)

        threads = [threading.Thread(target=read) for _ in range(6)]
        for t in threads:
            t.start()
        for _ in range(20):
            sim.create_runs(3)
            sim.advance(60)
        for t in threads:
            t.join()
    assert errors == [] and len(sim) == 560


def test_run_forever_serves_until_stopped():
    stop = threading.Event()
    urls: list[str] = []
    done: list[Simulator] = []
    thread = threading.Thread(target=lambda: done.append(run_forever(
        "127.0.0.1", 0, on_ready=urls.append, live=False, stop=stop, n_runs=30, now=NOW)))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not urls and time.monotonic() < deadline:
            time.sleep(0.01)
        response = httpx.get(f"{urls[0]}{RUNS}", params={"page_size": 100}, headers=KEY)
        assert len(response.json()) == 30
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive() and len(done[0]) == 30
