"""Public API feeds: shapes, string values, windows and label conventions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from .conftest import NODE_COUNT, public_get

TODAY, YESTERDAY = date(2026, 7, 20), date(2026, 7, 19)


def test_previous_holds_d_0000_to_2355_end_labels(fake, http) -> None:
    body = public_get(http, fake, "MarketPricing/GetRealTimeFiveMinExPost/Previous").json()
    assert body["headers"] == ["INTERVAL", "CPNODE", "LMP", "MLC", "MCC"]
    labels = sorted({row[0] for row in body["data"]})
    assert len(labels) == 288 and len(body["data"]) == 288 * NODE_COUNT
    assert labels[0] == "2026-07-19T00:00:00" and labels[-1] == "2026-07-19T23:55:00"
    # END label 00:00 on D closes the last interval of D-1
    first = next(r for r in body["data"] if r[0] == labels[0] and r[1] == "MINN.HUB")
    value = fake.data.lmp_5min(date(2026, 7, 18), 287, "MINN.HUB", "preliminary")
    assert first[2:] == [f"{value.lmp:.2f}", f"{value.mlc:.2f}", f"{value.mcc:.2f}"]
    assert all(isinstance(cell, str) for cell in first)


def test_rolling_is_today_so_far_and_current_is_latest(fake, http) -> None:
    rolling = public_get(http, fake, "MarketPricing/GetRealTimeFiveMinExPost/Rolling").json()
    labels = sorted({row[0] for row in rolling["data"]})
    assert labels[0] == "2026-07-20T00:00:00" and labels[-1] == "2026-07-20T12:00:00"
    assert len(labels) == 145
    current = public_get(http, fake, "MarketPricing/GetRealTimeFiveMinExPost/Current").json()
    assert {row[0] for row in current["data"]} == {"2026-07-20T12:00:00"}


def test_consolidated_table_and_ex_ante_and_mcp(fake, http) -> None:
    table = public_get(http, fake, "MarketPricing/GetLmpConsolidatedTable").json()["LMPData"]
    assert table["RefId"] == "20-Jul-2026 - Interval 12:00 EST"
    assert table["FiveMinLMP"]["HourAndMin"] == "12:00"
    assert table["DayAheadExPostLMP"]["HourAndMin"] == "HE 12"
    assert table["HourlyIntegratedLMP"]["HourAndMin"] == "HE 11"
    integrated = next(n for n in table["HourlyIntegratedLMP"]["PricingNode"]
                      if n["name"] == "MS.HUB")
    assert integrated["LMP"] == f"{fake.data.lmp(TODAY, 11, 'MS.HUB', 'preliminary').lmp:.2f}"
    hub = next(n for n in table["DayAheadExPostLMP"]["PricingNode"] if n["name"] == "MS.HUB")
    expected = fake.data.lmp(TODAY, 12, "MS.HUB", "ex_post")
    assert (hub["LMP"], hub["MCC"], hub["MLC"], hub["region"]) == (
        f"{expected.lmp:.2f}", f"{expected.mcc:.2f}", f"{expected.mlc:.2f}", "South")
    node = table["FiveMinLMP"]["PricingNode"][0]
    assert set(node) >= {"name", "region", "LMP", "MLC", "MCC", "REGMCP", "REGMILEAGEMCP",
                         "SPINMCP", "SUPPMCP", "STRMCP", "RCUPMCP", "RCDOWNMCP"}
    ex_ante = public_get(http, fake, "MarketPricing/GetExAnteLmp").json()["LMPData"]
    assert [h["name"] for h in ex_ante["ExAnteLMP"]["Hub"]] == list(fake.data.trading_hubs)
    mcp = public_get(http, fake, "MarketPricing/GetAncillaryServicesMcp").json()["MCPData"]
    assert mcp["MktDay"] == "07-20-2026" and mcp["DayAheadMCP"]["HourEnding"] == "12"
    zone3 = mcp["DayAheadMCP"]["Zone"][2]
    assert zone3["number"] == "3"
    assert zone3["GenSpinMCP"] == f"{fake.data.asm_mcp(TODAY, 12, 3, 'Spin', 'ex_post'):.2f}"


def test_fuel_mix_windows(fake, http) -> None:
    latest = public_get(http, fake, "FuelMix").json()
    types = latest["Fuel"]["Type"]
    assert {t["CATEGORY"] for t in types} == {"Battery Storage", "Coal", "Imports",
                                              "Natural Gas", "Nuclear", "Other", "Solar", "Wind"}
    assert int(latest["TotalMW"]) == sum(int(t["ACT"]) for t in types)
    coal = next(t for t in types if t["CATEGORY"] == "Coal")
    assert coal["INTERVALEST"] == "2026-07-20 12:00:00 PM"
    assert coal["FUEL_CATEGORY"] == f"Coal  ({int(coal['ACT']):,} MW)"
    assert int(coal["ACT"]) == fake.data.fuel_mix_5min(TODAY, 144, "Coal")
    yesterday = public_get(http, fake, "FuelMix/Yesterday").json()
    stamps = {t["INTERVALEST"] for t in yesterday["Fuel"]["Type"]}
    assert len(stamps) == 288 and "2026-07-19 8:10:00 AM" in stamps
    assert yesterday["TotalMW"] == "0"


def test_total_load_and_forecasts(fake, http) -> None:
    info = public_get(http, fake, "RealTimeTotalLoad").json()["LoadInfo"]
    assert len(info["ClearedMW"]) == 24 and len(info["MediumTermLoadForecast"]) == 24
    five = info["FiveMinTotalLoad"]
    assert five[0]["Load"]["Time"] == "00:00" and five[-1]["Load"]["Time"] == "12:00"
    assert five[1]["Load"]["Value"] == str(fake.data.load_5min(TODAY, 1))
    wind = public_get(http, fake, "WindSolar/getwindforecast").json()
    assert wind["MktDay"] == "07-20-2026" and len(wind["Forecast"]) == 48
    first = wind["Forecast"][0]
    assert first["DateTimeEST"] == "2026-07-20 12:00:00 AM" and first["HourEndingEST"] == "1"
    assert first["Value"] == f"{fake.data.generation_forecast('wind', TODAY, TODAY, 1, 'MISO'):.2f}"
    solar = public_get(http, fake, "WindSolar/getsolarforecast").json()
    assert solar["Forecast"][0]["Value"] == "0.00"


def test_interchange_feeds_and_the_utc_imports_label(fake, http) -> None:
    nsi = public_get(http, fake, "Interchange/GetNsi/FiveMinute").json()
    rows = nsi["instance"]
    assert nsi["MktDay"] is None and len(rows) == 37 * 12
    last = rows[-1]
    assert last["timestamp"] == "2026-07-20 12:00:00"
    assert list(last) == ["timestamp", "AECI", "LGEE", "MHEB", "MISO", "ONT", "PJM", "SOCO",
                          "SPA", "SWPP", "TVA"]
    assert int(last["MHEB"]) == -fake.data.nsi_5min(TODAY, 143, "MHEB")  # public sign: - = import
    est = public_get(http, fake, "Interchange/GetNai/FiveMinute").json()
    utc = public_get(http, fake, "Interchange/GetNai/Imports").json()
    assert len(est) == len(utc) == 288
    assert est[-1] == {"Time": "2026-07-20 12:00:00 PM", "Value": est[-1]["Value"]}
    assert utc[-1] == {"Time": "2026-07-20 5:00:00 PM", "Value": est[-1]["Value"]}
    assert float(est[-1]["Value"]) == -fake.data.nai_5min(TODAY, 143)


def test_public_missing_day_and_unknown_feed(fake, http) -> None:
    fake.missing_dates.add(YESTERDAY)
    assert public_get(http, fake, "FuelMix/Yesterday").status_code == 404
    assert public_get(http, fake, "FuelMix/Today").status_code == 200
    unknown = public_get(http, fake, "FuelMix/Tomorrow")
    assert unknown.status_code == 404 and "No HTTP resource" in unknown.json()["Message"]


def test_windows_follow_the_clock(fake, http) -> None:
    fake.now = datetime(2026, 7, 21, 5, 2, tzinfo=UTC)  # 00:02 EST on the 21st
    rolling = public_get(http, fake, "MarketPricing/GetRealTimeFiveMinExPost/Rolling").json()
    assert {row[0] for row in rolling["data"]} == {"2026-07-21T00:00:00"}
    previous = public_get(http, fake, "MarketPricing/GetRealTimeFiveMinExPost/Previous").json()
    assert previous["data"][0][0] == "2026-07-20T00:00:00"
    assert timedelta(0) < fake.now - datetime(2026, 7, 21, 5, tzinfo=UTC)
