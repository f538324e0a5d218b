"""EIA-860M monthly workbooks and the annual EIA-860 generator file (shared/miso/EIA.md).

860M: sheets Operating, Planned, Retired, Canceled or Postponed; the header is on row 3 (row 2
in files before about 2020-11) and is found by its columns, not its position; the last rows
are a NOTES footer. Only rows of the MISO balancing authority are kept.

Annual EIA-860 ``3_1_Generator_Y{YYYY}.xlsx`` (alone or inside ``eia860{YYYY}.zip``): the
self-reported "RTO/ISO LMP Node Designation" per (plant, generator), often blank.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tap_miso.parsers.anchors import Header, norm
from tap_miso.parsers.cells import cell_text, is_null, text_value
from tap_miso.parsers.eia_api import key_text
from tap_miso.parsers.errors import PayloadError, guarded_iter, payload_guard
from tap_miso.parsers.rows import Row, flag, new_row, set_number
from tap_miso.parsers.xlsx_rows import load_workbook, sheet_values

EIA860M_XLSX = "eia860m_xlsx"
EIA860_GENERATOR_XLSX = "eia860_generator_xlsx"
MISO_BA = "MISO"
UnexpectedColumns = Callable[[list[str]], None] | None

#: Sheet-name prefix -> status_category (the fourth sheet is "Canceled or Postponed").
SHEETS = {"operating": "operating", "planned": "planned", "retired": "retired",
          "canceled": "canceled", "cancelled": "canceled"}
#: Status written when a sheet has no Status column.
DEFAULT_STATUS = {"operating": "OP", "planned": "P", "retired": "RE", "canceled": "CN"}
_HEADER_SCAN_ROWS = 6
_STATUS_CODE = re.compile(r"^\(([A-Z]{1,3})\)")
_ANNUAL_MEMBER = re.compile(r"(?:^|/)3_1_Generator_Y\d{4}\.xlsx$", re.IGNORECASE)
_NODE_BLANKS = frozenset({"n/a", "-", "unknown", "none", "not applicable"})

KEY_COLUMNS = ("Plant ID", "Generator ID")
REQUIRED = (*KEY_COLUMNS, "Balancing Authority Code")
TEXT_COLUMNS = {
    "Plant Name": "plant_name", "Entity ID": "operator_id", "Entity Name": "operator_name",
    "Plant State": "state", "County": "county", "Technology": "technology",
    "Energy Source Code": "energy_source_code", "Prime Mover Code": "prime_mover_code",
    "Balancing Authority Code": "balancing_authority_code",
}  # fmt: skip
NUMBER_COLUMNS = {
    "Nameplate Capacity (MW)": "nameplate_capacity_mw",
    "Net Summer Capacity (MW)": "net_summer_capacity_mw",
    "Net Winter Capacity (MW)": "net_winter_capacity_mw",
    "Planned Derate of Summer Capacity (MW)": "planned_derate_summer_cap_mw",
    "Planned Uprate of Summer Capacity (MW)": "planned_uprate_summer_cap_mw",
    "Latitude": "latitude",
    "Longitude": "longitude",
}
#: field -> (year column, month column) candidates, first present pair wins.
YEAR_MONTH_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "operating_year_month": (("Operating Year", "Operating Month"),
                             ("Planned Operation Year", "Planned Operation Month")),
    "planned_retirement_year_month": (("Planned Retirement Year", "Planned Retirement Month"),),
    # Only the Retired sheet states an actual retirement.
    "retirement_year_month": (("Retirement Year", "Retirement Month"),),
    "planned_derate_year_month": (("Planned Derate Year", "Planned Derate Month"),),
    "planned_uprate_year_month": (("Planned Uprate Year", "Planned Uprate Month"),),
}
KNOWN_COLUMNS = frozenset(norm(c) for c in (
    *REQUIRED, *TEXT_COLUMNS, *NUMBER_COLUMNS, "Status", "Sector", "Unit Code",
    "Google Map", "Bing Map",
    *(c for pairs in YEAR_MONTH_COLUMNS.values() for pair in pairs for c in pair),
))  # fmt: skip


def _open(data: bytes, format_name: str) -> Any:
    with payload_guard(format_name, "not a readable .xlsx workbook"):
        return load_workbook(io.BytesIO(data))


def _find_header(rows: Iterator[Sequence[Any]], columns: Sequence[str]) -> Header | None:
    """The first of the top rows holding every one of ``columns`` (row 2 or 3 in EIA files)."""
    wanted = {norm(c) for c in columns}
    for _, row in zip(range(_HEADER_SCAN_ROWS), rows, strict=False):
        header = Header.from_row(row)
        if wanted <= set(header.positions):
            return header
    return None


def _category(sheet_name: str) -> str | None:
    first = sheet_name.strip().split(" ")[0].casefold()
    return SHEETS.get(first)


def parse_860m_workbook(
    data: bytes, *, period: str, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """Rows of the MISO units of one 860M workbook, sheet by sheet (Operating first).

    Raises :class:`PayloadError` when the workbook is unreadable, has no Operating sheet, or a
    sheet lacks the key / balancing authority columns.
    """
    book = _open(data, EIA860M_XLSX)
    try:
        sheets = [(name, _category(name)) for name in book.sheetnames]
        if "operating" not in {category for _, category in sheets}:
            raise PayloadError(EIA860M_XLSX, f"no Operating sheet (sheets: "
                                             f"{', '.join(book.sheetnames)})",
                               missing_columns=["Operating"])
        for name, category in sheets:
            if category is not None:
                yield from _sheet_rows(book[name], name, category, period, on_unexpected_columns)
    finally:
        book.close()


def _sheet_rows(sheet: Any, name: str, category: str, period: str,
                on_unexpected_columns: UnexpectedColumns) -> Iterator[Row]:
    rows = guarded_iter(sheet_values(sheet), EIA860M_XLSX, f"sheet {name}")
    header = _find_header(rows, KEY_COLUMNS)
    if header is None:
        raise PayloadError(EIA860M_XLSX, f"sheet {name}: header row not found in the first "
                                         f"{_HEADER_SCAN_ROWS} rows",
                           missing_columns=list(KEY_COLUMNS))
    missing = [c for c in REQUIRED if not header.has(c)]
    if missing:
        raise PayloadError(EIA860M_XLSX, f"sheet {name}: required columns missing",
                           missing_columns=missing)
    unexpected = [c for c in header.columns if norm(c) not in KNOWN_COLUMNS]
    if unexpected and on_unexpected_columns is not None:
        on_unexpected_columns(unexpected)
    for row in rows:
        plant = key_text(_id_cell(header.cell(row, "Plant ID")))
        generator = key_text(_id_cell(header.cell(row, "Generator ID")))
        if plant is None or generator is None or not plant.isdigit():
            continue  # blank rows and the NOTES footer
        if cell_text(header.cell(row, "Balancing Authority Code")) != MISO_BA:
            continue
        yield _unit_row(header, row, plant, generator, category, period)


def _id_cell(value: Any) -> Any:
    """Excel stores numeric ids as numbers (``1.0``): render them as EIA's text."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _unit_row(header: Header, row: Sequence[Any], plant: str, generator: str, category: str,
              period: str) -> Row:
    out = new_row(plant_id=plant, generator_id=generator, period=period,
                  status_category=category)
    for column, name in TEXT_COLUMNS.items():
        out[name] = text_value(_id_cell(header.cell(row, column)))
    status = text_value(header.cell(row, "Status")) if header.has("Status") else None
    code = _STATUS_CODE.match(status) if status else None
    out["status"] = code.group(1) if code else status or DEFAULT_STATUS[category]
    for column, name in NUMBER_COLUMNS.items():
        set_number(out, name, header.cell(row, column))
    for name, pairs in YEAR_MONTH_COLUMNS.items():
        out[name] = None
        for year_col, month_col in pairs:
            if header.has(year_col):
                out[name], bad = year_month(header.cell(row, year_col),
                                            header.cell(row, month_col))
                if bad:
                    flag(out, name)
                break
    return out


def year_month(year: Any, month: Any) -> tuple[str | None, bool]:
    """(``"YYYY-MM"`` or None, invalid) from separate year and month cells (month optional)."""
    if is_null(year):
        return None, not is_null(month)
    y, m = _whole(year), _whole(month) if not is_null(month) else None
    if y is None or not 1800 <= y <= 2200 or (m is not None and not 1 <= m <= 12):
        return None, True
    if m is None:
        return None, True  # a year without a month is not a YYYY-MM
    return f"{y:04d}-{m:02d}", False


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = cell_text(value)
    return int(text) if text.isdigit() else None


def parse_eia860_nodes(data: bytes) -> dict[tuple[str, str], str]:
    """(plant_id, generator_id) -> stated "RTO/ISO LMP Node Designation" (non-blank only).

    ``data`` is ``eia860{YYYY}.zip`` (the generator workbook is found inside it by name) or
    the ``3_1_Generator_Y{YYYY}.xlsx`` workbook itself. Every sheet with the columns is read
    (Operable, Proposed, Retired and Canceled); the first statement of a unit wins.
    """
    book = _open(_generator_workbook(data), EIA860_GENERATOR_XLSX)
    columns = ("Plant Code", "Generator ID", "RTO/ISO LMP Node Designation")
    nodes: dict[tuple[str, str], str] = {}
    found = False
    try:
        for name in book.sheetnames:
            rows = guarded_iter(sheet_values(book[name]), EIA860_GENERATOR_XLSX,
                                f"sheet {name}")
            header = _find_header(rows, columns)
            if header is None:
                continue
            found = True
            for row in rows:
                plant = key_text(_id_cell(header.cell(row, "Plant Code")))
                generator = key_text(_id_cell(header.cell(row, "Generator ID")))
                node = text_value(header.cell(row, "RTO/ISO LMP Node Designation"))
                if plant and generator and node and node.casefold() not in _NODE_BLANKS:
                    nodes.setdefault((plant, generator), node)
    finally:
        book.close()
    if not found:
        raise PayloadError(EIA860_GENERATOR_XLSX, "no sheet with a node designation column",
                           missing_columns=list(columns))
    return nodes


def _generator_workbook(data: bytes) -> bytes:
    """The generator workbook's bytes: itself, or its member of the annual ZIP."""
    with payload_guard(EIA860_GENERATOR_XLSX, "not a ZIP/xlsx file"):
        archive = zipfile.ZipFile(io.BytesIO(data))
    with archive:
        names = archive.namelist()
        if "[Content_Types].xml" in names:
            return data  # already an xlsx
        member = next((n for n in names if _ANNUAL_MEMBER.search(n)), None)
        if member is None:
            raise PayloadError(EIA860_GENERATOR_XLSX, "no 3_1_Generator_Y*.xlsx in the ZIP",
                               missing_columns=["3_1_Generator_Y{YYYY}.xlsx"])
        with payload_guard(EIA860_GENERATOR_XLSX, f"unreadable ZIP member {member}"):
            return archive.read(member)
