"""Helpers shared by the Data Exchange route modules."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from tap_miso.testing.fake_miso.publication import is_published
from tap_miso.testing.fake_miso.response import Response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext, parse_day
from tap_miso.testing.fake_miso.surfaces.errors import BadRequest, NoData

Route = tuple[re.Pattern[str], Callable[[RequestContext, re.Match[str]], Response]]


def market_day(match: re.Match[str]) -> date:
    day = parse_day(match["date"])
    if day is None:
        raise BadRequest("Invalid date format")
    return day


def require_published(ctx: RequestContext, available_from: datetime) -> None:
    if not is_published(ctx.now, available_from):
        raise NoData("not published yet")


def node_names(ctx: RequestContext, day: date) -> tuple[str, ...]:
    """Nodes of the model in effect on `day`, narrowed by the `node` filter."""
    names = tuple(name for name, _ in ctx.state.data.nodes_on(day))
    wanted = ctx.query.get("node")
    if wanted is None:
        return names
    if wanted not in names:
        raise NoData(f"node {wanted!r}")
    return (wanted,)


def money(cents: int) -> float:
    return cents / 100
