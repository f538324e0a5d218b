"""The fused Data Exchange 5-minute loop (`pricing_5min.parse_dx`) equals the path it replaced
(`placed` + `source_row`, kept below as the oracle): same rows in the same order with the same
key order, same skips and log lines, on tricky records."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from tap_miso.parsers import parse_dx_lmp_records
from tap_miso.parsers.dx_records import _sorted_runs
from tap_miso.streams import pricing_5min as p5

DAY = date(2026, 7, 14)
TYPES = {"A.HUB": "Hub", "ILLINOIS.HUB": "Hub", "B.GEN": "Gennode", "C.LZ": "Loadzone"}


def reference_parse_dx(ctx: Any, day: date, part: str, loaded: tuple) -> Iterator[dict]:
    """`parse_dx` as of fcb1cac, verbatim but for the module prefix."""
    revision, pages = loaded
    types = p5.node_types(ctx, day)
    rows = parse_dx_lmp_records(
        p5.dx_in_time_order(pages), on_unexpected_columns=ctx.drift_callback(p5.DATA_EXCHANGE)
    )
    last_time: Any = None
    raw_label: str | None = None
    for interval, r in p5.placed(
        ctx, day, rows, p5.DX_LABEL, p5.DATA_EXCHANGE,
        label_of=lambda r: r["time"].start, required=("node",),
    ):
        if r["time"] is not last_time:
            last_time = r["time"]
            raw_label = p5.dx_raw_label(last_time)
        yield p5.source_row(
            interval, r, types, raw_label=raw_label, price_type=part, revision=revision
        )


def page(records: list[dict]) -> bytes:
    meta = {"pageNumber": 1, "pageSize": 5000, "totalElements": len(records),
            "totalPages": 1, "lastPage": True}
    return orjson.dumps({"data": records, "page": meta})


def make_ctx() -> SimpleNamespace:
    return SimpleNamespace(stream="lmp_real_time_5min", logger=logging.getLogger("test.p5"),
                           drift_callback=lambda where: lambda cols: None)


def observe(pages: Iterable[bytes], caplog: pytest.LogCaptureFixture, fn: Any) -> tuple:
    caplog.clear()
    rows: list[Any] = []
    error = None
    try:
        for row in fn(make_ctx(), DAY, "ex_post", ("final", pages)):
            rows.append(row)
    except Exception as exc:  # compared with the reference, not swallowed
        error = (type(exc).__name__, str(exc))
    return repr(rows), error, [(r.levelname, r.getMessage()) for r in caplog.records]


def same_as_reference(pages: list[bytes], caplog, monkeypatch) -> tuple:
    monkeypatch.setattr(p5, "node_types", lambda ctx, day: TYPES)
    with caplog.at_level(logging.INFO):
        fast = observe(pages, caplog, p5.parse_dx)
        slow = observe(pages, caplog, reference_parse_dx)
    assert fast == slow
    return fast


def record(start: Any, node: Any = "A.HUB", **values: Any) -> dict:
    time = {"resolution": "5min", "start": start, "end": None, "value": start}
    prices = {"lmp": 30.5, "mcc": 1.25, "mec": 29.0, "mlc": 0.25}
    prices.update(values)
    return {"timeInterval": time, "node": node, **prices, "preliminaryFinal": "Final"}


def label(minutes: int) -> str:
    return (datetime(2026, 7, 14) + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")


def test_plain_day_rows_and_order(caplog, monkeypatch):
    records = [record(label(m), node) for m in (0, 5, 1435) for node in ("C.LZ", "A.HUB")]
    rows_repr, error, logs = same_as_reference([page(records)], caplog, monkeypatch)
    assert error is None and logs == []
    assert rows_repr.count("'node': 'A.HUB'") == 3 and "'hour_ending': 24" in rows_repr


def test_skips_other_days_bad_labels_and_null_nodes(caplog, monkeypatch):
    records = [
        record(label(-5)), record(label(1440)),  # the day before / after
        record(None), record("garbage"), record(label(10), None), record(label(10), ""),
        record(label(10), "None"), record(label(10), 7),
        {"node": "B.GEN", "lmp": 1.0, "mcc": 0.0, "mlc": 0.0},  # no time object at all
        record(label(15), "B.GEN", mec=None), record(label(15), "C.LZ", lmp="abc", mec=None),
        record(label(15), "A.HUB", mcc="1.5", mlc=True), record(label(20), "ILLINOIS.HUB"),
    ]
    rows_repr, error, logs = same_as_reference([page(records)], caplog, monkeypatch)
    assert error is None and any("skipped" in message for _, message in logs)
    assert "'is_trading_hub': True" in rows_repr and "'invalid_" not in rows_repr


def test_value_label_differs_from_start_and_runs_repeat(caplog, monkeypatch):
    first = record(label(0), "A.HUB")
    first["timeInterval"]["value"] = None  # raw label falls back to start
    again = record(label(0), "B.GEN")
    again["timeInterval"]["end"] = "2026-07-14 00:05:00"  # same start, other time object
    records = [first, again, record(label(0), "C.LZ"), record(label(5), "A.HUB")]
    same_as_reference([page(records)], caplog, monkeypatch)


@pytest.mark.parametrize("seed", range(30))
def test_random_pages(seed, caplog, monkeypatch):
    rng = random.Random(seed)
    starts = [label(m) for m in (-5, 0, 5, 60, 1435, 1440)] + [None, "junk"]
    nodes = [*TYPES, None, "", "Z.NODE"]
    numbers = [12.5, -3.25, 0.0, 7, "8.5", "abc", None, True, 1e300]
    pages = []
    for _ in range(rng.randint(1, 3)):
        records = []
        for start in sorted(rng.sample(starts[:6], rng.randint(1, 4))):
            for node in rng.sample(nodes, rng.randint(1, len(nodes))):
                values = {k: rng.choice(numbers) for k in ("lmp", "mcc", "mec", "mlc")
                          if rng.random() < 0.9}
                records.append(record(rng.choice([start] * 8 + starts[6:]), node, **values))
        if rng.random() < 0.2:
            rng.shuffle(records)  # not in time order: the day is sorted whole
        pages.append(page(records))
    same_as_reference(pages, caplog, monkeypatch)


def test_single_key_sort_orders_like_the_tuple_key():
    rows = [{"_invalid": [], "node": node, "time": time}
            for time in (None, None) for node in ("b", None, "a", "c", None, "a")]
    general = [r["node"] for r in sorted(
        rows, key=lambda r: tuple((r[f] is None, r[f] if r[f] is not None else 0)
                                  for f in ("node",)))]
    from tap_miso.parsers import dx_records

    rows_copy = [dict(r, time=dx_records.DxTime(None, None, None, None, None)) for r in rows]
    fast = [r["node"] for r in _sorted_runs(iter(rows_copy), ("node",), "test")]
    assert fast == general == ["a", "a", "a", "a", "b", "b", "c", "c", None, None, None, None]
