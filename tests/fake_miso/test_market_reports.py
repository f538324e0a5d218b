"""Market Reports: each file parses with an independent reader and keeps MISO's quirks."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime

import openpyxl
import xlrd

from .conftest import NODE_COUNT, D, mr_get

DISCLAIMER_START = "MISO MAKES NO REPRESENTATIONS OR WARRANTIES"


def rows_of(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


def test_blob_not_found_for_unknown_unpublished_and_listing(fake, http) -> None:
    for name in ("20260714_nope.csv", "20260725_da_expost_lmp.csv", ""):
        response = mr_get(http, fake, name)
        assert response.status_code == 404
        assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?><Error>'
                                        "<Code>BlobNotFound</Code><Message>The specified blob "
                                        "does not exist.")


def test_lmp_csv_layout(fake, http) -> None:
    rows = rows_of(mr_get(http, fake, "20260714_da_expost_lmp.csv").content)
    assert rows[:4] == [["Day Ahead Market ExPost LMPs"], ["07/14/2026"], [],
                        ["", "", "", "All Hours-Ending are Eastern Standard Time (EST)"]]
    assert rows[4] == ["Node", "Type", "Value", *(f"HE {h}" for h in range(1, 25))]
    assert rows[-1][0].startswith(DISCLAIMER_START)
    data = rows[5:-1]
    assert len(data) == 3 * NODE_COUNT
    assert {r[2] for r in data} == {"LMP", "MCC", "MLC"}
    assert {r[1] for r in data} == {"Hub", "Loadzone", "Gennode", "Interface"}
    cells = [c for r in data for c in r[3:]]
    assert any(c.startswith(".") or c.startswith("-.") for c in cells)
    assert not any(c.startswith("0.") or c.startswith("-0.") for c in cells)


def test_lmp_csv_row_order_varies_by_date(fake, http) -> None:
    fake.now = datetime(2026, 7, 30, tzinfo=UTC)
    layouts = set()
    for day in range(10, 17):
        rows = rows_of(mr_get(http, fake, f"202607{day}_da_exante_lmp.csv").content)[5:-1]
        by_value = [r[2] for r in rows[:3]] != ["LMP", "MCC", "MLC"]
        sorted_nodes = [r[0] for r in rows[::3]] == sorted(r[0] for r in rows[::3])
        layouts.add((by_value, sorted_nodes))
    assert len(layouts) >= 2


def test_asm_csvs_two_tables_leading_spaces_and_crlf(fake, http) -> None:
    da = mr_get(http, fake, "20260714_asm_expost_damcp.csv").content
    assert b"\r\n" not in da
    rows = rows_of(da)
    assert rows[0] == ["Dayahead Market MCPs."]
    header = next(r for r in rows if len(r) > 2 and r[2] == "MCP Type")
    assert header[:5] == ["", "", "MCP Type", " HE 1", " HE 2"]
    wide = [r for r in rows if r and r[0] == "MISO Wide"]
    assert {r[2] for r in wide} >= {"GENREGMCP", "DEMREGMCP", "GENSPINMCP", "DEMSPINMCP",
                                   "GENSUPPMCP", "DEMSUPPMCP"}
    assert any(r and r[0] == "Pnode" for r in rows)
    rt = mr_get(http, fake, "20260714_asm_rtmcp_prelim.csv").content
    assert rt.count(b"\r\n") == rt.count(b"\n")
    rt_rows = rows_of(rt.replace(b"\r\n", b"\n"))
    assert rt_rows[0] == ["Real Time Market MCPs.", "Not settlement quality data."]
    assert rt_rows[-1][0].startswith(DISCLAIMER_START)


def test_weekly_5min_zip_only_on_mondays_with_its_window(fake, http) -> None:
    assert mr_get(http, fake, "20260721_5MIN_LMP.zip").status_code == 404
    assert mr_get(http, fake, "20260719_5MIN_LMP.zip").status_code == 404
    archive = zipfile.ZipFile(io.BytesIO(mr_get(http, fake, "20260720_5MIN_LMP.zip").content))
    [member] = archive.namelist()
    lines = archive.read(member).decode().splitlines()
    anchor = next(i for i, line in enumerate(lines) if line.startswith("MKTHOUR_EST"))
    assert anchor == 4 and lines[anchor] == "MKTHOUR_EST,PNODENAME,LMP,CON_LMP,LOSS_LMP"
    body = [line.split(",") for line in lines[anchor + 1 :] if line[:2].isdigit()]
    assert len(body) == 7 * 288 * NODE_COUNT
    assert body[0][0] == "07/06/2026 00:00" and body[-1][0] == "07/12/2026 23:55"
    assert lines[-1].strip('"').startswith(DISCLAIMER_START)


def test_5min_exante_xlsx(fake, http) -> None:
    book = openpyxl.load_workbook(io.BytesIO(mr_get(http, fake,
                                                    "20260714_5min_exante_lmp.xlsx").content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "Real-Time Ex-Ante 5 Minute LMP Report"
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "Time (EST)")
    assert list(rows[header_at]) == ["Time (EST)", "CP Node", "RT Ex-Ante LMP", "RT Ex-Ante MEC",
                                     "RT Ex-Ante MLC", "RT Ex-Ante MCC"]
    data = rows[header_at + 1 : -1]
    assert len(data) == 288 * NODE_COUNT
    assert data[0][0] == "2026-07-14 12:00:00 AM" and data[-1][0] == "2026-07-14 11:55:00 PM"
    assert rows[-1][0].startswith(DISCLAIMER_START)


def test_df_al_repeats_headers_and_changed_layout(fake, http) -> None:
    def sheet(name: str) -> xlrd.sheet.Sheet:
        return xlrd.open_workbook(file_contents=mr_get(http, fake, name).content).sheet_by_index(0)

    new = sheet("20260714_df_al.xls")
    anchors = [r for r in range(new.nrows) if new.cell_value(r, 0) == "Market Day"]
    assert len(anchors) == 7 and anchors[0] == 6
    assert new.cell_value(0, 0) == "FORECASTED AND "
    assert new.cell_value(anchors[0] + 1, 0) == "July 13, 2026"
    assert new.row_values(anchors[0])[1] == ""  # blank merged-cell column
    first_data = anchors[0] + 2
    assert new.cell(first_data, 0).ctype == xlrd.XL_CELL_DATE
    assert new.cell_value(first_data, 2) == 1
    assert new.cell_value(new.nrows - 1, 0).startswith(DISCLAIMER_START)
    fake.now = datetime(2026, 7, 30, tzinfo=UTC)
    old = sheet("20260420_df_al.xls")
    old_anchors = [r for r in range(old.nrows) if old.cell_value(r, 0) == "Market Day"]
    assert old_anchors[0] == 4 and old.row_values(4)[1] == "HourEnding"


def test_rf_al_sr_nd_is_and_cpnode_reszone(fake, http) -> None:
    rf = xlrd.open_workbook(file_contents=mr_get(http, fake, "20260714_rf_al.xls").content
                            ).sheet_by_index(0)
    assert rf.row_values(5)[1:4] == ["Market Day", "HourEnding", "North MTLF (MWh)"]
    assert rf.row_values(5)[0] == ""
    nd = xlrd.open_workbook(file_contents=mr_get(http, fake, "20260714_sr_nd_is.xls").content
                            ).sheet_by_index(0)
    header = next(r for r in range(nd.nrows) if nd.cell_value(r, 0) == "Hour")
    assert nd.row_values(header) == ["Hour", "GLHB", "IESO", "MHEB", "PJM", "SOCO", "SWPP",
                                     "TVA", "AECI", "LGEE", "Other", "Total"]
    assert [nd.cell_value(header + h, 0) for h in (1, 24)] == [1, 24]
    book = openpyxl.load_workbook(io.BytesIO(mr_get(http, fake,
                                                    "20260714_cpnode_reszone.xlsx").content))
    rows = list(book.active.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r[0] == "CP Node Name")
    mapping = dict(rows[header_at + 1 : -1])
    assert len(mapping) == NODE_COUNT and set(mapping.values()) <= set(range(1, 9))
    assert mapping["MINN.HUB"] == fake.data.reserve_zone("MINN.HUB") == 1


def test_sr_gfm_two_row_header_and_south_columns(fake, http) -> None:
    book = openpyxl.load_workbook(io.BytesIO(mr_get(http, fake, "20260714_sr_gfm.xlsx").content))
    assert book.sheetnames == ["RT Generation Fuel Mix", "DA Cleared Generation Fuel Mix"]
    sheet = book["RT Generation Fuel Mix"]
    rows = list(sheet.iter_rows(values_only=True))
    fuels_at = next(i for i, r in enumerate(rows) if r[0] == "Market Hour Ending")
    areas, fuels = rows[fuels_at - 1], rows[fuels_at]
    assert [a for a in areas if a] == ["Central", "North", "South", "Total"]
    assert len(sheet.merged_cells.ranges) == 4
    south = fuels[areas.index("South") : areas.index("Total")]
    assert "Storage" not in south and "Wind" in south
    fake.now = datetime(2023, 9, 8, 12, tzinfo=UTC)
    old = openpyxl.load_workbook(io.BytesIO(mr_get(http, fake, "20230906_sr_gfm.xlsx").content))
    old_rows = list(old.worksheets[0].iter_rows(values_only=True))
    old_at = next(i for i, r in enumerate(old_rows) if r[0] == "Market Hour Ending")
    old_areas = old_rows[old_at - 1]
    assert "Wind" not in old_rows[old_at][old_areas.index("South") : old_areas.index("Total")]


def test_mom_vintage_cells_and_publish_time(fake, http) -> None:
    fake.now = datetime(2026, 7, 15, 0, 29, tzinfo=UTC)  # 19:29 EST on the 14th
    assert mr_get(http, fake, "20260714_mom.xlsx").status_code == 404
    fake.now = datetime(2026, 7, 15, 0, 30, tzinfo=UTC)
    book = openpyxl.load_workbook(io.BytesIO(mr_get(http, fake, "20260714_mom.xlsx").content))
    assert {"WIND HOURLY", "SOLAR HOURLY", "OUTAGE", "NORTH+CENTRAL"} <= set(book.sheetnames)
    assert book.properties.modified == datetime(2026, 7, 15, 0, 30)
    rows = list(book["WIND HOURLY"].iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r[0] == "DAY HE")
    assert header_at == 4 and list(rows[header_at]) == ["DAY HE", "North", "Central", "South",
                                                         "MISO"]
    first = rows[header_at + 1]
    assert first[0] == "**07/14/2026 1"
    assert first[4] == fake.data.generation_forecast("wind", D, D, 1, "MISO")
    fake.now = datetime(2025, 1, 10, tzinfo=UTC)  # 2022 is still within retention
    old = openpyxl.load_workbook(io.BytesIO(mr_get(http, fake, "20220610_mom.xlsx").content))
    old_rows = list(old["SOLAR HOURLY"].iter_rows(values_only=True))
    assert old_rows[3][0] == "Day HE"


def test_retention_windows(fake, http) -> None:
    assert mr_get(http, fake, "20230101_df_al.xls").status_code == 200
    assert mr_get(http, fake, "20221231_df_al.xls").status_code == 404
    assert mr_get(http, fake, "20260716_rt_lmp_prelim.csv").status_code == 200  # today-4
    assert mr_get(http, fake, "20260715_rt_lmp_prelim.csv").status_code == 404
    assert mr_get(http, fake, "20260715_rt_lmp_final.csv").status_code == 200
    assert mr_get(http, fake, "20260716_rt_lmp_final.csv").status_code == 404  # not D+5 yet


def test_df_al_is_published_at_midnight_est(fake, http) -> None:
    fake.now = datetime(2026, 7, 21, 4, 59, tzinfo=UTC)
    assert mr_get(http, fake, "20260721_df_al.xls").status_code == 404
    fake.now = datetime(2026, 7, 21, 5, 0, tzinfo=UTC)
    assert mr_get(http, fake, "20260721_df_al.xls").status_code == 200
    fake.missing_dates.add(date(2026, 7, 21))
    assert mr_get(http, fake, "20260721_df_al.xls").status_code == 404
