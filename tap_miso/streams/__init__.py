"""tap-miso streams, one per MISO dataset, grouped by family."""

from __future__ import annotations

from tap_miso.streams import (
    ancillary,
    generation,
    generators,
    interchange,
    load,
    nodes,
    pricing,
    pricing_5min,
)

STREAM_TYPES = (
    *pricing.STREAMS,
    *pricing_5min.STREAMS,
    *ancillary.STREAMS,
    *nodes.STREAMS,
    *load.STREAMS,
    *generation.STREAMS,
    *interchange.STREAMS,
    *generators.STREAMS,
)
