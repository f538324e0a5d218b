"""ClientSettings: defaults, key lists, validation naming the field."""

from __future__ import annotations

import pytest

from tap_miso.http import ClientSettings


def test_defaults():
    s = ClientSettings()
    assert (s.connect_timeout, s.read_timeout, s.max_retries) == (10, 60, 5)
    assert (s.requests_per_minute, s.requests_per_hour, s.requests_per_day) == (50, 3000, None)
    assert s.data_exchange_url == "https://apim.misoenergy.org"
    assert s.user_agent.startswith("tap-miso/")
    assert s.ca_bundle is None


def test_keys_accept_list_or_comma_string():
    s = ClientSettings(pricing_keys=["a1", " b2 ", ""], lgi_keys="c3, d4")
    assert s.pricing_keys == ("a1", "b2")
    assert s.keys_for("lgi") == ("c3", "d4")
    with pytest.raises(ValueError, match="unknown Data Exchange product"):
        s.keys_for("load")


def test_from_tap_config_uses_design_setting_names():
    s = ClientSettings.from_tap_config({
        "request_timeout": 30, "pricing_api_key": "k1", "lgi_api_key": ["k2", "k3"],
        "requests_per_minute": 20, "circuit_breaker_failure_threshold": 2,
        "data_exchange_url": "http://localhost:9/", "requests_per_day": None,
    })
    assert s.read_timeout == 30
    assert s.pricing_keys == ("k1",) and s.lgi_keys == ("k2", "k3")
    assert s.requests_per_minute == 20 and s.breaker_failure_threshold == 2
    assert s.data_exchange_url == "http://localhost:9"
    assert s.requests_per_day is None


@pytest.mark.parametrize(("field", "value"), [("requests_per_minute", 0),
                                              ("read_timeout", -1), ("max_retries", -1)])
def test_invalid_values_name_the_field(field, value):
    with pytest.raises(ValueError, match=f"ClientSettings.{field}"):
        ClientSettings(**{field: value})
