"""The fake EIA: API key check, paging, string values, warnings, errors; workbook locations."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import openpyxl
import pytest

from tap_miso.testing.fake_miso import eia_data

from .conftest import NOW

KEY = "fake-eia-key"
NEWEST = "2026-05"  # NOW is 2026-07-20, two months of publication lag
MISO_OPERATING = sorted((u.plant_id, u.generator_id) for u in eia_data.units_in(NEWEST, "operating")
                        if u.ba == "MISO")


@pytest.fixture
def eia(fake) -> Iterator:
    saved = (set(fake.eia.keys), fake.eia.page_max, fake.eia.total_as_number)
    yield fake.eia
    fake.eia.keys, fake.eia.page_max, fake.eia.total_as_number = saved


def api(http, fake, **params):
    query = {"api_key": KEY, "frequency": "monthly", "start": NEWEST, "end": NEWEST,
             "facets[balancing_authority_code][]": "MISO", "data[0]": "nameplate-capacity-mw",
             "data[1]": "county", "sort[0][column]": "plantid", "sort[1][column]": "generatorid",
             **params}
    query = {k: v for k, v in query.items() if v is not None}
    return http.get(f"{fake.eia_api_url}/electricity/operating-generator-capacity/data/",
                    params=query, timeout=30)


@pytest.mark.parametrize(("key", "code"), [(None, "API_KEY_MISSING"), ("nope", "API_KEY_INVALID")])
def test_key_is_checked(http, fake, key, code):
    response = api(http, fake, api_key=key)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == code


def test_rows_are_strings_filtered_to_miso_and_echo_the_request(http, fake):
    body = api(http, fake).json()
    rows = body["response"]["data"]
    assert body["response"]["total"] == str(len(MISO_OPERATING))
    assert sorted((r["plantid"], r["generatorid"]) for r in rows) == MISO_OPERATING
    assert all(r["balancing_authority_code"] == "MISO" and r["period"] == NEWEST for r in rows)
    assert all(isinstance(r["nameplate-capacity-mw"], str) for r in rows)
    assert all(r["nameplate-capacity-mw-units"] == "MW" for r in rows)
    assert "net-summer-capacity-mw" not in rows[0]  # not asked for
    assert body["request"]["params"]["api_key"] == KEY  # EIA echoes the key


def test_without_data_columns_rows_carry_no_values(http, fake):
    rows = api(http, fake, **{"data[0]": None, "data[1]": None}).json()["response"]["data"]
    assert rows and not any("nameplate-capacity-mw" in r or "county" in r for r in rows)


def test_paging_caps_length_and_warns_in_both_places(http, fake, eia):
    eia.page_max = 3
    first = api(http, fake, offset="0", length="5000").json()
    assert len(first["response"]["data"]) == 3
    assert first["response"]["warnings"][0]["warning"] == "parameter out of range: length"
    assert first["warnings"][0]["warning"] == "incomplete return"
    pages, offset = [], 0
    while offset < len(MISO_OPERATING):
        data = api(http, fake, offset=str(offset), length="3").json()
        pages += data["response"]["data"]
        offset += 3
    assert "warnings" not in data  # the last page is complete
    assert [(r["plantid"], r["generatorid"]) for r in pages] == \
        sorted(MISO_OPERATING, key=lambda k: (k[0], k[1]))


def test_total_as_a_number_in_old_style(http, fake, eia):
    eia.total_as_number = True
    assert api(http, fake).json()["response"]["total"] == len(MISO_OPERATING)


def test_facet_errors_and_unknown_values_and_routes(http, fake):
    bad = api(http, fake, **{"facets[bogus][]": "x"})
    assert bad.status_code == 400 and "Invalid facet 'bogus'" in bad.json()["error"]
    empty = api(http, fake, **{"facets[balancing_authority_code][]": "MISOX"}).json()
    assert empty["response"]["total"] == "0" and empty["response"]["data"] == []
    route = http.get(f"{fake.eia_api_url}/electricity/nope/data/", params={"api_key": KEY},
                     timeout=30)
    assert route.status_code == 404 and route.json() == {"error": "Not found.", "code": 404}


def test_unpublished_months_have_no_rows(http, fake):
    assert api(http, fake, start="2026-06", end="2026-07").json()["response"]["total"] == "0"


def workbook(http, fake, where: str, name: str):
    return http.get(f"{fake.eia_workbook_url}/{where}/{name}", timeout=30)


def test_newest_workbook_lives_under_xls_and_older_ones_in_the_archive(http, fake):
    newest = workbook(http, fake, "xls", "may_generator2026.xlsx")
    assert newest.status_code == 200 and newest.content[:2] == b"PK"
    book = openpyxl.load_workbook(io.BytesIO(newest.content), read_only=True)
    assert book.sheetnames == ["Operating", "Planned", "Retired", "Canceled or Postponed"]
    first_rows = list(book["Operating"].iter_rows(values_only=True, max_row=3))
    assert first_rows[2][:3] == ("Entity ID", "Entity Name", "Plant ID")  # header on row 3
    for where, name in (("archive/xls", "may_generator2026.xlsx"),
                        ("xls", "april_generator2026.xlsx"),
                        ("archive/xls", "june_generator2026.xlsx")):
        missing = workbook(http, fake, where, name)
        assert missing.status_code == 200 and "text/html" in missing.headers["Content-Type"]
    assert workbook(http, fake, "archive/xls", "april_generator2026.xlsx").content[:2] == b"PK"


def test_old_workbooks_have_the_header_on_row_2(http, fake):
    old = workbook(http, fake, "archive/xls", "june_generator2019.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(old.content), read_only=True)
    rows = list(book["Operating"].iter_rows(values_only=True))
    assert rows[1][:3] == ("Entity ID", "Entity Name", "Plant ID")
    assert str(rows[-1][0]).startswith("NOTES")


def test_annual_zip_holds_the_generator_workbook(http, fake):
    year = NOW.year - 1
    response = http.get(f"{fake.eia860_url}/xls/eia860{year}.zip", timeout=30)
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert f"3_1_Generator_Y{year}.xlsx" in names
    unpublished = http.get(f"{fake.eia860_url}/xls/eia860{NOW.year}.zip", timeout=30)
    assert "text/html" in unpublished.headers["Content-Type"]
