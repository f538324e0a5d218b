"""Records shaped like the streams' output, built from the fake's data model."""

from __future__ import annotations

from datetime import date, timedelta

from tap_miso import timeutil
from tap_miso.testing.fake_miso import DataModel


def hourly_fields(day: date, hour_ending: int, source: str = "market_report") -> dict:
    interval = timeutil.hour_ending_interval(day, hour_ending)
    record = interval.fields("EST")
    record["source"] = source
    record["quality_flags"] = []
    return record


def five_min_fields(day: date, index: int) -> dict:
    start = timeutil.market_day_start(day) + timedelta(minutes=5 * index)
    return {
        "interval_start_utc": timeutil.format_utc(start),
        "interval_end_utc": timeutil.format_utc(start + timedelta(minutes=5)),
        "market_date": day.isoformat(),
        "source": "data_exchange",
        "quality_flags": [],
    }


def lmp_record(model: DataModel, day: date, he: int, node: str, price_type: str) -> dict:
    lmp = model.lmp(day, he, node, price_type)
    return {**hourly_fields(day, he), "node": node, "price_type": price_type,
            "lmp": lmp.lmp, "mec": lmp.mec, "mcc": lmp.mcc, "mlc": lmp.mlc}


def days(first: date, n: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(n)]
