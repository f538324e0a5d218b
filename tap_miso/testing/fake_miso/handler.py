"""HTTP layer: parse the request, apply faults, dispatch to a surface, write bytes, log."""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import sys
import time
import traceback
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from tap_miso.testing.fake_miso import control, eia_files
from tap_miso.testing.fake_miso.drift import Drift
from tap_miso.testing.fake_miso.fault_responses import (
    SHORT_CIRCUIT,
    corrupt,
    rewrite,
    short_circuit,
    surface_of,
)
from tap_miso.testing.fake_miso.faults import Fault
from tap_miso.testing.fake_miso.request_log import RequestRecord
from tap_miso.testing.fake_miso.response import Response, json_response
from tap_miso.testing.fake_miso.state import ServerState
from tap_miso.testing.fake_miso.surfaces.context import RequestContext
from tap_miso.testing.fake_miso.surfaces.data_exchange import router as data_exchange
from tap_miso.testing.fake_miso.surfaces.market_reports import router as market_reports
from tap_miso.testing.fake_miso.surfaces.public_api import router as public_api

LOG = logging.getLogger("tap_miso.testing.fake_miso")
ROUTERS = {"data_exchange": data_exchange.handle, "public_api": public_api.handle,
           "market_reports": market_reports.handle, "eia": eia_files.handle}
RESET = 0  # logged status of a connection reset without a response


class FakeHttpServer(ThreadingHTTPServer):
    """ThreadingHTTPServer carrying the fake's shared state."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: ServerState) -> None:
        self.state = state
        super().__init__(address, FakeMisoHandler)

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        """Clients hanging up (resets, killed taps) are normal here; report anything else."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeMisoHandler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive, chunked streaming for big bodies."""

    protocol_version = "HTTP/1.1"
    server: FakeHttpServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        LOG.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    # -- request flow ---------------------------------------------------------------------------
    def _serve(self, method: str) -> None:
        started, wall = time.monotonic(), datetime.now(UTC)
        url = urlsplit(self.path)
        path = unquote(url.path)
        state = self.server.state
        self._pending: RequestRecord | None = None
        if path.startswith("/_fake/"):
            length = int(self.headers.get("Content-Length") or 0)
            self._write(control.handle(state, method, path, self.rfile.read(length)), method)
            return
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        surface = surface_of(path)
        key = (self.headers.get(data_exchange.KEY_HEADER) or query.get("subscription-key")
               if surface == "data_exchange" else None)
        fault = state.faults.take(path) if method in {"GET", "HEAD"} else None
        self._pending = RequestRecord(started, wall, method, path, query, RESET, key,
                                      fault.kind if fault else None, 0.0)
        try:
            self._answer(method, path, surface, fault)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            self._commit_log(RESET)

    def _commit_log(self, status: int) -> None:
        """Log the request once, just before its last bytes leave (so clients see it)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self.server.state.log.add(replace(pending, status=status,
                                              duration=time.monotonic() - pending.time))

    def _answer(self, method: str, path: str, surface: str, fault: Fault | None) -> int:
        state = self.server.state
        if method not in {"GET", "HEAD"}:
            return self._write(json_response({"error": "method not allowed"}, 405), method)
        kind = fault.kind if fault else "ok"
        if kind == "reset":
            self._commit_log(RESET)
            self._reset()
            return RESET
        if kind in SHORT_CIRCUIT:
            return self._write(short_circuit(fault, surface, path, state.now), method)  # type: ignore[arg-type]
        if kind == "latency":
            time.sleep(float(fault.params["seconds"]))  # type: ignore[union-attr]
        query = self._pending.query if self._pending else {}
        ctx = RequestContext(method, path, query, self.headers, state, state.now,
                             Drift.from_params(fault.params) if kind == "drift" else None)  # type: ignore[union-attr]
        try:
            response = ROUTERS[surface](ctx)
        except Exception as error:  # a bug in the fake: answer 500 and say why
            LOG.error("fake MISO failed on %s: %s", path, traceback.format_exc())
            response = json_response({"statusCode": 500, "message": f"fake error: {error!r}"},
                                     500)
        if kind == "malformed" and response.status == 200:
            response = corrupt(response)
        elif kind == "rewrite" and response.status == 200:
            response = rewrite(response, **fault.params)  # type: ignore[union-attr]
        return self._write(response, method, truncate=kind == "truncate")

    # -- writing --------------------------------------------------------------------------------
    def _write(self, response: Response, method: str, truncate: bool = False) -> int:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.streamed and not truncate:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if method != "HEAD":
                try:
                    for chunk in response.iter_body():
                        if chunk:
                            self.wfile.write(b"%X\r\n%s\r\n" % (len(chunk), chunk))
                except (BrokenPipeError, ConnectionResetError):
                    raise
                except Exception:  # a bug while streaming: cut the stream, say why
                    LOG.error("fake MISO failed streaming %s: %s", self.path,
                              traceback.format_exc())
                    self.close_connection = True
                    self._commit_log(500)
                    return 500
            self._commit_log(response.status)
            if method != "HEAD":
                self.wfile.write(b"0\r\n\r\n")
            return response.status
        body = response.materialize().body or b""
        self.send_header("Content-Length", str(len(body)))
        if truncate:
            self.send_header("Connection", "close")
        self._commit_log(response.status)  # before the headers leave: a client may check the log
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body[: len(body) // 2] if truncate else body)
        if truncate:
            self.close_connection = True
        return response.status

    def _reset(self) -> None:
        """Abort the connection with a TCP RST and no response."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
