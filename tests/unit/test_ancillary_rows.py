"""Unit tests of the ancillary MCP helpers: product vocabulary, public END labels, and the
Market Report rows the streams emit (zones only, generation side, pnode conflicts)."""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime
from types import SimpleNamespace

import pytest

from tap_miso import timeutil
from tap_miso.streams import ancillary as asm


def ctx():
    return SimpleNamespace(
        stream="ancillary_mcp_day_ahead_hourly",
        logger=logging.getLogger("test"),
        shared={},
        shared_lock=threading.Lock(),
        drift_callback=lambda where: lambda cols: None,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Regulation", ("regulation", "generation")),  # DX
        ("STR", ("short_term_reserve", "generation")),
        ("Ramp-up", ("ramp_up", "generation")),
        ("Ramp-down", ("ramp_down", "generation")),
        ("GENSPINMCP", ("spin", "generation")),  # MR
        ("DEMSUPPMCP", ("supplemental", "demand")),
        ("RCDOWNMCP", ("ramp_down", "generation")),
        ("GenRegMCP", ("regulation", "generation")),  # public
        ("DemandRegMcp", ("regulation", "demand")),
        ("StrMcp", ("short_term_reserve", "generation")),
        ("RcpUpMcp", ("ramp_up", "generation")),
        ("MYSTERYMCP", None),
    ],
)
def test_every_source_spelling_maps_to_one_product(raw, expected):
    assert asm.mcp_product(raw) == expected


def test_public_hour_and_min_midnight_closes_the_market_day():
    row = {"label": datetime(2026, 7, 14), "market_date": date(2026, 7, 14)}
    assert asm.public_label(row) == datetime(2026, 7, 15)
    row = {"label": datetime(2026, 7, 14, 8, 15), "market_date": date(2026, 7, 14)}
    assert asm.public_label(row) == datetime(2026, 7, 14, 8, 15)
    assert asm.public_label({"label": None, "market_date": None}) is None


CSV = "\n".join(
    [
        "Dayahead Market MCPs.",
        "",
        "07/14/2026,,All Hours-Ending are Eastern Standard Time (EST)",
        "",
        ",,MCP Type," + ",".join(f" HE {h}" for h in range(1, 25)),
        "MISO Wide,-,GENREGMCP," + ",".join(["9.00"] * 24),
        "Pnode,Zone,MCP Type," + ",".join(f"HE {h}" for h in range(1, 25)),
        "P1,Zone 2,GENREGMCP," + ",".join(["5.00"] * 24),
        "P1,Zone 2,DEMREGMCP," + ",".join(["4.00"] * 24),
        "P2,Zone 2,GENREGMCP,6.00," + ",".join([".50"] * 23),
        "P1,Zone 2,RCUPMCP,abc," + ",".join(["1.25"] * 23),
        "P1,Zone 2,NEWMCP," + ",".join(["0"] * 24),
        "MISO MAKES NO REPRESENTATIONS OR WARRANTIES",
    ]
).encode()


def test_market_report_rows_zone_generation_side_and_conflicts(caplog):
    with caplog.at_level(logging.WARNING):
        rows = list(asm.parse_mcp_report(ctx(), date(2026, 7, 14), CSV, "ex_ante", None))
    assert {r["zone"] for r in rows} == {2}  # MISO-wide not emitted
    he1 = [r for r in rows if r["interval"] == timeutil.hour_ending_interval(date(2026, 7, 14), 1)]
    assert [(r["product"], r["mcp"], r["_invalid"], r["_flags"]) for r in he1] == [
        ("regulation", 5.0, [], ["pnode_conflict"]),  # first pnode row kept, P2 disagrees
        ("ramp_up", None, ["mcp"], []),
        ("NEWMCP", 0.0, [], []),  # unknown code passes through
    ]
    assert len(rows) == 24 * 3
    assert "unknown MCP product codes passed through: ['NEWMCP']" in caplog.text
    assert "24 demand-side MCPs differ" in caplog.text


def test_rows_of_another_market_date_are_refused():
    with pytest.raises(asm.PayloadError):
        list(asm.parse_mcp_report(ctx(), date(2026, 7, 15), CSV, "ex_ante", None))
