"""`FakeMisoServer`: a real HTTP server on 127.0.0.1 serving all three MISO surfaces."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Any

from tap_miso.testing.fake_miso.cache import LruCache
from tap_miso.testing.fake_miso.clock import as_utc, est_today
from tap_miso.testing.fake_miso.data import DataModel
from tap_miso.testing.fake_miso.eia_data import EiaFakeSettings
from tap_miso.testing.fake_miso.faults import FaultHandle
from tap_miso.testing.fake_miso.handler import FakeHttpServer
from tap_miso.testing.fake_miso.request_log import RequestRecord
from tap_miso.testing.fake_miso.state import Clock, DataExchangeSettings, ServerState
from tap_miso.testing.fake_miso.surfaces.data_exchange.gate import DataExchangeGate

DEFAULT_KEYS = {"pricing": ["fake-pricing-key"], "lgi": ["fake-lgi-key"]}


class FakeMisoServer:
    """Fake MISO (Data Exchange, Public API, Market Reports) for tests and offline demos.

    Use as a context manager, or call `start()` / `stop()`. `now=None` follows the real clock;
    a fixed `now` (aware, or naive = UTC) freezes it until `fake.now` is assigned again.
    `cache_bytes` bounds the cache of generated payloads: a benchmark reading more than that per
    pass (a full day of 5-minute pages is ~280 MB) would otherwise rebuild every payload (LRU).
    Bodies too large to build in memory (the 5-minute workbook and weekly zip at full size) are
    streamed as they are generated and not cached, unless `cache_streamed` is set: a benchmark
    then times the tap reading a file, as from MISO, not the fake generating it.
    """

    def __init__(
        self,
        node_count: int = 2612,
        now: datetime | None = None,
        dx_keys: dict[str, list[str]] | None = None,
        dx_rate_per_minute: int = 100,
        dx_daily_quota: int = 24000,
        dx_page_size: int = 5000,
        retry_after_on_429: int | None = None,
        cache_bytes: int = 256 * 1024 * 1024,
        cache_streamed: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if dx_page_size < 1:
            raise ValueError("dx_page_size must be >= 1")
        keys = {product: list(values) for product, values in (dx_keys or DEFAULT_KEYS).items()}
        clock = Clock(as_utc(now) if now is not None else None)
        self._state = ServerState(
            data=DataModel(node_count, est_today(clock.now())),
            clock=clock,
            dx=DataExchangeSettings(keys, dx_page_size),
            gate=DataExchangeGate(keys, dx_rate_per_minute, dx_daily_quota, retry_after_on_429),
            cache=LruCache(max_bytes=cache_bytes),
            cache_streamed=cache_streamed,
        )
        self._host, self._port = host, port
        self._httpd: FakeHttpServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> FakeMisoServer:
        if self._httpd is None:
            self._httpd = FakeHttpServer((self._host, self._port), self._state)
            self._thread = threading.Thread(target=self._httpd.serve_forever,
                                            name="fake-miso", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeMisoServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- URLs -----------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeMisoServer is not started")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def data_exchange_url(self) -> str:
        """The tap appends `/pricing/v1` or `/lgi/v1`."""
        return self.base_url

    @property
    def public_api_url(self) -> str:
        return f"{self.base_url}/api"

    @property
    def market_reports_url(self) -> str:
        return f"{self.base_url}/marketreports"

    @property
    def eia_api_url(self) -> str:
        """Fake EIA Open Data API v2 base (the tap appends the route)."""
        return f"{self.base_url}/eia/v2"

    @property
    def eia_workbook_url(self) -> str:
        return f"{self.base_url}/eia/electricity/data/eia860m"

    @property
    def eia860_url(self) -> str:
        return f"{self.base_url}/eia/electricity/data/eia860"

    @property
    def eia(self) -> EiaFakeSettings:
        """Fake EIA knobs: accepted keys, page cap, publication lag, total as number."""
        return self._state.eia

    # -- data, clock, gaps ----------------------------------------------------------------------
    @property
    def data(self) -> DataModel:
        return self._state.data

    @property
    def now(self) -> datetime:
        return self._state.clock.now()

    @now.setter
    def now(self, moment: datetime | None) -> None:
        self._state.clock.set(as_utc(moment) if moment is not None else None)

    @property
    def missing_dates(self) -> set[date]:
        """Dates every surface answers with its "no data" 404."""
        return self._state.missing_dates

    @property
    def dx_keys(self) -> dict[str, list[str]]:
        return self._state.dx.keys

    def dx_calls_today(self, key: str) -> int:
        """Calls counted against `key`'s daily quota (fake clock's UTC date)."""
        return self._state.gate.calls_today(key, self.now.date())

    def reset_limits(self) -> None:
        """Forget Data Exchange rate-limit and quota counters."""
        self._state.gate.reset()

    # -- faults ---------------------------------------------------------------------------------
    def inject(self, path_regex: str, fault: str, times: int | None = 1,
               **params: Any) -> FaultHandle:
        """Apply `fault` to the next `times` requests whose path matches (None = forever)."""
        return self._state.faults.inject(path_regex, fault, times, **params)

    def inject_sequence(self, path_regex: str,
                        steps: Sequence[tuple[str, dict[str, Any]]]) -> FaultHandle:
        """Apply the steps, one per matching request, in order."""
        return self._state.faults.inject_sequence(path_regex, steps)

    def clear_faults(self) -> None:
        self._state.faults.clear()

    # -- request log ----------------------------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        return self._state.log.all()

    def requests_for(self, path_regex: str) -> list[RequestRecord]:
        return self._state.log.matching(path_regex)

    def reset_log(self) -> None:
        self._state.log.clear()

    def clear_cache(self) -> None:
        self._state.cache.clear()

