"""Reference and interchange reports: `cpnode_reszone.xlsx` and `sr_nd_is.xls`.

sr_nd_is uses the data model's sign (+ = import); its BA columns are MR's vocabulary
(IESO = the model's ONT, Other = OTHER; Total = sum of the columns).
"""

from __future__ import annotations

from datetime import date

from tap_miso.testing.fake_miso import publication
from tap_miso.testing.fake_miso.formats.sheet import DISCLAIMER, HeaderRow, Row, Sheet
from tap_miso.testing.fake_miso.formats.xls import xls_bytes
from tap_miso.testing.fake_miso.formats.xlsx import xlsx_bytes
from tap_miso.testing.fake_miso.response import XLS, XLSX, Response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext
from tap_miso.testing.fake_miso.surfaces.market_reports.common import mdy, modified_utc

SR_ND_IS_COLUMNS = {"GLHB": "GLHB", "IESO": "ONT", "MHEB": "MHEB", "PJM": "PJM", "SOCO": "SOCO",
                    "SWPP": "SWPP", "TVA": "TVA", "AECI": "AECI", "LGEE": "LGEE",
                    "Other": "OTHER"}


def cpnode_reszone(ctx: RequestContext, file_date: date) -> Response:
    """`YYYYMMDD_cpnode_reszone.xlsx`: CP Node Name -> Reserve Zone (effective file date)."""
    data = ctx.state.data

    def build() -> list[Sheet]:
        rows: list[Row] = [["CP Node to Reserve Zone Mapping"],
                           [f"Effective Date: {mdy(file_date)}"], [],
                           HeaderRow(["CP Node Name", "Reserve Zone"])]
        rows += [[name, data.reserve_zone(name)] for name, _ in data.nodes_on(file_date)]
        rows.append([DISCLAIMER])
        return [Sheet("Sheet1", rows)]

    modified = modified_utc(publication.file_dated(file_date))
    return ctx.sheets(build, lambda sheets: xlsx_bytes(sheets, modified), XLSX)


def sr_nd_is(ctx: RequestContext, day: date) -> Response:
    """`YYYYMMDD_sr_nd_is.xls`: hourly scheduled interchange by interface."""
    data = ctx.state.data

    def build() -> list[Sheet]:
        rows: list[Row] = [["Scheduled Interchange by Interface (MW)"],
                           [f"Market Date: {mdy(day)}"], [],
                           HeaderRow(["Hour", *SR_ND_IS_COLUMNS, "Total"])]
        for he in range(1, 25):
            values = [data.nsi(day, he, ba) for ba in SR_ND_IS_COLUMNS.values()]
            rows.append([he, *values, round(sum(values), 2)])
        rows.append([DISCLAIMER])
        return [Sheet("Sheet1", rows)]

    return ctx.sheets(build, xls_bytes, XLS)
