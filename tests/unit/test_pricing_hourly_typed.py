"""The typed DX hourly LMP path (`pricing.parse_dx_hourly_lmp`) gives what the general path gave.

`parse_dx_hourly_lmp` is run three ways on the same pages: as shipped (typed batches where
possible), with the typed path switched off (every batch through `_dx_rows`), and as the
reference below (the general path it replaced: `parse_dx_lmp_records` + `dx.dx_hours` +
`lmp_row`, verbatim). Rows (values, types, key order), the error, log lines and drift reports
must be identical, on well-formed pages, on malformed ones and on days mixing both.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from tap_miso import timeutil
from tap_miso.parsers import dx_lmp_typed
from tap_miso.parsers.json_feeds import parse_dx_lmp_records
from tap_miso.sources import data_exchange as dx
from tap_miso.sources.base import FetchContext, Row
from tap_miso.streams import pricing
from tap_miso.streams.pricing import lmp_row
from tests.unit import dx_lmp_pages
from tests.unit.dx_lmp_pages import is_typed, page

DAY = date(2026, 7, 14)
# raw DX-style types, normalised by `vocabulary.node_type`
TYPES = {
    "A.HUB": "Hubs",
    "ILLINOIS.HUB": "Hub",
    "B.GEN": "Gennodes",
    "C.LZ": " loadzone ",
    "Z.NODE": "",
}


def reference_parse_dx_hourly_lmp(
    ctx: FetchContext, day: date, pages: Iterable[bytes], price_type: str, revision: str | None
) -> Iterator[Row]:
    """`parse_dx_hourly_lmp` before the typed path, verbatim but for the module prefix."""
    types = pricing.node_types(ctx, day)
    parsed: list[tuple[int, str, Any, Any, Any, Any, list[str]]] = []
    records = parse_dx_lmp_records(
        dx.iter_records(pages), on_unexpected_columns=ctx.drift_callback("data_exchange")
    )
    for he, r in dx.dx_hours(ctx, day, records, "LMP"):
        parsed.append((he, r["node"], r["lmp"], r["mec"], r["mcc"], r["mlc"], list(r["_invalid"])))
    parsed.sort(key=lambda t: (t[0], t[1]))
    intervals: dict[int, timeutil.Interval] = {}  # every node of an hour shares it
    for he, node, lmp, mec, mcc, mlc, invalid in parsed:
        interval = intervals.get(he)
        if interval is None:
            interval = intervals[he] = timeutil.hour_ending_interval(day, he)
        yield lmp_row(
            node=node,
            node_type=types.get(node),
            price_type=price_type,
            revision=revision,
            hour_ending=he,
            interval=interval,
            lmp=lmp,
            mec=mec,
            mcc=mcc,
            mlc=mlc,
            invalid=invalid,
        )


def label(hour: int, fraction: bool = True) -> str:
    text = (datetime(2026, 7, 14) + timedelta(hours=hour)).strftime("%Y-%m-%d %H:%M:%S")
    return text + ".000" if fraction else text


_ABSENT = object()


def record(he: int | None, node: Any = "A.HUB", *, ante: bool = True, **values: Any) -> dict:
    """A DX hourly LMP record of hour ending ``he`` (day-ahead shape when ``ante``, else the
    real-time hourly ex-post shape); ``he`` None: a time object without start/end."""
    start = None if he is None else label(he - 1)
    end = None if he is None else label(he)
    rec: dict[str, Any] = {}
    if ante and he is not None:
        rec["interval"] = str(he)
    rec["timeInterval"] = {
        "resolution": "hourly",
        "start": start,
        "end": end,
        "value": None if he is None else str(he),
    }
    if not ante:
        rec["preliminaryFinal"] = "Final"
    rec["node"] = node
    rec.update({"lmp": 30.5, "mcc": 1.25, "mec": 29.0, "mlc": 0.25})
    rec.update(values)
    return {k: v for k, v in rec.items() if v is not _ABSENT}


def observe(pages: list[bytes], caplog: pytest.LogCaptureFixture, fn: Any) -> tuple:
    """One run of ``fn`` over ``pages`` (`dx_lmp_pages.observe`)."""

    def run(ctx: Any) -> Any:
        return fn(ctx, DAY, pages, "ex_ante", None)

    return dx_lmp_pages.observe(run, caplog, "lmp_day_ahead_hourly", "test.phourly")


def compare(pages: list[bytes], caplog, monkeypatch) -> tuple:
    """Run the three paths; returns the shipped path's observation. They agree, except where
    the reference raised TypeError (a null node sharing an hour with another node): the
    shipped path keeps that record, flagged, last in its hour."""
    monkeypatch.setattr(pricing, "node_types", lambda ctx, day: TYPES)
    with caplog.at_level(logging.INFO):
        typed = observe(pages, caplog, pricing.parse_dx_hourly_lmp)
        reference = observe(pages, caplog, reference_parse_dx_hourly_lmp)
        with monkeypatch.context() as m:
            m.setattr(dx_lmp_typed, "typed_runs", lambda body: None)
            general = observe(pages, caplog, pricing.parse_dx_hourly_lmp)
    assert general == typed
    if reference[1] is not None and reference[1][0] == "TypeError":
        # the reference's null node sharing an hour with another node: now kept, flagged
        assert typed[1] is None and "'node': None" in typed[0]
        return typed
    assert typed == reference
    return typed


NODES = ["C.LZ", "A.HUB", "B.GEN", "ILLINOIS.HUB", "Z.NODE"]


@pytest.mark.parametrize("ante", [True, False])
def test_well_formed_pages_take_the_typed_path(ante, caplog, monkeypatch):
    records = [record(he, n, ante=ante) for he in range(1, 25) for n in NODES]
    pages = [page(records[i : i + 37]) for i in range(0, len(records), 37)]  # runs span pages
    assert all(is_typed(body) for body in pages)
    rows_repr, error, logs, drift, count = compare(pages, caplog, monkeypatch)
    assert error is None and logs == [] and drift == [] and count == 24 * 5
    assert rows_repr.index("'A.HUB'") < rows_repr.index("'C.LZ'")  # sorted by node


def test_node_major_and_shuffled_pages(caplog, monkeypatch):
    """Record order in pages is unknown: node-major, hours backwards, shuffled."""
    records = [record(he, n) for n in NODES for he in range(24, 0, -1)]
    pages = [page(records[i : i + 11]) for i in range(0, len(records), 11)]
    assert all(is_typed(body) for body in pages)
    _, error, logs, _, count = compare(pages, caplog, monkeypatch)
    assert error is None and count == 120
    assert any("not in ascending order" in m for *_, m in logs)
    rng = random.Random(5)
    rng.shuffle(records)
    compare([page(records[i : i + 13]) for i in range(0, 120, 13)], caplog, monkeypatch)
    backwards = [page(records[i : i + 40]) for i in (80, 40, 0)]
    compare(backwards, caplog, monkeypatch)


def test_duplicates_keep_page_order(caplog, monkeypatch):
    first = [record(1, "A.HUB", lmp=1.0), record(1, "B.GEN", lmp=2.0)]
    again = [record(1, "A.HUB", lmp=3.0), record(2, "A.HUB", lmp=4.0), record(1, "A.HUB", lmp=5.0)]
    rows_repr, error, *_ = compare([page(first), page(again)], caplog, monkeypatch)
    assert error is None
    assert rows_repr.index("'lmp': 1.0") < rows_repr.index("'lmp': 3.0")
    assert rows_repr.index("'lmp': 3.0") < rows_repr.index("'lmp': 5.0")


def test_ints_negative_zero_nulls_and_absent_keys(caplog, monkeypatch):
    body = dx_lmp_pages.odd_numbers_page(
        "1", "1", ("2026-07-14 01:00:00", "2026-07-14 02:00:00")
    )
    assert is_typed(body)
    rows_repr, error, *_ = compare([body], caplog, monkeypatch)
    assert error is None and "'lmp': 25.0" in rows_repr and "-0.0" in rows_repr
    assert "'mec': None" in rows_repr  # null lmp: no MEC


ODD = [
    {"node": " A.HUB "},
    {"node": "None"},
    {"node": ""},
    {"node": None},
    {"node": 7},
    {"lmp": "31.5"},
    {"lmp": "abc"},
    {"mcc": True},
    {"mec": [1]},
    {"lmp": 1e300},
    {"mlc": "NaN"},
    {"other": 1},
    {"lmp": _ABSENT},
    {"node": _ABSENT},
    {"timeInterval": None},
    {"timeInterval": "2026-07-14 02:00:00"},
    {"timeInterval": {"start": "junk", "end": "2026-07-14 03:00:00"}},
    {"timeInterval": {"start": "junk", "value": "3"}},
    {"timeInterval": {"start": "2026-07-14 02:00:00", "end": "junk"}},  # flagged time
    {"timeInterval": {"start": "2026-07-14T02:00:00Z", "value": 5, "extra": 1}},
    {"timeInterval": {"start": "2026-07-14 02:30:00"}},  # not on the hour
    {"timeInterval": {"start": "2026-07-13 23:00:00"}},  # the day before
    {"timeInterval": {"start": "2026-07-15 00:00:00"}},  # the day after (HE 25)
    {"timeInterval": {"value": "25"}},  # hour outside 1..24
    {"timeInterval": {"value": "0"}},
    {"timeInterval": {"value": " 7 "}},
    {"timeInterval": {}, "interval": "3"},
    {"timeInterval": {}, "interval": "x"},
    {"timeInterval": _ABSENT, "interval": _ABSENT},
    {"interval": {"start": "2026-07-14 02:00:00"}},
    {"interval": 3},
    {"preliminaryFinal": 1},
    {"node": "a\u00e9\u0000"},
]


@pytest.mark.parametrize("odd", ODD)
def test_odd_record_in_a_mixed_day(odd, caplog, monkeypatch):
    def records(he: int) -> list[dict]:
        return [record(he, n) for n in ("C.LZ", "A.HUB", "B.GEN")]

    bad = {**record(3, "ILLINOIS.HUB"), **odd}
    bad = {k: v for k, v in bad.items() if v is not _ABSENT}
    middle = [*records(3)[:2], bad, *records(3)[2:], *records(4)]
    pages = [page(records(2)), page(middle), page(records(4) + records(5))]
    assert is_typed(pages[0]) and is_typed(pages[2])
    compare(pages, caplog, monkeypatch)
    compare([page(middle), pages[0]], caplog, monkeypatch)  # the odd page first: drift check
    compare([page([bad])], caplog, monkeypatch)  # alone in its hour


def test_null_node_among_others_is_kept_last_in_its_hour_and_flagged(caplog, monkeypatch):
    """The general path raised TypeError here (a null node cannot be compared with a name),
    which failed the run with a traceback. Now the record is kept after the other nodes of
    its hour, flagged ``node``, on both paths."""
    monkeypatch.setattr(pricing, "node_types", lambda ctx, day: TYPES)
    for raw_node in (None, "", "None"):
        pages = [page([record(1, "A.HUB"), record(1, raw_node), record(1, "B.GEN"),
                       record(2, raw_node), record(2, "C.LZ")])]
        with caplog.at_level(logging.INFO):
            typed = observe(pages, caplog, pricing.parse_dx_hourly_lmp)
            with monkeypatch.context() as m:
                m.setattr(dx_lmp_typed, "typed_runs", lambda body: None)
                general = observe(pages, caplog, pricing.parse_dx_hourly_lmp)
        assert typed == general
        assert typed[1] is None and typed[4] == 5
        rows = list(pricing.parse_dx_hourly_lmp(
            SimpleNamespace(stream="s", logger=logging.getLogger("t"),
                            drift_callback=lambda where: None),
            DAY, pages, "ex_ante", None))
        assert [(r["hour_ending"], r["node"]) for r in rows] == [
            (1, "A.HUB"), (1, "B.GEN"), (1, None), (2, "C.LZ"), (2, None)
        ]
        assert rows[2]["_invalid"] == ["node"] and rows[0]["_invalid"] == []


def test_skipped_records_are_counted_in_one_warning(caplog, monkeypatch):
    recs = [record(1, "A.HUB"), record(None, "B.GEN"), record(2, "C.LZ", interval="9")]
    recs.append({**record(1, "C.LZ"), "timeInterval": {"start": "2026-07-15 05:00:00"}})
    recs.append({**record(1, None), "timeInterval": {"value": "26"}})
    _, error, logs, _, count = compare([page(recs)], caplog, monkeypatch)
    assert error is None and count == 2
    assert logs[-1] == (
        "test.phourly",
        "WARNING",
        "lmp_day_ahead_hourly 2026-07-14: 3 LMP records without a usable hour skipped",
    )


def test_drift_is_checked_on_the_first_record_only(caplog, monkeypatch):
    plain = page([record(1, "A.HUB")])
    drifted = page([record(1, "B.GEN", energy=1.0)])
    assert compare([plain, drifted], caplog, monkeypatch)[3] == []
    assert compare([drifted, plain], caplog, monkeypatch)[3] == [("data_exchange", ["energy"])]


@pytest.mark.parametrize("raw", dx_lmp_pages.INVALID_RECORD_JSON)
def test_invalid_json_is_the_general_error(raw, caplog, monkeypatch):
    first = page([record(1, "C.LZ")])
    error = compare([first, page([], raw)], caplog, monkeypatch)[1]
    assert error is not None and error[0] == "PayloadError"


@pytest.mark.parametrize(
    "body",
    [
        orjson.dumps({"data": [record(1)], "page": {"pageNumber": "x", "lastPage": True}}),
        orjson.dumps({"data": [record(1), 3], "page": {}}),
        orjson.dumps({"status": 404, "reason": "Not Found"}),
        orjson.dumps([record(1)]),
        b"",
        b"<html>busy</html>",
    ],
)
def test_malformed_page_is_the_general_error(body, caplog, monkeypatch):
    error = compare([page([record(1, "C.LZ")]), body], caplog, monkeypatch)[1]
    assert error is not None and error[0] == "PayloadError"


@pytest.mark.parametrize("seed", range(60))
def test_random_mixed_days(seed, caplog, monkeypatch):
    rng = random.Random(seed)
    nodes = [*TYPES, " B.GEN", "None", None, 3]
    numbers: list[Any] = [12.5, -3.25, 0.0, -0.0, 7, -0, None, _ABSENT, "8.5", "abc", True]
    hours = rng.sample([0, 1, 2, 3, 23, 24, 25], rng.randint(1, 5))
    records = []
    for he in hours:
        # a null node alone in its hour: the reference raised TypeError when it was not
        names = rng.sample(nodes[:5], rng.randint(1, 5)) if rng.random() < 0.8 else [None]
        for node in names:
            good = rng.random() < 0.85
            values = {
                k: (rng.choice(numbers[:8]) if good else rng.choice(numbers))
                for k in ("mcc", "mec", "mlc")
            }
            values["lmp"] = rng.choice([1.5, 2, None]) if good else rng.choice(numbers)
            odd_node = rng.choice(nodes[5:]) if not good and node is not None else node
            rec = record(
                he if good or rng.random() < 0.7 else None,
                odd_node if odd_node is not None or node is None else node,
                ante=rng.random() < 0.5,
                **values,
            )
            records.append(rec)
    if rng.random() < 0.5:
        rng.shuffle(records)
    cuts = sorted(rng.sample(range(1, len(records) + 1), min(len(records), rng.randint(1, 4))))
    pages, start = [], 0
    for cut in cuts:
        pages.append(page(records[start:cut]))
        start = cut
    if start < len(records):
        pages.append(page(records[start:]))
    compare(pages, caplog, monkeypatch)


@pytest.mark.parametrize("raw_node", ["", "None", " ", None])
def test_null_node_with_a_flagged_time_alone_in_its_hour(raw_node, caplog, monkeypatch):
    bad = record(3, raw_node)
    bad["timeInterval"]["end"] = "junk"  # start still places it: HE 3, ``time`` flagged
    pages = [page([record(1, "A.HUB"), bad, record(2, "B.GEN")])]
    assert is_typed(pages[0]) == (raw_node is not None)
    rows_repr, error, *_ = compare(pages, caplog, monkeypatch)
    assert error is None and "['node', 'time']" in rows_repr


class _CountedPages:
    """Pages that count how many the current pass over them has handed out."""

    def __init__(self, pages: list[bytes]) -> None:
        self.pages, self.read = pages, 0

    def __iter__(self) -> Iterator[bytes]:
        self.read = 0
        for body in self.pages:
            self.read += 1
            yield body


def _first_row(pages: _CountedPages, monkeypatch) -> Row:
    monkeypatch.setattr(pricing, "node_types", lambda ctx, day: TYPES)
    ctx = SimpleNamespace(
        stream="lmp_day_ahead_hourly",
        logger=logging.getLogger("test.phourly"),
        drift_callback=lambda where: lambda cols: None,
    )
    return next(pricing.parse_dx_hourly_lmp(ctx, DAY, pages, "ex_ante", None))


def test_hours_in_order_are_held_one_at_a_time(monkeypatch):
    """Pages in hour order (one a hour): hour 1 is out after page 3, not after the day (hour
    2's first entry ends hour 1; hour 2's run is sorted, and handed on, once page 3 ends it)."""
    records = [record(he, n) for he in range(1, 25) for n in reversed(NODES)]
    pages = _CountedPages([page(records[i : i + 5]) for i in range(0, 120, 5)])
    first = _first_row(pages, monkeypatch)
    assert (first["hour_ending"], first["node"]) == (1, "A.HUB")  # still sorted by node
    assert pages.read == 3


@pytest.mark.parametrize(
    "late",
    [
        record(1, "Z.NODE"),  # hour 1 again after hour 24
        {**record(1, "Z.NODE"), "timeInterval": {"value": "1"}},  # an hour from value only
    ],
)
def test_a_day_out_of_order_is_held_whole(late, monkeypatch, caplog):
    records = [record(he, n) for he in range(1, 25) for n in NODES if n != "Z.NODE"]
    bodies = [page(records[i : i + 4]) for i in range(0, 96, 4)] + [page([late])]
    pages = _CountedPages(bodies)
    first = _first_row(pages, monkeypatch)
    assert first["hour_ending"] == 1 and pages.read == len(bodies)
    rows_repr, error, *_ = compare(bodies, caplog, monkeypatch)
    assert error is None and rows_repr.index("'Z.NODE'") < rows_repr.index("'hour_ending': 2")


def test_skips_are_warned_once_after_a_day_in_order(caplog, monkeypatch):
    recs = [record(he, n) for he in (1, 2) for n in NODES]
    recs.append({**record(1, "C.LZ"), "timeInterval": {"start": "2026-07-15 05:00:00"}})
    _, error, logs, _, count = compare([page(recs[:6]), page(recs[6:])], caplog, monkeypatch)
    assert error is None and count == 10
    assert [m for *_, m in logs] == [
        "lmp_day_ahead_hourly 2026-07-14: 1 LMP records without a usable hour skipped"
    ]
