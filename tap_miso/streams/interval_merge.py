"""Merge record streams that are each in interval order, one interval's run at a time."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from itertools import chain, groupby
from operator import itemgetter
from typing import Any

_FIRST = itemgetter(0)
_START = itemgetter("interval_start_utc")


def merge_by_interval(streams: Iterable[Iterable[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """``heapq.merge(*streams, key=interval_start_utc)``, the same records in the same order.

    The merge runs over each stream's runs of records sharing ``interval_start_utc``
    (``groupby``, in C) instead of over records (``heapq.merge`` is a Python loop per item):
    once a stream's record wins, the rest of its run wins too (same key, same stream index),
    so yielding whole runs gives the record-level order, even for input out of order. Runs
    are consumed lazily, so records read before a stream fails are yielded before the error,
    and the streams are read in the same order as by the record-level merge.
    """
    runs = [groupby(stream, _START) for stream in streams]
    return chain.from_iterable(run for _, run in heapq.merge(*runs, key=_FIRST))
