"""Public API MarketPricing feeds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tap_miso.testing.fake_miso.clock import ref_id
from tap_miso.testing.fake_miso.formats.numbers import fixed2
from tap_miso.testing.fake_miso.response import Response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext
from tap_miso.testing.fake_miso.surfaces.errors import NoData
from tap_miso.testing.fake_miso.surfaces.public_api.windows import (
    day_labels,
    end_slot,
    iso,
    labels,
    latest_label,
)

_MCP_KEYS = {  # public RT/DA zone key -> DX product
    "GenRegMCP": "Regulation", "GenSpinMCP": "Spin", "GenSuppMCP": "Supplemental",
    "StrMcp": "STR", "DemandRegMcp": "Regulation", "DemandSpinMcp": "Spin",
    "DemandSuppMcp": "Supplemental", "RcpUpMcp": "Ramp-up", "RcpDownMcp": "Ramp-down",
}  # fmt: skip
_NODE_MCP_KEYS = {"REGMCP": "Regulation", "SPINMCP": "Spin", "SUPPMCP": "Supplemental",
                  "STRMCP": "STR", "RCUPMCP": "Ramp-up", "RCDOWNMCP": "Ramp-down"}


def _require(ctx: RequestContext, label: datetime) -> None:
    if end_slot(label)[0] in ctx.state.missing_dates:
        raise NoData("missing date")


def five_min_expost(ctx: RequestContext, window: str) -> Response:
    """GetRealTimeFiveMinExPost/Current|Rolling|Previous; INTERVAL = END label."""
    latest = latest_label(ctx)
    if window == "Current":
        window_labels = [latest]
    elif window == "Rolling":
        window_labels = list(labels(latest.replace(hour=0, minute=0), latest))
    else:
        window_labels = day_labels(latest.date() - timedelta(days=1))
    if window_labels[0].date() in ctx.state.missing_dates:
        raise NoData("missing date")
    data = ctx.state.data
    names = [name for name, _ in data.nodes_on(window_labels[0].date())]

    def build() -> dict[str, Any]:
        rows = []
        for label in window_labels:
            day, index = end_slot(label)
            text = iso(label)
            for name in names:
                lmp, _, mcc, mlc = data.lmp_5min_cents(day, index, name, "preliminary")
                rows.append([text, name, fixed2(lmp), fixed2(mlc), fixed2(mcc)])
        return {"headers": ["INTERVAL", "CPNODE", "LMP", "MLC", "MCC"], "data": rows}

    return ctx.json(build, window_labels[0], window_labels[-1])


def _zone_mcps(ctx: RequestContext, label: datetime, keys: dict[str, str], zone: int,
               hourly_he: int | None = None) -> dict[str, str]:
    data = ctx.state.data
    day, index = end_slot(label)
    if hourly_he is not None:
        return {key: fixed2(data.asm_mcp_cents(day, hourly_he, zone, product, "ex_post"))
                for key, product in keys.items()}
    return {key: fixed2(data.asm_mcp_5min_cents(day, index, zone, product, "preliminary"))
            for key, product in keys.items()}


def consolidated_table(ctx: RequestContext) -> Response:
    """GetLmpConsolidatedTable: current 5-min LMP + MCPs, the last complete hour's integrated
    RT LMP, and DA ex-ante/ex-post for the current HE (RefId 08:15 -> HE 8 and HE 9)."""
    latest = latest_label(ctx)
    _require(ctx, latest)
    data = ctx.state.data
    day, index = end_slot(latest)
    he = index // 12 + 1
    names = [name for name, _ in data.nodes_on(day)]

    integrated_day, integrated_he = (day, he - 1) if he > 1 else (day - timedelta(days=1), 24)

    def hourly(price_type: str) -> list[dict[str, str]]:
        when = (integrated_day, integrated_he) if price_type == "preliminary" else (day, he)
        nodes = []
        for name in names:
            lmp, _, mcc, mlc = data.lmp_cents(when[0], when[1], name, price_type)
            nodes.append({"name": name, "region": data.node_region(name), "LMP": fixed2(lmp),
                          "MCC": fixed2(mcc), "MLC": fixed2(mlc)})
        return nodes

    def build() -> dict[str, Any]:
        five = []
        for name in names:
            lmp, _, mcc, mlc = data.lmp_5min_cents(day, index, name, "preliminary")
            row = {"name": name, "region": data.node_region(name), "LMP": fixed2(lmp),
                   "MLC": fixed2(mlc), "MCC": fixed2(mcc)}
            zone = data.reserve_zone(name)
            row.update(_zone_mcps(ctx, latest, _NODE_MCP_KEYS, zone))
            regulation = data.asm_mcp_5min_cents(day, index, zone, "Regulation", "preliminary")
            row["REGMILEAGEMCP"] = fixed2(round(regulation * 0.05))
            five.append(row)
        return {"LMPData": {
            "RefId": ref_id(latest),
            "FiveMinLMP": {"HourAndMin": f"{latest:%H:%M}", "PricingNode": five},
            "HourlyIntegratedLMP": {"HourAndMin": f"HE {integrated_he}",
                                    "PricingNode": hourly("preliminary")},
            "DayAheadExAnteLMP": {"HourAndMin": f"HE {he}", "PricingNode": hourly("ex_ante")},
            "DayAheadExPostLMP": {"HourAndMin": f"HE {he}", "PricingNode": hourly("ex_post")},
        }}

    return ctx.json(build, latest)


def ex_ante_lmp(ctx: RequestContext) -> Response:
    """GetExAnteLmp: trading hubs, ex-ante 5-min LMP of the interval ending at RefId."""
    latest = latest_label(ctx)
    _require(ctx, latest)
    data = ctx.state.data
    day, index = end_slot(latest)

    def build() -> dict[str, Any]:
        hubs = []
        for hub in data.trading_hubs:
            lmp, _, mcc, mlc = data.lmp_5min_cents(day, index, hub, "ex_ante")
            hubs.append({"name": hub, "LMP": fixed2(lmp), "loss": fixed2(mlc),
                         "congestion": fixed2(mcc)})
        return {"LMPData": {"RefId": ref_id(latest),
                            "ExAnteLMP": {"HourAndMin": f"{latest:%H:%M}", "Hub": hubs}}}

    return ctx.json(build, latest)


def ancillary_mcp(ctx: RequestContext) -> Response:
    """GetAncillaryServicesMcp: RT 5-min MCP by zone + DA ex-post MCP for the current HE."""
    latest = latest_label(ctx)
    _require(ctx, latest)
    day, index = end_slot(latest)
    he = index // 12 + 1

    def build() -> dict[str, Any]:
        realtime = [{"number": str(z), **_zone_mcps(ctx, latest, _MCP_KEYS, z)}
                    for z in range(1, 9)]
        day_ahead = [{"number": str(z), **_zone_mcps(ctx, latest, _MCP_KEYS, z, he)}
                     for z in range(1, 9)]
        return {"MCPData": {"RefId": ref_id(latest), "MktDay": f"{day:%m-%d-%Y}",
                            "RealTimeMCP": {"HourAndMin": f"{latest:%H:%M}", "Zone": realtime},
                            "DayAheadMCP": {"HourEnding": str(he), "Zone": day_ahead}}}

    return ctx.json(build, latest)
