"""`merge_by_interval` yields what the record-level ``heapq.merge`` yields, read for read."""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator

import pytest

from tap_miso.streams.interval_merge import merge_by_interval


def _key(r: dict) -> str:
    return r["interval_start_utc"]


def _stream(
    name: str, keys: list[str], reads: list[tuple[str, int]], fail_at: int | None = None
) -> Iterator[dict]:
    """Records of ``keys`` in order; logs every read; raises at index ``fail_at``."""
    for i, key in enumerate(keys):
        if i == fail_at:
            reads.append((name, -1))
            raise ValueError(f"{name} broke at {i}")
        reads.append((name, i))
        yield {"interval_start_utc": key, "src": name, "i": i}


def _both(streams_keys: list[list[str]], fail: dict[int, int] | None = None):
    """(output, reads, error) of the record-level merge and of merge_by_interval."""
    results = []
    for merge in (lambda s: heapq.merge(*s, key=_key), merge_by_interval):
        reads: list[tuple[str, int]] = []
        streams = [
            _stream(f"s{n}", keys, reads, (fail or {}).get(n))
            for n, keys in enumerate(streams_keys)
        ]
        out: list[tuple[str, int]] = []
        error = None
        try:
            for r in merge(streams):
                out.append((r["src"], r["i"]))
                reads.append(("out", len(out)))
        except ValueError as exc:
            error = str(exc)
        results.append((out, reads, error))
    return results


def _keys(rng: random.Random, ordered: bool) -> list[str]:
    keys = [f"2026-11-03T{rng.randrange(6):02d}:00:00Z" for _ in range(rng.randrange(0, 25))]
    return sorted(keys) if ordered else keys


@pytest.mark.parametrize("seed", range(300))
def test_same_records_order_and_reads_as_record_level_merge(seed: int) -> None:
    rng = random.Random(seed)
    ordered = seed % 3 != 0  # every third case: input out of interval order
    streams = [_keys(rng, ordered) for _ in range(rng.choice((1, 2, 2, 3)))]
    fail = {n: rng.randrange(len(k) + 1) for n, k in enumerate(streams) if seed % 4 == 1}
    record_level, by_interval = _both(streams, fail)
    assert by_interval == record_level


def test_runs_of_the_first_stream_win_ties_and_failures_keep_earlier_records() -> None:
    (out, _, error), _ = _both([["a", "a", "b", "c"], ["a", "b", "b", "c"]], fail={1: 3})
    assert out == [("s0", 0), ("s0", 1), ("s1", 0), ("s0", 2), ("s1", 1), ("s1", 2)]
    assert error == "s1 broke at 3"
