"""The columnar LMP CSV path (`read_lmp_csv`, `parse_lmp_report`) equals the row-at-a-time
parser it replaced (tests/parsers/lmp_reference.py) on tricky input: same rows, same key
order, same float bits, same flags, same warnings, same errors."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import pytest

from tap_miso.parsers import parse_lmp_csv
from tap_miso.parsers.lmp_table import HourColumns
from tap_miso.streams.pricing import parse_lmp_report

from .builders import DISCLAIMER, HE_HEADER, lmp_csv
from .lmp_reference import reference_parse_lmp_csv, reference_parse_lmp_report

DAY = date(2026, 7, 14)
ODD_CELLS = [
    "", " ", "None", "null", "NA", "abc", "#N/A", "NaN", "nan", "inf", "-Infinity", "1_000",
    "\u0661\u0662", " 5.25 ", '"1,234.50"', '"-12,345"', ".92", "-.03", "1e3", "+5", "5.",
    "0", "-0.0", "1e308", "-1e308", "9" * 400, '"1,23"', "\t7.5\t", "1.5.2", "--1",
]
PLAIN = ["31.52", "-4.1", "0.00", "120.75", ".5", "1e2"]


def drain(run: Callable[[], Iterable[Any]], caplog: pytest.LogCaptureFixture) -> tuple:
    """Everything observable of one parse: rows (repr keeps key order and -0.0), the error
    raised (also part-way), and the warnings logged."""
    caplog.clear()
    rows: list[Any] = []
    error = None
    try:
        for row in run():
            rows.append(row)
    except Exception as exc:  # compared with the reference, not swallowed
        error = (type(exc).__name__, str(exc), getattr(exc, "missing_columns", None))
    logs = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    return repr(rows), error, logs


def same_as_reference(data: bytes, caplog: pytest.LogCaptureFixture, **kwargs: Any) -> tuple:
    with caplog.at_level(logging.WARNING):
        fast = drain(lambda: parse_lmp_csv(data, **kwargs), caplog)
        slow = drain(lambda: reference_parse_lmp_csv(data, **kwargs), caplog)
    assert fast == slow
    return fast


def report_same_as_reference(data: bytes, caplog: pytest.LogCaptureFixture) -> tuple:
    with caplog.at_level(logging.WARNING):
        fast = drain(lambda: parse_lmp_report(None, DAY, data, "ex_post", "final"), caplog)
        slow = drain(lambda: reference_parse_lmp_report(DAY, data, "ex_post", "final"), caplog)
    assert fast == slow
    return fast


def cells(fill: Callable[[int], str]) -> list[str]:
    return [fill(h) for h in range(1, 25)]


def node_rows(node: str, kind: str = "Gennode", values: Iterable[str] = ("LMP", "MCC", "MLC"),
              fill: Callable[[int], str] = lambda h: f"{h}.25") -> list:
    return [(node, kind, value, cells(fill)) for value in values]


class TestSameRowsAsBefore:
    def test_plain_file_takes_the_fast_path(self, caplog):
        rows = node_rows("B.NODE") + node_rows("A.HUB", "Hub")
        rows_repr, error, logs = same_as_reference(lmp_csv("07/14/2026", rows), caplog)
        assert error is None and logs == [] and "'lmp': 1.25" in rows_repr
        header = [(3 + h, h + 1) for h in range(24)]
        assert HourColumns(header).fast_values(["n", "t", "v", *cells(str)]) == [
            float(h) for h in range(1, 25)
        ]

    @pytest.mark.parametrize("odd", ODD_CELLS)
    def test_each_odd_cell_in_every_field(self, odd, caplog):
        rows = []
        for value in ("LMP", "MCC", "MLC"):
            rows.append(("X.NODE", "Gennode", value, cells(lambda h: odd if h % 5 == 2 else "3")))
        _, error, _ = same_as_reference(lmp_csv("07/14/2026", rows), caplog)
        assert error is None
        report_same_as_reference(lmp_csv("07/14/2026", rows), caplog)

    def test_odd_cells_never_pass_the_fast_check(self):
        columns = HourColumns([(h, h + 1) for h in range(24)])
        for odd in ODD_CELLS:
            if odd.strip(' "\t') in ("5.25", ".92", "-.03", "1e3", "+5", "5.", "0", "-0.0",
                                   "1e308", "-1e308", "7.5", "9" * 400):
                continue  # plain decimals: the fast check may take them
            row = [odd if h == 7 else "1" for h in range(24)]
            assert columns.fast_values(row) is None, odd

    def test_sum_overflow_falls_back_and_stays_exact(self, caplog):
        rows = node_rows("BIG", fill=lambda h: "1e308")
        rows_repr, error, _ = same_as_reference(lmp_csv("07/14/2026", rows), caplog)
        assert error is None and "1e+308" in rows_repr

    def test_missing_mcc_mlc_and_unknown_values(self, caplog):
        rows = [
            *node_rows("ONLY.LMP", values=("LMP",)),
            *node_rows("ODD", values=("lmp", "MEC", "Foo", " mcc ")),
            ("", "Hub", "LMP", cells(str)),  # no node: a label row
            ("NO.VALUE", "Hub", "", cells(str)),
        ]
        _, error, logs = same_as_reference(lmp_csv("07/14/2026", rows), caplog)
        assert error is None and any("unknown Value" in message for *_, message in logs)

    def test_duplicate_rows_first_kept_with_same_warnings(self, caplog):
        rows = [
            *node_rows("DUP", fill=lambda h: "1.0"),
            ("DUP", "Hub", "LMP", cells(lambda h: "2.0")),  # later row, other type: ignored
            ("DUP", "Gennode", "MCC", cells(lambda h: "bad")),
        ]
        rows_repr, _, logs = same_as_reference(lmp_csv("07/14/2026", rows), caplog)
        assert len(logs) == 48 and "'lmp': 1.0" in rows_repr and "'Hub'" not in rows_repr

    def test_bom_crlf_quotes_and_footer(self, caplog):
        rows = node_rows("Q.NODE", fill=lambda h: f'"1,00{h % 10}.5"') + node_rows("P")
        data = b"\xef\xbb\xbf" + lmp_csv("07/14/2026", rows).replace(b"\n", b"\r\n")
        rows_repr, error, _ = same_as_reference(data, caplog)
        assert error is None and "1001.5" in rows_repr

    def test_short_long_and_blank_led_rows(self, caplog):
        lines = [
            "Day Ahead Market ExPost LMPs", "07/14/2026", "", f"Node,Type,Value,{HE_HEADER}",
            "SHORT,Gennode,LMP,1,2,3",
            "LONG,Gennode,LMP," + ",".join(["4"] * 30),
            ",,,",
            " ,Gennode,LMP," + ",".join(["4"] * 24),
            f"Node,Type,Value,{HE_HEADER}",
            "  " + DISCLAIMER.lower(),
        ]
        data = ("\n".join(lines) + "\n").encode()
        rows_repr, error, _ = same_as_reference(data, caplog)
        assert error is None and "'SHORT'" in rows_repr and "'LONG'" in rows_repr

    @pytest.mark.parametrize(
        ("header", "order"),
        [
            ("Node,Type,Value," + ",".join(f"HE {h}" for h in range(24, 0, -1)), "ntv"),
            (f"Node,Value,Type,{HE_HEADER}", "nvt"),  # key columns moved
            (f"Node,Type,Value,{HE_HEADER},HE1", "ntv"),  # two columns for hour 1
            (f"Node,Type,Value,{HE_HEADER},HE 25,HE 0", "ntv"),  # outside 1..24: flagged
            (f"Node,Type,Value,{HE_HEADER},he 3", "ntv"),  # same hour, other spelling
            (f"Node,,Type,Value,{HE_HEADER}", "n_tv"),  # blank (merged-cell) column
        ],
    )
    def test_header_shapes(self, header, order, caplog):
        width = header.count(",") + 1 - len(order)
        key = {"n": "", "t": "Hub", "v": "", "_": ""}
        rows = []
        for node in ("N2", "N1"):
            for value in ("LMP", "MLC"):
                key.update(n=node, v=value)
                lead = [key[c] for c in order]
                tail = [f"{i}.5" if i % 7 else "x" for i in range(width)]
                rows.append((lead[0], lead[1], lead[2], [*lead[3:], *tail]))
        data = lmp_csv("07/14/2026", rows, header=header)
        rows_repr, error, _ = same_as_reference(
            data, caplog, on_unexpected_columns=lambda names: None
        )
        assert error is None and "'N1'" in rows_repr and "'N2'" in rows_repr
        if "HE 25" in header:
            # The old report path died with a ValueError traceback here; now a clear
            # PayloadError, so the stream falls back to the next source or fails in one line.
            rows_repr, error, _ = drain(
                lambda: parse_lmp_report(None, DAY, data, "ex_post", "final"), caplog
            )
            assert rows_repr == "[]"
            assert error is not None and error[0] == "PayloadError"
            assert "HE 25 is outside HE 1..24" in error[1] or "HE 0 is outside" in error[1]
            return
        report_same_as_reference(data, caplog)

    def test_archive_layout_several_days(self, caplog):
        header = "MARKET_DAY,NODE,TYPE,VALUE," + ",".join(f"HE{h}" for h in range(1, 25))
        lines = [header]
        for day in ("07/15/2026", "07/14/2026", "bad date", "2026-07-14"):
            for value in ("LMP", "MCC"):
                quoted = [f'"1,{h:03d}.25"' for h in range(1, 25)]
                lines.append(",".join([day, "A.HUB", "Hub", value, *quoted]))
        data = ("\n".join(lines) + "\n").encode()
        rows_repr, error, logs = same_as_reference(data, caplog)
        assert error is None and "1001.25" in rows_repr and logs  # duplicate 07/14 rows
        # The report takes 07/14 then fails on 07/15, part-way, as before.
        _, error, _ = report_same_as_reference(data, caplog)
        assert error is not None and "2026-07-15" in error[1]

    @pytest.mark.parametrize(
        "data",
        [
            b"",
            b"<html>no</html>",
            lmp_csv("Market Prices", node_rows("N")),  # no date in the preamble
            lmp_csv("07/14/2026", []),  # header but no rows
            lmp_csv("07/14/2026", node_rows("N"), header="Node,Type,Value,HE 1"),
        ],
    )
    def test_errors_unchanged(self, data, caplog):
        _, error, _ = same_as_reference(data, caplog)
        assert error is not None

    def test_report_other_market_date_fails_as_before(self, caplog):
        _, error, _ = report_same_as_reference(lmp_csv("07/15/2026", node_rows("N")), caplog)
        assert error is not None and "expected 2026-07-14" in error[1]


@pytest.mark.parametrize("seed", range(40))
def test_random_files_same_as_reference(seed, caplog):
    """Random mixes of plain/odd cells, row orders, duplicates and missing Values."""
    rng = random.Random(seed)
    rows = []
    for index in range(rng.randint(1, 8)):
        node = rng.choice(["HUB.A", "GEN.B", "LZ.C", f"N{index}"])
        for value in rng.sample(["LMP", "MCC", "MLC", "MEC", "lmp"], rng.randint(1, 4)):
            pool = PLAIN if rng.random() < 0.6 else PLAIN + ODD_CELLS
            rows.append((node, rng.choice(["Hub", "Gennode", ""]), value,
                         [rng.choice(pool) for _ in range(24)]))
    rng.shuffle(rows)
    data = lmp_csv("07/14/2026", rows, footer=rng.random() < 0.5)
    if rng.random() < 0.3:
        data = data.replace(b"\n", b"\r\n")
    same_as_reference(data, caplog)
    report_same_as_reference(data, caplog)
