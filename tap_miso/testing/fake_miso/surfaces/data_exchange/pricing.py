"""Data Exchange Pricing product routes (`/pricing/v1/...`, FORMATS §2.4)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from tap_miso.testing.fake_miso import publication
from tap_miso.testing.fake_miso.response import Response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext, parse_day
from tap_miso.testing.fake_miso.surfaces.data_exchange.common import (
    Route,
    market_day,
    money,
    node_names,
    require_published,
)
from tap_miso.testing.fake_miso.surfaces.data_exchange.envelope import (
    choose,
    five_minute_intervals,
    five_minute_time,
    grid_records,
    hour_label,
    hourly_intervals,
    hourly_time,
)
from tap_miso.testing.fake_miso.surfaces.errors import BadRequest, NoData

# DX `nodeType` vocabulary is unverified (FORMATS Q2); the portal example shows "Hubs".
DX_NODE_TYPES = {"Hub": "Hubs", "Loadzone": "Loadzones", "Gennode": "Gennodes",
                 "Interface": "Interfaces"}
ASM_PRODUCTS = ("Regulation", "Spin", "Supplemental", "STR", "Ramp-up", "Ramp-down")
RT_EXANTE_ASM_PRODUCTS = tuple(p for p in ASM_PRODUCTS if p != "STR")
ZONES = tuple(f"Zone {i}" for i in range(1, 9))
_REVISIONS = {"Preliminary": "preliminary", "Final": "final"}


def aggregated_pnode(ctx: RequestContext, match: re.Match[str]) -> Response:
    raw = ctx.query.get("date")
    day = ctx.today if raw is None else parse_day(raw)
    if day is None:
        raise BadRequest("Invalid date format")
    if day < publication.DX_AGGREGATED_PNODE_SINCE or day in ctx.state.missing_dates:
        raise NoData("before the endpoint's history")
    data = ctx.state.data
    names = node_names(ctx, day)

    def make(name: str) -> dict[str, Any]:
        return {"node": name, "nodeType": DX_NODE_TYPES[data.node_type(name) or "Gennode"]}

    return ctx.json(lambda: grid_records(ctx, [names], make), day)


def _lmp_record(cents: tuple[int, int, int, int]) -> dict[str, float]:
    lmp, mec, mcc, mlc = cents
    return {"lmp": money(lmp), "mcc": money(mcc), "mec": money(mec), "mlc": money(mlc)}


def day_ahead_lmp(ctx: RequestContext, match: re.Match[str]) -> Response:
    day = market_day(match)
    require_published(ctx, publication.day_ahead(day))
    price_type = "ex_ante" if match["kind"] == "exante" else "ex_post"
    data, hours, names = ctx.state.data, hourly_intervals(ctx), node_names(ctx, day)
    times = {he: hourly_time(day, he) for he in hours}

    def make(he: int, name: str) -> dict[str, Any]:
        return {"interval": str(he), "timeInterval": times[he], "node": name,
                **_lmp_record(data.lmp_cents(day, he, name, price_type))}

    return ctx.json(lambda: grid_records(ctx, [hours, names], make))


def real_time_lmp_exante(ctx: RequestContext, match: re.Match[str]) -> Response:
    day = market_day(match)
    require_published(ctx, publication.real_time_preliminary(day))
    data, slots, names = ctx.state.data, five_minute_intervals(ctx), node_names(ctx, day)
    times = {i: five_minute_time(day, i) for i in slots}

    def make(index: int, name: str) -> dict[str, Any]:
        return {"interval": hour_label(index), "timeInterval": times[index], "node": name,
                **_lmp_record(data.lmp_5min_cents(day, index, name, "ex_ante"))}

    return ctx.json(lambda: grid_records(ctx, [slots, names], make))


def _revision(ctx: RequestContext, day: date) -> tuple[str, str]:
    label = ctx.query.get("preliminaryFinal", "Preliminary")
    if label not in _REVISIONS:
        raise NoData(f"preliminaryFinal={label!r}")
    revision = _REVISIONS[label]
    available = (publication.real_time_final if revision == "final"
                 else publication.real_time_preliminary)(day)
    require_published(ctx, available)
    return label, revision


def _resolution(ctx: RequestContext) -> str:
    resolution = ctx.query.get("timeResolution", "hourly")
    if resolution not in {"hourly", "5min"}:
        raise NoData(f"timeResolution={resolution!r}")
    return resolution


def real_time_lmp_expost(ctx: RequestContext, match: re.Match[str]) -> Response:
    day = market_day(match)
    label, revision = _revision(ctx, day)
    data, names = ctx.state.data, node_names(ctx, day)
    if _resolution(ctx) == "hourly":
        hours = hourly_intervals(ctx)
        times = {he: hourly_time(day, he) for he in hours}

        def make_hourly(he: int, name: str) -> dict[str, Any]:
            return {"timeInterval": times[he], "preliminaryFinal": label, "node": name,
                    **_lmp_record(data.lmp_cents(day, he, name, revision))}

        return ctx.json(lambda: grid_records(ctx, [hours, names], make_hourly))
    slots = five_minute_intervals(ctx)
    slot_times = {i: five_minute_time(day, i) for i in slots}

    def make_5min(index: int, name: str) -> dict[str, Any]:
        return {"timeInterval": slot_times[index], "preliminaryFinal": label, "node": name,
                **_lmp_record(data.lmp_5min_cents(day, index, name, revision))}

    return ctx.json(lambda: grid_records(ctx, [slots, names], make_5min))


def _zone_number(zone: str) -> int:
    return int(zone.split()[-1])


def day_ahead_asm(ctx: RequestContext, match: re.Match[str]) -> Response:
    day = market_day(match)
    require_published(ctx, publication.day_ahead(day))
    price_type = "ex_ante" if match["kind"] == "exante" else "ex_post"
    data, hours = ctx.state.data, hourly_intervals(ctx)
    products, zones = choose(ctx, "product", ASM_PRODUCTS), choose(ctx, "zone", ZONES)
    times = {he: hourly_time(day, he) for he in hours}

    def make(he: int, product: str, zone: str) -> dict[str, Any]:
        cents = data.asm_mcp_cents(day, he, _zone_number(zone), product, price_type)
        return {"interval": str(he), "timeInterval": times[he], "product": product,
                "zone": zone, "mcp": money(cents)}

    return ctx.json(lambda: grid_records(ctx, [hours, products, zones], make))


def real_time_asm_exante(ctx: RequestContext, match: re.Match[str]) -> Response:
    day = market_day(match)
    require_published(ctx, publication.real_time_preliminary(day))
    data, slots = ctx.state.data, five_minute_intervals(ctx)
    products = choose(ctx, "product", RT_EXANTE_ASM_PRODUCTS)
    zones = choose(ctx, "zone", ZONES)
    times = {i: five_minute_time(day, i) for i in slots}

    def make(index: int, product: str, zone: str) -> dict[str, Any]:
        cents = data.asm_mcp_5min_cents(day, index, _zone_number(zone), product, "ex_ante")
        return {"interval": hour_label(index), "timeInterval": times[index],
                "product": product, "zone": zone, "mcp": money(cents)}

    return ctx.json(lambda: grid_records(ctx, [slots, products, zones], make))


def real_time_asm_expost(ctx: RequestContext, match: re.Match[str]) -> Response:
    day = market_day(match)
    label, revision = _revision(ctx, day)
    data = ctx.state.data
    products, zones = choose(ctx, "product", ASM_PRODUCTS), choose(ctx, "zone", ZONES)
    hourly = _resolution(ctx) == "hourly"
    slots = hourly_intervals(ctx) if hourly else five_minute_intervals(ctx)
    times = {s: hourly_time(day, s) if hourly else five_minute_time(day, s) for s in slots}

    def make(slot: int, product: str, zone: str) -> dict[str, Any]:
        number = _zone_number(zone)
        cents = (data.asm_mcp_cents(day, slot, number, product, revision) if hourly
                 else data.asm_mcp_5min_cents(day, slot, number, product, revision))
        return {"timeInterval": times[slot], "preliminaryFinal": label, "product": product,
                "zone": zone, "mcp": money(cents)}

    return ctx.json(lambda: grid_records(ctx, [slots, products, zones], make))


_DATE = r"(?P<date>[^/]+)"
ROUTES: list[Route] = [
    (re.compile(r"/aggregated-pnode"), aggregated_pnode),
    (re.compile(rf"/day-ahead/{_DATE}/lmp-(?P<kind>exante|expost)"), day_ahead_lmp),
    (re.compile(rf"/real-time/{_DATE}/lmp-exante"), real_time_lmp_exante),
    (re.compile(rf"/real-time/{_DATE}/lmp-expost"), real_time_lmp_expost),
    (re.compile(rf"/day-ahead/{_DATE}/asm-(?P<kind>exante|expost)"), day_ahead_asm),
    (re.compile(rf"/real-time/{_DATE}/asm-exante"), real_time_asm_exante),
    (re.compile(rf"/real-time/{_DATE}/asm-expost"), real_time_asm_expost),
]
