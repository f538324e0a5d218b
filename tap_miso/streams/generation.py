"""Generation streams: hourly and 5-minute fuel mix, wind and solar forecasts.

Vocabularies: :mod:`tap_miso.grid_vocabulary`. Values are MW.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import ClassVar

from singer_sdk import typing as th

from tap_miso import grid_vocabulary as gv
from tap_miso import timeutil
from tap_miso.parsers import (
    parse_dx_fuel_type_records,
    parse_mom_xlsx,
    parse_public_fuel_mix,
    parse_public_wind_solar_forecast,
    parse_sr_gfm_xlsx,
)
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
from tap_miso.streams.load import (
    DERIVED_PROPERTY,
    HOUR_ENDING_PROPERTY,
    VINTAGE_PROPERTIES,
    VintagedStream,
    drift,
    renamed_invalid,
    total_of,
    vintage_fields,
)

# -- helpers for latest-only public feeds ---------------------------------------------------------


def is_today(day: date, now: datetime) -> bool:
    """``day`` is today's market date."""
    return day == timeutil.market_today(now)


def is_yesterday(day: date, now: datetime) -> bool:
    """``day`` is yesterday's market date."""
    return day == timeutil.market_today(now) - timedelta(days=1)


class LatestFeedStream(MisoStream):
    """A stream served only by latest-only public feeds (FORMATS §6 rule 3).

    Plans yesterday and today at most, whatever the bookmark or ``start_date``: older dates
    are gone from the feeds. Records are keyed by interval, so a repeated run re-emits the
    same keys (no duplicates downstream) while the bookmark advances.
    """

    default_lookback_days = 1

    def plan_window(self, context: dict | None, now: datetime) -> tuple[date, date, str | None]:
        """The base window clamped to the feeds' reach (yesterday .. today)."""
        first, last, emit_from = super().plan_window(context, now)
        return max(first, timeutil.market_today(now) - timedelta(days=1)), last, emit_from


# -- fuel_mix_hourly ------------------------------------------------------------------------------


def fuel_row(
    day: date,
    he: int,
    region: str,
    raw_region: str | None,
    fuel: str,
    raw_fuel: str | None,
    value: float | None,
    invalid: list[str],
    *,
    derived: bool = False,
) -> Row:
    """One ``fuel_mix_hourly`` row."""
    return {
        "interval": timeutil.hour_ending_interval(day, he),
        "region": region,
        "region_raw": raw_region,
        "fuel": fuel,
        "fuel_raw": raw_fuel,
        "hour_ending": he,
        "generation_mw": value,
        "derived": derived,
        "_invalid": invalid,
    }


def canonical_fuel(raw: str | None) -> str:
    """Canonical fuel; an unknown fuel passes through lower-cased (and is reported as drift)."""
    return gv.fuel(raw) or (raw or "").strip().lower()


def with_fuel_totals(rows: list[Row], day: date) -> list[Row]:
    """Add derived MISO rows (sum of NORTH, CENTRAL, SOUTH per hour and fuel).

    FORMATS §2.5: the RT fuel-type endpoint returns only the three regions.
    """
    groups: dict[tuple[int, str], dict[str, Row]] = defaultdict(dict)
    for row in rows:
        groups[row["hour_ending"], row["fuel"]][row["region"]] = row
    out = list(rows)
    for (he, fuel), regions in groups.items():
        if gv.MISO in regions or not all(r in regions for r in gv.REGIONS):
            continue
        parts = [regions[r] for r in gv.REGIONS]
        invalid = ["generation_mw"] if any(p["_invalid"] for p in parts) else []
        value = total_of(p["generation_mw"] for p in parts)
        raw_fuel = parts[0]["fuel_raw"]
        out.append(fuel_row(day, he, gv.MISO, None, fuel, raw_fuel, value, invalid, derived=True))
    return out


def sorted_fuel_rows(rows: list[Row]) -> Iterator[Row]:
    """Rows in (hour, region, fuel) order."""
    return iter(sorted(rows, key=lambda r: (r["hour_ending"], r["region"], r["fuel"])))


def parse_dx_fuel(ctx: FetchContext, day: date, part: str, pages: list[bytes]) -> Iterator[Row]:
    """DX RT fuel-type rows by region and fuel, plus derived MISO totals."""
    records = parse_dx_fuel_type_records(
        dx.iter_records(pages), on_unexpected_columns=drift(ctx, DATA_EXCHANGE)
    )
    rows = []
    for he, r in dx.dx_hours(ctx, day, records, "fuel mix"):
        if r["fuel"] is None:  # fuelTypes was not an object: nothing to key on
            ctx.logger.warning("%s %s: fuel-type record without fuelTypes skipped", ctx.stream, day)
            continue
        region = gv.region(r["region"]) or (r["region"] or "").upper()
        invalid = renamed_invalid(r["_invalid"], {"mw": "generation_mw"})
        rows.append(
            fuel_row(day, he, region, r["region"], canonical_fuel(r["fuel"]), r["fuel"],
                     r["mw"], invalid)
        )  # fmt: skip
    return sorted_fuel_rows(with_fuel_totals(rows, day))


def parse_mr_fuel(ctx: FetchContext, day: date, part: str, data: bytes) -> Iterator[Row]:
    """``sr_gfm.xlsx`` RT sheet; ``Total`` is MISO as published; ``Total MW`` columns skipped.

    FORMATS §4.5: South has no Storage (and no Wind before 2023-09-07): no row, not zero.
    """
    rows = []
    parsed = parse_sr_gfm_xlsx(
        data, "RT Generation Fuel Mix", on_unexpected_columns=drift(ctx, MARKET_REPORT)
    )
    for r in parsed:
        if r["market_date"] is not None and r["market_date"] != day:
            raise PayloadError("sr_gfm_xlsx", f"file says market date {r['market_date']}")
        if "hour_ending" in r["_invalid"] or r["fuel"].strip().lower() == "total mw":
            continue
        region = gv.region(r["region"]) or (r["region"] or "").upper()
        invalid = renamed_invalid(r["_invalid"], {"mw": "generation_mw"})
        rows.append(
            fuel_row(day, r["hour_ending"], region, r["region"], canonical_fuel(r["fuel"]),
                     r["fuel"], r["mw"], invalid)
        )  # fmt: skip
    return sorted_fuel_rows(rows)


FUEL_PROPERTIES = th.PropertiesList(
    th.Property(
        "region", th.StringType, required=True, description="NORTH, CENTRAL, SOUTH or MISO."
    ),
    th.Property("region_raw", th.StringType, description="Region as the source wrote it."),
    th.Property(
        "fuel",
        th.StringType,
        required=True,
        description="coal, gas, nuclear, hydro, wind, solar, storage, other or imports.",
    ),
    th.Property("fuel_raw", th.StringType, description="Fuel as the source wrote it."),
    HOUR_ENDING_PROPERTY,
    th.Property("generation_mw", th.NumberType, description="Generation, MW."),
    DERIVED_PROPERTY,
)
FUEL_HASH_FIELDS = ("region", "fuel", "interval_start_utc", "interval_end_utc", "generation_mw")


class FuelMixHourlyStream(MisoStream):
    """Real-time (state-estimator) hourly generation by region and fuel."""

    name = "fuel_mix_hourly"
    primary_keys = ("region", "fuel", "interval_start_utc")
    dataset_properties = FUEL_PROPERTIES
    hash_fields = FUEL_HASH_FIELDS
    default_lookback_days = 2
    publish_delay = timedelta(hours=31)  # D+1 07:00 EST
    latest_offset_days = -1
    source_specs: ClassVar[tuple[SourceSpec, ...]] = (
        SourceSpec(
            source=DATA_EXCHANGE,
            product="lgi",
            load=lambda ctx, day, part: dx.load_pages(
                ctx, "lgi", dx.day_path("real-time/{date}/generation/fuel-type", day)
            ),
            parse=parse_dx_fuel,
            description="lgi/v1/real-time/{date}/generation/fuel-type",
        ),
        SourceSpec(
            source=MARKET_REPORT,
            load=lambda ctx, day, part: mr.load_report(ctx, day, "sr_gfm.xlsx"),
            parse=parse_mr_fuel,
            description="YYYYMMDD_sr_gfm.xlsx, sheet RT Generation Fuel Mix (being retired)",
        ),
    )


# -- fuel_mix_5min --------------------------------------------------------------------------------

#: ``INTERVALEST`` is read as the interval START (FORMATS §1.2: UNVERIFIED). Public client code
#: treats it so and ``FuelMix/Yesterday`` then holds exactly the 288 intervals of its day;
#: the raw label is stored in ``interval_label`` so a wrong guess can be corrected later.
FUEL_MIX_LABEL = "start"


def parse_public_fuel(ctx: FetchContext, day: date, feed: str, data: bytes) -> Iterator[Row]:
    """Public FuelMix rows of market date ``day`` (the feed windows are not market days)."""
    rows = []
    for r in parse_public_fuel_mix(data, on_unexpected_columns=drift(ctx, PUBLIC_API)):
        if r["label"] is None or r["category"] is None:
            ctx.logger.warning("%s %s: FuelMix entry %s skipped", ctx.stream, day, r["raw_label"])
            continue
        interval = timeutil.five_minute_from_start(r["label"])
        if interval.market_date != day:
            continue
        rows.append({
            "interval": interval,
            "region": gv.MISO,
            "fuel": canonical_fuel(r["category"]),
            "fuel_raw": r["category"],
            "interval_label": r["raw_label"],
            "generation_mw": r["mw"],
            "_invalid": renamed_invalid(r["_invalid"], {"mw": "generation_mw"}),
        })  # fmt: skip
    return iter(sorted(rows, key=lambda r: (r["interval"].start, r["fuel"])))


def fuel_feed_spec(feed: str, serves: Callable[[date, datetime], bool]) -> SourceSpec:
    """A public FuelMix window as a source."""
    return SourceSpec(
        source=PUBLIC_API,
        load=lambda ctx, day, part: public_api.load_feed(ctx, feed),
        parse=lambda ctx, day, part, data: parse_public_fuel(ctx, day, feed, data),
        serves=serves,
        description=f"public api {feed}",
    )


class FuelMix5MinStream(LatestFeedStream):
    """MISO-wide 5-minute generation by fuel category from the public API (latest windows)."""

    name = "fuel_mix_5min"
    primary_keys = ("region", "fuel", "interval_start_utc")
    dataset_properties = th.PropertiesList(
        th.Property("region", th.StringType, required=True, description="Always MISO."),
        *(FUEL_PROPERTIES.wrapped[n] for n in ("fuel", "fuel_raw")),
        th.Property(
            "interval_label",
            th.StringType,
            description="INTERVALEST as published (EST), read as the interval START "
            "(unverified, FORMATS §1.2).",
        ),
        th.Property("generation_mw", th.NumberType, description="Generation, MW."),
    )
    hash_fields = FUEL_HASH_FIELDS
    source_specs: ClassVar[tuple[SourceSpec, ...]] = (
        fuel_feed_spec("FuelMix/Yesterday", lambda day, now: is_yesterday(day, now)),
        fuel_feed_spec("FuelMix/Today", lambda day, now: is_today(day, now)),
        # FuelMix/Today has answered empty for weeks (FORMATS §3.2): keep the latest interval.
        fuel_feed_spec("FuelMix", lambda day, now: is_today(day, now)),
    )


# -- generation_forecast_hourly -------------------------------------------------------------------

GENERATION_FORECAST_FUELS = ("wind", "solar")


def forecast_row(
    vintage: date, day: date, he: int, fuel: str, region: str, raw: str | None,
    value: float | None, invalid: list[str],
) -> Row:  # fmt: skip
    """One ``generation_forecast_hourly`` row."""
    return {
        "interval": timeutil.hour_ending_interval(day, he),
        **vintage_fields(vintage),
        "fuel": fuel,
        "region": region,
        "region_raw": raw,
        "hour_ending": he,
        "forecast_mw": value,
        "_invalid": invalid,
    }


def sorted_forecast(rows: list[Row]) -> Iterator[Row]:
    """Rows in (interval, fuel, region) order."""
    return iter(sorted(rows, key=lambda r: (r["interval"].start, r["fuel"], r["region"])))


def parse_mom(ctx: FetchContext, vintage: date, part: str, data: bytes) -> Iterator[Row]:
    """``mom.xlsx`` WIND HOURLY and SOLAR HOURLY sheets: one vintage (= file date, FORMATS §4.5)
    by region and MISO for the days the file covers."""
    rows = []
    for fuel in GENERATION_FORECAST_FUELS:
        sheet = f"{fuel.upper()} HOURLY"
        for r in parse_mom_xlsx(data, sheet, on_unexpected_columns=drift(ctx, MARKET_REPORT)):
            if "hour_ending" in r["_invalid"]:
                continue
            region = gv.region(r["region"]) or r["region"].upper()
            invalid = renamed_invalid(r["_invalid"], {"mw": "forecast_mw"})
            rows.append(forecast_row(vintage, r["market_date"], r["hour_ending"], fuel, region,
                                     r["region"], r["mw"], invalid))  # fmt: skip
    return sorted_forecast(rows)


def load_public_forecasts(ctx: FetchContext, vintage: date, part: str) -> dict[str, bytes]:
    """``WindSolar/getwindforecast`` and ``getsolarforecast`` (MISO total, today + tomorrow)."""
    return {
        fuel: public_api.load_feed(ctx, f"WindSolar/get{fuel}forecast")
        for fuel in GENERATION_FORECAST_FUELS
    }


def parse_public_forecasts(
    ctx: FetchContext, vintage: date, part: str, feeds: dict[str, bytes]
) -> Iterator[Row]:
    """MISO-total rows; the feeds are today's run, so the vintage is today (the planned date)."""
    rows = []
    for fuel, data in feeds.items():
        feed = f"WindSolar/get{fuel}forecast"
        parsed = parse_public_wind_solar_forecast(
            data, on_unexpected_columns=drift(ctx, PUBLIC_API)
        )
        for r in parsed:
            if r["market_date"] is None or "hour_ending" in r["_invalid"]:
                ctx.logger.warning("%s: %s entry %s skipped", ctx.stream, feed, r["raw_label"])
                continue
            invalid = renamed_invalid(r["_invalid"], {"mw": "forecast_mw"})
            rows.append(forecast_row(vintage, r["market_date"], r["hour_ending"], fuel, gv.MISO,
                                     None, r["mw"], invalid))  # fmt: skip
    return sorted_forecast(rows)


class GenerationForecastHourlyStream(VintagedStream):
    """Wind and solar generation forecasts by region, one vintage per file/run."""

    name = "generation_forecast_hourly"
    primary_keys = ("fuel", "region", "interval_start_utc", "forecast_issued_utc")
    dataset_properties = th.PropertiesList(
        *VINTAGE_PROPERTIES,
        th.Property("fuel", th.StringType, required=True, description="wind or solar."),
        FUEL_PROPERTIES.wrapped["region"],
        FUEL_PROPERTIES.wrapped["region_raw"],
        HOUR_ENDING_PROPERTY,
        th.Property("forecast_mw", th.NumberType, description="Forecast generation, MW."),
    )
    hash_fields = (
        "fuel", "region", "interval_start_utc", "interval_end_utc", "forecast_issued_utc",
        "forecast_mw",
    )  # fmt: skip
    default_lookback_days = 1
    publish_delay = timedelta(hours=19, minutes=30)  # mom.xlsx: 19:30 EST on the file date
    latest_offset_days = 0
    source_specs: ClassVar[tuple[SourceSpec, ...]] = (
        SourceSpec(
            source=MARKET_REPORT,
            load=lambda ctx, day, part: mr.load_report(ctx, day, "mom.xlsx"),
            parse=parse_mom,
            description="YYYYMMDD_mom.xlsx sheets WIND HOURLY, SOLAR HOURLY (vintage = file date)",
        ),
        SourceSpec(
            source=PUBLIC_API,
            load=load_public_forecasts,
            parse=parse_public_forecasts,
            serves=is_today,
            description="public api WindSolar/getwindforecast, getsolarforecast (today's run)",
        ),
    )


STREAMS = (FuelMixHourlyStream, FuelMix5MinStream, GenerationForecastHourlyStream)
