"""Hourly ancillary MCP CSVs: asm_exante_damcp, asm_expost_damcp (LF), asm_rtmcp_prelim,
asm_rtmcp_final (CRLF, blank line between the tables).

Table 1 is MISO-wide (header cells carry a leading space: ` HE 1`); table 2 repeats each
zone's price for the pnodes in that zone. STR/ramp `MCP Type` codes are unverified in
FORMATS; the fake uses the public per-node names STRMCP, RCUPMCP, RCDOWNMCP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

from tap_miso.testing.fake_miso.data.mixing import seed_of
from tap_miso.testing.fake_miso.formats.csv_text import csv_bytes
from tap_miso.testing.fake_miso.formats.numbers import mr_cents
from tap_miso.testing.fake_miso.formats.sheet import DISCLAIMER, HeaderRow, Row, Sheet
from tap_miso.testing.fake_miso.response import CSV, Response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext
from tap_miso.testing.fake_miso.surfaces.market_reports.common import EST_NOTE, mdy

MCP_TYPES = {  # MR code -> DX product
    "DEMREGMCP": "Regulation", "GENREGMCP": "Regulation",
    "DEMSPINMCP": "Spin", "GENSPINMCP": "Spin",
    "DEMSUPPMCP": "Supplemental", "GENSUPPMCP": "Supplemental",
    "STRMCP": "STR", "RCUPMCP": "Ramp-up", "RCDOWNMCP": "Ramp-down",
}  # fmt: skip
HOURS = range(1, 25)


def asm_pnodes(ctx: RequestContext, day: date) -> list[tuple[str, int]]:
    """Pnodes listed in the pnode table, with their zone: about a third of the Gennodes,
    plus the first node of any zone they leave uncovered (small rosters)."""
    data = ctx.state.data
    roster = data.nodes_on(day)
    chosen = [(name, data.reserve_zone(name)) for name, node_type in roster
              if node_type == "Gennode" and seed_of("asm-pnode", name) % 3 == 0]
    covered = {zone for _, zone in chosen}
    for name, _ in roster:
        zone = data.reserve_zone(name)
        if zone not in covered:
            covered.add(zone)
            chosen.append((name, zone))
    # Real MISO has pnodes in every reserve zone and the Data Exchange serves all 8 zones; a
    # tiny test roster may leave a zone empty, so list a stand-in pnode for it.
    chosen += [(f"ZONE{zone}.ASMPNODE", zone) for zone in range(1, 9) if zone not in covered]
    return sorted(chosen)


def _rows(ctx: RequestContext, day: date, price_type: str, real_time: bool) -> Iterator[Row]:
    data = ctx.state.data
    if real_time:
        title = ["Real Time Market MCPs.", "Not settlement quality data."]
        yield title if price_type == "preliminary" else title[:1]
    else:
        yield ["Dayahead Market MCPs."]
    yield []
    yield [mdy(day), "", EST_NOTE]
    yield []
    yield HeaderRow(["", "", "MCP Type", *(f" HE {he}" for he in HOURS)])

    def prices(zone: int | None, product: str) -> list[str]:
        return [mr_cents(data.asm_mcp_cents(day, he, zone, product, price_type)) for he in HOURS]

    for code, product in MCP_TYPES.items():
        yield ["MISO Wide", "-", code, *prices(None, product)]
    if real_time:
        yield []
    yield HeaderRow(["Pnode", "Zone", "MCP Type", *(f"HE {he}" for he in HOURS)])
    zone_prices = {(zone, code): prices(zone, product)
                   for zone in range(1, 9) for code, product in MCP_TYPES.items()}
    for name, zone in asm_pnodes(ctx, day):
        for code in MCP_TYPES:
            yield [name, f"Zone {zone}", code, *zone_prices[zone, code]]
    yield [DISCLAIMER]


def asm_csv(price_type: str, real_time: bool) -> Callable[[RequestContext, date], Response]:
    """Builder for one of the four hourly ASM MCP CSVs."""
    newline = "\r\n" if real_time else "\n"

    def build(ctx: RequestContext, day: date) -> Response:
        return ctx.sheets(lambda: [Sheet("csv", _rows(ctx, day, price_type, real_time))],
                          lambda sheets: csv_bytes(sheets[0], newline), CSV)

    return build
