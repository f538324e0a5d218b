"""MISO public API (anonymous JSON, latest windows only): download helpers (FORMATS.md §3)."""

from __future__ import annotations

from tap_miso.sources.base import PUBLIC_API, FetchContext


def feed_url(ctx: FetchContext, feed: str) -> str:
    """``{public_api_url}/<feed>``."""
    return f"{ctx.settings.public_api_url}/{feed}"


def load_feed(ctx: FetchContext, feed: str) -> bytes:
    """Download one public feed."""
    return ctx.client.get(feed_url(ctx, feed), source=PUBLIC_API).content


def load_feed_once(ctx: FetchContext, feed: str) -> bytes:
    """``feed``, downloaded once per run: a latest window serves yesterday and today alike,
    and MISO asks for at most one call a minute per URL (FORMATS §3.1 Politeness)."""
    return ctx.once(("public_feed", feed), lambda: load_feed(ctx, feed))
