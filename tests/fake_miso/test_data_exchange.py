"""Data Exchange: gateway (keys, limits), error bodies, paging, records, publication."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import requests

from tap_miso.testing.fake_miso import FakeMisoServer

from .conftest import NODE_COUNT, NOW, D, dx_all, dx_get

NO_DATA = {"status": 404, "reason": "Empty data returned for date"}
NOT_FOUND = {"statusCode": 404, "message": "Resource not found"}
DA_EXPOST = f"/pricing/v1/day-ahead/{D}/lmp-expost"


def test_missing_key_is_401_gateway_body(fake, http) -> None:
    response = dx_get(http, fake, DA_EXPOST, key="", interval="14")
    assert response.status_code == 401
    assert response.json() == {"statusCode": 401,
                               "message": "Access denied due to missing subscription key"}


def test_wrong_product_or_unknown_key_is_401(fake, http) -> None:
    lgi_key_on_pricing = dx_get(http, fake, DA_EXPOST, key="lk-1", interval="14")
    pricing_key_on_lgi = dx_get(http, fake, f"/lgi/v1/real-time/{D}/demand/actual", key="pk-1")
    unknown = dx_get(http, fake, DA_EXPOST, key="nope", interval="14")
    for response in (lgi_key_on_pricing, pricing_key_on_lgi, unknown):
        assert response.status_code == 401
        assert response.json()["message"] == "Access denied due to invalid subscription key"


def test_query_string_key_also_works(fake, http) -> None:
    response = http.get(fake.data_exchange_url + DA_EXPOST,
                        params={"subscription-key": "pk-2", "interval": "3"})
    assert response.status_code == 200
    assert fake.requests[-1].key == "pk-2"


def test_backend_and_gateway_404_bodies_differ(fake, http) -> None:
    padded = dx_get(http, fake, DA_EXPOST, interval="01")
    unpadded = dx_get(http, fake, DA_EXPOST, interval="1")
    typo = dx_get(http, fake, f"/pricing/v1/day-ahead/{D}/lmp-expst")
    wrong_base = dx_get(http, fake, f"/lgi/v1/day-ahead/{D}/lmp-expost")
    assert (padded.status_code, padded.json()) == (404, NO_DATA)
    assert unpadded.status_code == 200 and len(unpadded.json()["data"]) == NODE_COUNT
    assert (typo.status_code, typo.json()) == (404, NOT_FOUND)
    assert (wrong_base.status_code, wrong_base.json()) == (404, NOT_FOUND)


def test_bad_date_is_400(fake, http) -> None:
    response = dx_get(http, fake, "/pricing/v1/day-ahead/2026-13-01/lmp-expost")
    assert response.status_code == 400
    assert response.json() == {"status": 400, "reason": "Invalid date format"}


def test_paging_envelope_counts_add_up(fake, http) -> None:
    first = dx_get(http, fake, DA_EXPOST).json()
    page = first["page"]
    assert page == {"pageNumber": 1, "pageSize": 500, "totalElements": 24 * NODE_COUNT,
                    "totalPages": 2, "lastPage": False}
    records = dx_all(http, fake, DA_EXPOST)
    assert len(records) == page["totalElements"]
    assert len({(r["interval"], r["node"]) for r in records}) == 24 * NODE_COUNT
    beyond = dx_get(http, fake, DA_EXPOST, pageNumber="3").json()
    assert beyond["data"] == [] and beyond["page"]["lastPage"] is True


def test_day_ahead_record_shape_and_values(fake, http) -> None:
    record = dx_get(http, fake, DA_EXPOST, interval="14", node="MINN.HUB").json()["data"][0]
    expected = fake.data.lmp(D, 14, "MINN.HUB", "ex_post")
    assert record == {
        "interval": "14",
        "timeInterval": {"resolution": "hourly", "start": "2026-07-14 13:00:00.000",
                         "end": "2026-07-14 14:00:00.000", "value": "14"},
        "node": "MINN.HUB", "lmp": expected.lmp, "mcc": expected.mcc, "mec": expected.mec,
        "mlc": expected.mlc,
    }
    he24 = dx_get(http, fake, DA_EXPOST, interval="24", node="MINN.HUB").json()["data"][0]
    assert he24["timeInterval"]["end"] == "2026-07-15 00:00:00.000"


def test_five_minute_labels_are_start_start_end(fake, http) -> None:
    path = "/pricing/v1/real-time/2026-03-02/lmp-expost"  # before the 2026-05-06 fix: corrected
    body = dx_get(http, fake, path, timeResolution="5min", interval="08:05",
                  node="TEXAS.HUB", preliminaryFinal="Final").json()
    [record] = body["data"]
    assert record["timeInterval"] == {"resolution": "5min", "start": "2026-03-02 08:05:00.000",
                                      "end": "2026-03-02 08:10:00.000",
                                      "value": "2026-03-02 08:05:00.000"}
    assert record["preliminaryFinal"] == "Final"
    assert record["lmp"] == fake.data.lmp_5min(date(2026, 3, 2), 97, "TEXAS.HUB", "final").lmp
    assert dx_get(http, fake, path, timeResolution="5min", interval="8:05").status_code == 404


@pytest.mark.parametrize("day", ["2025-03-09", "2025-11-02", "2026-03-08", "2026-11-01"])
def test_dst_days_have_24_hours_and_288_intervals(fake, http, day) -> None:
    fake.now = datetime(2026, 12, 1, tzinfo=UTC)
    hourly = dx_all(http, fake, f"/pricing/v1/day-ahead/{day}/lmp-exante", node="MS.HUB")
    assert [r["interval"] for r in hourly] == [str(h) for h in range(1, 25)]
    five = dx_all(http, fake, f"/pricing/v1/real-time/{day}/lmp-exante", node="MS.HUB")
    starts = [r["timeInterval"]["start"][11:16] for r in five]
    assert len(starts) == 288 and starts[0] == "00:00" and starts[-1] == "23:55"
    assert len(set(starts)) == 288


def test_day_ahead_for_tomorrow_is_published_at_14_est(fake, http) -> None:
    tomorrow = "/pricing/v1/day-ahead/2026-07-21/lmp-exante"
    fake.now = datetime(2026, 7, 20, 18, 59, tzinfo=UTC)  # 13:59 EST
    assert dx_get(http, fake, tomorrow, interval="1").json() == NO_DATA
    fake.now = datetime(2026, 7, 20, 19, 0, tzinfo=UTC)  # 14:00 EST
    assert dx_get(http, fake, tomorrow, interval="1").status_code == 200


def test_real_time_final_not_before_d_plus_5(fake, http) -> None:
    path = "/pricing/v1/real-time/2026-07-16/lmp-expost"
    fake.now = datetime(2026, 7, 21, 11, 59, tzinfo=UTC)  # D+5 06:59 EST
    assert dx_get(http, fake, path, preliminaryFinal="Final", interval="1").status_code == 404
    assert dx_get(http, fake, path, preliminaryFinal="Preliminary", interval="1").status_code == 200
    fake.now = datetime(2026, 7, 21, 12, 0, tzinfo=UTC)  # D+5 07:00 EST
    assert dx_get(http, fake, path, preliminaryFinal="Final", interval="1").status_code == 200


def test_missing_dates_are_no_data(fake, http) -> None:
    fake.missing_dates.add(D)
    assert dx_get(http, fake, DA_EXPOST, interval="3").json() == NO_DATA


def test_asm_endpoints(fake, http) -> None:
    da = dx_all(http, fake, f"/pricing/v1/day-ahead/{D}/asm-expost")
    assert len(da) == 24 * 6 * 8
    sample = next(r for r in da if r["interval"] == "9" and r["product"] == "Spin"
                  and r["zone"] == "Zone 4")
    assert sample["mcp"] == fake.data.asm_mcp(D, 9, 4, "Spin", "ex_post")
    rt_exante = dx_get(http, fake, f"/pricing/v1/real-time/{D}/asm-exante", interval="10:00")
    assert {r["product"] for r in rt_exante.json()["data"]} == {
        "Regulation", "Spin", "Supplemental", "Ramp-up", "Ramp-down"}
    assert dx_get(http, fake, f"/pricing/v1/real-time/{D}/asm-exante",
                  product="STR").status_code == 404
    rt = dx_get(http, fake, f"/pricing/v1/real-time/{D}/asm-expost", product="STR",
                zone="Zone 2", interval="5").json()["data"]
    assert rt == [{"timeInterval": rt[0]["timeInterval"], "preliminaryFinal": "Preliminary",
                   "product": "STR", "zone": "Zone 2",
                   "mcp": fake.data.asm_mcp(D, 5, 2, "STR", "preliminary")}]


def test_aggregated_pnode_lists_the_model_nodes(fake, http) -> None:
    records = dx_all(http, fake, "/pricing/v1/aggregated-pnode", date="2026-07-14")
    assert [r["node"] for r in records] == [name for name, _ in fake.data.nodes]
    assert {r["nodeType"] for r in records} == {"Hubs", "Loadzones", "Gennodes", "Interfaces"}
    old = dx_get(http, fake, "/pricing/v1/aggregated-pnode", date="2025-06-01")
    assert old.json() == NO_DATA


def test_lgi_endpoints(fake, http) -> None:
    regions = dx_get(http, fake, f"/lgi/v1/real-time/{D}/demand/actual", interval="7").json()
    assert [(r["region"], r["load"]) for r in regions["data"]] == [
        (region, fake.data.actual_load(D, 7, region)) for region in ("North", "Central", "South")]
    lrz = dx_all(http, fake, f"/lgi/v1/real-time/{D}/demand/actual",
                 geoResolution="localResourceZone")
    assert {r["localResourceZone"] for r in lrz} == {"LRZ1", "LRZ2_7", "LRZ3_5", "LRZ4", "LRZ6",
                                                     "LRZ8_9_10"}
    forecast = dx_all(http, fake, "/lgi/v1/forecast/2026-07-22/load", init="2026-07-19")
    assert len(forecast) == 240
    z5 = next(r for r in forecast if r["localResourceZone"] == "Z5"
              and r["timeInterval"]["value"] == "18")
    assert z5["region"] == "CENTRAL" and z5["init"] == "2026-07-19"
    assert z5["loadForecast"] == fake.data.load_forecast(date(2026, 7, 19), date(2026, 7, 22),
                                                         18, "Z5")
    assert dx_get(http, fake, "/lgi/v1/forecast/2026-07-22/load",
                  init="2026-07-20").status_code == 404  # init must be before today
    fuel = dx_get(http, fake, f"/lgi/v1/real-time/{D}/generation/fuel-type", interval="13")
    assert {r["region"] for r in fuel.json()["data"]} == {"NORTH", "CENTRAL", "SOUTH"}
    nsi = dx_all(http, fake, f"/lgi/v1/historical/{D}/interchange/net-scheduled")
    assert {r["adjacentBa"] for r in nsi} >= {"ONT", "OTHER"} and "IESO" not in {
        r["adjacentBa"] for r in nsi}
    nai = dx_all(http, fake, f"/lgi/v1/real-time/{D}/interchange/net-actual")
    assert {"IESO", "SPA"} <= {r["adjacentBa"] for r in nai}
    assert "ONT" not in {r["adjacentBa"] for r in nai}


def test_rate_limit_per_key_per_minute() -> None:
    with FakeMisoServer(node_count=20, now=NOW, dx_keys={"pricing": ["a", "b"]},
                        dx_rate_per_minute=3, retry_after_on_429=7) as fake, \
            requests.Session() as http:
        codes = [dx_get(http, fake, DA_EXPOST, key="a", interval="1").status_code
                 for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = dx_get(http, fake, DA_EXPOST, key="a", interval="1")
        assert limited.headers["Retry-After"] == "7"
        assert limited.json()["statusCode"] == 429
        assert dx_get(http, fake, DA_EXPOST, key="b", interval="1").status_code == 200
        assert fake.dx_calls_today("a") == 3  # rejected calls do not count


def test_daily_quota_is_403_and_resets_with_the_utc_day() -> None:
    with FakeMisoServer(node_count=20, now=NOW, dx_keys={"pricing": ["a"]},
                        dx_daily_quota=5) as fake, requests.Session() as http:
        codes = [dx_get(http, fake, DA_EXPOST, key="a", interval="2").status_code
                 for _ in range(6)]
        assert codes == [200] * 5 + [403]
        over = dx_get(http, fake, DA_EXPOST, key="a", interval="2").json()
        assert over["statusCode"] == 403 and "quota" in over["message"]
        fake.now = datetime(2026, 7, 21, 1, tzinfo=UTC)
        assert dx_get(http, fake, DA_EXPOST, key="a", interval="2").status_code == 200


def test_no_retry_after_header_by_default(fake, http) -> None:
    with FakeMisoServer(node_count=20, now=NOW, dx_keys={"pricing": ["a"]},
                        dx_rate_per_minute=1) as small:
        assert dx_get(http, small, DA_EXPOST, key="a").status_code == 200
        limited = dx_get(http, small, DA_EXPOST, key="a")
        assert limited.status_code == 429 and "Retry-After" not in limited.headers
