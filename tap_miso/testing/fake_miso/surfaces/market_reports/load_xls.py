"""Load reports (BIFF .xls): `df_al.xls` (by LRZ) and `rf_al.xls` (by region).

A file dated F is published at F 00:00 EST and covers F-1 (MTLF + actual load) through
F+5 (MTLF only); the MTLF vintage is F. df_al repeats its header and a day-label row before
every day; from 2026-04-27 it has two extra preamble rows and a blank merged column after
`Market Day`. rf_al keeps column A blank (data in B:K), one header, 3 footer rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from tap_miso.testing.fake_miso.data import grid
from tap_miso.testing.fake_miso.formats.sheet import DISCLAIMER, HeaderRow, Merge, Row, Sheet
from tap_miso.testing.fake_miso.formats.xls import xls_bytes
from tap_miso.testing.fake_miso.response import XLS, Response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext

DF_AL_LAYOUT_CHANGE = date(2026, 4, 27)
LRZ_AREAS = (*grid.LRZ_GROUPS, "MISO")
REGION_AREAS = ("North", "Central", "South", "MISO")


def coverage(file_date: date) -> list[date]:
    """Market days in the file dated `file_date`: F-1 .. F+5."""
    return [file_date + timedelta(days=offset) for offset in range(-1, 6)]


def _header(areas: tuple[str, ...]) -> list[str]:
    columns = ["Market Day", "HourEnding"]
    for area in areas:
        columns += [f"{area} MTLF (MWh)", f"{area} ActualLoad (MWh)"]
    return columns


def _values(ctx: RequestContext, file_date: date, day: date, he: int,
            areas: tuple[str, ...]) -> list[float | int | None]:
    data = ctx.state.data
    with_actual = day < file_date
    cells: list[float | int | None] = []
    for area in areas:
        cells.append(data.load_forecast(file_date, day, he, area))
        cells.append(data.actual_load(day, he, area) if with_actual else None)
    return cells


def _preamble(file_date: date, pad: list[None]) -> list[Row]:
    days = coverage(file_date)
    return [
        [*pad, "FORECASTED AND "],
        [*pad, "ACTUAL LOAD REPORT"],
        [*pad, "Published Date:", file_date],
        [*pad, "Reporting Period:", days[0], "through", days[-1]],
    ]


def df_al_sheet(ctx: RequestContext, file_date: date) -> Sheet:
    new_layout = file_date >= DF_AL_LAYOUT_CHANGE
    header = _header(LRZ_AREAS)
    rows: list[Row] = _preamble(file_date, [])
    merges: list[Merge] = []
    if new_layout:
        rows += [[], []]
        header = [header[0], None, *header[1:]]
        merges += [Merge(0, 0, 0, 3), Merge(1, 1, 0, 3)]
    for day in coverage(file_date):
        if new_layout:
            merges.append(Merge(len(rows), len(rows), 0, 1))
        rows.append(HeaderRow(header))
        rows.append([f"{day:%B %d, %Y}"])
        for he in range(1, 25):
            values = _values(ctx, file_date, day, he, LRZ_AREAS)
            rows.append([day, None, he, *values] if new_layout else [day, he, *values])
    rows.append([DISCLAIMER])
    return Sheet("Sheet1", rows, merges)


def df_al(ctx: RequestContext, file_date: date) -> Response:
    """`YYYYMMDD_df_al.xls`."""
    return ctx.sheets(lambda: [df_al_sheet(ctx, file_date)], xls_bytes, XLS)


def _rf_al_rows(ctx: RequestContext, file_date: date) -> Iterator[Row]:
    pad: list[None] = [None]
    preamble = _preamble(file_date, pad)
    yield from preamble[:2]
    yield [None, "REGIONAL"]
    yield from preamble[2:]
    yield HeaderRow([None, *_header(REGION_AREAS)])
    for day in coverage(file_date):
        for he in range(1, 25):
            yield [None, day, he, *_values(ctx, file_date, day, he, REGION_AREAS)]
    yield []
    yield [None, DISCLAIMER]
    yield [None, "Load values are in MWh."]


def rf_al(ctx: RequestContext, file_date: date) -> Response:
    """`YYYYMMDD_rf_al.xls`."""
    return ctx.sheets(lambda: [Sheet("Sheet1", _rf_al_rows(ctx, file_date))], xls_bytes, XLS)
