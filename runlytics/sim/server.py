"""Put a :class:`~runlytics.sim.core.Simulator` on HTTP (or on an httpx transport).

:func:`serve` runs a ``ThreadingHTTPServer`` (HTTP/1.1 keep-alive, one daemon
thread per connection, Content-Length on every response, no request logging)
in a background thread for the duration of a ``with`` block. It answers like
the real server's uvicorn (``server: uvicorn``, a ``date`` header), and an
exception inside the simulator becomes the server's catch-all
``500 {"error": "Unexpected error: <Class>"}``.
:func:`run_forever` serves in the foreground until Ctrl-C, for the CLI.
:func:`mock_transport` answers an ``httpx`` client in-process, without sockets.

Example:
    >>> import httpx
    >>> sim = Simulator(n_runs=12, seed=1)
    >>> with serve(sim) as url:
    ...     response = httpx.get(f"{url}/v1/workflows/runs", headers={"x-api-key": "sim-key"})
    >>> response.status_code, response.headers["server"], len(response.json())
    (200, 'uvicorn', 10)
"""

from __future__ import annotations

import random
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .core import Simulator
from .reply import Reply

__all__ = ["mock_transport", "run_forever", "serve"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "uvicorn"
    sys_version = ""
    # Headers and body go out in one write; without NODELAY, Nagle plus delayed
    # ACKs can stall keep-alive responses by 40 ms.
    disable_nagle_algorithm = True
    timeout = 120  # idle keep-alive connections are closed after this many seconds
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Stay silent: the default handler writes every request to stderr."""

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > 0:
            self.rfile.read(length)  # keep the connection in sync; bodies are ignored
        path, _, query = self.path.partition("?")
        try:
            reply = self.server.sim.handle(self.command, path, query, self.headers)
        except Exception as exc:
            # Like the real server's catch-all handler; the traceback still
            # reaches stderr through handle_error.
            body = f'{{"error":"Unexpected error: {type(exc).__name__}"}}'.encode()
            self._write(Reply(500, body))
            self.close_connection = True
            raise
        if reply.delay > 0:
            time.sleep(reply.delay)
        if reply.action == "drop":
            self.close_connection = True
            return
        self._write(reply)

    def _write(self, reply: Reply) -> None:
        body = reply.body
        try:
            phrase = HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = ""
        lines = [
            f"HTTP/1.1 {reply.status} {phrase}",
            f"date: {formatdate(usegmt=True)}",
            "server: uvicorn",
            f"content-length: {len(body)}",
            f"content-type: {reply.content_type}",
        ]
        lines += [f"{k}: {v}" for k, v in reply.headers]
        if self.close_connection:
            lines.append("connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.command != "HEAD":
            data += body if reply.action != "truncate_short" else body[: len(body) // 2]
        self.wfile.write(data)
        if reply.action == "truncate_short":
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default of 5 drops bursts of 16 parallel connects

    def __init__(self, address: tuple[str, int], sim: Simulator) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.sim = sim
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away (reset, broken pipe, timeout)
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections."""
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        if ":" in name:
            name = f"[{name}]"
        return f"http://{name}:{port}"


@contextmanager
def serve(sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``sim`` over HTTP in a background thread while the block runs.

    Args:
        sim: the simulator to answer from.
        host: interface to bind.
        port: port to bind; 0 picks a free one.

    Yields:
        The base URL, e.g. ``"http://127.0.0.1:49152"``.

    Example:
        >>> import httpx
        >>> with serve(Simulator(n_runs=20)) as url:
        ...     response = httpx.get(f"{url}/v1/workflows", headers={"x-api-key": "bad"})
        >>> response.status_code, response.json()
        (403, {'detail': 'Could not validate credentials'})
    """
    server = _Server((host, port), sim)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="runlytics-sim", daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join(timeout=5)


def run_forever(host: str = "127.0.0.1", port: int = 8000, *,
                on_ready: Callable[[str], None] | None = None, live: bool = True,
                sim: Simulator | None = None, stop: threading.Event | None = None,
                **simulator_kwargs: Any) -> Simulator:
    """Serve a simulator in the foreground until Ctrl-C (or ``stop``); prints nothing.

    Args:
        host: interface to bind.
        port: port to bind (0 picks a free one; ``on_ready`` gets the URL).
        on_ready: called once with the base URL when the server listens.
        live: follow the wall clock: every second the simulator advances and
            new runs arrive at the history's average rate.
        sim: serve this simulator instead of building one.
        stop: an event that ends serving when set (for embedding and tests).
        **simulator_kwargs: arguments for :class:`Simulator` (n_runs, seed, ...).

    Returns:
        The simulator that was served.

    Example:
        >>> stop = threading.Event()
        >>> urls = []
        >>> def ready(url):  # a CLI prints the URL; here stop as soon as it listens
        ...     urls.append(url)
        ...     stop.set()
        >>> sim = run_forever("127.0.0.1", 0, on_ready=ready, live=False, stop=stop, n_runs=5)
        >>> len(sim), urls[0].startswith("http://127.0.0.1:")
        (5, True)
    """
    sim = sim if sim is not None else Simulator(**simulator_kwargs)
    server = _Server((host, port), sim)
    done = threading.Event()
    if live:
        threading.Thread(target=_tick, args=(sim, done), daemon=True,
                         name="runlytics-sim-clock").start()
    if stop is not None:
        def watch() -> None:
            while not (stop.wait(0.1) or done.is_set()):
                pass
            if stop.is_set():
                server.shutdown()

        threading.Thread(target=watch, daemon=True, name="runlytics-sim-stop").start()
    if on_ready is not None:
        on_ready(server.url)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        done.set()
        server.close_connections()
        server.server_close()
    return sim


def _tick(sim: Simulator, stop: threading.Event) -> None:
    """Advance ``sim`` with the wall clock and create runs as a Poisson stream."""
    rate = len(sim) / (sim.days * 86_400)  # runs per second in the history
    rng = random.Random(sim.seed)
    last = time.monotonic()
    while not stop.wait(1.0):
        now = time.monotonic()
        elapsed, last = now - last, now
        sim.advance(elapsed)
        arrivals = 0
        t = rng.expovariate(rate) if rate else elapsed + 1
        while t < elapsed:
            arrivals += 1
            t += rng.expovariate(rate)
        if arrivals:
            sim.create_runs(arrivals)


def mock_transport(sim: Simulator) -> Any:
    """An ``httpx.MockTransport`` answering from ``sim`` in-process.

    Faults behave as over HTTP as far as httpx can tell: ``drop`` and
    ``truncate_short`` raise ``httpx.RemoteProtocolError``, ``slow`` and
    ``latency`` sleep.

    Args:
        sim: the simulator.

    Returns:
        A transport for ``httpx.Client(transport=..., base_url="http://sim")``.

    Example:
        >>> import httpx
        >>> sim = Simulator(n_runs=3, seed=1)
        >>> with httpx.Client(transport=mock_transport(sim), base_url="http://sim",
        ...                   headers={"x-api-key": "sim-key"}) as client:
        ...     runs = client.get("/v1/agents/runs").json()
        >>> runs == sim.runs()
        True
    """
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        path, _, query = request.url.raw_path.decode("ascii").partition("?")
        reply = sim.handle(request.method, path, query, request.headers)
        if reply.delay > 0:
            time.sleep(reply.delay)
        if reply.action == "drop":
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request)
        if reply.action == "truncate_short":
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body", request=request)
        headers = [("content-type", reply.content_type), *reply.headers]
        return httpx.Response(reply.status, headers=headers, content=reply.body)

    return httpx.MockTransport(handler)
