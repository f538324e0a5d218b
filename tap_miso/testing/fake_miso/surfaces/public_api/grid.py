"""Public API fuel mix, load, interchange and wind/solar forecast feeds.

Interchange values are published with the opposite sign of the data model (negative =
import), as public samples suggest (FORMATS P9).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tap_miso.testing.fake_miso.clock import midnight, ref_id, us_clock
from tap_miso.testing.fake_miso.data import grid
from tap_miso.testing.fake_miso.formats.numbers import fixed2, thousands
from tap_miso.testing.fake_miso.response import Response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext
from tap_miso.testing.fake_miso.surfaces.errors import NoData
from tap_miso.testing.fake_miso.surfaces.public_api.windows import (
    day_labels,
    end_slot,
    labels,
    latest_label,
    start_slot,
)

NSI_WINDOW = timedelta(hours=37)
NAI_WINDOW = timedelta(hours=24)
UTC_SHIFT = timedelta(hours=5)


def _require_day(ctx: RequestContext, label: datetime) -> None:
    if label.date() in ctx.state.missing_dates:
        raise NoData("missing date")


def _fuel_rows(ctx: RequestContext, window: list[datetime]) -> list[dict[str, str]]:
    data = ctx.state.data
    rows = []
    for label in window:
        day, index = start_slot(label)
        for category in grid.PUBLIC_FUEL_CATEGORIES:
            mw = data.fuel_mix_5min(day, index, category)
            rows.append({"INTERVALEST": us_clock(label), "CATEGORY": category, "ACT": str(mw),
                         "FUEL_CATEGORY": f"{category}  ({thousands(mw)} MW)"})
    return rows


def fuel_mix(ctx: RequestContext, window: str) -> Response:
    """FuelMix (latest interval), FuelMix/Today, FuelMix/Yesterday; INTERVALEST = START."""
    latest = latest_label(ctx)
    if window == "Yesterday":
        labels_in = day_labels(latest.date() - timedelta(days=1))
    elif window == "Today":
        labels_in = list(labels(midnight(latest.date()), latest))
    else:
        labels_in = [latest]
    _require_day(ctx, labels_in[0])

    def build() -> dict[str, Any]:
        rows = _fuel_rows(ctx, labels_in)
        total = "0" if window else str(sum(int(row["ACT"]) for row in rows))
        return {"RefId": ref_id(labels_in[-1]), "TotalMW": total, "Fuel": {"Type": rows}}

    return ctx.json(build, labels_in[0], labels_in[-1])


def total_load(ctx: RequestContext) -> Response:
    """RealTimeTotalLoad: today's DA cleared MW, MTLF (vintage = today), 5-min load."""
    latest = latest_label(ctx)
    _require_day(ctx, latest)
    data, day = ctx.state.data, latest.date()

    def build() -> dict[str, Any]:
        cleared = []
        for he in range(1, 25):
            demand = [data.da_demand(day, he, region) for region in grid.REGIONS]
            value = round(sum(d.fixed + d.price_sensitive for d in demand))
            cleared.append({"ClearedMWHourly": {"Hour": str(he), "Value": str(value)}})
        forecast = [{"Forecast": {"HourEnding": str(he),
                                  "LoadForecast": str(data.load_forecast(day, day, he, "MISO"))}}
                    for he in range(1, 25)]
        five = [{"Load": {"Time": f"{label:%H:%M}",
                          "Value": str(data.load_5min(*start_slot(label)))}}
                for label in labels(midnight(day), latest)]
        return {"LoadInfo": {"RefId": ref_id(latest), "ClearedMW": cleared,
                             "MediumTermLoadForecast": forecast, "FiveMinTotalLoad": five}}

    return ctx.json(build, latest)


def nsi_five_minute(ctx: RequestContext) -> Response:
    """Interchange/GetNsi/FiveMinute: ~37 h of END-labelled NSI by BA plus MISO."""
    latest = latest_label(ctx)
    _require_day(ctx, latest)
    data = ctx.state.data

    def build() -> dict[str, Any]:
        instances = []
        for label in labels(latest - NSI_WINDOW + timedelta(minutes=5), latest):
            day, index = end_slot(label)
            row = {"timestamp": f"{label:%Y-%m-%d %H:%M:%S}"}
            for ba in sorted((*grid.PUBLIC_NSI_BAS, "MISO")):
                row[ba] = str(-data.nsi_5min(day, index, ba))
            instances.append(row)
        return {"instance": instances, "RefId": ref_id(latest), "MktDay": None}

    return ctx.json(build, latest)


def nai_five_minute(ctx: RequestContext, utc_labels: bool) -> Response:
    """GetNai/FiveMinute (EST labels) and GetNai/Imports (same instants, UTC labels)."""
    latest = latest_label(ctx)
    _require_day(ctx, latest)
    data = ctx.state.data
    shift = UTC_SHIFT if utc_labels else timedelta(0)

    def build() -> list[dict[str, str]]:
        rows = []
        for label in labels(latest - NAI_WINDOW + timedelta(minutes=5), latest):
            day, index = end_slot(label)
            value = round(-data.nai_5min(day, index) * 100)
            rows.append({"Time": us_clock(label + shift), "Value": fixed2(value)})
        return rows

    return ctx.json(build, latest, utc_labels)


def generation_forecast(ctx: RequestContext, fuel: str) -> Response:
    """WindSolar/getwindforecast|getsolarforecast: MISO total, today and tomorrow."""
    latest = latest_label(ctx)
    _require_day(ctx, latest)
    data, today = ctx.state.data, latest.date()

    def build() -> dict[str, Any]:
        forecast = []
        for offset in (0, 1):
            day = today + timedelta(days=offset)
            for he in range(1, 25):
                cents = round(data.generation_forecast(fuel, today, day, he, "MISO") * 100)
                forecast.append({"DateTimeEST": us_clock(midnight(day) + timedelta(hours=he - 1)),
                                 "HourEndingEST": str(he), "Value": fixed2(cents)})
        return {"Forecast": forecast, "RefId": ref_id(latest), "MktDay": f"{today:%m-%d-%Y}"}

    return ctx.json(build, today)
