"""`split_5min_lmp_zip` + `parse_5min_lmp_csv` give, date by date, exactly the rows that
`parse_5min_lmp_zip` gives for the whole weekly zip, whatever the member's bytes look like."""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest

from tap_miso.parsers import PayloadError
from tap_miso.parsers import five_min_zip as fz

PREAMBLE = "Real-Time 5 Minute Final LMPs\n03/09/2025 - 03/15/2025\n\nAll Hours are EST\n"
HEADER = "MKTHOUR_EST,PNODENAME,LMP,CON_LMP,LOSS_LMP\n"
FOOTER = "\nMISO MAKES NO REPRESENTATIONS OR WARRANTIES\n"


def member_zip(text: str | bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("20250324_5MIN_LMP.csv", text)
    return buffer.getvalue()


def data_lines(days: int = 3, nodes=("NODE.C", "NODE.A", "NODE.B"), steps: int = 288) -> str:
    lines = []
    for day in range(days):
        start = datetime(2025, 3, 9) + timedelta(days=day)
        for step in range(steps):
            label = start + timedelta(minutes=5 * step)
            for index, node in enumerate(nodes):
                lines.append(f"{label:%m/%d/%Y %H:%M},{node},{20 + index + step / 100},.5,-.03\n")
    return "".join(lines)


def by_date(rows) -> dict[date, list[dict]]:
    out: dict[date, list[dict]] = defaultdict(list)
    for row in rows:
        out[row["label"].date()].append(row)
    return dict(out)


def split_rows(data: bytes, **kwargs) -> dict[date, list[dict]]:
    """Spill per label date as the stream does, then parse each spill."""
    runs = fz.split_5min_lmp_zip(data, **kwargs)
    spills: dict[date, io.BytesIO] = {}
    for label, block in runs.runs:
        if label is None:
            continue
        if label.date() not in spills:
            spills[label.date()] = io.BytesIO(runs.header)
            spills[label.date()].seek(0, io.SEEK_END)
        spills[label.date()].write(block)
    out = {}
    for day, spill in spills.items():
        spill.seek(0)
        out[day] = list(fz.parse_5min_lmp_csv(spill))
    return out


def assert_same_as_full_parse(text: str | bytes) -> dict[date, list[dict]]:
    data = member_zip(text)
    expected = by_date(fz.parse_5min_lmp_zip(data))
    got = split_rows(data)
    assert got == expected
    return got


MEMBERS = {
    "plain": PREAMBLE + HEADER + data_lines() + FOOTER,
    "crlf": (PREAMBLE + HEADER + data_lines() + FOOTER).replace("\n", "\r\n"),
    "bom": "\ufeff" + HEADER + data_lines(),
    "no final newline": HEADER + data_lines().rstrip("\n"),
    "quoted field later": HEADER + data_lines(1) + '03/10/2025 00:00,"N,1","1,000.5",2,3\n'
    + data_lines(2)[len(data_lines(1)) :],
    "quoted newline": HEADER + data_lines(1) + '03/10/2025 00:00,"N\n1",1,2,3\n',
    "lone CR": (HEADER + data_lines()).replace("\n", "\r"),
    "label not first (blank leading column)": ",MKTHOUR_EST,PNODENAME,LMP,CON_LMP,LOSS_LMP\n"
    + "".join("," + line for line in data_lines(2).splitlines(keepends=True)),
    "repeated header and blank lines": HEADER + data_lines(1) + "\n" + HEADER + "\n"
    + data_lines(2)[len(data_lines(1)) :] + FOOTER,
    "labels out of order": HEADER + data_lines(1, steps=3)
    + "03/09/2025 00:05,NODE.Z,1,2,3\n" + data_lines(1, steps=2),
    "mlc column, bad cells": "MKTHOUR_EST,PNODENAME,LMP,CON_LMP,MLC_LMP,EXTRA\n"
    + "03/09/2025 00:00,N1,abc,,.5,x\n03/09/2025 00:00,,1,2,3,x\n03/09/2025 00:05,N1,1\n",
}


@pytest.mark.parametrize("chunk", [fz.CHUNK, 997, 64])
@pytest.mark.parametrize("name", sorted(MEMBERS))
def test_split_then_parse_equals_the_full_parse(monkeypatch, name, chunk) -> None:
    monkeypatch.setattr(fz, "CHUNK", chunk)
    got = assert_same_as_full_parse(MEMBERS[name])
    assert sum(map(len, got.values())) > 0


def test_every_record_and_date_is_there() -> None:
    got = assert_same_as_full_parse(MEMBERS["plain"])
    assert sorted(got) == [date(2025, 3, 9), date(2025, 3, 10), date(2025, 3, 11)]
    day = got[date(2025, 3, 10)]
    assert len(day) == 288 * 3
    assert day[0] == {
        "label": datetime(2025, 3, 10),
        "raw_label": "03/10/2025 00:00",
        "node": "NODE.A",  # sorted by node within the interval
        "lmp": 21.0,
        "mcc": 0.5,
        "mlc": -0.03,
        "_invalid": [],
    }


def test_runs_are_whole_intervals_on_the_fast_path() -> None:
    runs = fz.split_5min_lmp_zip(member_zip(PREAMBLE + HEADER + data_lines() + FOOTER))
    assert runs.header == HEADER.rstrip().encode() + b"\r\n"
    pieces = list(runs.runs)
    labelled = [(label, block) for label, block in pieces if label is not None]
    # 1 MB blocks: an interval's 3 records are cut only where a block ends
    assert len(labelled) < 3 * 288 + 3
    assert {label for label, _ in labelled} == {
        datetime(2025, 3, 9) + timedelta(minutes=5 * i) for i in range(3 * 288)
    }
    for label, block in labelled:
        prefix = f"{label:%m/%d/%Y %H:%M},".encode()
        assert all(line.startswith(prefix) for line in block.splitlines())


def test_a_label_that_comes_back_is_read_line_by_line(monkeypatch) -> None:
    text = HEADER + "".join(
        f"03/09/2025 00:0{minute},N{i},1,2,3\n" for i, minute in enumerate([0, 0, 5, 0, 0, 5])
    )
    runs = list(fz.split_5min_lmp_zip(member_zip(text)).runs)
    assert [(label.minute, block.count(b"\n")) for label, block in runs] == [
        (0, 2), (5, 1), (0, 2), (5, 1)
    ]


def test_a_line_longer_than_the_limit(monkeypatch) -> None:
    monkeypatch.setattr(fz, "LONG_LINE", 100)
    text = HEADER + data_lines(1, steps=2) + "03/09/2025 00:10,N" + "x" * 500 + ",1,2,3\n"
    got = assert_same_as_full_parse(text)
    assert got[date(2025, 3, 9)][-1]["node"] == "N" + "x" * 500


def test_unknown_columns_are_reported_once_by_the_split() -> None:
    seen: list[list[str]] = []
    data = member_zip("MKTHOUR_EST,PNODENAME,LMP,CON_LMP,LOSS_LMP,ENERGY\n"
                      "03/09/2025 00:00,N,1,2,3,4\n")
    got = split_rows(data, on_unexpected_columns=seen.append)
    assert seen == [["ENERGY"]]
    assert len(got[date(2025, 3, 9)]) == 1


def test_header_errors_at_call_time() -> None:
    with pytest.raises(PayloadError) as info:
        fz.split_5min_lmp_zip(member_zip("MKTHOUR_EST,PNODENAME,LMP,CON_LMP\n"))
    assert info.value.missing_columns == ["LOSS_LMP"]
    with pytest.raises(PayloadError, match="header anchor row not found"):
        fz.split_5min_lmp_zip(member_zip("just,some,text\n"))
    with pytest.raises(PayloadError, match="not a readable zip"):
        fz.split_5min_lmp_zip(b"<html>maintenance</html>")


@pytest.mark.parametrize("body", ["", FOOTER, "\n\n"])
def test_no_labelled_record_is_no_data(body) -> None:
    runs = fz.split_5min_lmp_zip(member_zip(HEADER + body))
    with pytest.raises(PayloadError, match="no data rows"):
        list(runs.runs)


def test_a_spill_whose_records_have_no_node_is_no_data() -> None:
    spill = io.BytesIO((HEADER + "03/09/2025 00:00,,1,2,3\n").encode())
    with pytest.raises(PayloadError, match="no data rows"):
        list(fz.parse_5min_lmp_csv(spill))


def test_truncated_and_corrupt_members_fail_while_iterating() -> None:
    data = member_zip(HEADER + data_lines())
    with pytest.raises(PayloadError):  # no central directory: at call time
        list(fz.split_5min_lmp_zip(io.BytesIO(data[: len(data) // 2])).runs)
    broken = bytearray(data)
    start = 30 + len("20250324_5MIN_LMP.csv") + 2000
    broken[start : start + 200] = bytes(200)
    with pytest.raises(PayloadError):
        list(fz.split_5min_lmp_zip(io.BytesIO(bytes(broken))).runs)
