"""Raw Data Exchange page bodies of one walk, kept off the heap.

A day of 5-minute LMP is ~750k records per part (~110 MB of JSON). The walk must be complete
and consistent before any record is emitted (FORMATS §2.2), so the pages are buffered; a
:class:`PageSpool` keeps them as raw bytes and hands them back one page at a time. Nothing is
decoded here.

Pages stay in memory only while a process-wide :class:`SpoolBudget` allows it: every spool of
the run (the prefetch workers walk several parts at once) draws on the same budget, and a spool
that would exceed it, or its own ``max_memory``, moves to an unlinked temporary file. So the
memory held by spools does not grow with the number of parts in flight or days backfilled.
"""

from __future__ import annotations

import tempfile
import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import IO, Any

#: Bytes one spool keeps in memory before it moves to a temporary file.
SPOOL_MEMORY = 2 << 20
#: Bytes all spools of the process keep in memory together. Small: pages held here for the
#: dates being prefetched add to the peak while a date is emitted (keyed day-ahead, 7 days:
#: 8 MB here was ~11 MB of peak RSS, bench/RESULTS.md round 7), and a spool on disk costs
#: little (the OS page cache; read back one page at a time). Small walks stay in memory.
SPOOL_BUDGET = 2 << 20


class SpoolBudget:
    """A byte budget shared by spools across threads."""

    def __init__(self, limit: int) -> None:
        """Create a budget of ``limit`` bytes."""
        self.limit = limit
        self._used = 0
        self._peak = 0
        self._lock = threading.Lock()

    def take(self, nbytes: int) -> bool:
        """Reserve ``nbytes`` if they fit; False (nothing reserved) if they do not."""
        with self._lock:
            if self._used + nbytes > self.limit:
                return False
            self._used += nbytes
            self._peak = max(self._peak, self._used)
            return True

    def give_back(self, nbytes: int) -> None:
        """Return ``nbytes`` reserved earlier."""
        with self._lock:
            self._used -= nbytes

    @property
    def used(self) -> int:
        """Bytes reserved now."""
        with self._lock:
            return self._used

    @property
    def peak(self) -> int:
        """Most bytes ever reserved at once."""
        with self._lock:
            return self._peak


#: The budget every spool uses unless given another one.
SHARED_BUDGET = SpoolBudget(SPOOL_BUDGET)


class _Held:
    """Bytes a spool holds from its budget; released once (close, disk move or collection)."""

    def __init__(self, budget: SpoolBudget) -> None:
        self.budget = budget
        self.nbytes = 0

    def release(self) -> None:
        self.budget.give_back(self.nbytes)
        self.nbytes = 0


class PageSpool:
    """Ordered raw page bodies; iterating (any number of times) yields each page's bytes."""

    def __init__(self, max_memory: int = SPOOL_MEMORY,
                 budget: SpoolBudget | None = None) -> None:
        """Create an empty spool.

        Args:
            max_memory: Bytes this spool may keep in memory (within the budget).
            budget: Shared in-memory budget (default: the process-wide one).
        """
        self._max_memory = max_memory
        self._held = _Held(budget if budget is not None else SHARED_BUDGET)
        self._release = weakref.finalize(self, self._held.release)
        self._pages: list[bytes] | None = []  # None once on disk
        self._file: IO[bytes] | None = None
        self._sizes: list[int] = []
        self._end = 0
        self._closed = False

    def append(self, body: bytes) -> None:
        """Add one page body after the others."""
        if self._closed:
            raise ValueError("append to a closed page spool")
        body = bytes(body)
        if self._pages is not None:
            if (self._held.nbytes + len(body) <= self._max_memory
                    and self._held.budget.take(len(body))):
                self._held.nbytes += len(body)
                self._pages.append(body)
                self._sizes.append(len(body))
                self._end += len(body)
                return
            self._to_disk()
        assert self._file is not None
        self._file.seek(self._end)
        self._file.write(body)
        self._end += len(body)
        self._sizes.append(len(body))

    def _to_disk(self) -> None:
        """Move the pages held in memory to a temporary file and return their budget."""
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close() or collection
        for body in self._pages or ():
            self._file.write(body)
        self._pages = None
        self._held.release()

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
    def in_memory(self) -> int:
        """Bytes held in memory now (drawn from the budget)."""
        return self._held.nbytes

    @property
    def on_disk(self) -> bool:
        """True once the spool has moved to a temporary file."""
        return self._pages is None

    def __len__(self) -> int:
        return len(self._sizes)

    def __iter__(self) -> Iterator[bytes]:
        self._check_open()
        if self._pages is not None:
            for body in list(self._pages):
                self._check_open()
                yield body
            return
        file = self._file
        offset = 0
        for size in self._sizes:
            self._check_open()
            assert file is not None
            file.seek(offset)  # another iterator may have moved the position
            yield file.read(size)
            offset += size

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("read from a closed page spool")

    def close(self) -> None:
        """Release the memory (and its budget) or the temporary file now."""
        self._closed = True
        self._release()
        if self._pages is not None:
            self._pages = []
        if self._file is not None:
            self._file.close()
