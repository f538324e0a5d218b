"""Every parser turns non-format bytes into PayloadError, never another exception type."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

import pytest

from tap_miso import parsers as p

from .builders import asm_csv, cpnode_reszone_xlsx, five_min_zip, lmp_csv, load_xls, mom_xlsx

HTML = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>"
GARBAGE = bytes(range(256)) * 8
BLOB_NOT_FOUND = (
    b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code>'
    b"<Message>The specified blob does not exist.</Message></Error>"
)
INVALID_JSON = b'{"data": [1, 2'

PARSERS: dict[str, Callable[[bytes], object]] = {
    "lmp_csv": p.parse_lmp_csv,
    "asm_csv": p.parse_asm_csv,
    "5min_lmp_zip": lambda b: p.parse_5min_lmp_zip(io.BytesIO(b)),
    "5min_exante_xlsx": lambda b: p.parse_5min_exante_lmp_xlsx(io.BytesIO(b)),
    "cpnode_reszone": p.parse_cpnode_reszone_xlsx,
    "df_al": p.parse_df_al_xls,
    "rf_al": p.parse_rf_al_xls,
    "sr_gfm": p.parse_sr_gfm_xlsx,
    "mom": lambda b: p.parse_mom_xlsx(b, "WIND HOURLY"),
    "sr_nd_is": p.parse_sr_nd_is_xls,
    "dx_page": p.parse_dx_page,
    "public_five_min_expost": p.parse_public_five_min_expost,
    "public_asm_mcp": p.parse_public_asm_mcp,
    "public_exante_lmp": p.parse_public_exante_lmp,
    "public_fuel_mix": p.parse_public_fuel_mix,
    "public_nsi": p.parse_public_nsi_five_minute,
    "public_nai": p.parse_public_nai_five_minute,
    "public_nai_imports": p.parse_public_nai_imports,
    "public_wind_solar": p.parse_public_wind_solar_forecast,
}


def consume(result: object) -> None:
    if result is not None and not isinstance(result, p.DxPage):
        list(result)  # type: ignore[call-overload]


@pytest.mark.parametrize("name", sorted(PARSERS))
@pytest.mark.parametrize(
    "payload", [HTML, GARBAGE, b"", BLOB_NOT_FOUND, INVALID_JSON, b"null", b"[]", b"{}"],
    ids=["html", "garbage", "empty", "blob_not_found", "invalid_json", "null", "array", "object"],
)
def test_not_the_format(name, payload):
    with pytest.raises(p.PayloadError):
        consume(PARSERS[name](payload))


def _truncated_cases():
    xlsx = cpnode_reszone_xlsx([["N", 1]] * 50)
    yield "cpnode_reszone", xlsx[: len(xlsx) // 2]
    xls = load_xls({date(2025, 3, 9): [[h] + [1.0] * 14 for h in range(1, 25)]})
    yield "df_al", xls[: len(xls) // 2]
    mom = mom_xlsx([[f"**07/14/2026 {h}", 1, 2, 3, 4] for h in range(1, 25)])
    yield "mom", mom[:-100]
    archive = five_min_zip([("07/06/2026 00:00", "N", "1", "2", "3")] * 500)
    yield "5min_lmp_zip", archive[:-30]
    yield "5min_exante_xlsx", xlsx[:200]
    asm = asm_csv("07/14/2026", [("GENREGMCP", ["1"] * 24)], [("N", "Zone 1", "X", ["1"] * 24)])
    yield "asm_csv", asm[:120]
    yield "lmp_csv", lmp_csv("07/14/2026", [])[:60]
    yield "public_asm_mcp", b'{"MCPData": {"RefId": "14-Jul-2026 - Interval 08:15 EST", "Mk'


@pytest.mark.parametrize(("name", "payload"), list(_truncated_cases()),
                         ids=[name for name, _ in _truncated_cases()])
def test_truncated(name, payload):
    with pytest.raises(p.PayloadError):
        consume(PARSERS[name](payload))


def test_payload_error_attributes():
    error = p.PayloadError("lmp_csv", "required columns missing", ["Type", "HE 24"])
    assert isinstance(error, ValueError)
    assert error.format_name == "lmp_csv" and error.missing_columns == ["Type", "HE 24"]
    assert "Type, HE 24" in str(error)


def test_xlrd_never_writes_to_stdout(capsys):
    """A Singer tap's stdout carries messages; xlrd warnings must not land there."""
    xls = load_xls({date(2025, 3, 9): [[h] + [1.0] * 14 for h in range(1, 25)]})
    for cut in (600, len(xls) // 2, len(xls) - 100):
        with pytest.raises(p.PayloadError):
            p.parse_df_al_xls(xls[:cut])
    assert capsys.readouterr().out == ""
