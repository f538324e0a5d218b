"""Fast streaming reads of xlsx workbooks through openpyxl's read-only mode.

``load_workbook(source)`` is ``openpyxl.load_workbook(source, read_only=True, data_only=True)``
without one cost: openpyxl sizes each sheet at load from its ``<dimension>`` element, and when a
sheet has none it parses the whole sheet to find that out (9.6 s for a day of
``5min_exante_lmp.xlsx`` from the fake's streaming writer). Here a sheet is sized from the XML
before ``<sheetData>`` only, which gives the same answer: ``<dimension>`` precedes
``<sheetData>`` in the schema, and openpyxl also ignores one that comes after.

``sheet_values(worksheet)`` yields exactly what ``worksheet.iter_rows(values_only=True)`` yields,
about 14 times faster on MISO's big sheets (a day of ``5min_exante_lmp.xlsx``, 750k rows: 37 s of
CPU with openpyxl's reader, 7.6 s with the general path below alone, 2.6 s with row templates;
the tap's bottleneck on a keyless 5-minute backfill).

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

Row templates: big sheets are long runs of rows of one shape, and the general path above costs
~10 µs a row of per-cell Python work. When a plain row's shape (row head up to ``r="``, then per
cell its column letters, ``s=`` and ``t=`` attributes and whether it has no value, a ``<v>`` or
an ``<is><t>``) comes back within two rows, it gets a `_Template`: one expression matching a
whole such row (``s=``/``t=`` literal, so a date-styled or differently typed cell does not
match) and one generated function converting it with the same rules, applied back to back from
the current position with a regex scanner. The first row that does not match (other shape,
entity, date style, a row cut by the end of the buffer) is tried with the previous template
(banded rows take turns), then goes through the general path, which may switch templates. A
template depends on nothing but the sheet's shared strings and date styles, so it reads a row
exactly as the general path would; openpyxl's row counter is set after each run for rows
without ``r``. Sheets without repeated shapes pay ~5% for the shape look-ups.

Rows are converted a buffer at a time (`_parse` yields batches); an error in a row is raised
after the rows before it, when the next row is asked for, as when reading one row at a time.

Memory: one 1 MB chunk of XML plus its rows.
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
MAX_TEMPLATES = 256  # row shapes compiled per sheet; rows of other shapes take the general path
PROLOGUE_LIMIT = 16 << 20  # bytes before <sheetData> (column widths, views) we look through
_MAIN_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_ROW = re.compile(rb"<row\b([^>]*?)/>|<row\b([^>]*)>(.*?)</row>", re.S)
_ROW_NUMBER = re.compile(rb'(?:^|\s)r="([1-9]\d*)"')
_TEXT_CHARS = rb"[^<&\r\x00-\x08\x0b\x0c\x0e-\x1f]+"  # no markup, entity, CR or control character
_TEXT = b"(" + _TEXT_CHARS + b")"
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
    yielded = [0]
    try:
        with source:
            yield from _rows_like_openpyxl(worksheet, _parse(source, parser), yielded)
    except _Unsupported:
        yield from islice(worksheet.iter_rows(values_only=True), yielded[0], None)


def _rows_like_openpyxl(
    worksheet: Any, parsed: Iterator[list[tuple[int, Any]]], yielded: list[int]
) -> Iterator[tuple[Any, ...] | list[Any]]:
    """openpyxl's ``ReadOnlyWorksheet._cells_by_row`` (values only) over batches of ``parsed``
    rows; ``yielded[0]`` is the number of rows yielded when the next batch is asked for."""
    max_col = worksheet.max_column
    max_row = worksheet.max_row
    empty_row: tuple[Any, ...] | list[Any] = (None,) * max_col if max_col is not None else []
    counter = idx = 1
    for batch in parsed:
        for idx, cells in batch:
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
        else:
            yielded[0] = counter - 1  # each row yielded moves counter on by one
            continue
        break
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


def _parse(source: Any, parser: WorkSheetParser) -> Iterator[list[tuple[int, Any]]]:
    """Batches of (row number, row) of every row of ``<sheetData>``, in document order: a row is
    a value tuple when every column 1..n is there once, else ``[(column, value)]`` for
    `_values`. A batch is the rows of one buffer; an error raised while reading a row comes
    after the rows before it, as if rows were read one at a time."""
    buffer, namespaces = _read_prologue(source)
    convert = _RowConverter(parser, namespaces)
    position = 0
    while True:
        batch: list[tuple[int, Any]] = []
        try:
            while True:
                template = convert.template
                if template is not None:
                    position = template.run(buffer, position, batch)
                    other = convert.other
                    while other is not None:  # two shapes taking turns (banded rows)
                        after = other.run(buffer, position, batch)
                        if after == position:
                            break
                        position = after
                        template, other = other, template
                    convert.template, convert.other = template, other
                    if batch:
                        parser.row_counter = batch[-1][0]
                match = _ROW.search(buffer, position)
                if match is None:
                    break
                if match.start() != position:
                    _check_gap(buffer, position, match.start())  # also a </sheetData> before it
                position = match.end()
                batch.append(convert(match))
        except Exception:
            if batch:
                yield batch
            raise
        if batch:
            yield batch
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
        self.templates: dict[tuple[Any, ...], _Template] = {}
        self.template: _Template | None = None  # of the last plain row, tried on the next rows
        self.other: _Template | None = None  # the template before it, tried next
        self.recent: tuple[tuple[Any, ...] | None, ...] = (None, None)  # shapes of the last rows
        self.last_length = 0

    def __call__(self, match: re.Match[bytes]) -> tuple[int, Any]:
        attributes = match.group(1) if match.group(1) is not None else match.group(2)
        number = _ROW_NUMBER.search(attributes)
        if number is not None:
            parts = _CELL.split(match.group(3) or b"")
            if not any(parts[::6]):  # nothing but plain cells
                row = self._plain(parts)
                if row is not None:
                    self.parser.row_counter = int(number.group(1))
                    if match.group(3):
                        self._learn(b"<row" + attributes[: number.start(1)], parts)
                    return self.parser.row_counter, row
        self._use(None)
        return self._openpyxl_row(match.group(0))

    def _learn(self, head: bytes, parts: list[Any]) -> None:
        """Make the template of this plain row's shape the one tried on the next rows: a shape
        gets one when it comes back within two rows (rows of one-off shapes compile nothing)."""
        if len(parts) != self.last_length:  # another number of cells: not worth a look-up
            self.last_length = len(parts)
            self.recent = (None, None)
            self._use(None)
            return
        key = (
            head,
            *parts[1::6],  # column letters
            *parts[2::6],  # s=
            *parts[3::6],  # t=
            *map(type, parts[4::6]),  # bytes or None
            *map(type, parts[5::6]),
        )
        template = self.templates.get(key)
        if template is None and key in self.recent and len(self.templates) < MAX_TEMPLATES:
            shape = zip(
                parts[1::6],
                parts[2::6],
                parts[3::6],
                [
                    2 if inline is not None else 0 if value is None else 1
                    for value, inline in zip(parts[4::6], parts[5::6], strict=True)
                ],
                strict=True,
            )
            template = self.templates[key] = _Template(head, tuple(shape), self)
        self.recent = (key, self.recent[0])
        self._use(template)

    def _use(self, template: _Template | None) -> None:
        """Try ``template`` on the next rows, then the one tried before it."""
        if template is not self.template:
            if self.template is not None:
                self.other = self.template
            elif self.other is template:
                self.other = None
            self.template = template

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
                elif (b"0" if style is None else style) in self.date_styles:  # no s=: style 0
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


class _Template:
    """Rows of one shape (row head up to the number, then per cell: column letters, ``s=`` and
    ``t=`` attributes, no value / ``<v>`` / ``<is><t>``) matched by one compiled expression
    and converted by one generated function, with openpyxl's rules as in `_RowConverter`."""

    def __init__(self, head: bytes, shape: tuple[Any, ...], converter: _RowConverter) -> None:
        pattern = [rb"\s*", re.escape(head), rb'([1-9]\d*)"[^>/]*>']
        values: list[str] = []
        numbers: list[int] = []
        for letters, style, kind, body in shape:
            numbers.append(_column_index(letters))
            pattern.append(b'<c r="' + letters + rb'[1-9]\d*"')
            if style is not None:
                pattern.append(b' s="' + style + b'"')
            if kind is not None:
                pattern.append(b' t="' + kind + b'"')
            group = f"g{len(values)}"
            if body == 0:
                pattern.append(b"(?:/>|></c>)")
                values.append("None")
            elif body == 2:
                pattern.append(b"><is><t>" + _TEXT + b"</t></is></c>")
                values.append(f"(get({group}) or text({group}))")
            elif kind == b"inlineStr":  # <v> in an inline string cell: openpyxl ignores it
                pattern.append(b"><v>" + _TEXT_CHARS + b"</v></c>")
                values.append("None")
            else:
                pattern.append(b"><v>" + _TEXT + b"</v></c>")
                if kind is None or kind == b"n":  # openpyxl's _cast_number
                    values.append(
                        f'(float({group}) if b"." in {group} or b"E" in {group} or b"e" in '
                        f"{group} else int({group}))"
                    )
                elif kind == b"s":
                    values.append(f"shared[int({group})]")
                elif kind == b"b":
                    values.append(f"bool(int({group}))")
                else:  # str, e
                    values.append(f"(get({group}) or text({group}))")
        pattern.append(b"</row>")
        groups = [f"g{i}" for i, value in enumerate(values) if value != "None"]
        if numbers == list(range(1, len(numbers) + 1)):
            row = "(" + "".join(f"{value}, " for value in values) + ")"
        else:
            row = "[" + ", ".join(f"({n}, {v})" for n, v in zip(numbers, values, strict=True))
            row += "]"
        source = (
            "def run(buffer, position, rows):\n"
            "    append = rows.append\n"
            "    m = None\n"
            "    for m in iter(scanner(buffer, position).match, None):\n"  # rows back to back
            f"        number, {''.join(g + ', ' for g in groups)}= m.groups()\n"
            f"        append((int(number), {row}))\n"
            "    return position if m is None else m.end()\n"
        )
        namespace: dict[str, Any] = {
            "scanner": re.compile(b"".join(pattern)).scanner,
            "get": converter.texts.get,
            "text": converter._text,
            "shared": converter.shared,
        }
        exec(source, namespace)  # the source is built from fixed fragments only
        self.run: Any = namespace["run"]
        """``run(buffer, position, rows)``: append (number, row) of every row of this shape
        from ``position`` on, return the position after the last one."""


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index
