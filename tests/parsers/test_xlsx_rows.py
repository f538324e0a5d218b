"""`sheet_values` yields exactly what openpyxl's ``iter_rows(values_only=True)`` yields.

Every case compares the two on the same workbook, value by value and type by type, with the
whole sheet in one chunk and with chunks small enough to split rows, cells and tags.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest

from tap_miso.parsers import xlsx_rows
from tap_miso.parsers.excel_reports import parse_5min_exante_lmp_xlsx
from tap_miso.parsers.xlsx_rows import load_workbook, sheet_values

from .builders import EXANTE_HEADER

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED = ["AECI", "ALTE.BOH1", "a & b", " padded ", "2026-11-03 12:00:00 AM"]


def _template() -> dict[str, bytes]:
    """The parts of a workbook openpyxl wrote (styles: s="1" is a date style), plus shared
    strings."""
    wb = openpyxl.Workbook()
    wb.active.append([dt.datetime(2026, 1, 2, 3, 4)])
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    items = "".join(
        f'<si><t xml:space="preserve">{s.replace("&", "&amp;")}</t></si>' for s in SHARED
    )
    parts["xl/sharedStrings.xml"] = (
        f'<sst xmlns="{NS}" count="{len(SHARED)}" uniqueCount="{len(SHARED)}">{items}</sst>'
    ).encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdSST" Target="sharedStrings.xml" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>',
    )
    return parts


TEMPLATE = _template()


def workbook(
    sheet_data: str,
    *,
    dimension: str | None = "A1:F9",
    root: str | None = None,
    declaration: str = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
    parts: dict[str, bytes] | None = None,
) -> bytes:
    """An xlsx whose first sheet holds ``sheet_data`` (the text inside ``<sheetData>``);
    ``parts`` replace parts of `TEMPLATE`."""
    root = root or (
        f'<worksheet xmlns="{NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/'
        '2006" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
        'mc:Ignorable="x14ac">'
    )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    if dimension and dimension.startswith("after:"):
        dim, tail = "", f'<dimension ref="{dimension[6:]}"/>'
    else:
        tail = ""
    sheet = f"{declaration}{root}{dim}<sheetData>{sheet_data}</sheetData>{tail}</worksheet>"
    if sheet_data == "<EMPTY/>":
        sheet = f"{declaration}{root}{dim}<sheetData/></worksheet>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**TEMPLATE, **(parts or {})}.items():
            archive.writestr(name, sheet.encode() if name == "xl/worksheets/sheet1.xml" else data)
    return buffer.getvalue()


def _typed(rows: Iterator[Any]) -> list[Any]:
    return [(type(row).__name__, [(type(v).__name__, v) for v in row]) for row in rows]


def _openpyxl(data: bytes) -> tuple[str, Any]:
    """What openpyxl itself reads: sheet bounds and rows, or the error type."""
    return _outcome(
        data,
        lambda d: openpyxl.load_workbook(d, read_only=True, data_only=True),
        lambda sheet: sheet.iter_rows(values_only=True),
    )


def _fast(data: bytes) -> tuple[str, Any]:
    return _outcome(data, load_workbook, sheet_values)


def _outcome(data: bytes, load: Any, reader: Any) -> tuple[str, Any]:
    try:
        sheet = load(io.BytesIO(data)).worksheets[0]
        bounds = (sheet.min_row, sheet.min_column, sheet.max_row, sheet.max_column)
        return "rows", (bounds, _typed(reader(sheet)))
    except Exception as exc:  # both must fail alike
        return "error", type(exc).__name__


def assert_same(data: bytes, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    expected = _openpyxl(data)
    monkeypatch.setattr(xlsx_rows, "CHUNK", chunk)
    assert _fast(data) == expected


def c(ref: str, inner: str = "", *, t: str | None = None, s: str | None = None) -> str:
    attrs = f' r="{ref}"' + (f' s="{s}"' if s else "") + (f' t="{t}"' if t else "")
    return f"<c{attrs}>{inner}</c>" if inner else f"<c{attrs}/>"


def v(text: str) -> str:
    return f"<v>{text}</v>"


def inline(text: str) -> str:
    return f"<is><t>{text}</t></is>"


PLAIN = "".join(
    f'<row r="{r}" spans="1:6" x14ac:dyDescent="0.25">'
    + c(f"A{r}", inline("2026-11-03 12:05:00 AM"), t="inlineStr")
    + c(f"B{r}", v("0"), t="s")
    + c(f"C{r}", v(f"{r}.5"))
    + c(f"D{r}", v("-.03"), s="2")
    + c(f"E{r}", v(str(r)), t="n")
    + c(f"F{r}", v("1.5E-3"))
    + "</row>"
    for r in range(1, 10)
)

CASES = {
    "plain rows": PLAIN,
    "whitespace between rows and cells": PLAIN.replace("</row><row", "</row>\n  <row").replace(
        "</c><c", "</c> <c"
    ),
    "shared strings, booleans, errors, str": '<row r="1">'
    + c("A1", v("2"), t="s")
    + c("B1", v("3"), t="s")
    + c("C1", v("1"), t="b")
    + c("D1", v("#N/A"), t="e")
    + c("E1", v("text"), t="str")
    + c("F1", v("0"), t="b")
    + "</row>",
    "date style, ISO date, numbers": '<row r="2">'
    + c("A2", v("46024.5"), s="1")
    + c("B2", v("2026-01-02T03:04:05"), t="d")
    + c("C2", v("12"))
    + c("D2", v(" 7 "))
    + c("E2", v("-0.0"))
    + c("F2", v("1e3"))
    + "</row>",
    "entities, char refs, rich text, preserved space": '<row r="3">'
    + c("A3", inline("a &amp; b &lt; c"), t="inlineStr")
    + c("B3", '<is><t xml:space="preserve"> x </t></is>', t="inlineStr")
    + c("C3", "<is><r><t>ri</t></r><r><rPr><b/></rPr><t>ch</t></r></is>", t="inlineStr")
    + c("D3", inline("caf\u00e9 \u2013 \u4e2d"), t="inlineStr")
    + c("E3", inline("line&#10;break"), t="inlineStr")
    + c("F3", v("&#49;2"))
    + "</row>",
    "empty and odd cells": '<row r="4">'
    + c("A4")
    + c("B4", s="3")
    + c("C4", "<v></v>")
    + c("D4", "<v/>")
    + c("E4", t="inlineStr")
    + c("F4", "<f>1+1</f><v>2</v>")
    + "</row>",
    "rows and cells without r, gaps, duplicates": (
        "<row>"
        + '<c><v>1</v></c><c t="s"><v>1</v></c>'
        + "</row>"
        + '<row r="5"/><row r="8">'
        + c("C8", v("3"))
        + c("A8", v("1"))
        + c("C8", v("9"))
        + "</row><row>"
        + c("B9", v("2"))
        + "</row>"
    ),
    "attributes in another order, s=03, lower-case ref": '<row r="1">'
    + '<c t="n" r="A1"><v>1</v></c><c r="B1" s="03"><v>46024</v></c>'
    + '<c r="c1"><v>4</v></c><c r="D1" t="s" s="0"><v>1</v></c></row>',
    "cells beyond the dimension": '<row r="1">' + c("A1", v("1")) + c("H1", v("8")) + "</row>",
    "comment between rows": PLAIN[:400].rsplit("<row", 1)[0] + "<!-- note -->" + PLAIN[400:],
    "CDATA in a cell": '<row r="1">'
    + c("A1", "<is><t><![CDATA[a<b]]></t></is>", t="inlineStr")
    + "</row>",
    "control character in text": '<row r="1">' + c("A1", inline("a\tb"), t="inlineStr") + "</row>",
    "one very long row": '<row r="1">'
    + "".join(c(f"{openpyxl.utils.get_column_letter(i)}1", v(str(i))) for i in range(1, 400))
    + "</row>",
}


@pytest.mark.parametrize("chunk", [1 << 20, 97, 5])
@pytest.mark.parametrize("case", sorted(CASES))
def test_same_rows_as_openpyxl(case: str, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same(workbook(CASES[case]), monkeypatch, chunk)


@pytest.mark.parametrize(
    "dimension", [None, "A1:F9", "A1:C3", "A1:Z40", "B2:F9", "A1", "after:A1:C3"], ids=str
)
def test_dimensions_pad_or_cut_rows_like_openpyxl(
    dimension: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = CASES["plain rows"] + CASES["rows and cells without r, gaps, duplicates"].replace(
        'r="8"', 'r="12"'
    ).replace("C8", "C12").replace("A8", "A12")
    assert_same(workbook(data, dimension=dimension), monkeypatch, 1 << 20)


PREFIXED = PLAIN.replace(' x14ac:dyDescent="0.25"', "")
for plain, prefixed in [
    ("<row", "<x:row"),
    ("</row", "</x:row"),
    ("<c ", "<x:c "),
    ("</c>", "</x:c>"),
    ("<v>", "<x:v>"),
    ("</v>", "</x:v>"),
    ("<is><t>", "<x:is><x:t>"),
    ("</t></is>", "</x:t></x:is>"),
]:
    PREFIXED = PREFIXED.replace(plain, prefixed)


@pytest.mark.parametrize(
    "variant",
    [
        {"sheet_data": "<EMPTY/>"},
        {"sheet_data": ""},
        {"sheet_data": PLAIN, "declaration": ""},
        {"sheet_data": PLAIN, "declaration": "<?xml version='1.0' encoding='utf-8'?>"},
        {"sheet_data": PREFIXED, "root": f'<x:worksheet xmlns:x="{NS}">'},
        {
            "sheet_data": PLAIN.replace(' x14ac:dyDescent="0.25"', ""),
            "root": f'<worksheet xmlns:x="{NS}" xmlns="{NS}">',
        },
    ],
    ids=[
        "self-closing sheetData",
        "empty sheetData",
        "no declaration",
        "single quotes",
        "prefixed main namespace",
        "namespace declared twice",
    ],
)
def test_document_shapes(variant: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    prefixed = variant.get("root", "").startswith("<x:worksheet")
    data = _prefix_root(variant) if prefixed else workbook(**variant)
    for chunk in (1 << 20, 11):
        assert_same(data, monkeypatch, chunk)


def _prefix_root(variant: dict[str, str]) -> bytes:
    """A sheet whose elements all carry the ``x:`` prefix of the main namespace."""
    sheet = f"{variant['root']}<x:sheetData>{variant['sheet_data']}</x:sheetData></x:worksheet>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in TEMPLATE.items():
            archive.writestr(name, sheet.encode() if name == "xl/worksheets/sheet1.xml" else data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "broken",
    [
        PLAIN[:-30],  # truncated inside a row: no </sheetData>
        PLAIN.replace("<v>3.5</v>", "<v>nan</v>"),
        PLAIN.replace('<v>0</v></c><c r="C3"', '<v>99</v></c><c r="C3"'),  # no shared string 99
        PLAIN.replace("<v>4</v>", "<v>4</w>"),
        PLAIN.replace('t="s"><v>0</v>', 't="b"><v>x</v>', 1),
    ],
    ids=["truncated", "nan number", "bad shared index", "mismatched tag", "bad boolean"],
)
def test_broken_sheets_fail_like_openpyxl(broken: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = workbook(broken)
    expected = _openpyxl(data)
    assert expected[0] == "error"
    for chunk in (1 << 20, 13):
        monkeypatch.setattr(xlsx_rows, "CHUNK", chunk)
        assert _fast(data) == expected


@pytest.mark.parametrize("seed", range(30))
def test_random_sheets(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    pieces = [CASES[name] for name in sorted(CASES) if name != "one very long row"]
    rows = []
    for r in range(1, rng.randrange(2, 40)):
        source = rng.choice(pieces)
        first = (
            source[source.index("<row") : source.index("</row>") + 6] if "</row>" in source else ""
        )
        rows.append(_renumber(first, r) if first else f'<row r="{r}"/>')
    dimension = rng.choice([None, "A1:F9", f"A1:H{len(rows)}"])
    assert_same(
        workbook("".join(rows), dimension=dimension), monkeypatch, rng.choice([7, 64, 1 << 20])
    )


def _renumber(row: str, r: int) -> str:
    import re

    row = re.sub(r'<row r="\d+"', f'<row r="{r}"', row)
    return re.sub(r'r="([A-Za-z]+)\d+"', lambda m: f'r="{m.group(1)}{r}"', row)


@pytest.mark.parametrize("chunk", [1 << 20, 97, 5])
def test_plain_rows_take_the_fast_path(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plain MISO shape never reaches openpyxl (the whole point), whatever the chunking."""

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("openpyxl used for a plain sheet")

    monkeypatch.setattr(xlsx_rows._RowConverter, "_openpyxl_row", refuse)
    monkeypatch.setattr(xlsx_rows, "CHUNK", chunk)
    sheet = openpyxl.load_workbook(io.BytesIO(workbook(PLAIN)), read_only=True).worksheets[0]
    sheet.iter_rows = refuse  # the fallback for shapes the scanner does not read
    rows = list(sheet_values(sheet))
    assert len(rows) == 9
    assert rows[2] == ("2026-11-03 12:05:00 AM", "AECI", 3.5, -0.03, 3, 0.0015)


@pytest.mark.parametrize(
    "writer", ["openpyxl, text labels", "openpyxl, datetime labels", "streaming writer"]
)
def test_five_minute_report_reads_the_same_through_the_fast_reader(
    writer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 5-minute ex-ante parser on the fake's own workbooks: same rows as with openpyxl."""
    from tap_miso.testing.fake_miso.formats.sheet import HeaderRow, Sheet
    from tap_miso.testing.fake_miso.formats.xlsx import xlsx_bytes
    from tap_miso.testing.fake_miso.formats.xlsx_stream import xlsx_stream

    header = HeaderRow(EXANTE_HEADER)
    rows: list[Any] = [
        ["Real-Time Ex-Ante 5 Minute LMP Report"],
        ["Market Date: 11/03/2026"],
        [],
        header,
    ]
    for i in range(36):
        start = dt.datetime(2026, 11, 3, i // 12, (i % 12) * 5)
        label = start if "datetime" in writer else start.strftime("%Y-%m-%d %I:%M:%S %p")
        for node in ("B.NODE", "A.NODE", "C&D.NODE"):
            rows.append([label, node, 20.5 + i, 20, 0.25 if i % 5 else "x", -1.5])
    rows.append(["Disclaimer: ..."])
    sheets = [Sheet("Sheet1", rows, date_format="yyyy-mm-dd h:mm:ss")]
    modified = dt.datetime(2026, 11, 4)
    if writer == "streaming writer":
        data = b"".join(xlsx_stream(sheets, modified, dt.date(2026, 11, 3)))
    else:
        data = xlsx_bytes(sheets, modified)
    fast = list(parse_5min_exante_lmp_xlsx(data))
    monkeypatch.setattr(
        "tap_miso.parsers.excel_reports.sheet_values", lambda ws: ws.iter_rows(values_only=True)
    )
    assert fast == list(parse_5min_exante_lmp_xlsx(data))
    assert len(fast) == 108 and any(r["_invalid"] for r in fast)


def test_load_sizes_a_sheet_without_reading_its_rows() -> None:
    """No ``<dimension>``: openpyxl walks the whole sheet at load; ours stops at ``<sheetData>``
    (the rows after it are broken here, so only a loader that reads them fails)."""
    data = workbook(PLAIN.replace("</row>", "</ro>", 5), dimension=None)
    with pytest.raises(Exception, match="mismatched tag"):
        openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert (sheet.max_row, sheet.max_column) == (None, None)


# ---------------------------------------------------------------------------------------------
# Row templates: runs of rows of one shape are matched and converted in bulk (see the module
# docstring); every case below has long runs, so the template path reads most rows.


def excel_row(r: int, *cells: str, spans: str = "1:6") -> str:
    """A row as Excel writes it: ``spans`` and ``x14ac:dyDescent`` after ``r``."""
    return f'<row r="{r}" spans="{spans}" x14ac:dyDescent="0.25">{"".join(cells)}</row>'


def fake_row(r: int, label: str, node: str, *numbers: str) -> str:
    """A row as the fake's streaming writer writes it (inline strings, bare numbers)."""
    cells = [c(f"A{r}", inline(label), t="inlineStr"), c(f"B{r}", inline(node), t="inlineStr")]
    cells += [c(f"{'CDEF'[i]}{r}", v(n)) for i, n in enumerate(numbers)]
    return f'<row r="{r}">{"".join(cells)}</row>'


def excel_rows(numbers: range, change: dict[int, dict[str, str | None]] | None = None) -> str:
    """Excel-shaped rows: a shared string, a styled number, an int, a float, an exponent."""
    rows = []
    for r in numbers:
        cells = {
            "A": c(f"A{r}", v(str(r % 2)), t="s", s="2"),
            "B": c(f"B{r}", v(f"{r}.25"), s="3"),
            "C": c(f"C{r}", v(str(-r))),
            "D": c(f"D{r}", v(f"-{r}.5")),
            "E": c(f"E{r}", v(f"{r}E-2"), t="n"),
            "F": c(f"F{r}", v(str(r)), s="2"),
        }
        for column, cell in (change or {}).get(r, {}).items():
            if cell is None:
                del cells[column]
            else:
                cells[column] = cell
        rows.append(excel_row(r, *cells.values(), spans=f"{1 + r % 3}:6"))
    return "".join(rows)


def _fake_rows(numbers: range) -> str:
    numbers_text = ["20.07", "20", "-1.93", "1E3", "-2.5e-3", "0", "-7", "3.", ".5", "1e+2"]
    return "".join(
        fake_row(
            r, f"2026-11-03 {r % 12:02}:05:00 AM", SHARED[r % 2], *numbers_text[r % 7 : r % 7 + 4]
        )
        for r in numbers
    )


TEMPLATE_CASES = {
    "excel rows": excel_rows(range(1, 60)),
    "fake rows": _fake_rows(range(1, 60)),
    "shape changes mid-sheet": excel_rows(range(1, 30))
    + _fake_rows(range(30, 60))
    + excel_rows(range(60, 90)),
    "date style after many template rows": excel_rows(
        range(1, 60),
        {40: {"B": c("B40", v("46024.5"), s="1")}, 41: {"F": c("F41", v("2"), s="1")}},
    ),
    "date style with no value in template rows": excel_rows(
        range(1, 40), {r: {"B": c(f"B{r}", s="1")} for r in range(10, 30)}
    ),
    "shared then inline strings in a column": excel_rows(
        range(1, 60),
        {r: {"A": c(f"A{r}", inline(f"n{r}"), t="inlineStr")} for r in range(20, 40)},
    ),
    "missing cell in one row": excel_rows(range(1, 60), {33: {"D": None}, 50: {"A": None}}),
    "empty cells in template rows": excel_rows(
        range(1, 40), {r: {"D": c(f"D{r}", s="3"), "E": c(f"E{r}", t="n")} for r in range(5, 35)}
    ),
    "row-number gaps and repeats": excel_rows(range(1, 20))
    + excel_rows(range(25, 40))
    + excel_rows(range(39, 45))
    + excel_rows(range(30, 33))
    + excel_rows(range(50, 70)),
    "rows without r after template rows": excel_rows(range(1, 30))
    + "<row>"
    + c("A31", v("1"))
    + "</row><row><c><v>5</v></c></row>"
    + excel_rows(range(40, 60)),
    "float, int, negative and exponent texts": "".join(
        excel_row(r, *(c(f"{col}{r}", v(text)) for col, text in zip("ABCDEF", texts, strict=True)))
        for r, texts in enumerate(
            [("1", "1.0", "-1", "-1.5", "1E3", "1e-3")] * 20
            + [("1.0", "1", "-1.5", "-1", "2.5E+3", "007")] * 20
            + [("+4", " 7 ", "-0", "-0.0", "1_000", "1e0")] * 20,
            start=1,
        )
    ),
    "entity in a string in the middle of template rows": _fake_rows(range(1, 30))
    + fake_row(30, "2026-11-03 02:05:00 AM", "C&amp;D.NODE", "1", "2", "3", "4")
    + fake_row(31, "2026-11-03 02:05:00 AM", "a &lt; b", "1", "2", "3", "4")
    + _fake_rows(range(32, 60)),
    "booleans, errors, str and <v> in inline strings": "".join(
        f'<row r="{r}">'
        + c(f"A{r}", v(str(r % 2)), t="b")
        + c(f"B{r}", v("#N/A"), t="e")
        + c(f"C{r}", v(f"t{r % 3}"), t="str")
        + c(f"D{r}", v("12"), t="inlineStr")
        + c(f"E{r}", v(str(r % 5)), t="s")
        + "</row>"
        for r in range(1, 50)
    ),
    "columns not from A": "".join(
        f'<row r="{r}">' + c(f"B{r}", v(str(r))) + c(f"D{r}", v("1.5")) + "</row>"
        for r in range(1, 40)
    )
    + "".join(
        f'<row r="{r}">' + c(f"C{r}", v(str(r))) + c(f"A{r}", v("1.5")) + "</row>"
        for r in range(40, 60)
    ),
    "whitespace and self-closing rows between template rows": excel_rows(range(1, 30)).replace(
        "</row><row", "</row>\n  <row"
    )
    + '<row r="30"/><row r="31" spans="1:6"></row>'
    + excel_rows(range(32, 60)),
    "odd row attributes": excel_rows(range(1, 20)).replace(' x14ac:dyDescent="0.25"', "")
    + excel_rows(range(20, 40)).replace(' spans="', ' ht="15" customHeight="1" spans="')
    + excel_rows(range(40, 50)).replace('<row r="', '<row ht="15" r="'),
    "banded styles": excel_rows(
        range(1, 60), {r: {"F": c(f"F{r}", v(str(r)), s="3")} for r in range(1, 60, 2)}
    ),
    "banded styles, then dates": excel_rows(
        range(1, 60), {r: {"F": c(f"F{r}", v(str(r)), s="3")} for r in range(1, 60, 2)}
    )
    + excel_rows(
        range(60, 90),
        {r: {"F": c(f"F{r}", v(str(r)), s="1" if r % 3 else "3")} for r in range(60, 90)},
    ),
    "comment after many template rows": excel_rows(range(1, 40))
    + "<!-- note -->"
    + excel_rows(range(45, 60)),
}


@pytest.mark.parametrize("chunk", [1 << 20, 333, 97, 5])
@pytest.mark.parametrize("case", sorted(TEMPLATE_CASES))
def test_template_rows_same_as_openpyxl(
    case: str, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for dimension in ("A1:F90", None, "A1:D45"):
        assert_same(workbook(TEMPLATE_CASES[case], dimension=dimension), monkeypatch, chunk)


@pytest.mark.parametrize(
    "case",
    [
        "excel rows",
        "fake rows",
        "float, int, negative and exponent texts",
        "whitespace and self-closing rows between template rows",
        "banded styles",
    ],
)
def test_template_rows_take_the_template_path(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the first rows of a run go through the general path."""
    general = 0
    plain = xlsx_rows._RowConverter._plain

    def counted(self: Any, parts: list[Any]) -> Any:
        nonlocal general
        general += 1
        return plain(self, parts)

    monkeypatch.setattr(xlsx_rows._RowConverter, "_plain", counted)
    data = workbook(TEMPLATE_CASES[case], dimension=None)
    rows = list(sheet_values(load_workbook(io.BytesIO(data)).worksheets[0]))
    assert len(rows) >= 59
    assert general <= 6
    assert _typed(iter(rows)) == _openpyxl(data)[1][1]


def test_date_style_zero_is_read_by_openpyxl(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cell without ``s=`` has style 0, which may be a date style."""
    styles = TEMPLATE["xl/styles.xml"].replace(
        b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" pivotButton',
        b'<xf numFmtId="14" fontId="0" fillId="0" borderId="0" pivotButton',
    )
    assert styles != TEMPLATE["xl/styles.xml"]
    data = workbook(TEMPLATE_CASES["excel rows"], parts={"xl/styles.xml": styles})
    assert_same(data, monkeypatch, 1 << 20)
    assert any(kind == "datetime" for kind, _ in _openpyxl(data)[1][1][5][1])


def test_error_after_the_last_row_kept_like_openpyxl(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows are converted a buffer at a time: an error in a row after ``max_row`` is raised
    only if openpyxl would read that row."""
    for bad_row in (46, 47, 20):
        data = excel_rows(range(1, 60), {bad_row: {"A": c(f"A{bad_row}", v("99"), t="s")}})
        for chunk in (1 << 20, 97):
            assert_same(workbook(data, dimension="A1:F45"), monkeypatch, chunk)


@pytest.mark.parametrize("seed", range(40))
def test_random_template_runs(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs of a few shapes with random values, numbers, gaps and odd rows in between."""
    rng = random.Random(seed)
    texts = ["1", "-2", "3.5", "-0.25", "1E3", "2.5e-3", "10", "0", "7.", "-.5"]
    strings = ["AECI", "x y", "caf\u00e9", "a &amp; b", "&#65;", "2026-11-03 12:00:00 AM"]
    shapes = [
        lambda r: fake_row(
            r, rng.choice(strings[:3]), rng.choice(strings), *rng.choices(texts, k=4)
        ),
        lambda r: excel_row(
            r,
            c(f"A{r}", v(str(rng.randrange(5))), t="s", s="2"),
            c(f"B{r}", v(rng.choice(texts)), s=rng.choice(["2", "2", "2", "1"])),
            c(f"C{r}", v(rng.choice(texts))),
        ),
        lambda r: f'<row r="{r}">' + c(f"B{r}", v(rng.choice(texts))) + "</row>",
        lambda r: f'<row r="{r}">' + c(f"A{r}", v(rng.choice(["0", "1"])), t="b") + "</row>",
    ]
    rows, r, shape = [], 1, 0
    for _ in range(rng.randrange(50, 300)):
        if rng.random() < 0.1:
            shape = rng.randrange(len(shapes))
        r += 1 if rng.random() < 0.95 else rng.choice([0, 2, 5])
        rows.append(shapes[shape](r))
    dimension = rng.choice([None, "A1:F20", f"A1:H{r}", "A1:D100"])
    assert_same(
        workbook("".join(rows), dimension=dimension),
        monkeypatch,
        rng.choice([7, 64, 500, 1 << 20]),
    )


@pytest.mark.parametrize("write_only", [False, True])
def test_openpyxl_written_workbooks(write_only: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workbooks openpyxl writes (shared strings, styles, dates, formulas, booleans)."""
    wb = openpyxl.Workbook(write_only=write_only)
    sheet = wb.create_sheet("data") if write_only else wb.active
    sheet.append(["Time (EST)", "CP Node", "LMP", "MEC", "flag"])
    for i in range(300):
        label: Any = dt.datetime(2026, 11, 3) + dt.timedelta(minutes=5 * (i // 3))
        if i % 50 < 40:
            label = label.strftime("%Y-%m-%d %I:%M:%S %p")
        lmp: Any = 20 + i if i % 17 else 20.5 + i
        row = [label, f"NODE.{i % 3}", lmp, -1.5e-7 * i, i % 2 == 0]
        if i % 61 == 0:
            row[3] = None
        if i % 97 == 0:
            row[2] = "=C2+1"
        sheet.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    for chunk in (1 << 20, 101):
        assert_same(buffer.getvalue(), monkeypatch, chunk)


def test_fake_five_minute_workbook_same_as_openpyxl(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake's own 5-minute ex-ante workbook (small roster), row by row."""
    from types import SimpleNamespace

    from tap_miso.testing.fake_miso.data import DataModel
    from tap_miso.testing.fake_miso.formats.sheet import Sheet
    from tap_miso.testing.fake_miso.formats.xlsx_stream import xlsx_stream
    from tap_miso.testing.fake_miso.surfaces.market_reports.five_minute import _exante_rows

    ctx = SimpleNamespace(state=SimpleNamespace(data=DataModel(12)))
    day = dt.date(2026, 11, 3)
    sheets = [Sheet("Sheet1", _exante_rows(ctx, day))]  # type: ignore[arg-type]
    data = b"".join(xlsx_stream(sheets, dt.datetime(2026, 11, 4), day))
    for chunk in (1 << 20, 4099):
        assert_same(data, monkeypatch, chunk)
