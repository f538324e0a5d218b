"""Fake EIA files: monthly EIA-860M workbooks and the annual EIA-860 ZIP, plus the EIA router.

Paths (under ``/eia``, the fake's stand-in for ``https://www.eia.gov``):
- ``/electricity/data/eia860m/xls/{month}_generator{YYYY}.xlsx``: the newest published month only
- ``/electricity/data/eia860m/archive/xls/{month}_generator{YYYY}.xlsx``: older months
- ``/electricity/data/eia860/xls/eia860{YYYY}.zip``: annual file with ``3_1_Generator_Y{YYYY}.xlsx``
Anything missing answers 200 with an HTML "page not found" page, as eia.gov does.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

from tap_miso.testing.fake_miso import eia_api, eia_data
from tap_miso.testing.fake_miso.eia_data import EiaFakeSettings, Unit
from tap_miso.testing.fake_miso.formats.sheet import HeaderRow, Row, Sheet
from tap_miso.testing.fake_miso.formats.xlsx import xlsx_bytes
from tap_miso.testing.fake_miso.response import HTML, XLSX, ZIP, Response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext

PREFIX = "/eia/"
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
_WORKBOOK = re.compile(r"/eia/electricity/data/eia860m/(?P<archive>archive/)?xls/"
                       r"(?P<month>[a-z]+)_generator(?P<year>\d{4})\.xlsx")
_ANNUAL = re.compile(r"/eia/electricity/data/eia860/xls/eia860(?P<year>\d{4})\.zip")
NOT_FOUND_PAGE = (
    b"<!DOCTYPE html>\n<html lang=\"en\"><head><title>Page not found - U.S. Energy Information "
    b"Administration (EIA)</title></head><body><h1>Sorry, we can't find that page.</h1>"
    b"<p>The page you requested may have moved.</p></body></html>\n"
)
NOTES = ("NOTES: Data for the most recent months are preliminary. Capacity is rounded to the "
         "nearest tenth of a megawatt.")
COMMON = ["Entity ID", "Entity Name", "Plant ID", "Plant Name", "Plant State", "County",
          "Balancing Authority Code", "Sector", "Generator ID", "Unit Code",
          "Nameplate Capacity (MW)", "Net Summer Capacity (MW)", "Net Winter Capacity (MW)",
          "Technology", "Energy Source Code", "Prime Mover Code"]
TAIL = ["Latitude", "Longitude", "Google Map", "Bing Map"]
SHEET_COLUMNS = {
    "Operating": [*COMMON, "Operating Month", "Operating Year", "Planned Retirement Month",
                  "Planned Retirement Year", "Status", "Planned Derate Year",
                  "Planned Derate Month", "Planned Derate of Summer Capacity (MW)",
                  "Planned Uprate Year", "Planned Uprate Month",
                  "Planned Uprate of Summer Capacity (MW)", *TAIL],
    "Planned": [*COMMON, "Planned Operation Month", "Planned Operation Year", "Status", *TAIL],
    "Retired": [*COMMON, "Retirement Month", "Retirement Year", "Operating Month",
                "Operating Year", *TAIL],
    "Canceled or Postponed": [*COMMON, "Planned Operation Month", "Planned Operation Year",
                              "Status", *TAIL],
}
SHEET_CATEGORY = {"Operating": "operating", "Planned": "planned", "Retired": "retired",
                  "Canceled or Postponed": "canceled"}
STATUS_TEXT = {
    "OP": "(OP) Operating", "SB": "(SB) Standby/Backup: available for service but not normally "
    "used", "OA": "(OA) Out of service but expected to return to service in next calendar year",
    "OS": "(OS) Out of service and NOT expected to return to service in next calendar year",
    "P": "(P) Planned for installation but regulatory approvals not initiated",
    "T": "(T) Regulatory approvals received. Not under construction",
    "U": "(U) Under construction, less than or equal to 50 percent complete",
    "V": "(V) Under construction, more than 50 percent complete",
    "CN": "(CN) Canceled",
}  # fmt: skip


def handle(ctx: RequestContext) -> Response:
    """Route every ``/eia/`` request: the API, the 860M workbooks or the annual ZIP."""
    settings: EiaFakeSettings = ctx.state.eia  # type: ignore[attr-defined]
    if ctx.path.startswith(eia_api.PREFIX):
        return eia_api.handle_api(ctx, settings)
    if match := _WORKBOOK.fullmatch(ctx.path):
        month = match["month"]
        if month in MONTHS:
            period = f"{match['year']}-{MONTHS.index(month) + 1:02d}"
            newest = eia_data.newest_period(ctx.now, settings)
            at_right_place = (period == newest) != bool(match["archive"])
            if eia_data.is_published(period, ctx.now, settings) and at_right_place:
                return ctx.sheets(lambda: workbook_sheets(period), lambda s: xlsx_bytes(
                    s, _published(period)), XLSX)
    if match := _ANNUAL.fullmatch(ctx.path):
        year = int(match["year"])
        if 2013 <= year <= ctx.today.year - settings.annual_lag_years:
            return Response(200, ZIP, annual_zip(ctx, year))
    return Response(200, HTML, NOT_FOUND_PAGE)


def _published(period: str) -> datetime:
    """Publication time of a month's workbook (about two months later; only a file stamp)."""
    index = eia_data.period_index(period) + 2
    return datetime(index // 12, index % 12 + 1, 24, 15, 0)


def workbook_sheets(period: str) -> list[Sheet]:
    """The four sheets of the 860M workbook of ``period`` (every balancing authority)."""
    year, month = int(period[:4]), int(period[5:7])
    sheets = []
    for name, columns in SHEET_COLUMNS.items():
        rows: list[Row] = [["U.S. Energy Information Administration, Form EIA-860M, "
                            "'Monthly Update to the Annual Electric Generator Report'"]]
        if period >= eia_data.HEADER_ROW3_FROM:
            rows.append([f"{MONTHS[month - 1].title()} {year}"])
        rows.append(HeaderRow(columns))
        for unit in eia_data.units_in(period, SHEET_CATEGORY[name]):
            cells = _cells(unit, period, SHEET_CATEGORY[name])
            rows.append([cells.get(column) for column in columns])
        rows.append([NOTES])
        sheets.append(Sheet(name, rows))
    return sheets


def _ym(value: str | None) -> tuple[int | None, int | None]:
    return (int(value[:4]), int(value[5:7])) if value else (None, None)


def _cells(unit: Unit, period: str, category: str) -> dict[str, object]:
    """Column -> cell of one unit; ids that look numeric are written as numbers, like EIA."""
    op_year, op_month = _ym(unit.operating)
    ret_year, ret_month = _ym(eia_data.planned_retirement(unit))
    gone_year, gone_month = _ym(eia_data.actual_retirement(unit, period))
    derate_year, derate_month = _ym(unit.derate[0] if unit.derate else None)
    uprate_year, uprate_month = _ym(unit.uprate[0] if unit.uprate else None)
    status = {"operating": unit.status, "planned": unit.planned_status, "canceled": "CN"}.get(
        category)
    generator: object = int(unit.generator_id) if unit.generator_id.isdigit() and \
        not unit.generator_id.startswith("0") else unit.generator_id
    return {
        "Entity ID": int(unit.entity_id), "Entity Name": unit.entity_name,
        "Plant ID": int(unit.plant_id), "Plant Name": unit.plant_name,
        "Plant State": unit.state, "County": unit.county, "Balancing Authority Code": unit.ba,
        "Sector": "IPP Non-CHP", "Generator ID": generator, "Unit Code": None,
        "Nameplate Capacity (MW)": unit.nameplate,
        "Net Summer Capacity (MW)": eia_data.summer_capacity(unit, period),
        "Net Winter Capacity (MW)": unit.winter if unit.winter is not None else " ",
        "Technology": unit.technology, "Energy Source Code": unit.energy_source,
        "Prime Mover Code": unit.prime_mover,
        "Operating Month": op_month, "Operating Year": op_year,
        "Planned Operation Month": op_month, "Planned Operation Year": op_year,
        "Planned Retirement Month": ret_month,
        "Planned Retirement Year": ret_year,
        "Retirement Month": gone_month, "Retirement Year": gone_year,
        "Status": STATUS_TEXT.get(status or "", status),
        "Planned Derate Year": derate_year, "Planned Derate Month": derate_month,
        "Planned Derate of Summer Capacity (MW)": unit.derate[1] if unit.derate else None,
        "Planned Uprate Year": uprate_year, "Planned Uprate Month": uprate_month,
        "Planned Uprate of Summer Capacity (MW)": unit.uprate[1] if unit.uprate else None,
        "Latitude": unit.latitude, "Longitude": unit.longitude,
        "Google Map": "Google Map", "Bing Map": "Bing Map",
    }  # fmt: skip


ANNUAL_COLUMNS = ["Utility ID", "Utility Name", "Plant Code", "Plant Name", "State", "County",
                  "Generator ID", "Technology", "Prime Mover", "Nameplate Capacity (MW)",
                  "Status", "RTO/ISO LMP Node Designation",
                  "RTO/ISO Location Designation for Reporting Wholesale Sales Data to FERC"]


def annual_sheets(pool: list[str], year: int) -> list[Sheet]:
    """``3_1_Generator_Y{year}.xlsx``: title on row 1, header on row 2; every unit Operable."""
    rows: list[Row] = [[f"Form EIA-860 Data - Schedule 3, 'Generator Data' (Operable Units "
                        f"Only), {year}"], HeaderRow(ANNUAL_COLUMNS)]
    for unit in eia_data.UNITS:
        node = eia_data.node_designation(unit, pool)
        rows.append([int(unit.entity_id), unit.entity_name, int(unit.plant_id),
                     unit.plant_name, unit.state, unit.county, unit.generator_id,
                     unit.technology, unit.prime_mover, unit.nameplate, unit.status,
                     node if node is not None else " ", None])
    proposed: list[Row] = [["Proposed units"], HeaderRow(ANNUAL_COLUMNS)]
    return [Sheet("Operable", rows), Sheet("Proposed", proposed)]


def annual_zip(ctx: RequestContext, year: int) -> bytes:
    """``eia860{year}.zip`` with the generator workbook and one unrelated member."""
    pool = eia_data.gennodes(ctx.state.data, ctx.today)
    workbook = xlsx_bytes(annual_sheets(pool, year), datetime(year + 1, 6, 1))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(f"LayoutY{year}.txt", (year + 1, 6, 1, 0, 0, 0)),
                         b"File layout")
        archive.writestr(zipfile.ZipInfo(f"3_1_Generator_Y{year}.xlsx",
                                         (year + 1, 6, 1, 0, 0, 0)), workbook)
    return out.getvalue()


def expected_nodes(data: object, day: date) -> dict[tuple[str, str], str]:
    """(plant, generator) -> stated node, as the annual file served on ``day`` says (tests)."""
    pool = eia_data.gennodes(data, day)
    return {(u.plant_id, u.generator_id): node for u in eia_data.UNITS
            if (node := eia_data.node_designation(u, pool)) is not None}
