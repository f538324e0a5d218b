"""Hand-written files in fixtures/, laid out byte for byte as FORMATS §4.2/§4.3 show them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tap_miso.parsers import parse_asm_csv, parse_lmp_csv

FIXTURES = Path(__file__).parent / "fixtures"


def test_da_expost_lmp_file():
    rows = list(parse_lmp_csv((FIXTURES / "20260714_da_expost_lmp.csv").read_bytes()))
    assert len(rows) == 48
    assert rows[2] == {
        "market_date": date(2026, 7, 14), "node": "EXAMPLE.HUB", "node_type": "Hub",
        "hour_ending": 2, "lmp": 24.0, "mcc": 0.92, "mlc": -0.03, "_invalid": [],
    }
    by_key = {(r["node"], r["hour_ending"]): r for r in rows}
    assert by_key[("EXAMPLE.LZ", 3)]["lmp"] is None and by_key[("EXAMPLE.LZ", 3)]["_invalid"] == []
    assert by_key[("EXAMPLE.LZ", 10)]["lmp"] is None
    assert by_key[("EXAMPLE.LZ", 10)]["_invalid"] == ["lmp"]
    assert by_key[("EXAMPLE.LZ", 10)]["mcc"] == 1.1  # the rest of the row survives
    assert by_key[("EXAMPLE.HUB", 24)]["mlc"] == -0.5
    assert by_key[("EXAMPLE.HUB", 4)]["mcc"] == 0.0


def test_asm_rtmcp_final_crlf_file():
    data = (FIXTURES / "20260714_asm_rtmcp_final.csv").read_bytes()
    assert data.count(b"\r\n") == 14
    rows = list(parse_asm_csv(data))
    assert len(rows) == 4 * 24
    assert [(r["zone"], r["mcp_type"], r["mcp"]) for r in rows[:4]] == [
        (None, "GENREGMCP", 9.0), (None, "GENSPINMCP", 1.0), (1, "GENREGMCP", 9.0),
        (8, "GENSPINMCP", 1.0),
    ]
    last = rows[-1]
    assert (last["hour_ending"], last["zone"], last["mcp"]) == (24, 8, -0.03)
    assert all(r["_conflicts"] == 0 and r["market_date"] == date(2026, 7, 14) for r in rows)
