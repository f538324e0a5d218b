"""The typed DX LMP fast path (`parsers.dx_lmp_typed`) gives what the general path gives.

`pricing_5min.parse_dx` is run three ways on the same pages: as shipped (typed pages where
possible), with the typed path switched off (every page through `_dx_rows`), and as the
fcb1cac reference (`parse_dx_lmp_records` + `placed` + `source_row`). Rows (values, types,
key order), the error, log lines and drift reports must be identical, on well-formed pages,
on malformed ones and on parts mixing both.
"""

from __future__ import annotations

import logging
import math
import random
from datetime import date, datetime, timedelta
from typing import Any

import orjson
import pytest

from tap_miso.parsers import dx_lmp_typed
from tap_miso.streams import pricing_5min as p5
from tests.unit import dx_lmp_pages
from tests.unit.dx_lmp_pages import is_typed, page
from tests.unit.test_pricing_5min_fast_path import reference_parse_dx

DAY = date(2026, 7, 14)
TYPES = {"A.HUB": "Hub", "ILLINOIS.HUB": "Hub", "B.GEN": "Gennode", "C.LZ": "Loadzone"}


def label(minutes: int, fraction: bool = True) -> str:
    text = (datetime(2026, 7, 14) + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")
    return text + ".000" if fraction else text


def record(minutes: int | None, node: Any = "A.HUB", *, ante: bool = True, **values: Any) -> dict:
    start = None if minutes is None else label(minutes)
    end = None if minutes is None else label(minutes + 5)
    rec: dict[str, Any] = {}
    if ante and minutes is not None:
        rec["interval"] = f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"
    rec["timeInterval"] = {"resolution": "5min", "start": start, "end": end, "value": start}
    rec["node"] = node
    rec.update({"lmp": 30.5, "mcc": 1.25, "mec": 29.0, "mlc": 0.25})
    if not ante:
        rec["preliminaryFinal"] = "Final"
    rec.update(values)
    return {k: v for k, v in rec.items() if v is not _ABSENT}


_ABSENT = object()


def observe(pages: list[bytes], caplog: pytest.LogCaptureFixture, fn: Any) -> tuple:
    """One run of ``fn`` over ``pages`` (`dx_lmp_pages.observe`)."""

    def run(ctx: Any) -> Any:
        return fn(ctx, DAY, "ex_post", ("final", pages))

    return dx_lmp_pages.observe(run, caplog, "lmp_real_time_5min", "test.p5t")


def compare(pages: list[bytes], caplog, monkeypatch) -> tuple:
    """Run the three paths; returns the shipped path's observation."""
    monkeypatch.setattr(p5, "node_types", lambda ctx, day: TYPES)
    with caplog.at_level(logging.INFO):
        typed = observe(pages, caplog, p5.parse_dx)
        reference = observe(pages, caplog, reference_parse_dx)
        with monkeypatch.context() as m:
            m.setattr(dx_lmp_typed, "typed_runs", lambda body: None)
            general = observe(pages, caplog, p5.parse_dx)
    assert typed == general
    assert typed == reference
    return typed


def test_well_formed_pages_take_the_typed_path(caplog, monkeypatch):
    nodes = ["C.LZ", "A.HUB", "B.GEN", "ILLINOIS.HUB", "Z.NODE"]  # unordered within intervals
    records = [record(m, n, ante=False) for m in range(0, 1440, 5) for n in nodes]
    pages = [page(records[i : i + 37]) for i in range(0, len(records), 37)]  # runs span pages
    assert all(is_typed(body) for body in pages)
    rows_repr, error, logs, drift, count = compare(pages, caplog, monkeypatch)
    assert error is None and logs == [] and drift == [] and count == 288 * 5
    assert rows_repr.index("'A.HUB'") < rows_repr.index("'C.LZ'")  # sorted by node


def test_ints_negative_zero_nulls_and_absent_keys(caplog, monkeypatch):
    body = dx_lmp_pages.odd_numbers_page(
        "2026-07-14 00:00:00.000", "00:00", ("2026-07-14 00:00:00", "2026-07-14 00:05:00")
    )
    assert is_typed(body)
    rows_repr, error, *_ = compare([body], caplog, monkeypatch)
    assert error is None and "'lmp': 25.0" in rows_repr and "-0.0" in rows_repr
    assert "'mec': -1.0" not in rows_repr and "'mec': None" in rows_repr  # null lmp: no MEC


@pytest.mark.parametrize(
    "odd",
    [
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
        {"timeInterval": "2026-07-14 00:10:00"},
        {"timeInterval": {"start": "junk", "end": "2026-07-14 00:15:00"}},
        {"timeInterval": {"start": "2026-07-14 00:10:00", "end": "junk"}},  # flagged time
        {"timeInterval": {"start": "2026-07-14T00:10:00Z", "value": 5, "extra": 1}},
        {"timeInterval": {"start": "2026-07-13 23:55:00"}},  # the day before
        {"interval": {"start": "2026-07-14 00:10:00"}},
        {"interval": 3},
        {"preliminaryFinal": 1},
        {"node": "a\u00e9\u0000"},
    ],
)
def test_odd_record_in_a_mixed_part(odd, caplog, monkeypatch):
    def records(minutes: int) -> list[dict]:
        return [record(minutes, n, ante=False) for n in ("C.LZ", "A.HUB", "B.GEN")]

    bad = {**record(10, "ILLINOIS.HUB", ante=False), **odd}
    bad = {k: v for k, v in bad.items() if v is not _ABSENT}
    middle = [*records(10)[:2], bad, *records(10)[2:], *records(15)]
    pages = [page(records(5)), page(middle), page(records(15) + records(20))]
    assert is_typed(pages[0]) and is_typed(pages[2])
    compare(pages, caplog, monkeypatch)
    compare([page(middle), pages[0]], caplog, monkeypatch)  # the odd page first: drift check


def test_drift_is_checked_on_the_first_record_only(caplog, monkeypatch):
    plain = page([record(0, "A.HUB")])
    drifted = page([record(0, "B.GEN", energy=1.0)])
    assert compare([plain, drifted], caplog, monkeypatch)[3] == []
    assert compare([drifted, plain], caplog, monkeypatch)[3] == [("data_exchange", ["energy"])]


@pytest.mark.parametrize("raw", dx_lmp_pages.INVALID_RECORD_JSON)
def test_invalid_json_is_the_general_error(raw, caplog, monkeypatch):
    first = page([record(0, "C.LZ")])
    error = compare([first, page([], raw)], caplog, monkeypatch)[1]
    assert error is not None and error[0] == "PayloadError"


def test_bad_envelope_is_the_general_error(caplog, monkeypatch):
    body = orjson.dumps({"data": [record(0)], "page": {"pageNumber": "x", "lastPage": True}})
    assert compare([body], caplog, monkeypatch)[1][0] == "PayloadError"


def test_unordered_intervals(caplog, monkeypatch):
    early, late = [record(m, "A.HUB") for m in (0, 5)], [record(m, "B.GEN") for m in (10, 15)]
    # across pages: the first pass sees it and the day is sorted whole (general path)
    compare([page(late), page(early)], caplog, monkeypatch)
    # labels without a start (hour-ending run keys) out of order: the parser's warning
    hours = [record(None, n, interval=iv) for iv, n in (("2", "A.HUB"), ("1", "C.LZ"))]
    logs = compare([page(early + hours + late)], caplog, monkeypatch)[2]
    assert any("not in ascending order" in message for *_, message in logs)
    # the same time object, hour endings 2 then 1 from ``interval``: two runs, one warning
    assert is_typed(page(early + hours))
    logs = compare([page(early + hours)], caplog, monkeypatch)[2]
    assert [m for *_, m in logs if "ascending" in m] == [
        "dx_lmp: labels not in ascending order ((1, (0, 1)) after (1, (0, 2)))"
    ]


def test_repeated_and_split_time_objects(caplog, monkeypatch):
    first = record(0, "C.LZ")
    other_end = record(0, "B.GEN")
    other_end["timeInterval"]["end"] = label(0)  # same start, other time object: one run
    no_value = record(0, "A.HUB")
    no_value["timeInterval"]["value"] = None  # raw label falls back to start
    spaced = orjson.dumps(record(0, "Z.NODE")).replace(b'":', b'": ')  # same object, other bytes
    body = page(
        [],
        b",".join(
            [
                orjson.dumps(first),
                orjson.dumps(other_end),
                spaced,
                orjson.dumps(no_value),
                orjson.dumps(record(5, "A.HUB")),
            ]
        ),
    )
    assert is_typed(body)
    rows_repr, *_ = compare([body], caplog, monkeypatch)
    assert [
        r for r in ("'A.HUB'", "'B.GEN'", "'C.LZ'", "'Z.NODE'") if r in rows_repr
    ] and rows_repr.index("'A.HUB'") < rows_repr.index("'Z.NODE'")


@pytest.mark.parametrize("seed", range(40))
def test_random_mixed_parts(seed, caplog, monkeypatch):
    rng = random.Random(seed)
    nodes = [*TYPES, "Z.NODE", " B.GEN", "None", None, 3]
    numbers: list[Any] = [12.5, -3.25, 0.0, -0.0, 7, -0, None, _ABSENT, "8.5", "abc", True]
    minutes = sorted(rng.sample([-5, 0, 5, 10, 60, 1435, 1440], rng.randint(1, 5)))
    records = []
    for m in minutes:
        for node in rng.sample(nodes[:5], rng.randint(1, 5)):
            good = rng.random() < 0.85
            values = {
                k: (rng.choice(numbers[:8]) if good else rng.choice(numbers))
                for k in ("mcc", "mec", "mlc")
            }
            values["lmp"] = rng.choice([1.5, 2, None]) if good else rng.choice(numbers)
            rec = record(
                m if good or rng.random() < 0.7 else None,
                node if good else rng.choice(nodes),
                ante=rng.random() < 0.5,
                **values,
            )
            records.append(rec)
    if rng.random() < 0.2:
        rng.shuffle(records)
    cuts = sorted(rng.sample(range(1, len(records) + 1), min(len(records), rng.randint(1, 4))))
    pages, start = [], 0
    for cut in cuts:
        pages.append(page(records[start:cut]))
        start = cut
    if start < len(records):
        pages.append(page(records[start:]))
    compare(pages, caplog, monkeypatch)


def test_typed_prices_are_finite_floats():
    body = orjson.dumps([record(0, lmp=3, mcc=-0, mec=None)])
    ((time, items),) = dx_lmp_typed.typed_runs(body)
    (rec,) = items
    assert type(rec.lmp) is float and rec.mec is None and math.copysign(1, rec.mcc) == 1
    assert time.start == datetime(2026, 7, 14)
