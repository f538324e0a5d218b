"""tap-miso streams, one per MISO dataset."""

from __future__ import annotations

from tap_miso.streams.pricing import LmpDayAheadHourlyStream, LmpRealTimeHourlyStream

STREAM_TYPES = (LmpDayAheadHourlyStream, LmpRealTimeHourlyStream)
