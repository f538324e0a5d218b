"""MISO public API (anonymous JSON, latest windows only): download helpers (FORMATS.md §3)."""

from __future__ import annotations

from tap_miso.sources.base import PUBLIC_API, FetchContext


def feed_url(ctx: FetchContext, feed: str) -> str:
    """``{public_api_url}/<feed>``."""
    return f"{ctx.settings.public_api_url}/{feed}"


def load_feed(ctx: FetchContext, feed: str) -> bytes:
    """Download one public feed."""
    return ctx.client.get(feed_url(ctx, feed), source=PUBLIC_API).content
