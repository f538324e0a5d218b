"""EIA-860M workbooks (four sheets, header row 2 or 3, NOTES footer) and the annual node file."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest

from tap_miso.parsers.eia_workbook import parse_860m_workbook, parse_eia860_nodes, year_month
from tap_miso.parsers.errors import PayloadError
from tap_miso.testing.fake_miso import eia_data, eia_files
from tap_miso.testing.fake_miso.formats.sheet import HeaderRow, Sheet
from tap_miso.testing.fake_miso.formats.xlsx import xlsx_bytes

STAMP = datetime(2026, 7, 1)


def workbook(period: str) -> bytes:
    return xlsx_bytes(eia_files.workbook_sheets(period), STAMP)


def expected_units(period: str) -> dict[tuple[str, str], str]:
    return {(u.plant_id, u.generator_id): eia_data.category(u, period)
            for u in eia_data.UNITS if u.ba == "MISO"}


@pytest.mark.parametrize("period", ["2026-05", "2019-06"])  # header on row 3, and on row 2
def test_every_miso_unit_of_every_sheet_with_its_category(period):
    rows = list(parse_860m_workbook(workbook(period), period=period))
    assert {(r["plant_id"], r["generator_id"]): r["status_category"] for r in rows} == \
        expected_units(period)
    assert all(r["balancing_authority_code"] == "MISO" and r["period"] == period for r in rows)
    assert all(r["_invalid"] == [] for r in rows)


def test_values_status_codes_and_blank_cells():
    rows = {(r["plant_id"], r["generator_id"]): r
            for r in parse_860m_workbook(workbook("2026-05"), period="2026-05")}
    coal = rows[("50010", "1")]
    assert coal["status"] == "OP" and coal["operating_year_month"] == "1978-06"
    assert coal["planned_retirement_year_month"] == "2028-12"
    assert coal["nameplate_capacity_mw"] == 650.4 and coal["latitude"] == 41.99
    assert rows[("50010", "01")]["status"] == "SB"  # "01" and "1" are different generators
    solar = rows[("50044", "PV1")]
    assert solar["net_winter_capacity_mw"] is None  # EIA writes a blank as " "
    assert rows[("50023", "WT1")]["planned_uprate_year_month"] == "2027-03"
    assert rows[("50031", "GT1")]["county"] is None
    assert rows[("50044", "BAT1")]["status"] == "T"  # planned sheet, "(T) Regulatory ..."
    retired = rows[("50058", "3")]
    assert retired["status"] == "RE" and retired["retirement_year_month"] == "2026-04"
    assert retired["planned_retirement_year_month"] is None  # the Retired sheet has no plan
    assert coal["retirement_year_month"] is None
    assert rows[("50077", "CT9")]["status"] == "CN"


def test_bad_cells_are_null_and_flagged_and_notes_rows_are_skipped():
    header = HeaderRow(["Plant ID", "Generator ID", "Balancing Authority Code",
                        "Nameplate Capacity (MW)", "Operating Year", "Operating Month",
                        "Brand New Column"])
    sheet = Sheet("Operating", [["title"], ["May 2026"], header,
                                [1, "A", "MISO", "lots", 2020, 13, "x"],
                                [2, "B", "SWPP", 10, 2020, 1, "x"],
                                ["NOTES: preliminary"], [None, None]])
    seen: list[list[str]] = []
    rows = list(parse_860m_workbook(xlsx_bytes([sheet], STAMP), period="2026-05",
                                    on_unexpected_columns=seen.append))
    assert len(rows) == 1
    assert rows[0]["nameplate_capacity_mw"] is None and rows[0]["operating_year_month"] is None
    assert set(rows[0]["_invalid"]) == {"nameplate_capacity_mw", "operating_year_month"}
    assert seen == [["Brand New Column"]]


def test_missing_required_column_and_garbage_are_payload_errors():
    sheet = Sheet("Operating", [["t"], HeaderRow(["Plant ID", "Generator ID", "State"]),
                                [1, "A", "IA"]])
    with pytest.raises(PayloadError, match="Balancing Authority Code"):
        list(parse_860m_workbook(xlsx_bytes([sheet], STAMP), period="2026-05"))
    with pytest.raises(PayloadError, match=r"not a readable \.xlsx"):
        list(parse_860m_workbook(b"<!DOCTYPE html><html>page not found</html>",
                                 period="2026-05"))
    other = Sheet("Summary", [["nothing here"]])
    with pytest.raises(PayloadError, match="no Operating sheet"):
        list(parse_860m_workbook(xlsx_bytes([other], STAMP), period="2026-05"))
    no_header = Sheet("Operating", [["title"]] * 8)
    with pytest.raises(PayloadError, match="header row not found"):
        list(parse_860m_workbook(xlsx_bytes([no_header], STAMP), period="2026-05"))


@pytest.mark.parametrize(("year", "month", "expected"), [
    (2020, 12, ("2020-12", False)), (2020.0, 1.0, ("2020-01", False)), (None, None, (None, False)),
    (" ", " ", (None, False)), (2020, None, (None, True)), (2020, 13, (None, True)),
    ("abc", 1, (None, True)),
])  # fmt: skip
def test_year_month_from_cells(year, month, expected):
    assert year_month(year, month) == expected


def _annual(nodes: list[tuple[object, object, object]]) -> bytes:
    rows = [["Form EIA-860 Data - Schedule 3"],
            HeaderRow(["Plant Code", "Generator ID", "RTO/ISO LMP Node Designation"]),
            *[list(r) for r in nodes]]
    return xlsx_bytes([Sheet("Operable", rows)], STAMP)


def test_annual_node_designations_only_where_stated_from_zip_or_xlsx():
    book = _annual([(50010, "1", "ALTW.NODE1"), (50010, "01", " "), (50023, "WT1", "N/A"),
                    (50031, 7, "EES.X")])
    assert parse_eia860_nodes(book) == {("50010", "1"): "ALTW.NODE1", ("50031", "7"): "EES.X"}
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("LayoutY2025.txt", b"x")
        z.writestr("3_1_Generator_Y2025.xlsx", book)
    assert parse_eia860_nodes(archive.getvalue()) == parse_eia860_nodes(book)


def test_annual_file_errors():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("2___Plant_Y2025.xlsx", b"x")
    with pytest.raises(PayloadError, match="3_1_Generator"):
        parse_eia860_nodes(archive.getvalue())
    with pytest.raises(PayloadError, match="not a ZIP"):
        parse_eia860_nodes(b"<html>")
    plain = xlsx_bytes([Sheet("Operable", [["t"], HeaderRow(["Plant Code", "Generator ID"])])],
                       STAMP)
    with pytest.raises(PayloadError, match="node designation"):
        parse_eia860_nodes(plain)
