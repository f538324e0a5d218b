"""Public API entry point: path -> feed."""

from __future__ import annotations

from collections.abc import Callable

from tap_miso.testing.fake_miso.response import Response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext
from tap_miso.testing.fake_miso.surfaces.errors import NoData, public_no_data, public_not_found
from tap_miso.testing.fake_miso.surfaces.public_api import grid, pricing

PREFIX = "/api/"
FEEDS: dict[str, Callable[[RequestContext], Response]] = {
    "MarketPricing/GetRealTimeFiveMinExPost/Current":
        lambda ctx: pricing.five_min_expost(ctx, "Current"),
    "MarketPricing/GetRealTimeFiveMinExPost/Rolling":
        lambda ctx: pricing.five_min_expost(ctx, "Rolling"),
    "MarketPricing/GetRealTimeFiveMinExPost/Previous":
        lambda ctx: pricing.five_min_expost(ctx, "Previous"),
    "MarketPricing/GetLmpConsolidatedTable": pricing.consolidated_table,
    "MarketPricing/GetExAnteLmp": pricing.ex_ante_lmp,
    "MarketPricing/GetAncillaryServicesMcp": pricing.ancillary_mcp,
    "FuelMix": lambda ctx: grid.fuel_mix(ctx, ""),
    "FuelMix/Today": lambda ctx: grid.fuel_mix(ctx, "Today"),
    "FuelMix/Yesterday": lambda ctx: grid.fuel_mix(ctx, "Yesterday"),
    "RealTimeTotalLoad": grid.total_load,
    "Interchange/GetNsi/FiveMinute": grid.nsi_five_minute,
    "Interchange/GetNai/FiveMinute": lambda ctx: grid.nai_five_minute(ctx, utc_labels=False),
    "Interchange/GetNai/Imports": lambda ctx: grid.nai_five_minute(ctx, utc_labels=True),
    "WindSolar/getwindforecast": lambda ctx: grid.generation_forecast(ctx, "wind"),
    "WindSolar/getsolarforecast": lambda ctx: grid.generation_forecast(ctx, "solar"),
}


def handle(ctx: RequestContext) -> Response:
    """Answer one Public API request."""
    feed = FEEDS.get(ctx.path[len(PREFIX) :].rstrip("/"))
    if feed is None:
        return public_not_found(ctx.path)
    try:
        return feed(ctx)
    except NoData:
        return public_no_data()
