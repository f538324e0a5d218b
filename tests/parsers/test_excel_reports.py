"""MR workbook parsers (FORMATS §4.2, §4.4, §4.5), on fixtures written with xlwt/openpyxl."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest

from tap_miso.parsers import (
    PayloadError,
    parse_5min_exante_lmp_xlsx,
    parse_cpnode_reszone_xlsx,
    parse_df_al_xls,
    parse_mom_xlsx,
    parse_rf_al_xls,
    parse_sr_gfm_xlsx,
    parse_sr_nd_is_xls,
)

from .builders import (
    RF_AL_AREAS,
    cpnode_reszone_xlsx,
    five_min_exante_xlsx,
    five_min_labels,
    load_xls,
    mom_xlsx,
    sr_gfm_xlsx,
    sr_nd_is_xls,
)


class TestFiveMinExanteXlsx:
    def test_string_labels(self):
        data = five_min_exante_xlsx([
            ["2026-07-14 12:05:00 AM", "NODE.B", "25.5", 24, ".3", "-.03"],
            ["2026-07-14 12:05:00 AM", "NODE.A", 20, 19, "abc", None],
            ["2026-07-14 1:10:00 PM", "NODE.A", 21, 20, 0.5, 0.5],
        ])
        rows = list(parse_5min_exante_lmp_xlsx(io.BytesIO(data)))
        assert rows == [
            {"label": datetime(2026, 7, 14, 0, 5), "raw_label": "2026-07-14 12:05:00 AM",
             "node": "NODE.A", "lmp": 20.0, "mec": 19.0, "mlc": None, "mcc": None,
             "_invalid": ["mlc"]},
            {"label": datetime(2026, 7, 14, 0, 5), "raw_label": "2026-07-14 12:05:00 AM",
             "node": "NODE.B", "lmp": 25.5, "mec": 24.0, "mlc": 0.3, "mcc": -0.03,
             "_invalid": []},
            {"label": datetime(2026, 7, 14, 13, 10), "raw_label": "2026-07-14 1:10:00 PM",
             "node": "NODE.A", "lmp": 21.0, "mec": 20.0, "mlc": 0.5, "mcc": 0.5,
             "_invalid": []},
        ]

    def test_excel_datetime_cells_dst_day(self):
        labels = five_min_labels(date(2025, 3, 9))
        data = five_min_exante_xlsx([[label, "HUB", 1, 1, 0, 0] for label in labels])
        rows = list(parse_5min_exante_lmp_xlsx(data))
        assert [r["label"] for r in rows] == labels
        assert rows[1]["raw_label"] == "2025-03-09 00:05:00"

    def test_missing_column_and_html(self):
        from .builders import _xlsx

        data = _xlsx({"S": [["Time (EST)", "CP Node", "RT Ex-Ante LMP"]]})
        with pytest.raises(PayloadError) as info:
            parse_5min_exante_lmp_xlsx(data)
        assert info.value.missing_columns == ["RT Ex-Ante MEC", "RT Ex-Ante MLC", "RT Ex-Ante MCC"]
        with pytest.raises(PayloadError):
            parse_5min_exante_lmp_xlsx(b"<html><body>Cloudflare</body></html>")


class TestCpnodeReszone:
    def test_rows(self):
        data = cpnode_reszone_xlsx([["NODE.B", 3], ["NODE.A", "1"], ["NODE.C", "x"],
                                    ["NODE.D", 9]])
        assert list(parse_cpnode_reszone_xlsx(data)) == [
            {"node": "NODE.A", "reserve_zone": 1, "_invalid": []},
            {"node": "NODE.B", "reserve_zone": 3, "_invalid": []},
            {"node": "NODE.C", "reserve_zone": None, "_invalid": ["reserve_zone"]},
            {"node": "NODE.D", "reserve_zone": 9, "_invalid": ["reserve_zone"]},
        ]

    def test_extra_and_missing(self):
        seen = []
        data = cpnode_reszone_xlsx([["N", 1, "x"]], ["CP Node Name", "Reserve Zone", "Region"])
        assert len(list(parse_cpnode_reszone_xlsx(data, on_unexpected_columns=seen.append))) == 1
        assert seen == [["Region"]]
        with pytest.raises(PayloadError) as info:
            parse_cpnode_reszone_xlsx(cpnode_reszone_xlsx([["N"]], ["CP Node Name"]))
        assert info.value.missing_columns == ["Reserve Zone"]


def day_rows(base: float, areas: int = 7, actual: bool = True) -> list[list[object]]:
    rows = []
    for hour in range(1, 25):
        cells: list[object] = [hour]
        for area in range(areas):
            mtlf = base + hour + area * 100
            cells += [mtlf, mtlf + 0.5 if actual else None]
        rows.append(cells)
    return rows


class TestLoadXls:
    @pytest.mark.parametrize("new_layout", [False, True])
    @pytest.mark.parametrize("date_cells", [True, False])
    def test_df_al_both_layouts_repeated_headers_and_dst(self, new_layout, date_cells):
        days = {
            date(2025, 3, 9): day_rows(9000),
            date(2025, 3, 10): day_rows(8000, actual=False),
        }
        data = load_xls(days, new_layout=new_layout, date_cells=date_cells)
        rows = list(parse_df_al_xls(data))
        assert len(rows) == 2 * 24 * 7
        assert rows[0] == {
            "market_date": date(2025, 3, 9),
            "hour_ending": 1,
            "area": "LRZ1",
            "mtlf": 9001.0,
            "actual_load": 9001.5,
            "published_date": date(2025, 3, 10),
            "_invalid": [],
        }
        miso = [r for r in rows if r["area"] == "MISO" and r["market_date"] == date(2025, 3, 9)]
        assert [r["hour_ending"] for r in miso] == list(range(1, 25))
        assert miso[23]["mtlf"] == 9000 + 24 + 600
        future = [r for r in rows if r["market_date"] == date(2025, 3, 10)]
        assert all(r["actual_load"] is None and r["_invalid"] == [] for r in future)
        assert {r["area"] for r in rows} == {
            "LRZ1", "LRZ2_7", "LRZ3_5", "LRZ4", "LRZ6", "LRZ8_9_10", "MISO"}

    def test_bad_cell_kept(self):
        rows = day_rows(9000)
        rows[4][2] = "abc"
        parsed = list(parse_df_al_xls(load_xls({date(2025, 11, 2): rows})))
        bad = [r for r in parsed if r["_invalid"]]
        assert len(bad) == 1
        assert bad[0]["hour_ending"] == 5 and bad[0]["area"] == "LRZ1"
        assert bad[0]["actual_load"] is None and bad[0]["mtlf"] == 9005.0
        assert len(parsed) == 24 * 7

    def test_rf_al(self):
        data = load_xls({date(2026, 7, 14): day_rows(1, areas=4)}, areas=RF_AL_AREAS)
        rows = list(parse_rf_al_xls(data))
        assert len(rows) == 96
        assert [r["area"] for r in rows[:4]] == ["Central", "MISO", "North", "South"]
        assert rows[0]["mtlf"] == 102.0  # Central is the 2nd area: base 1 + HE 1 + 100

    def test_missing_area_column_named(self):
        data = load_xls({date(2026, 7, 14): day_rows(1, areas=3)}, areas=RF_AL_AREAS[:3])
        with pytest.raises(PayloadError) as info:
            parse_rf_al_xls(data)
        assert info.value.missing_columns == ["MISO MTLF", "MISO ActualLoad"]

    def test_df_al_is_not_rf_al(self):
        data = load_xls({date(2026, 7, 14): day_rows(1, areas=4)}, areas=RF_AL_AREAS)
        seen = []
        with pytest.raises(PayloadError):
            parse_df_al_xls(data, on_unexpected_columns=seen.append)

    def test_extra_area_emitted_and_reported(self):
        from .builders import DF_AL_AREAS

        areas = (*DF_AL_AREAS, "LRZ11")
        data = load_xls({date(2026, 7, 14): day_rows(1, areas=8)}, areas=areas)
        seen = []
        rows = list(parse_df_al_xls(data, on_unexpected_columns=seen.append))
        assert seen == [["LRZ11 MTLF (MWh)", "LRZ11 ActualLoad (MWh)"]]
        assert len(rows) == 24 * 8

    def test_xlsx_bytes_rejected(self):
        with pytest.raises(PayloadError):
            parse_df_al_xls(cpnode_reszone_xlsx([["N", 1]]))


GROUPS = {
    "Central": ["Coal", "Gas", "Nuclear", "Hydro", "Wind", "Solar", "Other", "Storage",
                "Total MW"],
    "North": ["Coal", "Gas", "Nuclear", "Hydro", "Wind", "Solar", "Other", "Storage",
              "Total MW"],
    "South": ["Coal", "Gas", "Nuclear", "Hydro", "Wind", "Solar", "Other", "Total MW"],
    "Total": ["Coal", "Gas", "Nuclear", "Hydro", "Wind", "Solar", "Other", "Storage",
              "Total MW"],
}
WIDTH = sum(len(f) for f in GROUPS.values())


class TestSrGfm:
    @pytest.mark.parametrize("anchor_on_area_row", [False, True])
    def test_two_row_header_south_without_storage(self, anchor_on_area_row):
        values = {h: [float(h * 1000 + i) for i in range(WIDTH)] for h in range(1, 25)}
        values[3][0] = "abc"
        data = sr_gfm_xlsx(GROUPS, values, anchor_on_area_row=anchor_on_area_row)
        rows = list(parse_sr_gfm_xlsx(data))
        assert len(rows) == 24 * WIDTH
        assert ("South", "Storage") not in {(r["region"], r["fuel"]) for r in rows}
        first = rows[0]
        assert first == {"market_date": None, "hour_ending": 1, "region": "Central",
                         "fuel": "Coal", "mw": 1000.0, "_invalid": []}
        south_wind = next(r for r in rows if r["hour_ending"] == 2 and r["region"] == "South"
                          and r["fuel"] == "Wind")
        assert south_wind["mw"] == 2000.0 + 9 + 9 + 4
        bad = next(r for r in rows if r["hour_ending"] == 3 and r["region"] == "Central"
                   and r["fuel"] == "Coal")
        assert bad["mw"] is None and bad["_invalid"] == ["mw"]

    def test_preamble_date_other_sheet_and_unexpected(self):
        groups = {**GROUPS, "Total": [*GROUPS["Total"], "Battery"]}
        values = {h: [1.0] * (WIDTH + 1) for h in range(1, 25)}
        data = sr_gfm_xlsx(groups, values, preamble_date=datetime(2026, 7, 14))
        seen = []
        rows = list(parse_sr_gfm_xlsx(data, "DA Cleared Generation Fuel Mix",
                                      on_unexpected_columns=seen.append))
        assert seen == [["Total|Battery"]]
        assert rows[0]["market_date"] == date(2026, 7, 14)
        assert len(rows) == 24 * (WIDTH + 1)

    def test_missing_sheet(self):
        data = sr_gfm_xlsx(GROUPS, {1: [1.0] * WIDTH})
        with pytest.raises(PayloadError, match="sheet"):
            parse_sr_gfm_xlsx(data, "Nope")


def mom_rows(day: str, values=(100, 200, 300, 600)) -> list[list[object]]:
    return [[f"**{day} {h}", *[v + h for v in values]] for h in range(1, 25)]


class TestMom:
    def test_new_header(self):
        data = mom_xlsx([*mom_rows("07/14/2026"), [None], *mom_rows("07/15/2026")])
        rows = list(parse_mom_xlsx(data, "WIND HOURLY"))
        assert len(rows) == 2 * 24 * 4
        assert rows[:4] == [
            {"market_date": date(2026, 7, 14), "hour_ending": 1, "region": region, "mw": mw,
             "_invalid": []}
            for region, mw in [("Central", 201.0), ("MISO", 601.0), ("North", 101.0),
                               ("South", 301.0)]
        ]

    def test_old_header_and_missing_region_emits_none(self):
        rows3 = [[f"**03/09/2025 {h}", h, h, h] for h in range(1, 25)]
        data = mom_xlsx(rows3, old=True, regions=("North", "Central", "MISO"))
        rows = list(parse_mom_xlsx(data, "SOLAR HOURLY"))
        assert len(rows) == 96
        south = [r for r in rows if r["region"] == "South"]
        assert len(south) == 24 and all(r["mw"] is None and r["_invalid"] == [] for r in south)
        assert sorted({r["hour_ending"] for r in rows}) == list(range(1, 25))

    def test_extra_column_reported(self):
        seen = []
        data = mom_xlsx(mom_rows("07/14/2026", (1, 2, 3, 4, 5)),
                        regions=("North", "Central", "South", "MISO", "NORTH+CENTRAL"))
        assert len(list(parse_mom_xlsx(data, "WIND HOURLY", on_unexpected_columns=seen.append))
                   ) == 96
        assert seen == [["NORTH+CENTRAL"]]

    def test_no_region_columns(self):
        with pytest.raises(PayloadError):
            parse_mom_xlsx(mom_xlsx([["**07/14/2026 1"]], regions=()), "WIND HOURLY")


class TestSrNdIs:
    HEADER = ["Hour", "GLHB", "IESO", "MHEB", "PJM", "SOCO", "SWPP", "TVA", "AECI", "LGEE",
              "Other", "Total"]

    def test_rows(self):
        rows = [[h, *[h * 10 + i for i in range(11)]] for h in range(1, 25)]
        rows[0][2] = "#N/A"
        parsed = list(parse_sr_nd_is_xls(sr_nd_is_xls(rows, self.HEADER)))
        assert len(parsed) == 24 * 11
        assert parsed[0] == {"hour_ending": 1, "counterparty": "AECI", "mw": 17.0,
                             "_invalid": []}
        ieso = next(r for r in parsed if r["counterparty"] == "IESO")
        assert ieso["mw"] is None and ieso["_invalid"] == ["mw"]

    def test_unknown_counterparty_emitted_and_reported(self):
        seen = []
        rows = [[h, 1, 2] for h in range(1, 25)]
        parsed = list(parse_sr_nd_is_xls(sr_nd_is_xls(rows, ["Hour", "Total", "SPA"]),
                                         on_unexpected_columns=seen.append))
        assert seen == [["SPA"]]
        assert {r["counterparty"] for r in parsed} == {"Total", "SPA"}
