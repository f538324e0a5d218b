"""5-minute LMP reports: weekly `5MIN_LMP.zip` (RT final ex-post) and daily
`5min_exante_lmp.xlsx`.

Both label rows with the interval START (`MKTHOUR_EST`, `Time (EST)`): FORMATS marks the
convention UNVERIFIED and public client code assumes START, so the fake serves START.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from tap_miso.testing.fake_miso.clock import interval_start
from tap_miso.testing.fake_miso.formats.csv_text import csv_chunks
from tap_miso.testing.fake_miso.formats.numbers import mr_cents
from tap_miso.testing.fake_miso.formats.sheet import DISCLAIMER, HeaderRow, Row, Sheet
from tap_miso.testing.fake_miso.formats.xlsx_stream import xlsx_stream
from tap_miso.testing.fake_miso.formats.zip_stream import zip_chunks
from tap_miso.testing.fake_miso.publication import weekly_five_minute_window
from tap_miso.testing.fake_miso.response import XLSX, ZIP, Response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext
from tap_miso.testing.fake_miso.surfaces.market_reports.common import mdy

WEEKLY_HEADER = ["MKTHOUR_EST", "PNODENAME", "LMP", "CON_LMP", "LOSS_LMP"]
EXANTE_HEADER = ["Time (EST)", "CP Node", "RT Ex-Ante LMP", "RT Ex-Ante MEC", "RT Ex-Ante MLC",
                 "RT Ex-Ante MCC"]
STREAM_ABOVE_ROWS = 300_000


def _weekly_rows(ctx: RequestContext, first: date, end: date) -> Iterator[Row]:
    data = ctx.state.data
    yield ["Real-Time 5 Minute Ex-Post LMPs (Final)"]
    yield [f"{mdy(first)} - {mdy(end - timedelta(days=1))}"]
    yield []
    yield ["All Hours are Eastern Standard Time (EST)"]
    yield HeaderRow(WEEKLY_HEADER)
    day = first
    while day < end:
        names = [name for name, _ in data.nodes_on(day)]
        for index in range(288):
            label = f"{interval_start(day, index):%m/%d/%Y %H:%M}"
            for name in names:
                lmp, _, mcc, mlc = data.lmp_5min_cents(day, index, name, "final")
                yield [label, name, mr_cents(lmp), mr_cents(mcc), mr_cents(mlc)]
        day += timedelta(days=1)
    yield [DISCLAIMER]


def weekly_5min_lmp(ctx: RequestContext, monday: date) -> Response:
    """`YYYYMMDD_5MIN_LMP.zip`: dated Monday M, covers [M-14 d, M-7 d)."""
    window = weekly_five_minute_window(monday)
    if window is None:  # the router already answers 404 for other weekdays
        raise ValueError("weekly report requested for a non-Monday")
    first, end = window
    member = f"{monday:%Y%m%d}_5MIN_LMP.csv"

    def write(sheets: list[Sheet]) -> Iterator[bytes]:
        return zip_chunks([(member, csv_chunks(sheets[0]))], monday, compresslevel=1)

    rows = 7 * 288 * len(ctx.state.data.nodes_on(first))
    return ctx.sheets(lambda: [Sheet("csv", _weekly_rows(ctx, first, end))], write, ZIP,
                      stream=rows > STREAM_ABOVE_ROWS)


def _exante_rows(ctx: RequestContext, day: date) -> Iterator[Row]:
    data = ctx.state.data
    yield ["Real-Time Ex-Ante 5 Minute LMP Report"]
    yield [f"Market Date: {mdy(day)}"]
    yield []
    yield HeaderRow(EXANTE_HEADER)
    names = [name for name, _ in data.nodes_on(day)]
    for index in range(288):
        label = f"{interval_start(day, index):%Y-%m-%d %I:%M:%S %p}"
        for name in names:
            lmp, mec, mcc, mlc = data.lmp_5min_cents(day, index, name, "ex_ante")
            yield [label, name, lmp / 100, mec / 100, mlc / 100, mcc / 100]
    yield [DISCLAIMER]


def exante_5min_xlsx(ctx: RequestContext, day: date) -> Response:
    """`YYYYMMDD_5min_exante_lmp.xlsx`: one sheet, ~750k rows at full size."""
    modified = interval_start(day + timedelta(days=1), 84) + timedelta(hours=5)  # D+1 07:00 EST

    def write(sheets: list[Sheet]) -> Iterator[bytes]:
        return xlsx_stream(sheets, modified, day)

    rows = 288 * len(ctx.state.data.nodes_on(day))
    return ctx.sheets(lambda: [Sheet("Sheet1", _exante_rows(ctx, day))], write, XLSX,
                      stream=rows > STREAM_ABOVE_ROWS)
