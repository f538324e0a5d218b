"""Fixture builders that write MISO formats byte for byte as FORMATS.md describes them.

CSV text is spelled out literally; binary workbooks are written with xlwt (.xls, BIFF) and
openpyxl (.xlsx); zips with zipfile. Every builder returns ``bytes``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

import openpyxl
import xlwt

DISCLAIMER = (
    "MISO MAKES NO REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED, AS TO THE ACCURACY OF "
    "THIS REPORT."
)
HE_HEADER = ",".join(f"HE {h}" for h in range(1, 25))


def excel_serial(day: date) -> float:
    return float((day - date(1899, 12, 30)).days)


# --------------------------------------------------------------------------------------------
# CSV (FORMATS §4.2, §4.3)


def lmp_csv(
    market_day: str,
    rows: Sequence[tuple[str, str, str, Sequence[str]]],
    *,
    title: str = "Day Ahead Market ExPost LMPs",
    header: str = f"Node,Type,Value,{HE_HEADER}",
    footer: bool = True,
) -> bytes:
    """``Node,Type,Value,HE 1..HE 24`` after the 4-line preamble (§4.2 sample)."""
    lines = [
        title,
        market_day,
        "",
        ",,,All Hours-Ending are Eastern Standard Time (EST)",
        header,
    ]
    lines += [",".join([node, kind, value, *cells]) for node, kind, value, cells in rows]
    if footer:
        lines.append(DISCLAIMER)
    return ("\n".join(lines) + "\n").encode()


def asm_csv(
    market_day: str,
    miso_wide: Sequence[tuple[str, Sequence[str]]],
    pnodes: Sequence[tuple[str, str, str, Sequence[str]]],
    *,
    realtime: bool = False,
) -> bytes:
    """DA ``asm_*_damcp.csv`` (LF) or RT ``asm_rtmcp_*.csv`` (CRLF, four blocks) (§4.3)."""
    title = (
        "Real Time Market MCPs.,Not settlement quality data."
        if realtime
        else "Dayahead Market MCPs."
    )
    lines = [
        title,
        "",
        f"{market_day},,All Hours-Ending are Eastern Standard Time (EST)",
        "",
        ",,MCP Type," + ",".join(f" HE {h}" for h in range(1, 25)),  # leading spaces (§7.17)
    ]
    lines += [",".join(["MISO Wide", "-", code, *cells]) for code, cells in miso_wide]
    if realtime:
        lines.append("")
    lines.append(f"Pnode,Zone,MCP Type,{HE_HEADER}")
    lines += [",".join([node, zone, code, *cells]) for node, zone, code, cells in pnodes]
    lines.append(DISCLAIMER)
    newline = "\r\n" if realtime else "\n"
    return (newline.join(lines) + newline).encode()


def five_min_zip(
    rows: Iterable[tuple[str, str, str, str, str]],
    *,
    header: str = "MKTHOUR_EST,PNODENAME,LMP,CON_LMP,LOSS_LMP",
    member: str = "20250309_5MIN_LMP.csv",
) -> bytes:
    """Weekly ``5MIN_LMP.zip``: 4 preamble lines, header, rows, 2 footer lines (§4.2)."""
    lines = [
        "Real-Time 5 Minute Final LMPs",
        "03/09/2025 - 03/15/2025",
        "",
        "All Hours-Ending are Eastern Standard Time (EST)",
        header,
    ]
    lines += [",".join(row) for row in rows]
    lines += ["", DISCLAIMER]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, "\n".join(lines) + "\n")
    return buffer.getvalue()


def five_min_labels(day: date) -> list[datetime]:
    start = datetime(day.year, day.month, day.day)
    return [start + timedelta(minutes=5 * i) for i in range(288)]


# --------------------------------------------------------------------------------------------
# xlsx (openpyxl)


def _xlsx(
    sheets: dict[str, list[list[object]]], merges: dict[str, list[str]] | None = None
) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        worksheet = workbook.create_sheet(name)
        for row in rows:
            worksheet.append(row)
        for cell_range in (merges or {}).get(name, []):
            worksheet.merge_cells(cell_range)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


EXANTE_HEADER = [
    "Time (EST)", "CP Node", "RT Ex-Ante LMP", "RT Ex-Ante MEC", "RT Ex-Ante MLC", "RT Ex-Ante MCC",
]


def five_min_exante_xlsx(rows: list[list[object]]) -> bytes:
    """``5min_exante_lmp.xlsx``: title, 2 blank rows, header (skiprows=3), rows, disclaimer."""
    return _xlsx(
        {
            "Sheet1": [
                ["Real-Time Ex-Ante 5 Minute LMP Report"],
                [],
                [],
                EXANTE_HEADER,
                *rows,
                [DISCLAIMER],
            ]
        }
    )


def cpnode_reszone_xlsx(rows: list[list[object]], header: list[object] | None = None) -> bytes:
    return _xlsx(
        {
            "Sheet1": [
                ["CPNode Reserve Zone Mapping"],
                [],
                [],
                header or ["CP Node Name", "Reserve Zone"],
                *rows,
                [DISCLAIMER],
            ]
        }
    )


def sr_gfm_xlsx(
    groups: dict[str, list[str]],
    values: dict[int, list[object]],
    *,
    anchor_on_area_row: bool = False,
    preamble_date: object = None,
) -> bytes:
    """``sr_gfm.xlsx``: area groups in row 4 (merged), fuels in row 5, A = Market Hour Ending."""
    area_row: list[object] = [None]
    fuel_row: list[object] = ["Market Hour Ending"]
    merges = []
    column = 2
    for area, fuels in groups.items():
        area_row += [area] + [None] * (len(fuels) - 1)
        fuel_row += fuels
        start = openpyxl.utils.get_column_letter(column)
        end = openpyxl.utils.get_column_letter(column + len(fuels) - 1)
        merges.append(f"{start}4:{end}4")
        column += len(fuels)
    if anchor_on_area_row:
        area_row[0], fuel_row[0] = "Market Hour Ending", None
        merges.append("A4:A5")
    rows: list[list[object]] = [
        ["Generation Fuel Mix"],
        ["Market Date:", preamble_date],
        [],
        area_row,
        fuel_row,
    ]
    rows += [[he, *cells] for he, cells in values.items()]
    rows.append([DISCLAIMER])
    sheets = {"RT Generation Fuel Mix": rows, "DA Cleared Generation Fuel Mix": rows}
    return _xlsx(sheets, {name: merges for name in sheets})


def mom_xlsx(
    rows: list[list[object]],
    *,
    old: bool = False,
    regions: Sequence[str] = ("North", "Central", "South", "MISO"),
) -> bytes:
    """``mom.xlsx`` WIND/SOLAR HOURLY: ``DAY HE`` after 4 preamble rows (``Day HE`` after 3
    before 2022-06-13), 1 footer row."""
    preamble: list[list[object]] = [["Multiday Operating Margin"], ["Wind Forecast (MW)"], []]
    if not old:
        preamble.append([])
    header = ["Day HE" if old else "DAY HE", *regions]
    sheet = [*preamble, header, *rows, [DISCLAIMER]]
    return _xlsx({"OUTAGE": [["x"]], "WIND HOURLY": sheet, "SOLAR HOURLY": sheet})


# --------------------------------------------------------------------------------------------
# xls (xlwt, BIFF)

DF_AL_AREAS = ("LRZ1", "LRZ2_7", "LRZ3_5", "LRZ4", "LRZ6", "LRZ8_9_10", "MISO")
RF_AL_AREAS = ("North", "Central", "South", "MISO")


def load_xls(
    days: dict[date, list[list[object]]],
    *,
    areas: Sequence[str] = DF_AL_AREAS,
    new_layout: bool = False,
    published: date = date(2025, 3, 10),
    date_cells: bool = True,
) -> bytes:
    """``df_al.xls``/``rf_al.xls`` (§4.4). Old layout: header at row index 4. New layout
    (2026-04-27): header at row index 6 with blank merged-cell columns (C and one between
    groups). ``days`` maps a market day to 24 rows of [HE, mtlf1, actual1, mtlf2, ...]."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    date_style = xlwt.easyxf(num_format_str="MM/DD/YYYY")
    plain = xlwt.XFStyle()
    columns = ["Market Day", "HourEnding"]
    for area in areas:
        columns += [f"{area} MTLF (MWh)", f"{area} ActualLoad (MWh)"]
    # New layout: blank header columns (merged-cell artifacts) at C and after the first area.
    positions = list(range(len(columns)))
    if new_layout:
        positions = [0, 1] + [p + 1 for p in range(2, 4)] + [p + 2 for p in range(4, len(columns))]
    sheet.write(0, 0, "FORECASTED AND ")
    sheet.write(1, 0, "ACTUAL LOAD REPORT")
    sheet.write(2, 0, "Published Date:")
    sheet.write(2, 1, excel_serial(published), date_style)
    sheet.write(3, 0, "Reporting Period:")
    sheet.write(3, 1, excel_serial(min(days)), date_style)
    sheet.write(3, 2, "through")
    sheet.write(3, 3, excel_serial(max(days)), date_style)
    if new_layout:
        sheet.write_merge(4, 5, 0, 3, "")
    row_index = 6 if new_layout else 4
    for day, rows in days.items():
        for column, name in zip(positions, columns, strict=True):
            sheet.write(row_index, column, name)
        row_index += 1
        sheet.write(row_index, 0, day.strftime("%B %d, %Y"))  # day-label row
        row_index += 1
        for cells in rows:
            sheet.write(row_index, 0, excel_serial(day), date_style if date_cells else plain)
            for column, value in zip(positions[1:], cells, strict=False):
                if value is not None:
                    sheet.write(row_index, column, value)
            row_index += 1
    sheet.write(row_index, 0, DISCLAIMER)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sr_nd_is_xls(rows: list[list[object]], header: Sequence[str]) -> bytes:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    sheet.write(0, 0, "Scheduled Interchange by Interface")
    sheet.write(1, 0, "07/14/2026")
    for column, name in enumerate(header):
        sheet.write(3, column, name)
    for offset, cells in enumerate(rows):
        for column, value in enumerate(cells):
            if value is not None:
                sheet.write(4 + offset, column, value)
    sheet.write(4 + len(rows), 0, DISCLAIMER)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
