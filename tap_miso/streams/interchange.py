"""Interchange streams: net scheduled (NSI) and net actual (NAI) interchange by neighbour.

One sign convention for every record: **positive = flow into MISO (import)**. Each source's own
convention is converted and named in ``sign_convention`` (FORMATS §7.9, §8 Q6 leave them
unverified):

| source | published sign | why we read it so |
|---|---|---|
| DX ``historical/{date}/interchange/net-scheduled`` (NSI) | import_positive | documented by MISO |
| DX ``real-time/{date}/interchange/net-actual`` (NAI) | import_positive | unverified: assumed to follow the DX NSI documentation (same API, same records) |
| MR ``sr_nd_is.xls`` | import_positive | unverified: the report comes from the same settlement systems as DX NSI; no sample contradicts it |
| public ``GetNsi``/``GetNai`` | import_negative | public samples show MISO's total and MHEB (a steady importer into MISO) negative |

Counterparty codes: :mod:`tap_miso.grid_vocabulary` (Ontario is ``IESO`` whether the source
says ``ONT`` or ``IESO``; ``TOTAL`` is MISO's net interchange with all neighbours).
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, timedelta
from typing import ClassVar

from singer_sdk import typing as th

from tap_miso import grid_vocabulary as gv
from tap_miso import timeutil
from tap_miso.parsers import (
    parse_dx_interchange_records,
    parse_public_nai_five_minute,
    parse_public_nai_imports,
    parse_public_nsi_five_minute,
    parse_sr_nd_is_xls,
)
from tap_miso.sources import data_exchange as dx
from tap_miso.sources import market_reports as mr
from tap_miso.sources import public_api
from tap_miso.sources.base import (
    DATA_EXCHANGE,
    MARKET_REPORT,
    PUBLIC_API,
    FetchContext,
    Row,
    SourceSpec,
)
from tap_miso.streams.base import MisoStream
from tap_miso.streams.generation import LatestFeedStream
from tap_miso.streams.load import HOUR_ENDING_PROPERTY, drift, renamed_invalid

#: Multiplier turning a source's value into positive = import (see the module docstring).
SIGN_FACTOR = {gv.SIGN_IMPORT_POSITIVE: 1.0, gv.SIGN_IMPORT_NEGATIVE: -1.0}


def to_import_positive(value: float | None, convention: str) -> float | None:
    """``value`` in the tap's convention (positive = into MISO); ``-0.0`` normalised to 0."""
    if value is None:
        return None
    return value * SIGN_FACTOR[convention] + 0.0


def counterparty(raw: str | None) -> str:
    """Canonical BA code; an unknown code passes through upper-cased (FORMATS §7.11)."""
    return gv.counterparty(raw) or ""


INTERCHANGE_COMMON = (
    th.Property(
        "counterparty",
        th.StringType,
        required=True,
        description="Neighbouring balancing authority (AECI, GLHB, IESO, LGEE, MHEB, OTHER, "
        "PJM, SOCO, SPA, SWPP, TVA) or TOTAL (MISO's net interchange with all of them).",
    ),
    th.Property(
        "counterparty_raw", th.StringType, description="Code as the source wrote it (ONT...)."
    ),
    th.Property(
        "kind",
        th.StringType,
        required=True,
        description="scheduled (net scheduled interchange, NSI) or actual (net actual "
        "interchange, NAI).",
    ),
    th.Property(
        "interchange_mw",
        th.NumberType,
        description="Net interchange, MW; positive = flow INTO MISO (import), negative = "
        "export, whatever sign the source uses.",
    ),
    th.Property(
        "sign_convention",
        th.StringType,
        required=True,
        description="Sign the source publishes (import_positive or import_negative); the "
        "value was converted to positive = import.",
    ),
)
HASH_FIELDS = ("counterparty", "kind", "interval_start_utc", "interval_end_utc", "interchange_mw")


# -- interchange_hourly ---------------------------------------------------------------------------


def hourly_row(
    day: date, he: int, raw: str | None, kind: str, value: float | None, convention: str,
    invalid: list[str],
) -> Row:  # fmt: skip
    """One ``interchange_hourly`` row (value converted to positive = import)."""
    return {
        "interval": timeutil.hour_ending_interval(day, he),
        "counterparty": counterparty(raw),
        "counterparty_raw": raw,
        "kind": kind,
        "hour_ending": he,
        "interchange_mw": to_import_positive(value, convention),
        "sign_convention": convention,
        "_invalid": invalid,
    }


def sorted_hourly(rows: list[Row]) -> Iterator[Row]:
    """Rows in (hour, counterparty) order."""
    return iter(sorted(rows, key=lambda r: (r["hour_ending"], r["counterparty"])))


_DX_PATH = {
    gv.KIND_SCHEDULED: "historical/{date}/interchange/net-scheduled",  # final NSI by BA
    gv.KIND_ACTUAL: "real-time/{date}/interchange/net-actual",  # NAI by BA
}


def parse_dx_interchange(
    ctx: FetchContext, day: date, kind: str, pages: list[bytes]
) -> Iterator[Row]:
    """DX NSI/NAI by adjacent BA; DX documents positive = import (FORMATS §2.5)."""
    records = parse_dx_interchange_records(
        dx.iter_records(pages), on_unexpected_columns=drift(ctx, DATA_EXCHANGE)
    )
    rows = []
    for he, r in dx.dx_hours(ctx, day, records, "interchange"):
        if r["adjacent_ba"] is None:
            ctx.logger.warning("%s %s: interchange record without adjacentBa", ctx.stream, day)
            continue
        invalid = renamed_invalid(r["_invalid"], {"mw": "interchange_mw"})
        rows.append(
            hourly_row(day, he, r["adjacent_ba"], kind, r["mw"], gv.SIGN_IMPORT_POSITIVE, invalid)
        )
    return sorted_hourly(rows)


def parse_mr_interchange(ctx: FetchContext, day: date, kind: str, data: bytes) -> Iterator[Row]:
    """``sr_nd_is.xls`` scheduled interchange by interface; ``Total`` → TOTAL.

    Sign unverified (FORMATS §4.5, §7.9): read as DX's import_positive (module docstring).
    """
    rows = []
    for r in parse_sr_nd_is_xls(data, on_unexpected_columns=drift(ctx, MARKET_REPORT)):
        if "hour_ending" in r["_invalid"]:
            ctx.logger.warning("%s %s: sr_nd_is hour %s skipped", ctx.stream, day, r["hour_ending"])
            continue
        invalid = renamed_invalid(r["_invalid"], {"mw": "interchange_mw"})
        rows.append(
            hourly_row(day, r["hour_ending"], r["counterparty"], kind, r["mw"],
                       gv.SIGN_IMPORT_POSITIVE, invalid)
        )  # fmt: skip
    return sorted_hourly(rows)


class InterchangeHourlyStream(MisoStream):
    """Hourly net scheduled and net actual interchange with each neighbouring BA.

    MISO revises interchange up to 105 days after the market day (FORMATS §2.3, §7.24); the
    default lookback of 14 days re-pulls through the 7- and 14-day settlement statements,
    where most corrections land, at 2 Data Exchange calls a day. Set ``lookback_days: 105``
    to follow every revision.
    """

    name = "interchange_hourly"
    primary_keys = ("counterparty", "kind", "interval_start_utc")
    dataset_properties = th.PropertiesList(*INTERCHANGE_COMMON, HOUR_ENDING_PROPERTY)
    hash_fields = HASH_FIELDS
    parts = (gv.KIND_SCHEDULED, gv.KIND_ACTUAL)
    default_lookback_days = 14
    publish_delay = timedelta(hours=31)  # D+1 07:00 EST
    latest_offset_days = -1
    source_specs: ClassVar[tuple[SourceSpec, ...]] = (
        SourceSpec(
            source=DATA_EXCHANGE,
            product="lgi",
            load=lambda ctx, day, kind: dx.load_pages(ctx, "lgi", dx.day_path(_DX_PATH[kind], day)),
            parse=parse_dx_interchange,
            description="lgi/v1/historical/{date}/interchange/net-scheduled, "
            "real-time/{date}/interchange/net-actual",
        ),
        SourceSpec(
            source=MARKET_REPORT,
            load=lambda ctx, day, kind: mr.load_report(ctx, day, "sr_nd_is.xls"),
            parse=parse_mr_interchange,
            parts=(gv.KIND_SCHEDULED,),  # there is no NAI report
            description="YYYYMMDD_sr_nd_is.xls (scheduled only)",
        ),
    )


# -- interchange_5min -----------------------------------------------------------------------------


def parse_public_interchange(
    ctx: FetchContext,
    day: date,
    feed: str,
    parser: Callable[..., Iterator[Row]],
    data: bytes,
    kind: str,
) -> Iterator[Row]:
    """Rows of market date ``day`` from a public NSI/NAI feed.

    Labels are the interval END (public client practice, FORMATS §1.2, unverified); GetNai/
    Imports labels are **UTC** (T7a): parsed as UTC, never shifted by 5 h. Values are negated:
    these feeds publish import_negative (FORMATS §7.9).
    """
    rows = []
    for r in parser(data, on_unexpected_columns=drift(ctx, PUBLIC_API)):
        if r["label"] is None:
            ctx.logger.warning("%s %s: %s entry %s skipped", ctx.stream, day, feed, r["raw_label"])
            continue
        zone = UTC if r["label_timezone"] == "UTC" else timeutil.EST
        interval = timeutil.five_minute_from_end(r["label"], zone)
        if interval.market_date != day:
            continue
        raw = r.get("adjacent_ba", gv.MISO)  # GetNai is MISO's total
        rows.append({
            "interval": interval,
            "_source_timezone": r["label_timezone"],
            "counterparty": counterparty(raw),
            "counterparty_raw": raw,
            "kind": kind,
            "interval_label": r["raw_label"],
            "interchange_mw": to_import_positive(r["mw"], gv.SIGN_IMPORT_NEGATIVE),
            "sign_convention": gv.SIGN_IMPORT_NEGATIVE,
            "_invalid": renamed_invalid(r["_invalid"], {"mw": "interchange_mw"}),
        })  # fmt: skip
    return iter(sorted(rows, key=lambda r: (r["interval"].start, r["counterparty"])))


def public_feed_spec(feed: str, parser: Callable[..., Iterator[Row]], kind: str) -> SourceSpec:
    """A public NSI/NAI feed as the source of one kind (part)."""
    return SourceSpec(
        source=PUBLIC_API,
        load=lambda ctx, day, part: public_api.load_feed_once(ctx, feed),
        parse=lambda ctx, day, part, data: parse_public_interchange(
            ctx, day, feed, parser, data, kind
        ),
        parts=(kind,),
        description=f"public api {feed}",
    )


class Interchange5MinStream(LatestFeedStream):
    """5-minute NSI by BA (and total) and MISO-total NAI from the public API's latest windows.

    Each kind has its own feeds: NSI from ``GetNsi/FiveMinute`` (EST); NAI from
    ``GetNai/FiveMinute`` (EST), falling back to ``GetNai/Imports`` (the same data labelled
    in UTC).
    """

    name = "interchange_5min"
    primary_keys = ("counterparty", "kind", "interval_start_utc")
    dataset_properties = th.PropertiesList(
        *INTERCHANGE_COMMON,
        th.Property(
            "interval_label",
            th.StringType,
            description="Time label as published, read as the interval END (unverified); "
            "in UTC for GetNai/Imports (source_timezone UTC), else EST.",
        ),
    )
    hash_fields = HASH_FIELDS
    parts = (gv.KIND_SCHEDULED, gv.KIND_ACTUAL)
    source_specs: ClassVar[tuple[SourceSpec, ...]] = (
        public_feed_spec(
            "Interchange/GetNsi/FiveMinute", parse_public_nsi_five_minute, gv.KIND_SCHEDULED
        ),
        public_feed_spec(
            "Interchange/GetNai/FiveMinute", parse_public_nai_five_minute, gv.KIND_ACTUAL
        ),
        # The same data labelled in UTC: NAI's fallback.
        public_feed_spec("Interchange/GetNai/Imports", parse_public_nai_imports, gv.KIND_ACTUAL),
    )


STREAMS = (InterchangeHourlyStream, Interchange5MinStream)
