"""5-minute rows packed by interval for the child process: unpacked, they are the same rows."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from tap_miso.parsers import five_min_blocks as fb

T0 = datetime(2026, 11, 3)


def row(label, node, lmp=31.5, mec=30.0, mlc=0.5, mcc=1.0, *, raw=None, invalid=()):
    return {
        "label": label,
        "raw_label": raw if raw is not None else f"{label:%Y-%m-%d %I:%M:%S %p}",
        "node": node,
        "_invalid": list(invalid),
        "lmp": lmp,
        "mec": mec,
        "mlc": mlc,
        "mcc": mcc,
    }


def weekly(label, node, lmp=31.5, mcc=1.0, mlc=0.5):
    return {"label": label, "raw_label": f"{label:%m/%d/%Y %H:%M}", "node": node,
            "_invalid": [], "lmp": lmp, "mcc": mcc, "mlc": mlc}


def roundtrip(rows, fields=fb.EXANTE_FIELDS):
    blocks = list(fb.pack(iter(rows), fields))
    return blocks, list(fb.unpack(iter(blocks), fields))


def same_rows(got, want):
    assert [list(r) for r in got] == [list(r) for r in want]  # key order too
    assert got == want


def test_plain_rows_come_back_equal_in_order_with_one_node_list():
    rows = [row(T0 + timedelta(minutes=5 * i), f"N{j}", 10.0 * i + j) for i in range(3)
            for j in range(4)]
    blocks, got = roundtrip(rows)
    same_rows(got, rows)
    assert len(blocks) == 3
    assert blocks[0][2] == ["N0", "N1", "N2", "N3"]
    assert blocks[1][2] is None and blocks[2][2] is None  # same nodes as the block before


def test_weekly_shape():
    rows = [weekly(T0, "A", 1.25), weekly(T0, "B", -3.5), weekly(T0 + timedelta(minutes=5), "A")]
    _, got = roundtrip(rows, fb.WEEKLY_FIELDS)
    same_rows(got, rows)


def test_rows_of_another_shape_keep_their_place_and_content():
    t1 = T0 + timedelta(minutes=5)
    odd = [
        row(T0, "BAD", None, invalid=["lmp"]),  # an invalid cell: None and flagged
        row(T0, "INT", 5),  # an int, not a float
        row(T0, "TXT", "n/a"),
        {**row(T0, "EXTRA"), "extra": 1},
        {k: v for k, v in row(T0, "NOMEC").items() if k != "mec"},
        {"raw_label": row(T0, "")["raw_label"], "label": T0, "node": "ORDER", "_invalid": [],
         "lmp": 1.0, "mec": 1.0, "mlc": 0.0, "mcc": 0.0},  # same keys, another order
    ]
    rows = [row(T0, "A"), *odd, row(T0, "B"), row(t1, "A"), row(t1, None)]
    blocks, got = roundtrip(rows)
    same_rows(got, rows)
    assert set(blocks[0][4]) == {1, 2, 3, 4, 5, 6}


def test_label_and_raw_label_changes_start_a_block():
    rows = [row(T0, "A", raw="first"), row(T0, "B", raw="first"), row(T0, "C", raw="second"),
            row(T0 + timedelta(minutes=5), "A"), row(T0, "Z")]  # a label coming back
    blocks, got = roundtrip(rows)
    same_rows(got, rows)
    assert [(b[0], b[1]) for b in blocks] == [(r["label"], r["raw_label"]) for r in
                                              (rows[0], rows[2], rows[3], rows[4])]


def test_a_long_run_is_cut_into_bounded_blocks(monkeypatch):
    monkeypatch.setattr(fb, "MAX_BLOCK", 3)
    rows = [row(T0, f"N{j}", float(j)) for j in range(8)]
    blocks, got = roundtrip(rows)
    same_rows(got, rows)
    assert [len(b[2]) for b in blocks] == [3, 3, 2]


def test_special_floats_survive():
    rows = [row(T0, "A", math.inf, -0.0), row(T0, "B", math.nan)]
    _, got = roundtrip(rows)
    assert got[0]["lmp"] == math.inf and math.copysign(1, got[0]["mec"]) == -1
    assert math.isnan(got[1]["lmp"])


def test_nothing_in_nothing_out():
    assert roundtrip([]) == ([], [])


@pytest.mark.parametrize("fields", [("lmp",), ("lmp", "mcc", "mlc", "mec", "x")])
def test_other_numbers_of_fields(fields):
    rows = [{"label": T0, "raw_label": "r", "node": n, "_invalid": [],
             **{f: float(i) for i, f in enumerate(fields)}} for n in ("A", "B")]
    _, got = roundtrip(rows, fields)
    same_rows(got, rows)
