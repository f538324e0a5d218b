"""Generation reports (.xlsx): `sr_gfm.xlsx` (fuel mix) and `mom.xlsx` (wind/solar forecast).

sr_gfm: sheets `RT Generation Fuel Mix` and `DA Cleared Generation Fuel Mix`, a merged
area row (Central | North | South | Total) over a fuel row; South has no Storage and, before
2023-09-07, no Wind. mom: `WIND HOURLY` / `SOLAR HOURLY` with `DAY HE` cells like
`**07/14/2026 1` for the 7 days from the file date (vintage = file date, published 19:30
EST, also the document `modified` property); before 2022-06-13 the header reads `Day HE`
and the preamble is one row shorter.
"""

from __future__ import annotations

from datetime import date, timedelta

from tap_miso.testing.fake_miso import publication
from tap_miso.testing.fake_miso.formats.sheet import DISCLAIMER, HeaderRow, Merge, Row, Sheet
from tap_miso.testing.fake_miso.formats.xlsx import xlsx_bytes
from tap_miso.testing.fake_miso.response import XLSX, Response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext
from tap_miso.testing.fake_miso.surfaces.market_reports.common import mdy, modified_utc

SOUTH_WIND_SINCE = date(2023, 9, 7)
MOM_HEADER_CHANGE = date(2022, 6, 13)
GFM_FUELS = (("Coal", "coal"), ("Gas", "gas"), ("Nuclear", "nuclear"), ("Hydro", "water"),
             ("Wind", "wind"), ("Solar", "solar"), ("Other", "other"), ("Storage", "storage"))
GFM_AREAS = (("Central", "CENTRAL"), ("North", "NORTH"), ("South", "SOUTH"), ("Total", "MISO"))
MOM_SHEETS = ("OUTAGE", "MISO", "NORTH", "CENTRAL", "NORTH+CENTRAL", "SOUTH")
MOM_DAYS = 7


def gfm_fuels(area: str, day: date) -> list[tuple[str, str]]:
    """(column label, data-model fuel) present for an area on a market day."""
    fuels = list(GFM_FUELS)
    if area == "South":
        fuels = [f for f in fuels if f[0] != "Storage"]
        if day < SOUTH_WIND_SINCE:
            fuels = [f for f in fuels if f[0] != "Wind"]
    return fuels


def _gfm_sheet(ctx: RequestContext, day: date, market: str, title: str) -> Sheet:
    data = ctx.state.data
    areas_row: list[str | None] = [None]
    fuels_row: list[str] = ["Market Hour Ending"]
    merges: list[Merge] = []
    for label, _ in GFM_AREAS:
        fuels = gfm_fuels(label, day)
        merges.append(Merge(3, 3, len(fuels_row), len(fuels_row) + len(fuels)))
        areas_row += [label] + [None] * len(fuels)
        fuels_row += [name for name, _ in fuels] + ["Total MW"]
    rows: list[Row] = [[title], [f"Market Date: {mdy(day)}"], [], areas_row, HeaderRow(fuels_row)]
    for he in range(1, 25):
        row: list[float | int] = [he]
        for label, region in GFM_AREAS:
            values = [data.fuel_mix(day, he, region, fuel, market)
                      for _, fuel in gfm_fuels(label, day)]
            row += [*values, round(sum(values), 2)]
        rows.append(row)
    rows.append([DISCLAIMER])
    return Sheet(title, rows, merges)


def sr_gfm(ctx: RequestContext, day: date) -> Response:
    """`YYYYMMDD_sr_gfm.xlsx` for market date `day`."""
    modified = modified_utc(publication.real_time_preliminary(day))
    return ctx.sheets(
        lambda: [_gfm_sheet(ctx, day, "rt", "RT Generation Fuel Mix"),
                 _gfm_sheet(ctx, day, "da", "DA Cleared Generation Fuel Mix")],
        lambda sheets: xlsx_bytes(sheets, modified), XLSX)


def _mom_forecast_sheet(ctx: RequestContext, file_date: date, fuel: str) -> Sheet:
    data = ctx.state.data
    old = file_date < MOM_HEADER_CHANGE
    rows: list[Row] = [["Multiday Operating Margin"],
                       [f"{fuel.title()} Forecast (MW)"],
                       [f"Published {mdy(file_date)} 19:30 EST"]]
    if not old:
        rows.append([])
    rows.append(HeaderRow(["Day HE" if old else "DAY HE", "North", "Central", "South", "MISO"]))
    for offset in range(MOM_DAYS):
        day = file_date + timedelta(days=offset)
        for he in range(1, 25):
            rows.append([f"**{mdy(day)} {he}",
                         *(data.generation_forecast(fuel, file_date, day, he, region)
                           for region in ("North", "Central", "South", "MISO"))])
    rows.append([DISCLAIMER])
    return Sheet(f"{fuel.upper()} HOURLY", rows)


def _mom_area_sheet(ctx: RequestContext, file_date: date, name: str) -> Sheet:
    data = ctx.state.data
    rows: list[Row] = [["Multiday Operating Margin"], [name], [],
                       HeaderRow(["DAY", "Peak Load Forecast (MW)"])]
    for offset in range(MOM_DAYS):
        day = file_date + timedelta(days=offset)
        peak = max(data.load_forecast(file_date, day, he, "MISO") for he in range(1, 25))
        rows.append([mdy(day), peak])
    rows.append([DISCLAIMER])
    return Sheet(name, rows)


def mom(ctx: RequestContext, file_date: date) -> Response:
    """`YYYYMMDD_mom.xlsx` (vintage = file date)."""
    modified = modified_utc(publication.mom(file_date))
    return ctx.sheets(
        lambda: [*(_mom_area_sheet(ctx, file_date, name) for name in MOM_SHEETS),
                 _mom_forecast_sheet(ctx, file_date, "wind"),
                 _mom_forecast_sheet(ctx, file_date, "solar")],
        lambda sheets: xlsx_bytes(sheets, modified), XLSX)

