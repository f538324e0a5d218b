"""The 5-minute report parsers build each row by the generic cell rules, on odd cells too.

``parse_5min_exante_lmp_xlsx`` and ``parse_5min_lmp_zip`` look column positions up once and
take plain float cells as they are; these tests hold them to the spec they replaced: a row is
``new_row(label=parse_label(time), raw_label=…, node=cell_text(node))`` plus ``set_number``
of each price column, and rows without a label or node are skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from typing import Any

import openpyxl
import pytest

from tap_miso.parsers.cells import cell_text, parse_label
from tap_miso.parsers.excel_reports import parse_5min_exante_lmp_xlsx
from tap_miso.parsers.five_min_zip import parse_5min_lmp_zip
from tap_miso.parsers.rows import new_row, set_number

from .builders import five_min_exante_xlsx

ODD = [
    None,
    "",
    "  ",
    3,
    3.0,
    -0.0,
    True,
    "12.5",
    " 7 ",
    "nan",
    "inf",
    "1,234.5",
    "#N/A",
    "x",
    float("nan"),
    1e308 * 10,
]
LABELS = ["2026-11-03 12:05:00 AM", "2026-11-03 12:10:00 AM", None, "", "not a time"]
NODES = ["A.NODE", " B.NODE ", "", None, 42, 7.0]


def _random_rows(seed: int, width: int, labels: list[Any]) -> list[list[Any]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(60):
        row = [rng.choice(labels), rng.choice(NODES)]
        row += [
            rng.choice(ODD) if rng.random() < 0.4 else round(rng.uniform(-50, 900), 2)
            for _ in range(width - 2)
        ]
        rows.append(row[: rng.choice([width, width, width, 1, 2, 3])])  # some short rows
    return rows


def _spec(rows: list[list[Any]], fields: list[tuple[str, int]], raw: Any) -> list[dict]:
    out = []
    for row in rows:
        cell = row[0] if row else None
        label = parse_label(cell) if cell is not None else None
        node = cell_text(row[1] if len(row) > 1 else None)
        if label is None or not node:
            continue
        expected = new_row(label=label, raw_label=raw(cell), node=node)
        for field, at in fields:
            set_number(expected, field, row[at] if at < len(row) else None)
        out.append(expected)
    return out


def _sorted(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["label"], r["node"]))


@pytest.mark.parametrize("seed", range(25))
def test_exante_xlsx_rows_follow_the_cell_rules(seed: int) -> None:
    labels = [*LABELS, dt.datetime(2026, 11, 3, 0, 15)]
    rows = _random_rows(seed, 6, labels)
    data = five_min_exante_xlsx(rows)
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    stored = [list(r) for r in sheet.values][4:]  # after the title, 2 blank rows and the header
    fields = [("lmp", 2), ("mec", 3), ("mlc", 4), ("mcc", 5)]

    def raw(cell: Any) -> str:
        return cell.isoformat(sep=" ") if isinstance(cell, dt.datetime) else cell_text(cell)

    expected = _spec(stored, fields, raw)
    got = list(parse_5min_exante_lmp_xlsx(data)) if expected else []
    assert _sorted(got) == _sorted(expected)


@pytest.mark.parametrize("seed", range(25))
def test_weekly_zip_rows_follow_the_cell_rules(seed: int) -> None:
    labels = ["11/03/2026 00:05", "11/03/2026 00:10", "", "not a time", " 11/03/2026 00:15 "]
    rows = [[("" if c is None else c) for c in row] for row in _random_rows(seed, 5, labels)]
    text = io.StringIO()
    writer = csv.writer(text)
    for row in [["Title"], ["MKTHOUR_EST", "PNODENAME", "LMP", "CON_LMP", "LOSS_LMP"], *rows]:
        writer.writerow(row)
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("5min.csv", text.getvalue())
    stored = [r for r in csv.reader(io.StringIO(text.getvalue()))][2:]
    fields = [("lmp", 2), ("mcc", 3), ("mlc", 4)]
    expected = _spec([[cell_text(r[0]) if r else "", *r[1:]] for r in stored], fields, cell_text)
    got = list(parse_5min_lmp_zip(data.getvalue())) if expected else []
    assert _sorted(got) == _sorted(expected)
