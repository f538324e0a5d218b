"""Ancillary-service market clearing prices (MCP) by reserve zone and product.

Streams: ``ancillary_mcp_day_ahead_hourly``, ``ancillary_mcp_real_time_hourly``,
``ancillary_mcp_real_time_5min`` (FORMATS §2.4, §3.2, §4.3, §6 "AS MCP").

Decisions (documented in the stream and field descriptions):

- **Zones only.** Records are per reserve zone 1..8 (``zone`` is part of every key). The
  Market Reports' MISO-wide table (``MISO Wide,-,...``) is not emitted: the Data Exchange
  endpoints these streams use publish zones only, so emitting it would make the record set
  depend on the source (and put a null in the key). MISO-wide prices are in DX
  ``asm-summary``, a candidate for a separate stream.
- **Generation side only.** MR (``GENREGMCP``/``DEMREGMCP``) and the public feed
  (``GenRegMCP``/``DemandRegMcp``) split regulation, spin and supplemental into generation and
  demand MCPs; DX has one value per product. Records carry the generation-side value (the
  DX one); a demand-side value that differs is logged as a warning, never emitted.
- **Products** use one spelling (:data:`PRODUCTS`); codes no source map knows (MR STR/ramp
  codes are UNVERIFIED, FORMATS §4.3) pass through unchanged, with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from singer_sdk import typing as th

from tap_miso import timeutil
from tap_miso.parsers import parse_asm_csv, parse_dx_mcp_records, parse_public_asm_mcp
from tap_miso.parsers.errors import PayloadError
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
from tap_miso.streams.pricing import (
    already_final,
    latest_revision_specs,
    load_latest_revision,
)
from tap_miso.streams.pricing_5min import (
    DX_LABEL,
    END,
    dx_in_time_order,
    dx_raw_label,
    hour_ending_of,
    no_data,
    placed,
)

# -- vocabulary (FORMATS §2.6 "AS product", "Reserve zone") -------------------------------------

PRODUCTS = ("regulation", "spin", "supplemental", "short_term_reserve", "ramp_up", "ramp_down")
GENERATION = "generation"
DEMAND = "demand"

#: Every known product spelling, lower-cased with non-alphanumerics removed, -> (product, side).
_PRODUCT_CODES: dict[str, tuple[str, str]] = {
    # Data Exchange: Regulation, Spin, Supplemental, STR, Ramp-up, Ramp-down (one value each)
    "regulation": ("regulation", GENERATION),
    "spin": ("spin", GENERATION),
    "supplemental": ("supplemental", GENERATION),
    "str": ("short_term_reserve", GENERATION),
    "rampup": ("ramp_up", GENERATION),
    "rampdown": ("ramp_down", GENERATION),
    # Market Reports MCP Type (STR/ramp codes UNVERIFIED, FORMATS §4.3 Codes, Q10) and the
    # public feeds (GenRegMCP, DemandRegMcp, StrMcp, RcpUpMcp; per-node REGMCP, RCUPMCP...)
    "genregmcp": ("regulation", GENERATION),
    "genspinmcp": ("spin", GENERATION),
    "gensuppmcp": ("supplemental", GENERATION),
    "demregmcp": ("regulation", DEMAND),
    "demspinmcp": ("spin", DEMAND),
    "demsuppmcp": ("supplemental", DEMAND),
    "demandregmcp": ("regulation", DEMAND),
    "demandspinmcp": ("spin", DEMAND),
    "demandsuppmcp": ("supplemental", DEMAND),
    "regmcp": ("regulation", GENERATION),
    "spinmcp": ("spin", GENERATION),
    "suppmcp": ("supplemental", GENERATION),
    "strmcp": ("short_term_reserve", GENERATION),
    "genstrmcp": ("short_term_reserve", GENERATION),
    "rcupmcp": ("ramp_up", GENERATION),
    "rcpupmcp": ("ramp_up", GENERATION),
    "genrcupmcp": ("ramp_up", GENERATION),
    "rampupmcp": ("ramp_up", GENERATION),
    "rcdownmcp": ("ramp_down", GENERATION),
    "rcpdownmcp": ("ramp_down", GENERATION),
    "genrcdownmcp": ("ramp_down", GENERATION),
    "rampdownmcp": ("ramp_down", GENERATION),
}


def mcp_product(raw: str) -> tuple[str, str] | None:
    """(canonical product, ``generation``/``demand``) of any source's spelling; None if
    unknown."""
    return _PRODUCT_CODES.get(re.sub(r"[^a-z0-9]", "", raw.lower()))


def product_order(product: str) -> tuple[int, str]:
    """Sort key: canonical products in :data:`PRODUCTS` order, pass-through codes after."""
    return (PRODUCTS.index(product), "") if product in PRODUCTS else (len(PRODUCTS), product)


# -- rows ----------------------------------------------------------------------------------------

MCP_PROPERTIES = th.PropertiesList(
    th.Property(
        "zone",
        th.IntegerType,
        required=True,
        description="MISO reserve zone 1..8 (DX 'Zone 3', public '3'). MISO-wide prices are "
        "not emitted.",
    ),
    th.Property(
        "product",
        th.StringType,
        required=True,
        description="regulation, spin, supplemental, short_term_reserve, ramp_up or "
        "ramp_down (generation-side MCP); an unknown source code passes through unchanged.",
    ),
    th.Property("price_type", th.StringType, required=True, description="ex_ante or ex_post."),
    th.Property(
        "revision",
        th.StringType,
        description="preliminary or final for real-time ex-post prices; null otherwise.",
    ),
    th.Property(
        "hour_ending",
        th.IntegerType,
        description="MISO hour ending 1..24 (EST) holding the interval.",
    ),
    th.Property("mcp", th.NumberType, description="Market clearing price, $/MW."),
)
MCP_5MIN_PROPERTIES = th.PropertiesList(
    *MCP_PROPERTIES.wrapped.values(),
    th.Property(
        "raw_time_label",
        th.StringType,
        description="The interval label as the source wrote it (FORMATS T6): DX labels the "
        "START, the public API's HourAndMin the END. Not part of record_hash.",
    ),
)
MCP_HASH_FIELDS = (
    "zone",
    "product",
    "price_type",
    "revision",
    "interval_start_utc",
    "interval_end_utc",
    "mcp",
)


def mcp_row(
    *,
    interval: timeutil.Interval,
    zone: int,
    product: str,
    price_type: str,
    revision: str | None,
    mcp: Any,
    invalid: list[str],
    flags: Iterable[str] = (),
) -> Row:
    """One MCP row in the streams' field order; ``flags`` are extra quality flags."""
    return {
        "interval": interval,
        "zone": zone,
        "product": product,
        "price_type": price_type,
        "revision": revision,
        "hour_ending": hour_ending_of(interval),
        "mcp": mcp,
        "_invalid": invalid,
        "_flags": list(flags),
    }


class ProductMapper:
    """Maps raw product codes for one payload; drops and checks the demand side.

    Warnings (unknown codes, demand values differing from generation values) are logged once
    per payload by :meth:`report`.
    """

    def __init__(self, ctx: FetchContext, day: date, where: str) -> None:
        self.ctx, self.day, self.where = ctx, day, where
        self.unknown: set[str] = set()
        self.generation: dict[tuple, Any] = {}
        self.demand: dict[tuple, Any] = {}

    def product(self, raw: str | None, slot: tuple, value: Any) -> str | None:
        """Canonical product to emit, or None (demand side, or no code at all)."""
        if raw is None:
            return None
        found = mcp_product(raw)
        if found is None:
            self.unknown.add(raw)
            return raw.strip()
        product, side = found
        (self.generation if side == GENERATION else self.demand)[(*slot, product)] = value
        return product if side == GENERATION else None

    def report(self) -> None:
        """Log what was not emitted as is (call after the payload's rows)."""
        if self.unknown:
            self.ctx.logger.warning(
                "%s %s: %s: unknown MCP product codes passed through: %s",
                self.ctx.stream,
                self.day,
                self.where,
                sorted(self.unknown),
            )
        differing = sum(
            1
            for key, value in self.demand.items()
            if key in self.generation and self.generation[key] != value
        )
        if differing:
            self.ctx.logger.warning(
                "%s %s: %s: %d demand-side MCPs differ from the generation side; only the "
                "generation side is emitted",
                self.ctx.stream,
                self.day,
                self.where,
                differing,
            )


def _sorted(rows: list[Row]) -> Iterator[Row]:
    rows.sort(key=lambda r: (r["interval"].start, r["zone"], product_order(r["product"])))
    return iter(rows)


# -- hourly: Data Exchange and Market Reports ----------------------------------------------------


def parse_dx_hourly(
    ctx: FetchContext, day: date, pages: Iterable[bytes], price_type: str, revision: str | None
) -> Iterator[Row]:
    """DX hourly ``asm-*`` records -> rows sorted by (hour, zone, product)."""
    mapper = ProductMapper(ctx, day, DATA_EXCHANGE)
    rows: list[Row] = []
    skipped = 0
    records = parse_dx_mcp_records(
        dx.iter_records(pages), on_unexpected_columns=ctx.drift_callback(DATA_EXCHANGE)
    )
    for he, r in dx.dx_hours(ctx, day, records, "MCP"):
        if r["zone"] is None:
            skipped += 1  # cannot be keyed without its reserve zone
            continue
        product = mapper.product(r["product"], (r["zone"], he), r["mcp"])
        if product is None:
            continue
        rows.append(
            mcp_row(
                interval=timeutil.hour_ending_interval(day, he),
                zone=r["zone"],
                product=product,
                price_type=price_type,
                revision=revision,
                mcp=r["mcp"],
                invalid=list(r["_invalid"]),
            )
        )
    mapper.report()
    if skipped:
        ctx.logger.warning(
            "%s %s: %d DX records without a reserve zone skipped", ctx.stream, day, skipped
        )
    return _sorted(rows)


def parse_mcp_report(
    ctx: FetchContext, day: date, data: bytes, price_type: str, revision: str | None
) -> Iterator[Row]:
    """An ASM MCP CSV (FORMATS §4.3) -> zone rows sorted by (hour, zone, product).

    The MISO-wide table (zone None) is not emitted (module docstring). The pnode table repeats
    each zone's prices per pnode (Q16): the parser keeps one row per key and counts
    disagreeing pnode rows, which become the quality flag ``pnode_conflict``.
    """
    mapper = ProductMapper(ctx, day, MARKET_REPORT)
    rows: list[Row] = []
    for r in parse_asm_csv(
        data, market_date=day, on_unexpected_columns=ctx.drift_callback(MARKET_REPORT)
    ):
        if r["market_date"] != day:
            raise PayloadError(
                "asm_csv", f"file says market date {r['market_date']}, expected {day}"
            )
        he = r["hour_ending"]
        if r["zone"] is None or "hour_ending" in r["_invalid"]:
            continue  # MISO-wide table, or an hour outside 1..24 that has no interval
        product = mapper.product(r["mcp_type"], (r["zone"], he), r["mcp"])
        if product is None:
            continue
        rows.append(
            mcp_row(
                interval=timeutil.hour_ending_interval(day, he),
                zone=r["zone"],
                product=product,
                price_type=price_type,
                revision=revision,
                mcp=r["mcp"],
                invalid=list(r["_invalid"]),
                flags=["pnode_conflict"] if r["_conflicts"] else (),
            )
        )
    mapper.report()
    return _sorted(rows)


class McpStream(MisoStream):
    """Base of the MCP streams: zone-level prices with extra quality flags from parsing."""

    hash_fields = MCP_HASH_FIELDS
    dataset_properties = MCP_PROPERTIES

    def to_record(self, row: Row, source: str) -> dict:
        """Contract record; ``_flags`` of a row join its invalid-cell flags."""
        flags = row.pop("_flags", ())
        record = super().to_record(row, source)
        record["quality_flags"].extend(flags)
        return record


# -- ancillary_mcp_day_ahead_hourly -------------------------------------------------------------

_DA_DX_PATH = {"ex_ante": "day-ahead/{date}/asm-exante", "ex_post": "day-ahead/{date}/asm-expost"}
_DA_REPORT = {"ex_ante": "asm_exante_damcp.csv", "ex_post": "asm_expost_damcp.csv"}


class AncillaryMcpDayAheadHourlyStream(McpStream):
    """Day-ahead hourly MCP by reserve zone and product, ex-ante and ex-post."""

    name = "ancillary_mcp_day_ahead_hourly"
    primary_keys = ("zone", "product", "interval_start_utc", "price_type")
    parts = ("ex_ante", "ex_post")
    default_lookback_days = 1
    publish_delay = timedelta(hours=-10)  # D-1 14:00 EST
    latest_offset_days = 1  # tomorrow, once published
    source_specs: ClassVar[tuple[SourceSpec, ...]] = (
        SourceSpec(
            source=DATA_EXCHANGE,
            product="pricing",
            # One whole-day request per part (paged): works for ASM (FORMATS §2.2).
            load=lambda ctx, day, part: dx.load_pages(
                ctx, "pricing", dx.day_path(_DA_DX_PATH[part], day)
            ),
            parse=lambda ctx, day, part, pages: parse_dx_hourly(ctx, day, pages, part, None),
            description="pricing/v1/day-ahead/{date}/asm-exante|asm-expost",
        ),
        SourceSpec(
            source=MARKET_REPORT,
            load=lambda ctx, day, part: mr.load_report(ctx, day, _DA_REPORT[part]),
            parse=lambda ctx, day, part, data: parse_mcp_report(ctx, day, data, part, None),
            description="YYYYMMDD_asm_exante_damcp.csv, YYYYMMDD_asm_expost_damcp.csv",
        ),
    )


# -- ancillary_mcp_real_time_hourly -------------------------------------------------------------


class AncillaryMcpRealTimeHourlyStream(McpStream):
    """Real-time hourly ex-post MCP by reserve zone and product, preliminary then final."""

    name = "ancillary_mcp_real_time_hourly"
    primary_keys = ("zone", "product", "interval_start_utc")
    default_lookback_days = 7
    publish_delay = timedelta(hours=31)  # preliminary at D+1 07:00 EST
    latest_offset_days = -1
    revision_field = "revision"
    source_specs: ClassVar[tuple[SourceSpec, ...]] = latest_revision_specs(
        dx_path="real-time/{date}/asm-expost",
        reports={"final": "asm_rtmcp_final.csv", "preliminary": "asm_rtmcp_prelim.csv"},
        parse_dx=parse_dx_hourly,
        parse_report=parse_mcp_report,
    )


# -- ancillary_mcp_real_time_5min ---------------------------------------------------------------

_RT5_DX_PATH = {"ex_ante": "real-time/{date}/asm-exante", "ex_post": "real-time/{date}/asm-expost"}
PUBLIC_MCP = "MarketPricing/GetAncillaryServicesMcp"
#: Public ``HourAndMin`` equals the RefId interval; MISO labels END elsewhere (FORMATS §1.2:
#: "probably END", UNVERIFIED). Treated as END, like the ex-post LMP feed.
PUBLIC_MCP_LABEL = END


def load_dx_5min(ctx: FetchContext, day: date, part: str) -> tuple[str | None, Iterable[bytes]]:
    """(revision, pages); ex-ante has no STR product (FORMATS §2.4), ex-post final first."""
    path = dx.day_path(_RT5_DX_PATH[part], day)
    if part == "ex_ante":
        return None, dx.load_pages(ctx, "pricing", path)
    return load_latest_revision(
        ctx,
        day,
        lambda rev: dx.load_pages(
            ctx,
            "pricing",
            path,
            {"timeResolution": "5min", "preliminaryFinal": dx.PRELIMINARY_FINAL[rev]},
        ),
    )


def parse_dx_5min(
    ctx: FetchContext, day: date, part: str, loaded: tuple[str | None, Iterable[bytes]]
) -> Iterator[Row]:
    """DX 5-minute ``asm-*`` records (START labels since 2026-05-06, §1.2) -> sorted rows."""
    revision, pages = loaded
    mapper = ProductMapper(ctx, day, DATA_EXCHANGE)
    rows: list[Row] = []
    records = parse_dx_mcp_records(
        dx_in_time_order(pages), on_unexpected_columns=ctx.drift_callback(DATA_EXCHANGE)
    )
    for interval, r in placed(
        ctx,
        day,
        records,
        DX_LABEL,
        DATA_EXCHANGE,
        label_of=lambda r: r["time"].start,
        required=("zone",),
    ):
        product = mapper.product(r["product"], (r["zone"], interval.start), r["mcp"])
        if product is None:
            continue
        row = mcp_row(
            interval=interval,
            zone=r["zone"],
            product=product,
            price_type=part,
            revision=revision,
            mcp=r["mcp"],
            invalid=list(r["_invalid"]),
        )
        row["raw_time_label"] = dx_raw_label(r["time"])
        rows.append(row)
    mapper.report()
    return _sorted(rows)


def public_label(row: Row) -> datetime | None:
    """END label of a public RT MCP row: ``MktDay`` + ``HourAndMin``.

    ``00:00`` on market day D can only close D (an END label 00:00 of D's own date would
    belong to D-1), so it means D+1 00:00, like ``24:00`` (FORMATS §1.1 T8).
    """
    label, day = row.get("label"), row.get("market_date")
    if label is None or day is None:
        return None
    if label == datetime(day.year, day.month, day.day):
        return label + timedelta(days=1)
    return label


def load_public(ctx: FetchContext, day: date, part: str) -> bytes:
    """``GetAncillaryServicesMcp``: the latest RT interval, preliminary ex-post (§3.2)."""
    url = public_api.feed_url(ctx, PUBLIC_MCP)
    if already_final(ctx, day):
        raise no_data(f"{day} was delivered as final; no preliminary again", PUBLIC_API, url)
    return public_api.load_feed(ctx, PUBLIC_MCP)


def parse_public(ctx: FetchContext, day: date, part: str, data: bytes) -> Iterator[Row]:
    """The feed's ``RealTimeMCP`` zone prices on ``day`` (the DA section is not used)."""
    mapper = ProductMapper(ctx, day, PUBLIC_API)
    rows: list[Row] = []
    realtime = (
        r
        for r in parse_public_asm_mcp(data, on_unexpected_columns=ctx.drift_callback(PUBLIC_API))
        if r["section"] == "RealTimeMCP"
    )
    for interval, r in placed(
        ctx,
        day,
        realtime,
        PUBLIC_MCP_LABEL,
        PUBLIC_MCP,
        label_of=public_label,
        required=("zone",),
    ):
        product = mapper.product(r["product"], (r["zone"], interval.start), r["mcp"])
        if product is None:
            continue
        row = mcp_row(
            interval=interval,
            zone=r["zone"],
            product=product,
            price_type="ex_post",
            revision="preliminary",
            mcp=r["mcp"],
            invalid=list(r["_invalid"]),
        )
        row["raw_time_label"] = r["raw_label"]
        rows.append(row)
    mapper.report()
    return _sorted(rows)


class AncillaryMcpRealTime5MinStream(McpStream):
    """Real-time 5-minute MCP by reserve zone and product: ex-ante, and ex-post preliminary
    then final."""

    name = "ancillary_mcp_real_time_5min"
    primary_keys = ("zone", "product", "interval_start_utc", "price_type")
    dataset_properties = MCP_5MIN_PROPERTIES
    parts = ("ex_ante", "ex_post")
    default_lookback_days = 7
    publish_delay = timedelta(hours=31)  # DX: D+1 07:00 EST
    latest_offset_days = 0  # today, from the public feed's latest interval
    revision_field = "revision"
    source_specs: ClassVar[tuple[SourceSpec, ...]] = (
        SourceSpec(
            source=DATA_EXCHANGE,
            product="pricing",
            load=load_dx_5min,
            parse=parse_dx_5min,
            description="pricing/v1/real-time/{date}/asm-exante; asm-expost?timeResolution=5min"
            "&preliminaryFinal=Final|Preliminary",
        ),
        SourceSpec(
            source=PUBLIC_API,
            load=load_public,
            parse=parse_public,
            # Latest interval only: nothing but today (FORMATS §3.2).
            serves=lambda day, now: day == timeutil.market_date_of(now),
            parts=("ex_post",),  # the public MCP feed has no ex-ante prices
            description="MarketPricing/GetAncillaryServicesMcp (RealTimeMCP, latest interval)",
        ),
    )


STREAMS = (
    AncillaryMcpDayAheadHourlyStream,
    AncillaryMcpRealTimeHourlyStream,
    AncillaryMcpRealTime5MinStream,
)
