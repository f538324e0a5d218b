"""Data Exchange Load, Generation & Interchange routes (`/lgi/v1/...`, FORMATS §2.5)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tap_miso.testing.fake_miso import publication
from tap_miso.testing.fake_miso.data import grid
from tap_miso.testing.fake_miso.response import Response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext, parse_day
from tap_miso.testing.fake_miso.surfaces.data_exchange.common import (
    Route,
    market_day,
    money,
    require_published,
)
from tap_miso.testing.fake_miso.surfaces.data_exchange.envelope import (
    HOURS,
    choose,
    daily_time,
    grid_records,
    hourly_intervals,
    hourly_time,
)
from tap_miso.testing.fake_miso.surfaces.errors import BadRequest, NoData

ACTUAL_LOAD_REGIONS = ("North", "Central", "South")
LRZ_GROUPS = tuple(grid.LRZ_GROUPS)
NSI_BAS = ("MHEB", "ONT", "SWPP", "TVA", "AECI", "SOCO", "LGEE", "PJM", "OTHER")
NAI_BAS = ("MHEB", "IESO", "SWPP", "TVA", "AECI", "SOCO", "LGEE", "PJM", "SPA")
_ZONE_REGION = {zone: region for region, zones in grid.REGION_ZONES.items() for zone in zones}
MTLF_HORIZON_DAYS = 7


def _hourly_only(ctx: RequestContext) -> None:
    if ctx.query.get("timeResolution", "hourly") != "hourly":
        raise NoData("only hourly data")


def actual_demand(ctx: RequestContext, match: re.Match[str]) -> Response:
    day = market_day(match)
    require_published(ctx, publication.actual_load(day))
    _hourly_only(ctx)
    data, hours = ctx.state.data, hourly_intervals(ctx)
    times = {he: hourly_time(day, he) for he in hours}
    geo = ctx.query.get("geoResolution", "region")
    if geo == "region":
        field, areas = "region", choose(ctx, "region", ACTUAL_LOAD_REGIONS, str.upper)
    elif geo == "localResourceZone":
        field, areas = "localResourceZone", choose(ctx, "localResourceZone", LRZ_GROUPS)
    else:
        raise NoData(f"geoResolution={geo!r}")

    def make(he: int, area: str) -> dict[str, Any]:
        return {"timeInterval": times[he], field: area, "load": data.actual_load(day, he, area)}

    return ctx.json(lambda: grid_records(ctx, [hours, areas], make))


def day_ahead_demand(ctx: RequestContext, match: re.Match[str]) -> Response:
    day = market_day(match)
    require_published(ctx, publication.day_ahead(day))
    data = ctx.state.data
    regions = choose(ctx, "region", grid.REGIONS, str.upper)
    resolution = ctx.query.get("timeResolution", "hourly")
    if resolution == "daily":
        def make_daily(region: str) -> dict[str, Any]:
            totals = [data.da_demand(day, he, region) for he in HOURS]
            return {"timeInterval": daily_time(day), "region": region,
                    "fixed": round(sum(t.fixed for t in totals), 2),
                    "priceSens": round(sum(t.price_sensitive for t in totals), 2),
                    "virtual": round(sum(t.virtual for t in totals), 2)}

        return ctx.json(lambda: grid_records(ctx, [regions], make_daily))
    if resolution != "hourly":
        raise NoData(f"timeResolution={resolution!r}")
    hours = hourly_intervals(ctx)
    times = {he: hourly_time(day, he) for he in hours}

    def make(he: int, region: str) -> dict[str, Any]:
        demand = data.da_demand(day, he, region)
        return {"timeInterval": times[he], "region": region, "fixed": demand.fixed,
                "priceSens": demand.price_sensitive, "virtual": demand.virtual}

    return ctx.json(lambda: grid_records(ctx, [hours, regions], make))


def load_forecast(ctx: RequestContext, match: re.Match[str]) -> Response:
    day = market_day(match)
    today = ctx.today
    raw = ctx.query.get("init")
    if raw is None:
        vintage = day - timedelta(days=1) if day < today else today - timedelta(days=1)
    else:
        parsed = parse_day(raw)
        if parsed is None:
            raise BadRequest("Invalid date format")
        vintage = parsed
    if not (vintage < today and vintage < day and (day - vintage).days <= MTLF_HORIZON_DAYS):
        raise NoData("no forecast run for this init/date")
    if vintage in ctx.state.missing_dates:
        raise NoData("missing init")
    require_published(ctx, publication.load_forecast(vintage))
    _hourly_only(ctx)
    data, hours = ctx.state.data, hourly_intervals(ctx)
    zones = choose(ctx, "localResourceZone", grid.ZONES)
    region_filter = ctx.query.get("region")
    if region_filter is not None:
        zones = tuple(z for z in zones if _ZONE_REGION[z] == region_filter.upper())
    times = {he: hourly_time(day, he) for he in hours}

    def make(he: int, zone: str) -> dict[str, Any]:
        return {"timeInterval": times[he], "region": _ZONE_REGION[zone],
                "localResourceZone": zone,
                "loadForecast": data.load_forecast(vintage, day, he, zone),
                "init": vintage.isoformat()}

    return ctx.json(lambda: grid_records(ctx, [hours, zones], make), vintage)


def real_time_fuel_type(ctx: RequestContext, match: re.Match[str]) -> Response:
    day = market_day(match)
    require_published(ctx, publication.real_time_preliminary(day))
    hours = hourly_intervals(ctx)
    regions = choose(ctx, "region", grid.REGIONS, str.upper)
    times = {he: hourly_time(day, he) for he in hours}

    def make(he: int, region: str) -> dict[str, Any]:
        cents = grid.fuel_mix_centi(day, "rt")[he, region]
        return {"timeInterval": times[he], "region": region,
                "fuelTypes": {fuel: money(cents[fuel]) for fuel in grid.FUELS},
                "totalMw": money(sum(cents.values())), "interval": str(he)}

    return ctx.json(lambda: grid_records(ctx, [hours, regions], make))


def historical_nsi(ctx: RequestContext, match: re.Match[str]) -> Response:
    day = market_day(match)
    require_published(ctx, publication.real_time_preliminary(day))
    data, hours = ctx.state.data, hourly_intervals(ctx)
    bas = choose(ctx, "adjacentBa", NSI_BAS, str.upper)
    times = {he: hourly_time(day, he) for he in hours}

    def make(he: int, ba: str) -> dict[str, Any]:
        return {"timeInterval": times[he], "adjacentBa": ba, "nsi": data.nsi(day, he, ba)}

    return ctx.json(lambda: grid_records(ctx, [hours, bas], make))


def real_time_nai(ctx: RequestContext, match: re.Match[str]) -> Response:
    day = market_day(match)
    require_published(ctx, publication.real_time_preliminary(day))
    data, hours = ctx.state.data, hourly_intervals(ctx)
    bas = choose(ctx, "adjacentBa", NAI_BAS, str.upper)
    times = {he: hourly_time(day, he) for he in hours}

    def make(he: int, ba: str) -> dict[str, Any]:
        return {"timeInterval": times[he], "adjacentBa": ba, "nai": data.nai(day, he, ba)}

    return ctx.json(lambda: grid_records(ctx, [hours, bas], make))


_DATE = r"(?P<date>[^/]+)"
ROUTES: list[Route] = [
    (re.compile(rf"/real-time/{_DATE}/demand/actual"), actual_demand),
    (re.compile(rf"/day-ahead/{_DATE}/demand"), day_ahead_demand),
    (re.compile(rf"/forecast/{_DATE}/load"), load_forecast),
    (re.compile(rf"/real-time/{_DATE}/generation/fuel-type"), real_time_fuel_type),
    (re.compile(rf"/historical/{_DATE}/interchange/net-scheduled"), historical_nsi),
    (re.compile(rf"/real-time/{_DATE}/interchange/net-actual"), real_time_nai),
]
