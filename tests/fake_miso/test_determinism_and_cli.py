"""Two servers with the same settings serve identical bytes; the CLI serves too."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import requests

from tap_miso.testing.fake_miso import FakeMisoServer

NOW = datetime(2026, 7, 20, 17, tzinfo=UTC)
PATHS = [
    "/marketreports/20260714_da_exante_lmp.csv",
    "/marketreports/20260714_asm_rtmcp_final.csv",
    "/marketreports/20260720_5MIN_LMP.zip",
    "/marketreports/20260714_5min_exante_lmp.xlsx",
    "/marketreports/20260714_df_al.xls",
    "/marketreports/20260714_sr_gfm.xlsx",
    "/marketreports/20260714_mom.xlsx",
    "/api/MarketPricing/GetRealTimeFiveMinExPost/Previous",
    "/api/FuelMix/Yesterday",
    "/pricing/v1/real-time/2026-07-14/lmp-expost?timeResolution=5min&interval=12:00",
    "/lgi/v1/forecast/2026-07-20/load?init=2026-07-18",
]


def fetch_all(fake: FakeMisoServer) -> list[bytes]:
    headers = {"Ocp-Apim-Subscription-Key": "k"}
    with requests.Session() as http:
        bodies = []
        for path in PATHS:
            response = http.get(fake.base_url + path, headers=headers, timeout=60)
            assert response.status_code == 200, path
            bodies.append(response.content)
        return bodies


def test_two_servers_serve_identical_bytes() -> None:
    keys = {"pricing": ["k"], "lgi": ["k"]}
    with FakeMisoServer(node_count=25, now=NOW, dx_keys=keys) as one:
        first = fetch_all(one)
    with FakeMisoServer(node_count=25, now=NOW, dx_keys=keys) as two:
        second = fetch_all(two)
    assert first == second


def test_default_server_starts_with_realistic_defaults() -> None:
    with FakeMisoServer() as fake:
        assert fake.data.node_count == 2612
        assert fake.dx_keys == {"pricing": ["fake-pricing-key"], "lgi": ["fake-lgi-key"]}
        assert abs((fake.now - datetime.now(UTC)).total_seconds()) < 5
        assert fake.public_api_url == fake.base_url + "/api"
        assert fake.market_reports_url == fake.base_url + "/marketreports"
        assert fake.data_exchange_url == fake.base_url


def test_command_line_server() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tap_miso.testing.fake_miso", "--port", "0", "--nodes", "20",
         "--today", "2026-07-20"], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base = line.split()[3]
        assert base.startswith("http://127.0.0.1:")
        answer = requests.get(f"{base}/pricing/v1/day-ahead/2026-07-14/lmp-exante",
                              headers={"Ocp-Apim-Subscription-Key": "fake-pricing-key"},
                              params={"interval": "1"}, timeout=10)
        assert answer.status_code == 200 and len(answer.json()["data"]) == 20
    finally:
        process.terminate()
        process.wait(timeout=10)
