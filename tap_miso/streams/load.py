"""Streams of this family (being written)."""

from __future__ import annotations

STREAMS: tuple = ()
