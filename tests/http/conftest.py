"""Shared helpers: a virtual clock, a scripted pytest-httpserver endpoint, a raw socket server."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tap_miso.http import ClientSettings, HttpClient


class FakeClock:
    """Virtual monotonic time: `sleep(d)` records d and advances the clock. Thread-safe."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {},
                    content_type="application/json")


@dataclass
class Script:
    """Serve `responses` in order (the last one repeats); record every request."""

    responses: list[Response | Callable[[Request], Response]]
    requests: list[Request] = field(default_factory=list)

    def __call__(self, request: Request) -> Response:
        index = min(len(self.requests), len(self.responses) - 1)
        self.requests.append(request)
        item = self.responses[index]
        return item(request) if callable(item) and not isinstance(item, Response) else item

    @property
    def count(self) -> int:
        return len(self.requests)


def script(server: HTTPServer, path: str, *responses: Response | Callable) -> Script:
    handler = Script(list(responses))
    server.expect_request(path).respond_with_handler(handler)
    return handler


@pytest.fixture
def make_client(httpserver: HTTPServer, clock: FakeClock) -> Iterator[Callable[..., HttpClient]]:
    """Build clients in virtual time, jitter fixed at 0.5, DX URL pointing at `httpserver`."""
    clients: list[HttpClient] = []

    def factory(rng: Callable[[], float] = lambda: 0.5, **overrides: Any) -> HttpClient:
        values: dict[str, Any] = {
            "max_retries": 3,
            "requests_per_minute": 6000,  # pacing well below any backoff wait
            "requests_per_hour": 1_000_000,
            "connect_timeout": 2,
            "read_timeout": 5,
            "data_exchange_url": httpserver.url_for("/").rstrip("/"),
        }
        values.update(overrides)
        client = HttpClient(ClientSettings(**values), clock=clock, sleep=clock.sleep, rng=rng)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


class RawServer:
    """A real TCP server whose connections follow a script of actions.

    Actions: "reset" (read the request, then close with RST), "hang" (read, wait
    `hang_seconds`, close), or bytes (a full HTTP response). The last action repeats.
    """

    def __init__(self, actions: list[str | bytes], hang_seconds: float = 1.0,
                 delay: float = 0.0) -> None:
        self.actions = actions
        self.hang_seconds = hang_seconds
        self.delay = delay  # before sending a bytes response
        self.connections = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                action = self.actions[min(self.connections, len(self.actions) - 1)]
                self.connections += 1
            threading.Thread(target=self._handle, args=(conn, action), daemon=True).start()

    def _handle(self, conn: socket.socket, action: str | bytes) -> None:
        data = b""
        conn.settimeout(5)
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        done = False

        def finished() -> None:
            # A request stops being "in flight" once its answer starts to leave: the client
            # frees its slot on reading it, maybe before this thread closes the socket.
            nonlocal done
            if not done:
                done = True
                with self._lock:
                    self.in_flight -= 1

        try:
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            if action == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif action == "hang":
                time.sleep(self.hang_seconds)
            else:
                assert isinstance(action, bytes)
                time.sleep(self.delay)
                finished()
                conn.sendall(action)
        except OSError:
            pass
        finally:
            finished()
            conn.close()

    def close(self) -> None:
        self._stop = True
        self._sock.close()


def http_ok(body: bytes = b'{"ok": true}') -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def factory(actions: list[str | bytes], hang_seconds: float = 1.0,
                delay: float = 0.0) -> RawServer:
        server = RawServer(actions, hang_seconds, delay)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.close()
