"""Settings validation beyond JSON Schema: every bad value names the setting, no secret leaks."""

from __future__ import annotations

from datetime import date

import pytest

from tap_miso.settings import SettingsError, load_settings

TODAY = date(2026, 7, 20)
GOOD = {"start_date": "2026-07-01"}


def problems(**overrides):
    config = {**GOOD, **overrides}
    with pytest.raises(SettingsError) as info:
        load_settings(config, today=TODAY)
    return info.value.problems


BAD_CONFIGS = [
    ({"start_date": None}, "start_date", "is required"),
    ({"start_date": "2026-13-01"}, "start_date", "is not a date"),
    ({"start_date": "yesterday"}, "start_date", "is not a date"),
    ({"start_date": 20260701}, "start_date", "must be a date string"),
    ({"start_date": "2027-01-01"}, "start_date", "in the future"),
    ({"end_date": "2026-06-30"}, "end_date", "before start_date"),
    ({"end_date": "07/30/2026"}, "end_date", "is not a date"),
    ({"lookback_days": -1}, "lookback_days", "at least 0"),
    ({"lookback_days": 1.5}, "lookback_days", "integer"),
    ({"lookback_days": "7"}, "lookback_days", "integer"),
    ({"requests_per_minute": 0}, "requests_per_minute", "greater than 0"),
    ({"requests_per_minute": -5}, "requests_per_minute", "greater than 0"),
    ({"requests_per_hour": 10, "requests_per_minute": 50}, "requests_per_hour", "below"),
    ({"requests_per_day": 0}, "requests_per_day", "greater than 0"),
    ({"max_concurrent_requests": 0}, "max_concurrent_requests", "at least 1"),
    ({"request_timeout": 0}, "request_timeout", "greater than 0"),
    ({"max_retries": -1}, "max_retries", "at least 0"),
    ({"max_retries": True}, "max_retries", "integer"),
    ({"circuit_breaker_failure_threshold": 0}, "circuit_breaker_failure_threshold", "at least 1"),
    ({"circuit_breaker_reset_seconds": 0}, "circuit_breaker_reset_seconds", "greater than 0"),
    ({"data_exchange_url": "apim.misoenergy.org"}, "data_exchange_url", "well-formed"),
    ({"public_api_url": "ftp://x.example"}, "public_api_url", "well-formed"),
    (
        {"market_reports_url": "https://docs.example/marketreports?x=1"},
        "market_reports_url",
        "without query",
    ),
    (
        {"public_api_url": "https://api.misoenergy.org/MISORTWDDataBroker/x"},
        "public_api_url",
        "retired",
    ),
    ({"source_preference": ["data_exchange", "ftp"]}, "source_preference", "unknown source"),
    ({"source_preference": ["market_report", "market_report"]}, "source_preference", "twice"),
    ({"source_preference": "market_report"}, "source_preference", "list"),
    ({"on_invalid_record": "ignore"}, "on_invalid_record", "not one of flag, drop, fail"),
    ({"metrics_port": 70000}, "metrics_port", "at most 65535"),
    ({"metrics_pushgateway_url": "not a url"}, "metrics_pushgateway_url", "well-formed"),
    ({"metrics_textfile": "/no/such/dir/metrics.prom"}, "metrics_textfile", "does not exist"),
    ({"ca_bundle": "/no/such/ca.pem"}, "ca_bundle", "does not exist"),
    ({"nodes": ["MINN.HUB", ""]}, "nodes", "non-empty strings"),
    ({"pricing_api_key": ""}, None, None),  # empty key = no key: valid
    ({"pricing_api_key": ["good", 5]}, "pricing_api_key", "list of key strings"),
    ({"lgi_api_key": [" padded-key "]}, "lgi_api_key", "whitespace"),
    ({"lgi_api_key": "k1,,k2"}, "lgi_api_key", "empty key"),
]


@pytest.mark.parametrize(("override", "setting", "fragment"), BAD_CONFIGS)
def test_bad_value_is_named_in_one_line(override, setting, fragment):
    if setting is None:
        load_settings({**GOOD, **override}, today=TODAY)
        return
    found = problems(**override)
    assert len(found) == 1, found
    assert found[0].startswith(f"Invalid setting '{setting}'")
    assert fragment in found[0]
    assert "\n" not in found[0]


def test_several_problems_are_all_reported():
    found = problems(end_date="2026-01-01", max_retries=-2, on_invalid_record="x")
    assert {p.split("'")[1] for p in found} == {"end_date", "max_retries", "on_invalid_record"}


def test_secret_value_never_in_messages():
    secret = "SUPERSECRET-KEY-9876"
    found = problems(pricing_api_key=[secret, 7], lgi_api_key=[f" {secret} "])
    assert all(secret not in p for p in found)


def test_good_config_is_typed():
    s = load_settings(
        {
            "start_date": "2026-07-01T03:00:00Z",  # 22:00 EST on June 30
            "end_date": "2026-07-02",
            "lookback_days": 0,
            "pricing_api_key": ["k1", "k2"],
            "lgi_api_key": "k3",
            "source_preference": ["market_report", "data_exchange"],
            "nodes": ["MINN.HUB"],
            "data_exchange_url": "http://127.0.0.1:8080/",
        },
        today=TODAY,
    )
    assert s.start_date == date(2026, 6, 30)
    assert s.end_date == date(2026, 7, 2)
    assert s.lookback_days == 0
    assert s.pricing_api_keys == ("k1", "k2")
    assert s.lgi_api_keys == ("k3",)
    assert load_settings({**GOOD, "lgi_api_key": "a1, b2"}, today=TODAY).lgi_api_keys == (
        "a1",
        "b2",
    )
    assert s.source_preference == ("market_report", "data_exchange")
    assert s.nodes == frozenset({"MINN.HUB"})
    assert s.data_exchange_url == "http://127.0.0.1:8080"
    assert s.requests_per_minute == 50
    assert s.on_invalid_record == "flag"


def test_naive_datetime_is_market_time():
    assert load_settings({"start_date": "2026-07-01T23:30:00"}, today=TODAY).start_date == date(
        2026, 7, 1
    )


def test_decimal_values_from_the_sdk_config_loader_are_numbers():
    from decimal import Decimal

    s = load_settings({**GOOD, "requests_per_minute": Decimal("12.5"),
                       "request_timeout": Decimal("30")}, today=TODAY)
    assert s.requests_per_minute == 12.5
    assert s.request_timeout == 30.0
    assert problems(max_retries=Decimal("1.5"))[0].startswith("Invalid setting 'max_retries'")
