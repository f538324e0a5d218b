"""Market Reports entry point: file name -> publication/retention checks -> report bytes.

Every unknown, unpublished, out-of-retention or missing file answers Azure's BlobNotFound.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from tap_miso.testing.fake_miso import publication
from tap_miso.testing.fake_miso.response import Response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext
from tap_miso.testing.fake_miso.surfaces.errors import NoData, blob_not_found
from tap_miso.testing.fake_miso.surfaces.market_reports import (
    asm_csv,
    five_minute,
    generation_xlsx,
    lmp_csv,
    load_xls,
    reference,
)
from tap_miso.testing.fake_miso.surfaces.market_reports.common import Report

PREFIX = "/marketreports/"
_NAME = re.compile(r"(?P<ymd>\d{8})_(?P<report>[A-Za-z0-9_]+\.(?:csv|xls|xlsx|zip))")


def _weekly(day: date) -> datetime | None:
    return publication.file_dated(day) if day.weekday() == 0 else None


def _rt_prelim_retained(now: datetime, day: date) -> bool:
    return publication.rt_prelim_csv_retained(now, day)


REPORTS: dict[str, Report] = {
    report.name: report
    for report in (
        Report("da_exante_lmp.csv", publication.day_ahead, lmp_csv.lmp_csv("ex_ante")),
        Report("da_expost_lmp.csv", publication.day_ahead, lmp_csv.lmp_csv("ex_post")),
        Report("rt_lmp_prelim.csv", publication.real_time_preliminary,
               lmp_csv.lmp_csv("preliminary"), _rt_prelim_retained),
        Report("rt_lmp_final.csv", publication.real_time_final, lmp_csv.lmp_csv("final")),
        Report("5MIN_LMP.zip", _weekly, five_minute.weekly_5min_lmp),
        Report("5min_exante_lmp.xlsx", publication.real_time_preliminary,
               five_minute.exante_5min_xlsx),
        Report("asm_exante_damcp.csv", publication.day_ahead, asm_csv.asm_csv("ex_ante", False)),
        Report("asm_expost_damcp.csv", publication.day_ahead, asm_csv.asm_csv("ex_post", False)),
        Report("asm_rtmcp_prelim.csv", publication.real_time_preliminary,
               asm_csv.asm_csv("preliminary", True)),
        Report("asm_rtmcp_final.csv", publication.real_time_final,
               asm_csv.asm_csv("final", True)),
        Report("cpnode_reszone.xlsx", publication.file_dated, reference.cpnode_reszone),
        Report("df_al.xls", publication.file_dated, load_xls.df_al),
        Report("rf_al.xls", publication.file_dated, load_xls.rf_al),
        Report("sr_gfm.xlsx", publication.real_time_preliminary, generation_xlsx.sr_gfm),
        Report("mom.xlsx", publication.mom, generation_xlsx.mom),
        Report("sr_nd_is.xls", publication.real_time_preliminary, reference.sr_nd_is),
    )
}


def file_date(ymd: str) -> date | None:
    try:
        return datetime.strptime(ymd, "%Y%m%d").date()
    except ValueError:
        return None


def handle(ctx: RequestContext) -> Response:
    """Answer one Market Reports request."""
    match = _NAME.fullmatch(ctx.path[len(PREFIX) :])
    report = REPORTS.get(match["report"]) if match else None
    day = file_date(match["ymd"]) if match else None
    if report is None or day is None or day in ctx.state.missing_dates:
        return blob_not_found(ctx.path, ctx.now)
    available = report.available_from(day)
    if (available is None or not publication.is_published(ctx.now, available)
            or not report.retained(ctx.now, day)):
        return blob_not_found(ctx.path, ctx.now)
    try:
        return report.build(ctx, day)
    except NoData:
        return blob_not_found(ctx.path, ctx.now)
