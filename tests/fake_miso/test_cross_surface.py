"""The same underlying value appears identically in every surface that carries it."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import openpyxl
import xlrd

from .conftest import D, dx_all, dx_get, mr_get, public_get


def lmp_csv_table(body: bytes) -> dict[tuple[str, str], list[float]]:
    rows = list(csv.reader(io.StringIO(body.decode())))
    start = next(i for i, r in enumerate(rows) if r and r[0] == "Node") + 1
    return {(r[0], r[2]): [float(v) for v in r[3:]] for r in rows[start:]
            if len(r) == 27}


def test_day_ahead_expost_dx_equals_csv_equals_model(fake, http) -> None:
    table = lmp_csv_table(mr_get(http, fake, f"{D:%Y%m%d}_da_expost_lmp.csv").content)
    records = dx_all(http, fake, f"/pricing/v1/day-ahead/{D}/lmp-expost")
    assert len(records) == 24 * len(fake.data.nodes)
    for record in records:
        he = int(record["interval"]) - 1
        node = record["node"]
        assert table[node, "LMP"][he] == record["lmp"]
        assert table[node, "MCC"][he] == record["mcc"]
        assert table[node, "MLC"][he] == record["mlc"]
        assert round(record["lmp"] - record["mcc"] - record["mlc"], 2) == record["mec"]
    hub = fake.data.lmp(D, 14, "INDIANA.HUB", "ex_post")
    assert table["INDIANA.HUB", "LMP"][13] == hub.lmp


def test_real_time_final_hourly_dx_equals_csv(fake, http) -> None:
    day = date(2026, 7, 13)
    table = lmp_csv_table(mr_get(http, fake, f"{day:%Y%m%d}_rt_lmp_final.csv").content)
    records = dx_all(http, fake, f"/pricing/v1/real-time/{day}/lmp-expost",
                     preliminaryFinal="Final", timeResolution="hourly")
    for record in records:
        he = int(record["timeInterval"]["value"]) - 1
        assert table[record["node"], "LMP"][he] == record["lmp"]


def test_five_minute_final_dx_equals_weekly_zip(fake, http) -> None:
    archive = zipfile.ZipFile(io.BytesIO(mr_get(http, fake, "20260720_5MIN_LMP.zip").content))
    lines = archive.read(archive.namelist()[0]).decode().splitlines()
    zip_values = {(r[0], r[1]): (float(r[2]), float(r[3]), float(r[4]))
                  for r in (line.split(",") for line in lines)
                  if len(r) == 5 and r[0][:2].isdigit()}
    records = dx_get(http, fake, "/pricing/v1/real-time/2026-07-08/lmp-expost",
                     timeResolution="5min", preliminaryFinal="Final", interval="13:35").json()
    for record in records["data"]:
        label = "07/08/2026 13:35"  # MKTHOUR_EST = interval START, like DX `start`
        assert record["timeInterval"]["start"] == "2026-07-08 13:35:00.000"
        assert zip_values[label, record["node"]] == (record["lmp"], record["mcc"], record["mlc"])


def test_five_minute_exante_dx_equals_xlsx(fake, http) -> None:
    book = openpyxl.load_workbook(io.BytesIO(
        mr_get(http, fake, f"{D:%Y%m%d}_5min_exante_lmp.xlsx").content), read_only=True)
    wanted = {}
    for row in book.active.iter_rows(values_only=True):
        if row and row[0] == "2026-07-14 08:05:00 AM":
            wanted[row[1]] = row[2:]
    records = dx_get(http, fake, f"/pricing/v1/real-time/{D}/lmp-exante",
                     interval="08:05").json()["data"]
    assert len(records) == len(wanted)
    for record in records:
        assert wanted[record["node"]] == (record["lmp"], record["mec"], record["mlc"],
                                          record["mcc"])


def test_public_previous_equals_dx_five_minute_preliminary(fake, http) -> None:
    body = public_get(http, fake, "MarketPricing/GetRealTimeFiveMinExPost/Previous").json()
    public = {(row[0], row[1]): row[2:] for row in body["data"]}
    day = date(2026, 7, 19)
    records = dx_get(http, fake, f"/pricing/v1/real-time/{day}/lmp-expost",
                     timeResolution="5min", preliminaryFinal="Preliminary",
                     interval="10:00").json()["data"]
    for record in records:  # DX START 10:00 = public END label 10:05
        assert public["2026-07-19T10:05:00", record["node"]] == [
            f"{record['lmp']:.2f}", f"{record['mlc']:.2f}", f"{record['mcc']:.2f}"]


def test_ancillary_da_dx_equals_csv(fake, http) -> None:
    rows = list(csv.reader(io.StringIO(
        mr_get(http, fake, f"{D:%Y%m%d}_asm_exante_damcp.csv").content.decode())))
    zone_rows = {(r[1], r[2]): [float(v) for v in r[3:]] for r in rows
                 if len(r) == 27 and r[1].startswith("Zone ")}
    wide = {r[2]: [float(v) for v in r[3:]] for r in rows if r and r[0] == "MISO Wide"}
    records = dx_all(http, fake, f"/pricing/v1/day-ahead/{D}/asm-exante", product="Regulation")
    for record in records:
        he = int(record["interval"]) - 1
        assert zone_rows[record["zone"], "GENREGMCP"][he] == record["mcp"]
    assert wide["GENSPINMCP"][8] == fake.data.asm_mcp(D, 9, None, "Spin", "ex_ante")


def test_actual_load_dx_equals_df_al_dated_next_day(fake, http) -> None:
    sheet = xlrd.open_workbook(file_contents=mr_get(http, fake, "20260715_df_al.xls").content
                               ).sheet_by_index(0)
    header_row = next(r for r in range(sheet.nrows) if sheet.cell_value(r, 0) == "Market Day")
    header = [str(c).strip() for c in sheet.row_values(header_row)]
    column = header.index("LRZ3_5 ActualLoad (MWh)")
    mtlf_column = header.index("LRZ3_5 MTLF (MWh)")
    he_column = header.index("HourEnding")
    day_rows = {int(sheet.cell_value(r, he_column)): r
                for r in range(header_row + 2, header_row + 26)}
    records = dx_all(http, fake, f"/lgi/v1/real-time/{D}/demand/actual",
                     geoResolution="localResourceZone", localResourceZone="LRZ3_5")
    assert len(records) == 24
    for record in records:
        row = day_rows[int(record["timeInterval"]["value"])]
        assert sheet.cell_value(row, column) == record["load"]
    forecast = dx_all(http, fake, "/lgi/v1/forecast/2026-07-16/load", init="2026-07-15")
    z3_z5 = {}
    for record in forecast:
        if record["localResourceZone"] in {"Z3", "Z5"}:
            he = int(record["timeInterval"]["value"])
            z3_z5[he] = z3_z5.get(he, 0) + record["loadForecast"]
    target_label = next(r for r in range(sheet.nrows) if sheet.cell_value(r, 0) ==
                        "July 16, 2026")
    assert sheet.cell_value(target_label + 1 + 4, mtlf_column) == z3_z5[5]


def test_fuel_mix_and_interchange_dx_equal_reports(fake, http) -> None:
    book = openpyxl.load_workbook(io.BytesIO(mr_get(http, fake, f"{D:%Y%m%d}_sr_gfm.xlsx").content))
    rows = list(book["RT Generation Fuel Mix"].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r[0] == "Market Hour Ending")
    areas, fuels = rows[at - 1], rows[at]
    north = areas.index("North")
    he13 = next(r for r in rows[at + 1 :] if r[0] == 13)
    record = next(r for r in dx_get(http, fake, f"/lgi/v1/real-time/{D}/generation/fuel-type",
                                    interval="13", region="NORTH").json()["data"])
    assert he13[north + fuels[north:].index("Wind")] == record["fuelTypes"]["wind"]
    assert he13[north + fuels[north:].index("Total MW")] == record["totalMw"]
    sheet = xlrd.open_workbook(file_contents=mr_get(http, fake, f"{D:%Y%m%d}_sr_nd_is.xls"
                                                    ).content).sheet_by_index(0)
    header = next(r for r in range(sheet.nrows) if sheet.cell_value(r, 0) == "Hour")
    ieso = sheet.row_values(header).index("IESO")
    nsi = dx_get(http, fake, f"/lgi/v1/historical/{D}/interchange/net-scheduled", interval="6",
                 adjacentBa="ONT").json()["data"][0]
    assert sheet.cell_value(header + 6, ieso) == nsi["nsi"]


def test_public_consolidated_da_equals_dx(fake, http) -> None:
    table = public_get(http, fake, "MarketPricing/GetLmpConsolidatedTable").json()["LMPData"]
    public = {n["name"]: n["LMP"] for n in table["DayAheadExAnteLMP"]["PricingNode"]}
    records = dx_get(http, fake, "/pricing/v1/day-ahead/2026-07-20/lmp-exante",
                     interval="12").json()["data"]
    assert {r["node"]: f"{r['lmp']:.2f}" for r in records} == public
