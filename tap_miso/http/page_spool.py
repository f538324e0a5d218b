"""Raw Data Exchange page bodies of one walk, kept off the heap.

A day of 5-minute LMP is ~750k records per part (~110 MB of JSON). The walk must be complete
and consistent before any record is emitted (FORMATS §2.2), so the pages are buffered; a
:class:`PageSpool` keeps them as raw bytes in a ``tempfile.SpooledTemporaryFile`` (in memory
up to ``max_memory``, then an unlinked temporary file) and hands them back one page at a time.
Nothing is decoded here.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

#: Bytes kept in memory before the spool moves to a temporary file.
SPOOL_MEMORY = 8 << 20


class PageSpool:
    """Ordered raw page bodies; iterating (any number of times) yields each page's bytes."""

    def __init__(self, max_memory: int = SPOOL_MEMORY) -> None:
        """Create an empty spool that stays in memory up to ``max_memory`` bytes."""
        self._file = tempfile.SpooledTemporaryFile(max_size=max_memory)  # noqa: SIM115
        self._sizes: list[int] = []
        self._end = 0

    def append(self, body: bytes) -> None:
        """Add one page body after the others."""
        self._file.seek(self._end)
        self._file.write(body)
        self._end += len(body)
        self._sizes.append(len(body))

    def add(self, body: bytes, records: Any = None) -> None:
        """Walk sink: keep the body only (the walk has already counted ``records``)."""
        self.append(body)

    def extend(self, pages: Iterable[bytes]) -> None:
        """Add every page of ``pages`` (another spool or bytes) in order."""
        for body in pages:
            self.append(body)

    @property
    def nbytes(self) -> int:
        """Total size of the spooled bodies."""
        return self._end

    @property
    def on_disk(self) -> bool:
        """True once the spool has moved to a temporary file."""
        return bool(getattr(self._file, "_rolled", False))

    def __len__(self) -> int:
        return len(self._sizes)

    def __iter__(self) -> Iterator[bytes]:
        offset = 0
        for size in self._sizes:
            self._file.seek(offset)  # another iterator may have moved the position
            yield self._file.read(size)
            offset += size

    def close(self) -> None:
        """Release the memory or temporary file now (also done when collected)."""
        self._file.close()
