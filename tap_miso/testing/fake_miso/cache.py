"""Small thread-safe LRU for generated payloads."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


class LruCache:
    """Keeps the `max_entries` most recently used values whose total size fits `max_bytes`."""

    def __init__(self, max_entries: int = 64, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        """The cached value of ``key`` (now the most recently used), or None."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: Hashable, value: bytes) -> None:
        """Cache ``value`` unless it alone exceeds `max_bytes`; evict the least recently used."""
        with self._lock:
            if key not in self._items and len(value) <= self.max_bytes:
                self._items[key] = value
                self._size += len(value)
                while len(self._items) > self.max_entries or self._size > self.max_bytes:
                    _, dropped = self._items.popitem(last=False)
                    self._size -= len(dropped)

    def get_or_build(self, key: Hashable, build: Callable[[], bytes]) -> bytes:
        value = self.get(key)
        if value is None:
            value = build()
            self.put(key, value)
        return value

    def tee(self, key: Hashable, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Pass ``chunks`` through; once all of them went out, cache their concatenation
        (a body cut short, e.g. by a client that hung up, is not cached)."""
        parts: list[bytes] = []
        size = 0
        for chunk in chunks:
            if size <= self.max_bytes:
                parts.append(chunk)
                size += len(chunk)
            yield chunk
        if size <= self.max_bytes:
            self.put(key, b"".join(parts))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0
