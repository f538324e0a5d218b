"""Fast streaming reads of xlsx workbooks through openpyxl's read-only mode.

``load_workbook(source)`` is ``openpyxl.load_workbook(source, read_only=True, data_only=True)``
without one cost: openpyxl sizes each sheet at load from its ``<dimension>`` element, and when a
sheet has none it parses the whole sheet to find that out (9.6 s for a day of
``5min_exante_lmp.xlsx`` from the fake's streaming writer). Here a sheet is sized from the XML
before ``<sheetData>`` only, which gives the same answer: ``<dimension>`` precedes
``<sheetData>`` in the schema, and openpyxl also ignores one that comes after.

``sheet_values(worksheet)`` yields exactly what ``worksheet.iter_rows(values_only=True)`` yields,
about 4 times faster on MISO's big sheets (a day of ``5min_exante_lmp.xlsx``, 750k rows: 37 s of
CPU with openpyxl's reader, the tap's bottleneck on a keyless 5-minute backfill).

Why not a library: openpyxl streams but builds Python objects per cell through its generic XML
path (~60 µs a row); python-calamine is fast but loads the whole sheet (427 MB for one
day's file, over the tap's 300 MB budget); xlsx2csv streams at ~25 µs a row; lxml/ElementTree
``iterparse`` ~15 µs a row. So openpyxl still opens the workbook (shared strings, date styles,
epoch, dimensions) and reads every row that is not plain; only the plain rows are read here,
with two compiled regular expressions over the decompressed sheet XML:

* a row ``<row r="N" …>…</row>`` whose body is nothing but cells of the shapes
  ``<c r="B7"[ s="3"][ t="…"]/>``, ``…><v>text</v></c>`` or ``…><is><t>text</t></is></c>``
  (no ``&``, ``<`` or CR in the text, number styles that are not dates) is converted here with
  openpyxl's own rules (``_cast_number``, shared strings, booleans, inline strings);
* any other row is handed to openpyxl's ``WorkSheetParser.parse_row`` (same parser state), so
  entities, rich text, dates, formulas and odd attribute orders keep openpyxl's meaning;
* anything else in ``<sheetData>`` (or a document that does not use the main namespace as its
  default, or is not UTF-8) switches to ``iter_rows`` itself, skipping the rows already yielded.

Memory: one 1 MB chunk of XML plus one row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from typing import Any

from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG, WorkSheetParser
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.xml.functions import fromstring, iterparse

CHUNK = 1 << 20
PROLOGUE_LIMIT = 16 << 20  # bytes before <sheetData> (column widths, views) we look through
_MAIN_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_ROW = re.compile(rb"<row\b([^>]*?)/>|<row\b([^>]*)>(.*?)</row>", re.S)
_ROW_NUMBER = re.compile(rb'(?:^|\s)r="([1-9]\d*)"')
_TEXT = rb"([^<&\r\x00-\x08\x0b\x0c\x0e-\x1f]+)"  # no markup, entity, CR or control character
_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})[1-9]\d*"(?: s="(0|[1-9]\d*)")?(?: t="(s|n|b|e|str|inlineStr)")?'
    rb"(?:/>|>(?:<v>" + _TEXT + rb"</v>|<is><t>" + _TEXT + rb"</t></is>)?</c>)"
)
_NAMESPACES = re.compile(rb'\sxmlns(?::[\w.-]+)?="[^"]*"')
_GAP = re.compile(rb"\s*")
_DECLARATION = re.compile(rb'\A\s*<\?xml[^>]*?encoding="([^"]+)"')


class _Unsupported(Exception):
    """The sheet XML has a shape this reader does not scan: let openpyxl read the rest."""


def load_workbook(source: Any) -> Any:
    """``openpyxl.load_workbook(source, read_only=True, data_only=True)``, sheets sized from
    their prologue (see the module docstring)."""
    reader = _Reader(source, read_only=True, data_only=True)
    reader.read()
    return reader.wb


class _Reader(ExcelReader):
    """openpyxl's reader with `_PrologueSizedWorksheet` for read-only worksheets."""

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            worksheet = _PrologueSizedWorksheet(
                self.wb, sheet.name, rel.target, self.shared_strings
            )
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


class _PrologueSizedWorksheet(ReadOnlyWorksheet):
    """A read-only worksheet whose size comes from ``<dimension>`` if it precedes
    ``<sheetData>`` (openpyxl's ``parse_dimensions`` reads ``end`` events, so it walks the
    whole sheet before it knows there is none)."""

    def _get_size(self) -> None:
        with self._get_source() as source:
            for _, element in iterparse(source, events=("start",)):
                if element.tag == DIMENSION_TAG:
                    bounds = SheetDimension.from_tree(element).boundaries
                    if bounds is not None:
                        self._min_column, self._min_row, self._max_column, self._max_row = bounds
                    return
                if element.tag == DATA_TAG:
                    return


def sheet_values(worksheet: Any) -> Iterator[tuple[Any, ...] | list[Any]]:
    """``worksheet.iter_rows(values_only=True)`` of an openpyxl read-only worksheet, faster."""
    try:
        workbook = worksheet.parent
        source = worksheet._get_source()
        parser = WorkSheetParser(
            source,
            worksheet._shared_strings,
            data_only=workbook.data_only,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
    except AttributeError:  # not a read-only worksheet of the openpyxl this was written for
        yield from worksheet.iter_rows(values_only=True)
        return
    yielded = 0
    try:
        with source:
            for row in _rows_like_openpyxl(worksheet, _parse(source, parser)):
                yielded += 1
                yield row
    except _Unsupported:
        yield from islice(worksheet.iter_rows(values_only=True), yielded, None)


def _rows_like_openpyxl(
    worksheet: Any, parsed: Iterator[tuple[int, Any]]
) -> Iterator[tuple[Any, ...] | list[Any]]:
    """openpyxl's ``ReadOnlyWorksheet._cells_by_row`` (values only) over ``parsed`` rows."""
    max_col = worksheet.max_column
    max_row = worksheet.max_row
    empty_row: tuple[Any, ...] | list[Any] = (None,) * max_col if max_col is not None else []
    counter = idx = 1
    for idx, cells in parsed:
        if max_row is not None and idx > max_row:
            break
        for _ in range(counter, idx):  # rows missing from the XML
            counter += 1
            yield empty_row
        if counter <= idx:
            counter += 1
            if type(cells) is tuple:  # every column 1..n once
                if max_col is None or len(cells) == max_col:
                    yield cells
                    continue
                cells = list(enumerate(cells, 1))
            yield _values(cells, max_col)
    if max_row is not None and max_row < idx:
        for _ in range(counter, max_row + 1):
            yield empty_row


def _values(cells: list[tuple[int, Any]], max_col: int | None) -> tuple[Any, ...]:
    """openpyxl's ``_get_row`` (values only): one value per column 1..max_col."""
    if not cells and not max_col:
        return ()
    width = max_col or cells[-1][0]
    row: list[Any] = [None] * width
    for column, value in cells:
        if 1 <= column <= width:
            row[column - 1] = value
    return tuple(row)


def _parse(source: Any, parser: WorkSheetParser) -> Iterator[tuple[int, Any]]:
    """(row number, row) of every row of ``<sheetData>``, in document order: a row is a value
    tuple when every column 1..n is there once, else ``[(column, value)]`` for `_values`."""
    buffer, namespaces = _read_prologue(source)
    convert = _RowConverter(parser, namespaces)
    position = 0
    while True:
        for match in _ROW.finditer(buffer, position):
            if match.start() != position:
                _check_gap(buffer, position, match.start())  # also a </sheetData> before it
            position = match.end()
            yield convert(match)
        end = buffer.find(b"</sheetData>", position)
        if end != -1:
            _check_gap(buffer, position, end)
            return
        chunk = source.read(CHUNK)
        if not chunk:
            raise _Unsupported("end of document inside sheetData")
        buffer = buffer[position:] + chunk
        position = 0


def _read_prologue(source: Any) -> tuple[bytes, bytes]:
    """(XML after ``<sheetData>``, the root's namespace declarations); checks that rows can be
    scanned: UTF-8, the main namespace as the default one, a plain ``<sheetData>``."""
    buffer = b""
    while True:
        chunk = source.read(CHUNK)
        buffer += chunk
        start = buffer.find(b"<sheetData")
        if start != -1 and buffer.find(b">", start) != -1:
            break
        if not chunk or len(buffer) > PROLOGUE_LIMIT:
            raise _Unsupported("no <sheetData>")
    declared = _DECLARATION.match(buffer)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        raise _Unsupported("not UTF-8")
    root = buffer.find(b"<worksheet")
    if root == -1:
        raise _Unsupported("no <worksheet> root without prefix")
    root_tag = buffer[root : buffer.find(b">", root)]
    if _MAIN_NS not in root_tag:
        raise _Unsupported("main namespace is not the default")
    namespaces = b"".join(_NAMESPACES.findall(root_tag))
    close = buffer.find(b">", start)
    if buffer[close - 1 : close] == b"/":  # <sheetData/>: no rows
        return b"</sheetData>", namespaces
    if buffer[start : close + 1] != b"<sheetData>":
        raise _Unsupported("attributes on sheetData")
    return buffer[close + 1 :], namespaces


def _check_gap(buffer: bytes, start: int, end: int) -> None:
    """Only whitespace may sit between rows."""
    if start != end and _GAP.fullmatch(buffer, start, end) is None:
        raise _Unsupported("content between rows")


class _RowConverter:
    """One ``<row>`` match -> (row number, row), as openpyxl's ``parse_row`` would read it."""

    def __init__(self, parser: WorkSheetParser, namespaces: bytes) -> None:
        self.parser = parser
        self.namespaces = namespaces
        self.shared = parser.shared_strings
        self.date_styles = {str(int(s)).encode() for s in parser.date_formats}
        self.columns: dict[bytes, int] = {}
        self.texts: dict[bytes, str] = {}
        self.full: dict[int, list[int]] = {}  # n -> [1..n]

    def __call__(self, match: re.Match[bytes]) -> tuple[int, Any]:
        attributes = match.group(1) if match.group(1) is not None else match.group(2)
        number = _ROW_NUMBER.search(attributes)
        if number is not None:
            parts = _CELL.split(match.group(3) or b"")
            if not any(parts[::6]):  # nothing but plain cells
                row = self._plain(parts)
                if row is not None:
                    self.parser.row_counter = int(number.group(1))
                    return self.parser.row_counter, row
        return self._openpyxl_row(match.group(0))

    def _plain(self, parts: list[Any]) -> Any:
        """The row of plain cells, None when a cell needs openpyxl (a date style)."""
        columns, texts = self.columns, self.texts
        numbers: list[int] = []
        values: list[Any] = []
        for letters, style, kind, value, inline in zip(
            parts[1::6], parts[2::6], parts[3::6], parts[4::6], parts[5::6], strict=True
        ):
            column = columns.get(letters)
            if column is None:
                column = columns[letters] = _column_index(letters)
            numbers.append(column)
            if kind is None or kind == b"n":
                if inline is not None:
                    return None  # <is> on a number cell: openpyxl decides
                if value is None:
                    values.append(None)
                elif style is not None and style in self.date_styles:
                    return None
                elif b"." in value or b"E" in value or b"e" in value:
                    values.append(float(value))
                else:
                    values.append(int(value))
            elif kind == b"inlineStr":
                if inline is None:
                    values.append(None)
                else:
                    text = texts.get(inline)
                    if text is None:
                        text = self._text(inline)
                    values.append(text)
            elif inline is not None:
                return None
            elif value is None:
                values.append(None)
            elif kind == b"s":
                values.append(self.shared[int(value)])
            elif kind == b"b":
                values.append(bool(int(value)))
            else:  # str, e
                values.append(self._text(value))
        if numbers == self.full.get(len(numbers)) or numbers == self._full(len(numbers)):
            return tuple(values)
        return list(zip(numbers, values, strict=True))

    def _full(self, n: int) -> list[int]:
        full = self.full[n] = list(range(1, n + 1))
        return full

    def _text(self, raw: bytes) -> str:
        text = raw.decode("utf-8")
        if len(self.texts) < 100_000:
            self.texts[raw] = text
        return text

    def _openpyxl_row(self, xml: bytes) -> tuple[int, list[tuple[int, Any]]]:
        """One row through openpyxl's own parser (and its row counter)."""
        try:
            wrapped = b"<sheetData" + self.namespaces + b">" + xml + b"</sheetData>"
            element = fromstring(wrapped)[0]
        except Exception as exc:  # let openpyxl read the document itself and say what is wrong
            raise _Unsupported("a row openpyxl must read in context") from exc
        number, cells = self.parser.parse_row(element)
        return number, [(cell["column"], cell["value"]) for cell in cells]


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index
