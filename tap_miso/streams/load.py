"""Load streams: actual load, day-ahead cleared demand and the MTLF load forecast.

Also home of the helpers the grid streams share (`VintagedStream`, totals, DX hours).
Vocabularies: :mod:`tap_miso.grid_vocabulary`. Values are MW (MISO labels hourly load MWh:
one hour's energy, i.e. the hour's average MW).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import ClassVar

from singer_sdk import typing as th

from tap_miso import grid_vocabulary as gv
from tap_miso import timeutil
from tap_miso.http.errors import NoDataError
from tap_miso.parsers import (
    parse_df_al_xls,
    parse_dx_demand_records,
    parse_dx_load_forecast_records,
    parse_dx_load_records,
    parse_rf_al_xls,
)
from tap_miso.parsers.errors import PayloadError
from tap_miso.sources import data_exchange as dx
from tap_miso.sources import market_reports as mr
from tap_miso.sources.base import DATA_EXCHANGE, MARKET_REPORT, FetchContext, Row, SourceSpec
from tap_miso.streams.base import MisoStream

ONE_DAY = timedelta(days=1)

# -- helpers shared by the grid streams ----------------------------------------------------------


def total_of(values: Iterable[float | None]) -> float | None:
    """Sum of parts, rounded to 1e-6 so float noise never changes a hash; None if any is None."""
    parts = list(values)
    if not parts or any(v is None for v in parts):
        return None
    return round(sum(parts), 6)  # type: ignore[arg-type]


def report_rows_for(ctx: FetchContext, rows: Iterable[Row], day: date, what: str) -> Iterator[Row]:
    """Report rows of market date ``day`` whose hour ending is usable (1..24)."""
    for row in rows:
        if row["market_date"] != day:
            continue
        if "hour_ending" in row["_invalid"]:
            ctx.logger.warning(
                "%s %s: %s row with hour ending %s skipped",
                ctx.stream,
                day,
                what,
                row["hour_ending"],
            )
            continue
        yield row


def renamed_invalid(invalid: Iterable[str], names: dict[str, str]) -> list[str]:
    """Parser ``_invalid`` names mapped to this stream's field names (others dropped)."""
    return [names[name] for name in invalid if name in names]


def drift(ctx: FetchContext, source: str) -> Callable[[list[str]], None]:
    """Schema-drift callback of ``source`` for parsers."""
    return ctx.drift_callback(source)


class VintagedStream(MisoStream):
    """A forecast stream planned by vintage (issue date), not by market date.

    Vintages overlap in interval time (each covers several days ahead), so the replication
    key is ``forecast_issued_utc``: each planned "day" is a vintage date, its records leave in
    ascending ``interval_start_utc``, and the bookmark is the last vintage delivered. A later
    vintage never overwrites an earlier one: ``forecast_issued_utc`` is part of the key.
    ``forecast_issued_utc`` is the vintage date's market-day start (00:00 EST): MISO does not
    publish one issue instant for all sources, and this convention makes the same vintage
    from two sources the same key.
    """

    replication_key = "forecast_issued_utc"
    planned_unit = "vintages"


def vintage_fields(vintage: date) -> dict[str, str]:
    """``forecast_vintage_date`` and ``forecast_issued_utc`` (vintage date 00:00 EST)."""
    return {
        "forecast_vintage_date": vintage.isoformat(),
        "forecast_issued_utc": timeutil.format_utc(timeutil.market_day_start(vintage)),
    }


VINTAGE_PROPERTIES = (
    th.Property(
        "forecast_issued_utc",
        th.DateTimeType,
        required=True,
        description="Vintage of the forecast: its vintage date at 00:00 EST, in UTC. "
        "Part of the key; replication key.",
    ),
    th.Property(
        "forecast_vintage_date",
        th.DateType,
        required=True,
        description="Date of the forecast run (DX init, report file date).",
    ),
)
DERIVED_PROPERTY = th.Property(
    "derived",
    th.BooleanType,
    required=True,
    description="True when the tap computed the value as the sum of its parts because the "
    "source does not publish it (e.g. the MISO total of the Data Exchange).",
)
HOUR_ENDING_PROPERTY = th.Property(
    "hour_ending", th.IntegerType, description="MISO hour ending 1..24 (EST)."
)
AREA_PROPERTIES = (
    th.Property(
        "area",
        th.StringType,
        required=True,
        description="NORTH, CENTRAL, SOUTH, an LRZ group (LRZ1, LRZ2_7, LRZ3_5, LRZ4, LRZ6, "
        "LRZ8_9_10), MISO, or (load forecast) an MTLF zone Z1..Z10.",
    ),
    th.Property(
        "area_level", th.StringType, required=True, description="region, lrz, zone or total."
    ),
    th.Property("area_raw", th.StringType, description="Area as the source wrote it."),
)


# -- load_actual_hourly --------------------------------------------------------------------------


def area_level(area: str) -> str:
    """``total``, ``region``, ``lrz`` or ``zone`` of a canonical area."""
    if area == gv.MISO:
        return gv.AREA_TOTAL
    if area in gv.REGIONS:
        return gv.AREA_REGION
    if area in gv.MTLF_ZONES:
        return gv.AREA_ZONE
    return gv.AREA_LRZ


def canonical_area(raw: str | None) -> str:
    """Canonical area of a raw region/LRZ/zone name; unknown names pass through upper-cased."""
    text = (raw or "").strip()
    return gv.region(text) or gv.mtlf_zone(text) or gv.lrz_group(text) or text.upper()


def load_row(
    day: date,
    he: int,
    area: str,
    raw: str | None,
    value: float | None,
    invalid: list[str],
    *,
    derived: bool = False,
) -> Row:
    """One ``load_actual_hourly`` row."""
    return {
        "interval": timeutil.hour_ending_interval(day, he),
        "area": area,
        "area_level": area_level(area),
        "area_raw": raw,
        "hour_ending": he,
        "load_mw": value,
        "derived": derived,
        "_invalid": invalid,
    }


def with_derived_total(
    rows: list[Row], day: date, field: str, make: Callable[..., Row]
) -> list[Row]:
    """Add a derived MISO row per hour (sum of the three regions) when MISO is absent.

    FORMATS §2.5/§6: the DX returns regions only; "derive MISO totals where absent".
    """
    by_hour: dict[int, dict[str, Row]] = defaultdict(dict)
    for row in rows:
        by_hour[row["hour_ending"]][row["area"]] = row
    out = list(rows)
    for he, areas in by_hour.items():
        if gv.MISO in areas or not all(r in areas for r in gv.REGIONS):
            continue
        parts = [areas[r][field] for r in gv.REGIONS]
        invalid = [field] if any(field in areas[r]["_invalid"] for r in gv.REGIONS) else []
        out.append(make(day, he, gv.MISO, None, total_of(parts), invalid, derived=True))
    return out


def sorted_by_hour(rows: list[Row], key: str = "area") -> Iterator[Row]:
    """Rows in (hour, key) order: ascending intervals, deterministic within an hour."""
    return iter(sorted(rows, key=lambda r: (r["hour_ending"], r[key])))


_GEO = {"region": "region", "lrz": "localResourceZone"}


def load_dx_actual(ctx: FetchContext, day: date, part: str) -> list[bytes]:
    """``lgi/v1/real-time/{date}/demand/actual`` at one geoResolution (FORMATS §2.5)."""
    params = {"geoResolution": _GEO[part], "timeResolution": "hourly"}
    return dx.load_pages(ctx, "lgi", dx.day_path("real-time/{date}/demand/actual", day), params)


def parse_dx_actual(ctx: FetchContext, day: date, part: str, pages: list[bytes]) -> Iterator[Row]:
    """DX actual load rows of one part; the region part gains a derived MISO total."""
    records = parse_dx_load_records(
        dx.iter_records(pages), on_unexpected_columns=drift(ctx, DATA_EXCHANGE)
    )
    rows = []
    for he, r in dx.dx_hours(ctx, day, records, "actual load"):
        raw = r["region"] if part == "region" else r["local_resource_zone"]
        if not raw:  # no area to key on (FORMATS §2.5: region OR localResourceZone)
            ctx.logger.warning("%s %s: actual-load record without %s skipped", ctx.stream, day,
                               _GEO[part])  # fmt: skip
            continue
        invalid = renamed_invalid(r["_invalid"], {"load": "load_mw"})
        rows.append(load_row(day, he, canonical_area(raw), raw, r["load"], invalid))
    if part == "region":
        rows = with_derived_total(rows, day, "load_mw", load_row)
    return sorted_by_hour(rows)


def load_mr_actual(ctx: FetchContext, day: date, part: str) -> bytes:
    """df_al (LRZ) or rf_al (regions) **dated D+1**: actual load for D is in the next day's file
    (FORMATS §4.4 Coverage, §7.14)."""
    report = "rf_al.xls" if part == "region" else "df_al.xls"
    return mr.load_report(ctx, day + ONE_DAY, report)


def parse_mr_actual(ctx: FetchContext, day: date, part: str, data: bytes) -> Iterator[Row]:
    """Actual-load rows of market date ``day`` from df_al (LRZ groups) or rf_al (regions+MISO).

    df_al's MISO column duplicates rf_al's and is left to the region part.
    """
    parser = parse_rf_al_xls if part == "region" else parse_df_al_xls
    rows = []
    for r in report_rows_for(
        ctx, parser(data, on_unexpected_columns=drift(ctx, MARKET_REPORT)), day, "load report"
    ):
        area = canonical_area(r["area"])
        if part == "lrz" and area == gv.MISO:
            continue
        invalid = renamed_invalid(r["_invalid"], {"actual_load": "load_mw"})
        rows.append(load_row(day, r["hour_ending"], area, r["area"], r["actual_load"], invalid))
    return sorted_by_hour(rows)


LOAD_ACTUAL_PROPERTIES = th.PropertiesList(
    *AREA_PROPERTIES,
    HOUR_ENDING_PROPERTY,
    th.Property(
        "load_mw",
        th.NumberType,
        description="Actual load, MW averaged over the hour (MISO: MWh per hour ending).",
    ),
    DERIVED_PROPERTY,
)


class LoadActualHourlyStream(MisoStream):
    """Actual hourly load by region, LRZ group and MISO total."""

    name = "load_actual_hourly"
    primary_keys = ("area", "interval_start_utc")
    dataset_properties = LOAD_ACTUAL_PROPERTIES
    hash_fields = ("area", "area_level", "interval_start_utc", "interval_end_utc", "load_mw")
    parts = ("region", "lrz")
    default_lookback_days = 2
    publish_delay = timedelta(hours=26)  # DX: D+1 02:00 EST (df_al D+1 is out at 00:00)
    latest_offset_days = -1
    source_specs: ClassVar[tuple[SourceSpec, ...]] = (
        SourceSpec(
            source=DATA_EXCHANGE,
            product="lgi",
            load=load_dx_actual,
            parse=parse_dx_actual,
            description="lgi/v1/real-time/{date}/demand/actual?geoResolution=region|"
            "localResourceZone",
        ),
        SourceSpec(
            source=MARKET_REPORT,
            load=load_mr_actual,
            parse=parse_mr_actual,
            description="YYYYMMDD_rf_al.xls (regions), YYYYMMDD_df_al.xls (LRZ), dated D+1",
        ),
    )


# -- day_ahead_cleared_demand_hourly --------------------------------------------------------------

_DEMAND_FIELDS = {"fixed": "fixed_mw", "price_sens": "price_sensitive_mw", "virtual": "virtual_mw"}


def demand_row(
    day: date,
    he: int,
    region: str,
    raw: str | None,
    values: dict[str, float | None],
    invalid: list[str],
    *,
    derived: bool = False,
) -> Row:
    """One ``day_ahead_cleared_demand_hourly`` row; total = fixed + price-sensitive + virtual."""
    parts = [values[f] for f in _DEMAND_FIELDS.values()]
    return {
        "interval": timeutil.hour_ending_interval(day, he),
        "region": region,
        "region_raw": raw,
        "hour_ending": he,
        **values,
        "total_mw": total_of(parts),
        "derived": derived,
        "_invalid": invalid,
    }


def demand_total(hour_rows: list[Row], day: date, he: int) -> Row | None:
    """Derived MISO row (component-wise sum of the three regions); None if a region is absent."""
    by_region = {r["region"]: r for r in hour_rows}
    if gv.MISO in by_region or not all(r in by_region for r in gv.REGIONS):
        return None
    values = {f: total_of(by_region[r][f] for r in gv.REGIONS) for f in _DEMAND_FIELDS.values()}
    invalid = sorted({f for r in gv.REGIONS for f in by_region[r]["_invalid"]})
    return demand_row(day, he, gv.MISO, None, values, invalid, derived=True)


def parse_dx_demand(ctx: FetchContext, day: date, part: str, pages: list[bytes]) -> Iterator[Row]:
    """DX ``day-ahead/{date}/demand`` rows, regions plus a derived MISO total per hour."""
    records = parse_dx_demand_records(
        dx.iter_records(pages), on_unexpected_columns=drift(ctx, DATA_EXCHANGE)
    )
    by_hour: dict[int, list[Row]] = defaultdict(list)
    for he, r in dx.dx_hours(ctx, day, records, "day-ahead demand"):
        values = {field: r[name] for name, field in _DEMAND_FIELDS.items()}
        invalid = renamed_invalid(r["_invalid"], _DEMAND_FIELDS)
        by_hour[he].append(
            demand_row(day, he, canonical_area(r["region"]), r["region"], values, invalid)
        )
    rows = []
    for he, hour_rows in by_hour.items():
        total = demand_total(hour_rows, day, he)
        rows += [*hour_rows, *([total] if total else [])]
    return sorted_by_hour(rows, "region")


DEMAND_PROPERTIES = th.PropertiesList(
    th.Property(
        "region", th.StringType, required=True, description="NORTH, CENTRAL, SOUTH or MISO."
    ),
    th.Property("region_raw", th.StringType, description="Region as the source wrote it."),
    HOUR_ENDING_PROPERTY,
    th.Property("fixed_mw", th.NumberType, description="Cleared fixed demand, MW."),
    th.Property(
        "price_sensitive_mw", th.NumberType, description="Cleared price-sensitive demand, MW."
    ),
    th.Property("virtual_mw", th.NumberType, description="Cleared virtual demand, MW."),
    th.Property(
        "total_mw",
        th.NumberType,
        description="fixed + price_sensitive + virtual, MW (null when a component is null).",
    ),
    DERIVED_PROPERTY,
)


class DayAheadClearedDemandHourlyStream(MisoStream):
    """Day-ahead cleared demand by region (Data Exchange only; no market report is parsed)."""

    name = "day_ahead_cleared_demand_hourly"
    primary_keys = ("region", "interval_start_utc")
    dataset_properties = DEMAND_PROPERTIES
    hash_fields = (
        "region", "interval_start_utc", "interval_end_utc", "fixed_mw", "price_sensitive_mw",
        "virtual_mw", "total_mw",
    )  # fmt: skip
    default_lookback_days = 1
    publish_delay = timedelta(hours=-10)  # D-1 14:00 EST
    latest_offset_days = 1
    source_specs: ClassVar[tuple[SourceSpec, ...]] = (
        SourceSpec(
            source=DATA_EXCHANGE,
            product="lgi",
            load=lambda ctx, day, part: dx.load_pages(
                ctx,
                "lgi",
                dx.day_path("day-ahead/{date}/demand", day),
                {"timeResolution": "hourly"},
            ),
            parse=parse_dx_demand,
            description="lgi/v1/day-ahead/{date}/demand?timeResolution=hourly",
        ),
    )


# -- load_forecast_hourly --------------------------------------------------------------------------

MTLF_HORIZON_DAYS = 7  # DX: targets init+1 .. init+7 (FORMATS §2.5, §6)


def forecast_row(
    vintage: date,
    day: date,
    he: int,
    area: str,
    raw: str | None,
    value: float | None,
    invalid: list[str],
    *,
    derived: bool = False,
) -> Row:
    """One ``load_forecast_hourly`` row."""
    return {
        "interval": timeutil.hour_ending_interval(day, he),
        **vintage_fields(vintage),
        "area": area,
        "area_level": area_level(area),
        "area_raw": raw,
        "lrz_group": gv.lrz_group(area),
        "hour_ending": he,
        "load_forecast_mw": value,
        "derived": derived,
        "_invalid": invalid,
    }


def load_dx_forecast(ctx: FetchContext, vintage: date, part: str) -> list[tuple[date, list]]:
    """Every target date of MTLF run ``init=vintage`` (one call per target, FORMATS §2.5)."""
    loaded: list[tuple[date, list]] = []
    last: NoDataError | None = None
    for offset in range(1, MTLF_HORIZON_DAYS + 1):
        target = vintage + timedelta(days=offset)
        path = dx.day_path("forecast/{date}/load", target)
        try:
            pages = dx.load_pages(ctx, "lgi", path, {"init": vintage.isoformat()})
        except NoDataError as exc:
            last = exc
            continue
        loaded.append((target, pages))
    if not loaded and last is not None:
        raise last
    return loaded


def zone_aggregates(
    vintage: date, day: date, he: int, zones: list[Row], regions: dict[str, str]
) -> list[Row]:
    """Derived LRZ-group, region and MISO rows from one hour's zone rows (FORMATS §7.13).

    A group is summed only when all its zones are present; regions and MISO only when all
    ten zones are (region membership comes from each record's ``region``).
    """
    present = {row["area"]: row for row in zones}
    groups: dict[str, list[Row]] = defaultdict(list)
    for zone, lrz in gv.ZONE_TO_LRZ.items():
        groups[lrz].append(present.get(zone))  # type: ignore[arg-type]
    if all(zone in present for zone in gv.MTLF_ZONES):
        for zone, row in present.items():
            if regions.get(zone):
                groups[regions[zone]].append(row)
        groups[gv.MISO] = [present[zone] for zone in gv.MTLF_ZONES]
    out = []
    for area, members in groups.items():
        if any(r is None for r in members):
            continue
        value = total_of(r["load_forecast_mw"] for r in members)
        invalid = ["load_forecast_mw"] if any(r["_invalid"] for r in members) else []
        out.append(forecast_row(vintage, day, he, area, None, value, invalid, derived=True))
    return out


def parse_dx_forecast(
    ctx: FetchContext, vintage: date, part: str, loaded: list[tuple[date, list]]
) -> Iterator[Row]:
    """Zone rows of each target plus derived LRZ-group, region and MISO rows."""
    rows: list[Row] = []
    for day, pages in loaded:
        records = parse_dx_load_forecast_records(
            dx.iter_records(pages), on_unexpected_columns=drift(ctx, DATA_EXCHANGE)
        )
        by_hour: dict[int, list[Row]] = defaultdict(list)
        regions: dict[str, str] = {}
        for he, r in dx.dx_hours(ctx, day, records, "load forecast"):
            if r["init"] is not None and r["init"] != vintage:
                raise PayloadError("dx_load_forecast", f"init {r['init']} != requested {vintage}")
            raw = r["local_resource_zone"]
            invalid = renamed_invalid(r["_invalid"], {"load_forecast": "load_forecast_mw"})
            row = forecast_row(
                vintage, day, he, canonical_area(raw), raw, r["load_forecast"], invalid
            )
            by_hour[he].append(row)
            regions[row["area"]] = gv.region(r["region"]) or ""
        for he, zones in by_hour.items():
            rows += zones + zone_aggregates(vintage, day, he, zones, regions)
    return iter(sorted(rows, key=lambda r: (r["interval"].start, r["area"])))


def load_mr_forecast(ctx: FetchContext, vintage: date, part: str) -> tuple[bytes, bytes | None]:
    """df_al (LRZ + MISO) and rf_al (regions) dated ``vintage``: each file is one MTLF vintage
    (FORMATS §4.4: the vintage is the file date). rf_al is optional."""
    df_al = mr.load_report(ctx, vintage, "df_al.xls")
    try:
        rf_al: bytes | None = mr.load_report(ctx, vintage, "rf_al.xls")
    except NoDataError:
        ctx.logger.warning("%s %s: rf_al.xls missing; regions omitted", ctx.stream, vintage)
        rf_al = None
    return df_al, rf_al


def parse_mr_forecast(
    ctx: FetchContext, vintage: date, part: str, loaded: tuple[bytes, bytes | None]
) -> Iterator[Row]:
    """MTLF rows of both files for every market day they cover (D-1 .. D+5)."""
    df_al, rf_al = loaded
    tables = [(parse_df_al_xls, df_al, False), (parse_rf_al_xls, rf_al, True)]
    rows: list[Row] = []
    for parser, data, regions_only in tables:
        if data is None:
            continue
        for r in parser(data, on_unexpected_columns=drift(ctx, MARKET_REPORT)):
            area = canonical_area(r["area"])
            if "hour_ending" in r["_invalid"] or (regions_only and area == gv.MISO):
                continue  # MISO comes from df_al
            invalid = renamed_invalid(r["_invalid"], {"mtlf": "load_forecast_mw"})
            rows.append(
                forecast_row(
                    vintage, r["market_date"], r["hour_ending"], area, r["area"], r["mtlf"], invalid
                )
            )
    return iter(sorted(rows, key=lambda r: (r["interval"].start, r["area"])))


LOAD_FORECAST_PROPERTIES = th.PropertiesList(
    *VINTAGE_PROPERTIES,
    *AREA_PROPERTIES,
    th.Property(
        "lrz_group",
        th.StringType,
        description="LRZ group of a zone or LRZ area (Z5 -> LRZ3_5); null for regions/MISO.",
    ),
    HOUR_ENDING_PROPERTY,
    th.Property("load_forecast_mw", th.NumberType, description="MTLF load forecast, MW."),
    DERIVED_PROPERTY,
)


def _before_today(day: date, now: datetime) -> bool:
    # DX: init must be before today (FORMATS §2.5 forecast/load).
    return day < timeutil.market_today(now)


class LoadForecastHourlyStream(VintagedStream):
    """MISO medium-term load forecast (MTLF) by zone, LRZ group, region and MISO, per vintage."""

    name = "load_forecast_hourly"
    primary_keys = ("area", "interval_start_utc", "forecast_issued_utc")
    dataset_properties = LOAD_FORECAST_PROPERTIES
    hash_fields = (
        "area", "area_level", "interval_start_utc", "interval_end_utc", "forecast_issued_utc",
        "load_forecast_mw",
    )  # fmt: skip
    default_lookback_days = 1
    publish_delay = timedelta(hours=31)  # DX run `init` F: 07:00 EST on F+1
    latest_offset_days = 0  # today's vintage: df_al dated today is out at 00:00 EST
    source_specs: ClassVar[tuple[SourceSpec, ...]] = (
        SourceSpec(
            source=DATA_EXCHANGE,
            product="lgi",
            load=load_dx_forecast,
            parse=parse_dx_forecast,
            serves=_before_today,
            description="lgi/v1/forecast/{target}/load?init={vintage}, target = vintage+1..+7",
        ),
        SourceSpec(
            source=MARKET_REPORT,
            load=load_mr_forecast,
            parse=parse_mr_forecast,
            description="YYYYMMDD_df_al.xls MTLF columns (+ rf_al.xls regions), file date = "
            "vintage",
        ),
    )


STREAMS = (LoadActualHourlyStream, DayAheadClearedDemandHourlyStream, LoadForecastHourlyStream)
