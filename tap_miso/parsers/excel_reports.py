"""Market Report workbooks: BIFF ``.xls`` (xlrd) and ``.xlsx`` (openpyxl, read-only).

FORMATS §4.2 (5-minute ex-ante LMP), §4.4 (df_al, rf_al), §4.5 (sr_gfm, mom, sr_nd_is,
cpnode_reszone). Headers are found by anchor (§4.1) and columns mapped by name.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any, BinaryIO

import xlrd

from .anchors import (
    UnexpectedColumns,
    check_columns,
    find_header,
    first_nonblank,
    is_anchor_row,
    is_blank_row,
    is_disclaimer_row,
    norm,
)
from .cells import (
    cell_text,
    find_date_in_text,
    parse_date,
    parse_hour_ending,
    parse_label,
    parse_zone,
    zone_in_range,
)
from .errors import PayloadError, guarded_iter, payload_guard
from .rows import Row, flag, hour_sort_key, new_row, set_hour_ending, set_number, sort_within_runs
from .xlsx_rows import load_workbook, sheet_values

log = logging.getLogger(__name__)

FIVE_MIN_EXANTE_LMP_XLSX = "5min_exante_lmp_xlsx"
CPNODE_RESZONE_XLSX = "cpnode_reszone_xlsx"
DF_AL_XLS = "df_al_xls"
RF_AL_XLS = "rf_al_xls"
SR_GFM_XLSX = "sr_gfm_xlsx"
MOM_XLSX = "mom_xlsx"
SR_ND_IS_XLS = "sr_nd_is_xls"

# ---------------------------------------------------------------------------------------------
# Workbook readers


def _xls_value(cell: xlrd.sheet.Cell, datemode: int) -> Any:
    """Plain Python value of a BIFF cell. Error cells become their text (``#N/A``), so they
    parse as invalid instead of as xlrd's integer error code."""
    ctype = cell.ctype
    if ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        except Exception:  # out-of-range serial: keep the number
            return cell.value
    if ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERROR")
    return cell.value


def _pick_sheet(names: Sequence[str], wanted: str | None, format_name: str) -> str:
    """Sheet named ``wanted`` (exact, then whitespace/case-insensitive), else the first one."""
    if not names:
        raise PayloadError(format_name, "workbook has no sheets")
    if wanted is None:
        return names[0]
    if wanted in names:
        return wanted
    for name in names:
        if norm(name) == norm(wanted):
            return name
    raise PayloadError(format_name, f"sheet {wanted!r} not found (sheets: {list(names)})")


class _XlrdLog:
    """xlrd's ``logfile``: xlrd prints warnings to **stdout** by default, which would corrupt a
    Singer tap's message stream; route them to logging instead."""

    def write(self, text: str) -> None:
        if text.strip():
            log.debug("xlrd: %s", text.strip())

    def flush(self) -> None:
        pass


def _xls_table(
    data: bytes, format_name: str, sheet: str | None = None
) -> tuple[list[list[Any]], int]:
    """All rows of a BIFF sheet as plain values, plus the workbook datemode (for serials)."""
    with payload_guard(format_name, "not a readable .xls workbook"):
        book = xlrd.open_workbook(file_contents=bytes(data), logfile=_XlrdLog())
        worksheet = book.sheet_by_name(_pick_sheet(book.sheet_names(), sheet, format_name))
        rows = [
            [_xls_value(cell, book.datemode) for cell in worksheet.row(index)]
            for index in range(worksheet.nrows)
        ]
    return rows, book.datemode


def _open_xlsx(source: BinaryIO | bytes, format_name: str) -> Any:
    if isinstance(source, bytes | bytearray):
        source = io.BytesIO(source)
    with payload_guard(format_name, "not a readable .xlsx workbook"):
        return load_workbook(source)


def _xlsx_table(
    data: BinaryIO | bytes, format_name: str, sheet: str | None = None
) -> list[tuple[Any, ...]]:
    """All rows of a (small) xlsx sheet as value tuples."""
    workbook = _open_xlsx(data, format_name)
    try:
        with payload_guard(format_name, "unreadable sheet"):
            worksheet = workbook[_pick_sheet(workbook.sheetnames, sheet, format_name)]
            return [tuple(row) for row in sheet_values(worksheet)]
    finally:
        workbook.close()


def _require_rows(rows: list[Row], format_name: str) -> Iterator[Row]:
    if not rows:
        raise PayloadError(format_name, "no data rows after the header")
    return iter(rows)


def _raw_label(value: Any) -> str:
    """Original text of a time cell; an Excel datetime cell is rendered ISO-style."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return cell_text(value)


# ---------------------------------------------------------------------------------------------
# 5-minute ex-ante LMP (§4.2)

_EXANTE_COLUMNS = {
    "lmp": "RT Ex-Ante LMP",
    "mec": "RT Ex-Ante MEC",
    "mlc": "RT Ex-Ante MLC",
    "mcc": "RT Ex-Ante MCC",
}


def parse_5min_exante_lmp_xlsx(
    fileobj: BinaryIO | bytes, *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """Stream ``YYYYMMDD_5min_exante_lmp.xlsx`` (FORMATS §4.2; ~19 MB): first sheet, anchor
    ``Time (EST)``, read with openpyxl read-only mode one row at a time.

    Rows: ``label`` (naive; text ``%Y-%m-%d %I:%M:%S %p`` or an Excel datetime cell; START vs
    END unverified), ``raw_label``, ``node``, ``lmp``, ``mec``, ``mlc``, ``mcc``, ``_invalid``.
    Yielded in file order, each interval's rows sorted by node (see
    `rows.sort_within_runs`).
    """
    workbook = _open_xlsx(fileobj, FIVE_MIN_EXANTE_LMP_XLSX)
    try:
        with payload_guard(FIVE_MIN_EXANTE_LMP_XLSX, "unreadable sheet"):
            worksheet = workbook.worksheets[0]
            datemode = 1 if workbook.epoch.year == 1904 else 0
        rows = guarded_iter(
            sheet_values(worksheet), FIVE_MIN_EXANTE_LMP_XLSX, "reading sheet"
        )
        header, _ = find_header(rows, ("Time (EST)",), FIVE_MIN_EXANTE_LMP_XLSX)
        names = ["Time (EST)", "CP Node", *_EXANTE_COLUMNS.values()]
        check_columns(
            header,
            FIVE_MIN_EXANTE_LMP_XLSX,
            required=names,
            known=names,
            on_unexpected_columns=on_unexpected_columns,
        )
    except BaseException:
        workbook.close()
        raise

    time_at, node_at = header.position("Time (EST)"), header.position("CP Node")
    numbers = [(field, header.position(column)) for field, column in _EXANTE_COLUMNS.items()]

    def produce() -> Iterator[Row]:
        """Rows as `header.cell` + `set_number` make them, with positions looked up once and
        finite float cells (nearly all) taken as they are (what `parse_number` returns)."""
        count = 0
        last_cell: Any = None
        label = raw_label = None
        try:
            for row in rows:
                width = len(row)
                cell = row[time_at] if time_at is not None and time_at < width else None
                if cell != last_cell or cell is None:  # every node of an interval shares it
                    last_cell, label = cell, parse_label(cell, datemode)
                    raw_label = _raw_label(cell)
                raw_node = row[node_at] if node_at is not None and node_at < width else None
                node = raw_node.strip() if type(raw_node) is str else cell_text(raw_node)
                if label is None or not node:
                    continue  # disclaimer (last row) or other footer
                out: Row = {"label": label, "raw_label": raw_label, "node": node, "_invalid": []}
                for field, at in numbers:
                    value = row[at] if at is not None and at < width else None
                    if type(value) is float and value - value == 0.0:
                        out[field] = value
                    else:
                        set_number(out, field, value)
                count += 1
                yield out
        finally:
            workbook.close()
        if count == 0:
            raise PayloadError(FIVE_MIN_EXANTE_LMP_XLSX, "no data rows after the header")

    return sort_within_runs(
        produce(), lambda r: r["label"], lambda r: r["node"], FIVE_MIN_EXANTE_LMP_XLSX
    )


# ---------------------------------------------------------------------------------------------
# cpnode_reszone (§4.5)


def parse_cpnode_reszone_xlsx(
    data: bytes, *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """Parse ``YYYYMMDD_cpnode_reszone.xlsx`` (FORMATS §4.5): anchor ``CP Node Name``.

    Rows: ``node``, ``reserve_zone`` (int 1..8; a zone outside 1..8 is kept and flagged, an
    unparseable one is ``None`` and flagged), ``_invalid``; sorted by node, first row wins on
    duplicate nodes.
    """
    table = iter(_xlsx_table(data, CPNODE_RESZONE_XLSX))
    header, _ = find_header(table, ("CP Node Name",), CPNODE_RESZONE_XLSX)
    names = ["CP Node Name", "Reserve Zone"]
    check_columns(
        header,
        CPNODE_RESZONE_XLSX,
        required=names,
        known=names,
        on_unexpected_columns=on_unexpected_columns,
    )
    out: dict[str, Row] = {}
    for row in table:
        node = cell_text(header.cell(row, "CP Node Name"))
        if not node or is_disclaimer_row(row) or is_anchor_row(row, ("CP Node Name",)):
            continue
        cell = header.cell(row, "Reserve Zone")
        zone = parse_zone(cell)
        result = new_row(node=node, reserve_zone=zone)
        if (zone is None and cell_text(cell)) or (zone is not None and not zone_in_range(zone)):
            flag(result, "reserve_zone")
        if node in out:
            log.warning("%s: duplicate node %s; first kept", CPNODE_RESZONE_XLSX, node)
            continue
        out[node] = result
    return _require_rows(sorted(out.values(), key=lambda r: r["node"]), CPNODE_RESZONE_XLSX)


# ---------------------------------------------------------------------------------------------
# df_al / rf_al (§4.4)

DF_AL_AREAS = ("LRZ1", "LRZ2_7", "LRZ3_5", "LRZ4", "LRZ6", "LRZ8_9_10", "MISO")
RF_AL_AREAS = ("North", "Central", "South", "MISO")
# "LRZ1 MTLF (MWh)" / "LRZ1 ActualLoad (MWh)": strip " (MWh)" (§4.4 Layout change).
_LOAD_COLUMN_RE = re.compile(
    r"(?P<area>.+?)\s+(?P<measure>MTLF|Actual\s*Load)(?:\s*\(MWh\))?", re.IGNORECASE
)
_HOUR_ENDING_NAMES = ("HourEnding", "Hour Ending")


def _published_date(rows: Sequence[Sequence[Any]], datemode: int) -> date | None:
    """``Published Date: | <serial>`` from the preamble (value in the same or a later cell)."""
    for row in rows:
        for position, value in enumerate(row):
            text = cell_text(value)
            if not norm(text).startswith("published date"):
                continue
            rest = text.split(":", 1)[1].strip() if ":" in text else ""
            if rest:
                return parse_date(rest)
            for later in row[position + 1 :]:
                if cell_text(later):
                    return parse_date(later, datemode)
            return None
    return None


def _parse_load_xls(
    data: bytes,
    format_name: str,
    areas: Sequence[str],
    on_unexpected_columns: UnexpectedColumns,
) -> Iterator[Row]:
    table, datemode = _xls_table(data, format_name)
    rows = iter(table)
    # Anchor on "Market Day" whatever the preamble length: the header moved from row 4 to
    # row 6 on 2026-04-27 and blank merged-cell columns appeared (§4.4, §7.14).
    header, preamble = find_header(rows, ("Market Day",), format_name)
    published = _published_date(preamble, datemode)
    load_columns: dict[str, tuple[str, str]] = {}
    for name in header.columns:
        match = _LOAD_COLUMN_RE.fullmatch(name)
        if match:
            field = "mtlf" if match["measure"].upper() == "MTLF" else "actual_load"
            load_columns[name] = (match["area"], field)
    # Compare names without " (MWh)"; report unexpected ones as written in the file.
    raw_by_short = {
        _LOAD_COLUMN_RE.sub(r"\g<area> \g<measure>", name): name for name in header.columns
    }
    expected = [f"{area} {measure}" for area in areas for measure in ("MTLF", "ActualLoad")]
    check_columns(
        list(raw_by_short),
        format_name,
        required=["Market Day", _HOUR_ENDING_NAMES, *expected],
        known=["Market Day", *_HOUR_ENDING_NAMES, *expected],
        on_unexpected_columns=on_unexpected_columns
        and (lambda names: on_unexpected_columns([raw_by_short[n] for n in names])),
    )
    hour_column = next(name for name in _HOUR_ENDING_NAMES if header.has(name))
    out: dict[tuple[date, int, str], Row] = {}
    label_day: date | None = None
    for row in rows:
        if is_blank_row(row) or is_disclaimer_row(row):
            continue
        hour = parse_hour_ending(header.cell(row, hour_column))
        if hour is None:
            # Repeated header (before every day), day-label row "March 09, 2025" or footer:
            # HourEnding is blank or the word itself (§4.4). Remember a day label as fallback.
            first = first_nonblank(row)
            label_day = (parse_date(first[1]) if first else None) or label_day
            continue
        day = parse_date(header.cell(row, "Market Day"), datemode) or label_day
        if day is None:
            continue
        for column, (area, field) in load_columns.items():
            key = (day, hour, area)
            result = out.get(key)
            if result is None:
                result = new_row(
                    market_date=day,
                    hour_ending=hour,
                    area=area,
                    mtlf=None,
                    actual_load=None,
                    published_date=published,
                )
                set_hour_ending(result, hour)
                out[key] = result
                set_number(result, field, header.cell(row, column))
            elif result[field] is None and field not in result["_invalid"]:
                set_number(result, field, header.cell(row, column))
            else:
                log.warning("%s: duplicate row for %s; first kept", format_name, key)
    ordered = sorted(
        out.values(),
        key=lambda r: (r["market_date"], hour_sort_key(r["hour_ending"]), r["area"]),
    )
    return _require_rows(ordered, format_name)


def parse_df_al_xls(
    data: bytes, *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """Parse ``YYYYMMDD_df_al.xls`` (FORMATS §4.4), both layouts (before/after 2026-04-27).

    Rows: ``market_date``, ``hour_ending``, ``area`` (``LRZ1``, ``LRZ2_7``, ``LRZ3_5``,
    ``LRZ4``, ``LRZ6``, ``LRZ8_9_10``, ``MISO``), ``mtlf``, ``actual_load``, ``published_date``
    (the preamble's ``Published Date``, ``None`` if unreadable), ``_invalid``; sorted by
    (market_date, hour_ending, area). Actual load is ``None`` for future days.
    """
    return _parse_load_xls(data, DF_AL_XLS, DF_AL_AREAS, on_unexpected_columns)


def parse_rf_al_xls(
    data: bytes, *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """Parse ``YYYYMMDD_rf_al.xls`` (FORMATS §4.4): as `parse_df_al_xls` with ``area`` in
    ``North``, ``Central``, ``South``, ``MISO``."""
    return _parse_load_xls(data, RF_AL_XLS, RF_AL_AREAS, on_unexpected_columns)


# ---------------------------------------------------------------------------------------------
# sr_gfm (§4.5)

SR_GFM_AREAS = ("Central", "North", "South", "Total", "MISO")
SR_GFM_FUELS = ("Coal", "Gas", "Nuclear", "Hydro", "Wind", "Solar", "Other", "Storage", "Total MW")


def _preamble_date_anywhere(rows: Sequence[Sequence[Any]]) -> date | None:
    """First date cell, or date inside a text cell, in a preamble (e.g. a title)."""
    for row in rows:
        for value in row:
            if isinstance(value, datetime | date):
                return value.date() if isinstance(value, datetime) else value
            if isinstance(value, str):
                found = find_date_in_text(value)
                if found is not None:
                    return found
    return None


def parse_sr_gfm_xlsx(
    data: bytes,
    sheet: str = "RT Generation Fuel Mix",
    *,
    on_unexpected_columns: UnexpectedColumns = None,
) -> Iterator[Row]:
    """Parse a sheet of ``YYYYMMDD_sr_gfm.xlsx`` (FORMATS §4.5): ``RT Generation Fuel Mix`` or
    ``DA Cleared Generation Fuel Mix``.

    Two-row header: area groups (merged cells, forward-filled) above fuels; column A is
    ``Market Hour Ending`` (the anchor, on either header row). Columns are composite
    ``Area|Fuel`` names mapped by name; South has no Storage and files before 2023-09-07 lack
    South Wind, so only present columns produce rows.

    Rows: ``market_date`` (a date found in the preamble, else ``None``), ``hour_ending``,
    ``region`` (raw area group), ``fuel`` (raw, including ``Total MW``), ``mw``, ``_invalid``;
    sorted by (hour_ending, region, fuel).
    """
    table = _xlsx_table(data, SR_GFM_XLSX, sheet)
    anchor = next(
        (i for i, row in enumerate(table) if is_anchor_row(row, ("Market Hour Ending",))), None
    )
    if anchor is None:
        raise PayloadError(SR_GFM_XLSX, "header anchor row not found", ["Market Hour Ending"])
    following = table[anchor + 1] if anchor + 1 < len(table) else ()
    if following and not cell_text(following[0]) and not is_blank_row(following):
        area_row, fuel_row, body_start = table[anchor], following, anchor + 2
    else:
        previous = [i for i in range(anchor) if not is_blank_row(table[i][1:])]
        area_row = table[previous[-1]] if previous else ()
        fuel_row, body_start = table[anchor], anchor + 1
    preamble = table[: min(anchor, body_start)]
    columns: dict[int, tuple[str | None, str]] = {}
    area: str | None = None
    for position in range(1, len(fuel_row)):
        area = cell_text(area_row[position] if position < len(area_row) else None) or area
        fuel = cell_text(fuel_row[position])
        if fuel:  # a blank fuel header is a merged-cell artifact (§4.1 step 3)
            columns[position] = (area, fuel)
    composite = [f"{region or ''}|{fuel}" for region, fuel in columns.values()]
    known = {f"{region}|{fuel}" for region in SR_GFM_AREAS for fuel in SR_GFM_FUELS}
    known.discard("South|Storage")
    check_columns(
        ["Market Hour Ending", *composite],
        SR_GFM_XLSX,
        required=["Market Hour Ending"],
        known={"Market Hour Ending", *known},
        on_unexpected_columns=on_unexpected_columns,
    )
    if not columns:
        raise PayloadError(SR_GFM_XLSX, "no area|fuel columns under the header")
    market_date = _preamble_date_anywhere(preamble)
    out: list[Row] = []
    for row in table[body_start:]:
        hour = parse_hour_ending(row[0] if row else None)
        if hour is None:
            continue  # footer, disclaimer, daily-total or blank row
        for position, (region, fuel) in columns.items():
            result = new_row(market_date=market_date, hour_ending=hour, region=region, fuel=fuel)
            set_hour_ending(result, hour)
            set_number(result, "mw", row[position] if position < len(row) else None)
            out.append(result)
    out.sort(key=lambda r: (hour_sort_key(r["hour_ending"]), r["region"] or "", r["fuel"]))
    return _require_rows(out, SR_GFM_XLSX)


# ---------------------------------------------------------------------------------------------
# mom (§4.5)

MOM_REGIONS = ("North", "Central", "South", "MISO")
_MOM_CELL_RE = re.compile(r"\**\s*(?P<day>\d{1,2}/\d{1,2}/\d{4})\s+(?P<he>\d{1,2})", re.ASCII)


def parse_mom_xlsx(
    data: bytes, sheet: str, *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """Parse the ``WIND HOURLY`` or ``SOLAR HOURLY`` sheet of ``YYYYMMDD_mom.xlsx`` (FORMATS
    §4.5).

    Anchor ``DAY HE`` (``Day HE`` before 2022-06-13); cells look like ``**07/14/2026 1``.
    Rows: ``market_date``, ``hour_ending``, ``region`` (``North``, ``Central``, ``South``,
    ``MISO``), ``mw``, ``_invalid``; sorted by (market_date, hour_ending, region). A region
    column missing from the file (old files) still yields its rows with ``mw`` = ``None``
    (not flagged invalid), as §4.5 says to emit null.
    """
    table = iter(_xlsx_table(data, MOM_XLSX, sheet))
    header, _ = find_header(table, ("DAY HE",), MOM_XLSX)
    check_columns(
        header,
        MOM_XLSX,
        required=["DAY HE"],
        known=["DAY HE", *MOM_REGIONS],
        on_unexpected_columns=on_unexpected_columns,
    )
    if not any(header.has(region) for region in MOM_REGIONS):
        raise PayloadError(MOM_XLSX, "no region columns", missing_columns=list(MOM_REGIONS))
    out: list[Row] = []
    for row in table:
        match = _MOM_CELL_RE.fullmatch(cell_text(header.cell(row, "DAY HE")))
        day = parse_date(match["day"]) if match else None
        if match is None or day is None:
            continue  # blank, repeated header or footer row
        hour = int(match["he"])
        for region in MOM_REGIONS:
            result = new_row(market_date=day, hour_ending=hour, region=region)
            set_hour_ending(result, hour)
            set_number(result, "mw", header.cell(row, region))
            out.append(result)
    out.sort(key=lambda r: (r["market_date"], hour_sort_key(r["hour_ending"]), r["region"]))
    return _require_rows(out, MOM_XLSX)


# ---------------------------------------------------------------------------------------------
# sr_nd_is (§4.5)

SR_ND_IS_COUNTERPARTIES = (
    "GLHB", "IESO", "MHEB", "PJM", "SOCO", "SWPP", "TVA", "AECI", "LGEE", "Other", "Total",
)


def parse_sr_nd_is_xls(
    data: bytes, *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """Parse ``YYYYMMDD_sr_nd_is.xls`` (FORMATS §4.5): anchor ``Hour``; every other named
    column is a counterparty (unknown ones are still emitted, and reported).

    Rows: ``hour_ending`` (``Hour`` read as HE, unverified), ``counterparty`` (raw column
    name), ``mw`` (sign convention unknown, §7.9), ``_invalid``; sorted by (hour_ending,
    counterparty).
    """
    table, _ = _xls_table(data, SR_ND_IS_XLS)
    rows = iter(table)
    header, _ = find_header(rows, ("Hour",), SR_ND_IS_XLS)
    check_columns(
        header,
        SR_ND_IS_XLS,
        required=["Hour"],
        known=["Hour", *SR_ND_IS_COUNTERPARTIES],
        on_unexpected_columns=on_unexpected_columns,
    )
    counterparties = [name for name in header.columns if norm(name) != "hour"]
    if not counterparties:
        raise PayloadError(SR_ND_IS_XLS, "no counterparty columns", ["Total"])
    out: list[Row] = []
    for row in rows:
        hour = parse_hour_ending(header.cell(row, "Hour"))
        if hour is None:
            continue  # footer, disclaimer or repeated header
        for name in counterparties:
            result = new_row(hour_ending=hour, counterparty=name)
            set_hour_ending(result, hour)
            set_number(result, "mw", header.cell(row, name))
            out.append(result)
    out.sort(key=lambda r: (hour_sort_key(r["hour_ending"]), r["counterparty"]))
    return _require_rows(out, SR_ND_IS_XLS)


__all__ = [
    "parse_5min_exante_lmp_xlsx",
    "parse_cpnode_reszone_xlsx",
    "parse_df_al_xls",
    "parse_mom_xlsx",
    "parse_rf_al_xls",
    "parse_sr_gfm_xlsx",
    "parse_sr_nd_is_xls",
]
