"""`MisoStream._emit_rows`: a source failing part-way through a date hands it to the next one.

The records already sent stay sent; the next source's records are sent from the interval of the
last record sent on, without the keys of that interval already sent. So the records leave in
ascending order, none is lost and none is sent twice, wherever the failure falls.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from tap_miso import timeutil
from tap_miso.parsers.errors import PayloadError
from tap_miso.sources.base import SourceSpec
from tap_miso.streams.base import SourceChainError
from tap_miso.tap import TapMiso

DAY = date(2026, 7, 14)
NODES = ("A.HUB", "B.GEN", "C.LZ")


@pytest.fixture(scope="module")
def stream() -> Any:
    tap = TapMiso(config={"start_date": "2026-07-01"}, setup_mapper=False)
    return tap.streams["lmp_day_ahead_hourly"]


def rows(hours: range, fail_after: int | None = None, typed: bool = True) -> Iterator[dict]:
    """Rows of ``hours`` x NODES; raise PayloadError after ``fail_after`` rows; without the
    ``price_type`` key field unless ``typed``."""
    sent = 0
    for he in hours:
        interval = timeutil.hour_ending_interval(DAY, he)
        for node in NODES:
            if fail_after is not None and sent == fail_after:
                raise PayloadError("dx_page", "invalid JSON: number is infinity")
            sent += 1
            row = {"interval": interval, "node": node, "price_type": "ex_ante",
                   "hour_ending": he, "lmp": float(he), "_invalid": []}
            if not typed:
                del row["price_type"]
            yield row


def emit(stream: Any, fail_after: int, fallbacks: bool = True, typed: bool = True) -> list[dict]:
    first_source = rows(range(1, 25), fail_after, typed)
    first = next(first_source)
    nxt = SourceSpec(source="market_report", load=lambda ctx, day, part: None,
                     parse=lambda ctx, day, part, payload: rows(range(1, 25), typed=typed))
    spec = SourceSpec(source="data_exchange", load=lambda ctx, day, part: None,
                      parse=lambda ctx, day, part, payload: iter(()))
    return list(stream._emit_rows(DAY, "ex_ante", spec, first, first_source,
                                  [nxt] if fallbacks else [], None))


@pytest.mark.parametrize("typed", [True, False], ids=["keys", "a-key-field-absent"])
@pytest.mark.parametrize("fail_after", [1, 2, 3, 4, 5, 6, 7, 30, 71])
def test_every_key_once_in_order_wherever_the_failure_falls(stream, fail_after, typed):
    records = emit(stream, fail_after, typed=typed)
    keys = [(r["interval_start_utc"], r["node"]) for r in records]
    assert len(keys) == len(set(keys)) == 24 * len(NODES)
    assert [r["interval_start_utc"] for r in records] == sorted(
        r["interval_start_utc"] for r in records
    )
    sent_first = records[:fail_after]
    assert all(r["source"] == "data_exchange" for r in sent_first)
    assert all(r["source"] == "market_report" for r in records[fail_after:])
    # mid-interval (fail_after not a multiple of 3): the rest of that interval from the next source
    last = sent_first[-1]
    rest = [r["node"] for r in records[fail_after:]
            if r["interval_start_utc"] == last["interval_start_utc"]]
    assert rest == list(NODES[NODES.index(last["node"]) + 1 :])


def test_without_a_next_source_it_is_a_clear_failure(stream):
    with pytest.raises(SourceChainError, match="failed part-way through 2026-07-14"):
        emit(stream, 5, fallbacks=False)
