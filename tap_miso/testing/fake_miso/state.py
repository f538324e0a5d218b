"""Mutable state shared by the HTTP threads: clock, data model, limits, caches, faults."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from tap_miso.testing.fake_miso.cache import LruCache
from tap_miso.testing.fake_miso.data import DataModel
from tap_miso.testing.fake_miso.eia_data import EiaFakeSettings
from tap_miso.testing.fake_miso.faults import FaultRegistry
from tap_miso.testing.fake_miso.request_log import RequestLog
from tap_miso.testing.fake_miso.surfaces.data_exchange.gate import DataExchangeGate


@dataclass
class DataExchangeSettings:
    """Data Exchange settings routes need (limits live in the gate)."""

    keys: dict[str, list[str]]
    page_size: int = 5000


class Clock:
    """Fixed instant when set, else the real current time."""

    def __init__(self, fixed: datetime | None) -> None:
        self._lock = threading.Lock()
        self._fixed = fixed

    def now(self) -> datetime:
        with self._lock:
            fixed = self._fixed
        if fixed is None:
            return datetime.now(UTC)
        return fixed if fixed.tzinfo else fixed.replace(tzinfo=UTC)

    def set(self, moment: datetime | None) -> None:
        with self._lock:
            self._fixed = moment


@dataclass
class ServerState:
    """Everything a request handler needs."""

    data: DataModel
    clock: Clock
    dx: DataExchangeSettings
    gate: DataExchangeGate
    faults: FaultRegistry = field(default_factory=FaultRegistry)
    log: RequestLog = field(default_factory=RequestLog)
    cache: LruCache = field(default_factory=LruCache)
    #: Keep streamed (very large) bodies in `cache` too (benchmarks; tests keep memory low).
    cache_streamed: bool = False
    missing_dates: set[date] = field(default_factory=set)
    eia: EiaFakeSettings = field(default_factory=EiaFakeSettings)

    @property
    def now(self) -> datetime:
        return self.clock.now()
