"""Data Exchange entry point: route match -> gateway checks -> route -> MISO error bodies."""

from __future__ import annotations

from tap_miso.testing.fake_miso.clock import as_utc
from tap_miso.testing.fake_miso.response import Response, json_response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext
from tap_miso.testing.fake_miso.surfaces.data_exchange import lgi, pricing
from tap_miso.testing.fake_miso.surfaces.data_exchange.common import Route, market_day
from tap_miso.testing.fake_miso.surfaces.errors import (
    DX_NOT_FOUND,
    BadRequest,
    NoData,
    dx_bad_request,
    dx_no_data,
)

PRODUCT_ROUTES: dict[str, list[Route]] = {"pricing": pricing.ROUTES, "lgi": lgi.ROUTES}
KEY_HEADER = "Ocp-Apim-Subscription-Key"


def product_of(path: str) -> str | None:
    """`pricing` / `lgi` for a Data Exchange path, else None."""
    for product in PRODUCT_ROUTES:
        if path.startswith(f"/{product}/v1/"):
            return product
    return None


def subscription_key(ctx: RequestContext) -> str | None:
    return ctx.headers.get(KEY_HEADER) or ctx.query.get("subscription-key")


def handle(ctx: RequestContext) -> Response:
    """Answer one Data Exchange request."""
    product = product_of(ctx.path)
    if product is None:
        return json_response(DX_NOT_FOUND, 404)
    route_path = ctx.path[len(f"/{product}/v1") :].rstrip("/")
    for pattern, route in PRODUCT_ROUTES[product]:
        match = pattern.fullmatch(route_path)
        if match is None:
            continue
        denied = ctx.state.gate.admit(product, subscription_key(ctx), as_utc(ctx.now).date())
        if denied is not None:
            return denied
        try:
            if "date" in pattern.groupindex and market_day(match) in ctx.state.missing_dates:
                return dx_no_data()
            return route(ctx, match)
        except NoData:
            return dx_no_data()
        except BadRequest as error:
            return dx_bad_request(str(error))
    return json_response(DX_NOT_FOUND, 404)
