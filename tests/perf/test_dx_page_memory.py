"""Data Exchange pages are read page by page and batch by batch (issue 7, memory).

A day of 5-minute LMP is ~750k records per part; decoding a whole big page into dicts costs
hundreds of MB, and holding a day of decoded pages cost 1.8 GB. These tests pin the streaming
reader to the whole-page parser (same records, same errors) and bound its memory.
"""

from __future__ import annotations

import tracemalloc

import orjson
import pytest

from tap_miso.http.page_spool import PageSpool
from tap_miso.parsers.dx_records import (
    dx_page_starts,
    iter_dx_page_records,
    parse_dx_page,
)
from tap_miso.parsers.errors import PayloadError
from tap_miso.sources import data_exchange as dx
from tap_miso.streams.pricing_5min import dx_in_time_order


def record(i: int, minute: int = 0) -> dict:
    start = f"2026-11-03 {minute // 60:02d}:{minute % 60:02d}:00.000"
    return {
        "interval": f"{minute // 60:02d}:{minute % 60:02d}",
        "timeInterval": {"resolution": "5min", "start": start, "end": start, "value": start},
        "node": f"NODE.{i:06d}",
        "lmp": 20.0 + i / 7,
        "mcc": -1.25,
        "mec": 20.5,
        "mlc": 0.5 + i / 1000,
    }


def page(records: list, number: int = 1, pages: int = 1, total: int | None = None) -> bytes:
    return orjson.dumps(
        {
            "data": records,
            "page": {
                "pageNumber": number,
                "pageSize": len(records),
                "totalElements": len(records) if total is None else total,
                "totalPages": pages,
                "lastPage": number == pages,
            },
        }
    )


@pytest.mark.parametrize("batch", [1, 7, 2000])
def test_streaming_reader_gives_the_whole_page_parser_records(batch):
    body = page([record(i, 5 * (i // 10)) for i in range(103)])
    assert list(iter_dx_page_records(body, batch=batch)) == parse_dx_page(body).records


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"data": [1, 2], "page": {}}',
        b'{"status": 404, "reason": "Empty data returned for date"}',
        b'{"data": [{"node": "A"}], "page": {"pageNumber": 1, "pageSize": 1, '
        b'"totalElements": 1, "totalPages": 1, "lastPage": "maybe"}}',
        b'{"data": [{"node": "A"},], "page": {}}',
    ],
)
def test_streaming_reader_raises_the_parser_error_before_any_record(body):
    with pytest.raises(PayloadError) as expected:
        parse_dx_page(body)
    records = iter_dx_page_records(body)
    with pytest.raises(PayloadError) as got:
        next(records)
    assert got.value.message == expected.value.message


def test_streaming_reader_memory_is_bounded_by_the_batch_not_the_page():
    body = page([record(i, 5 * (i // 500)) for i in range(40_000)])

    def peak(read) -> int:
        tracemalloc.start()
        try:
            count = sum(1 for _ in read())
            assert count == 40_000
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    whole = peak(lambda: parse_dx_page(body).records)
    streamed = peak(lambda: iter_dx_page_records(body, batch=1000))
    # Whole page: every record as dicts at once (~100 MB here); streamed: raw element slices
    # plus one batch. A regression to a whole-page decode fails both bounds.
    assert streamed < whole / 4, (streamed, whole)
    assert streamed < 2 * len(body), (streamed, len(body))


def test_page_spool_keeps_pages_in_order_rereadable_and_moves_to_disk():
    bodies = [page([record(i)], number=n) for n, i in enumerate(range(50), start=1)]
    spool = PageSpool(max_memory=1024)
    spool.extend(bodies[:25])
    other = PageSpool()
    other.extend(bodies[25:])
    spool.extend(other)
    assert spool.on_disk and not other.on_disk
    assert len(spool) == 50 and spool.nbytes == sum(map(len, bodies))
    first = iter(spool)
    assert next(first) == bodies[0]
    assert list(spool) == bodies  # a second reader does not disturb the first
    assert list(first) == bodies[1:]
    assert [r["node"] for r in dx.iter_records(spool)] == [f"NODE.{i:06d}" for i in range(50)]
    spool.close()
    assert not PageSpool()  # empty spool is falsy, like an empty page list


def test_start_pass_reads_starts_and_checks_the_envelope():
    records = [record(i, 5 * i) for i in range(3)]
    assert dx_page_starts(page(records)) == [r["timeInterval"]["start"] for r in records]
    bad_page = orjson.dumps({"data": records, "page": {"pageNumber": "x"}})
    with pytest.raises(PayloadError, match="lastPage"):
        dx_page_starts(bad_page)
    odd = orjson.dumps({"data": [{"timeInterval": "12:00"}], "page": {}})
    assert dx_page_starts(odd) is None  # not the plain shape: caller reads it fully


def _nodes_and_starts(records):
    return [(r["timeInterval"]["start"], r["node"]) for r in records]


def test_time_order_keeps_ordered_pages_and_sorts_unordered_ones():
    early = [record(i, 0) for i in range(3)]
    late = [record(i, 5) for i in range(3)]
    ordered = [page(early, 1, 2, 6), page(late, 2, 2, 6)]
    assert _nodes_and_starts(dx_in_time_order(ordered)) == _nodes_and_starts(early + late)
    unordered = [page(late, 1, 2, 6), page(early, 2, 2, 6)]
    result = _nodes_and_starts(dx_in_time_order(unordered))
    assert [start for start, _ in result] == sorted(start for start, _ in result)
    assert sorted(result) == sorted(_nodes_and_starts(early + late))
    # A page of another shape (time object under ``interval``) is still ordered correctly.
    moved = [{**r, "interval": r["timeInterval"], "timeInterval": None} for r in late + early]
    shifted = [page(moved[:3], 1, 2, 6), page(moved[3:], 2, 2, 6)]
    starts = [r["interval"]["start"] for r in dx_in_time_order(shifted)]
    assert starts == sorted(starts)
