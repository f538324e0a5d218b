"""Thread-safe log of every request the fake answered."""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass
from datetime import datetime


@dataclass(frozen=True)
class RequestRecord:
    """One answered request; `status` 0 means the connection was reset without a response."""

    time: float
    wall: datetime
    method: str
    path: str
    query: dict[str, str]
    status: int
    key: str | None
    fault: str | None
    duration: float

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["wall"] = self.wall.isoformat()
        return data


class RequestLog:
    """Append-only list with regex filtering."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def all(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def matching(self, path_regex: str) -> list[RequestRecord]:
        pattern = re.compile(path_regex)
        return [record for record in self.all() if pattern.search(record.path)]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
