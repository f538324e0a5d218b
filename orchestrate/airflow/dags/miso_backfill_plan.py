"""Backfill planning: split a date range into partitions and share MISO's quota among them.

Plain Python (no Airflow import). The Data Exchange allows 100 calls/min and 24,000 calls/day
per subscription key, and one tap process never exceeds 100/min per product. Partitions run as
separate `meltano run` processes, each with its own client-side limiter, so the global budget is
divided by the number of partitions that can run at once (P):

- per partition: requests_per_minute = floor(minute budget / P) (at most 100),
  requests_per_day = floor(day budget / P), requests_per_hour = min(60 x per minute, per day);
- pacing "daily" (default) also caps requests_per_minute at floor(per day / 1440): a tap's day
  window starts with its process, so partitions that follow each other in one slot on the same
  day would each get a fresh day allowance; paced evenly, a slot never exceeds its daily share
  (plus at most one minute's calls per partition that starts). "burst" keeps the per-minute
  share: fine when the whole backfill needs fewer calls than one day's budget.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from miso_meltano import JOBS_BY_NAME, env_prefix, meltano_run_command

DX_CALLS_PER_MINUTE_PER_KEY = 100
DX_CALLS_PER_DAY_PER_KEY = 24_000
#: One tap process caps each Data Exchange product at 100 calls/min whatever its settings say.
TAP_MAX_PER_MINUTE = 100
#: Default share of the keys' quota a backfill takes; the scheduled jobs use the same keys.
DEFAULT_BUDGET_SHARE = 0.75
#: Airflow's default `[core] max_map_length`: more mapped tasks fail the whole run.
MAX_PARTITIONS = 1024
MINUTES_PER_DAY = 1440
PACING = ("daily", "burst")

#: Streams the tap emits: every stream meltano.yml selects or maps to Kafka (a test checks).
KNOWN_STREAMS = frozenset({
    "lmp_day_ahead_hourly", "lmp_real_time_hourly", "lmp_real_time_5min",
    "ancillary_mcp_day_ahead_hourly", "ancillary_mcp_real_time_hourly",
    "ancillary_mcp_real_time_5min", "nodes", "load_actual_hourly",
    "day_ahead_cleared_demand_hourly", "load_forecast_hourly", "fuel_mix_hourly",
    "fuel_mix_5min", "generation_forecast_hourly", "interchange_hourly", "interchange_5min",
    "generators",
})

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BackfillError(ValueError):
    """A backfill request that cannot be planned; the message is one line naming the input."""


@dataclass(frozen=True)
class Partition:
    """Market dates start..end, inclusive (the tap's start_date and end_date)."""

    start: date
    end: date

    @property
    def state_id_suffix(self) -> str:
        """Meltano state-id suffix: each partition keeps its own bookmarks."""
        return f"backfill-{self.start.isoformat()}-{self.end.isoformat()}"


@dataclass(frozen=True)
class Limits:
    """Client-side request limits of one partition's tap process."""

    requests_per_minute: int
    requests_per_hour: int
    requests_per_day: int


def parse_date(name: str, value: Any) -> date:
    """A `YYYY-MM-DD` parameter as a date, or a BackfillError naming it."""
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if not _ISO_DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise BackfillError(f"{name} {value!r} is not a date YYYY-MM-DD") from None


def split_range(start: date, end: date, partition_days: int) -> list[Partition]:
    """Consecutive partitions of `partition_days` market dates covering start..end (inclusive)."""
    if isinstance(partition_days, bool) or not isinstance(partition_days, int) \
            or partition_days < 1:
        raise BackfillError(f"partition_days {partition_days!r} must be a whole number >= 1")
    if end < start:
        raise BackfillError(f"end {end} is before start {start}")
    count = ((end - start).days // partition_days) + 1
    if count > MAX_PARTITIONS:
        raise BackfillError(
            f"{count} partitions exceed Airflow's max_map_length {MAX_PARTITIONS}: "
            "raise partition_days"
        )
    step = timedelta(days=partition_days)
    partitions = []
    first = start
    while first <= end:
        partitions.append(Partition(first, min(first + step - timedelta(days=1), end)))
        first += step
    return partitions


def _budget(name: str, value: Any, ceiling: int, default: int) -> int:
    """A whole positive budget no higher than MISO's ceiling for the keys."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BackfillError(f"{name} {value!r} must be a whole number >= 1")
    if value > ceiling:
        raise BackfillError(f"{name} {value} is above MISO's limit {ceiling} for the keys given")
    return value


def partition_limits(
    parallel: int,
    keys: int,
    requests_per_minute: int | None = None,
    requests_per_day: int | None = None,
    pacing: str = "daily",
) -> Limits:
    """Limits of each of `parallel` concurrent partitions sharing the keys' budget (module doc).

    Budgets default to 75% of MISO's limits for `keys` keys (the scheduled jobs keep the rest).
    """
    if isinstance(keys, bool) or not isinstance(keys, int) or keys < 1:
        raise BackfillError(f"keys {keys!r} must be a whole number >= 1")
    if pacing not in PACING:
        raise BackfillError(f"pacing {pacing!r} must be one of {', '.join(PACING)}")
    minute_ceiling = keys * DX_CALLS_PER_MINUTE_PER_KEY
    day_ceiling = keys * DX_CALLS_PER_DAY_PER_KEY
    per_minute_total = _budget("requests_per_minute", requests_per_minute, minute_ceiling,
                               math.floor(minute_ceiling * DEFAULT_BUDGET_SHARE))
    per_day_total = _budget("requests_per_day", requests_per_day, day_ceiling,
                            math.floor(day_ceiling * DEFAULT_BUDGET_SHARE))
    per_minute = min(per_minute_total // parallel, TAP_MAX_PER_MINUTE)
    per_day = per_day_total // parallel
    if per_minute < 1 or per_day < 1:
        which = ("requests_per_minute", per_minute_total) if per_minute < 1 \
            else ("requests_per_day", per_day_total)
        raise BackfillError(
            f"{which[0]} budget {which[1]} is smaller than the {parallel} partitions running "
            "at once: raise the budget or lower the parallelism"
        )
    if pacing == "daily":
        per_minute = min(per_minute, per_day // MINUTES_PER_DAY)
        if per_minute < 1:
            raise BackfillError(
                f"requests_per_day budget {per_day_total} is below {MINUTES_PER_DAY} calls a day "
                f"for each of the {parallel} partitions running at once, too little for "
                "pacing 'daily': raise the budget, lower the parallelism or use pacing 'burst'"
            )
    per_minute = min(per_minute, per_day)
    return Limits(per_minute, min(per_minute * 60, per_day), per_day)


def _selection(streams: Any) -> str | None:
    """Meltano `_select` override (JSON list) for the given stream names, or None."""
    if not streams:
        return None
    if isinstance(streams, str):
        streams = [s.strip() for s in streams.split(",") if s.strip()]
    unknown = sorted(set(streams) - KNOWN_STREAMS)
    if unknown:
        raise BackfillError(f"unknown streams {', '.join(map(str, unknown))}")
    return json.dumps([f"{stream}.*" for stream in sorted(set(streams))])


def plan_backfill(params: dict[str, Any], max_parallel: int) -> list[dict[str, Any]]:
    """BashOperator kwargs (`bash_command`, `env`) of every partition of a backfill request.

    `params`: job, start, end, partition_days, keys, requests_per_minute, requests_per_day,
    pacing, streams (see the miso_backfill DAG). `max_parallel` is the DAG's cap on partitions
    running at once; the budget is shared by min(max_parallel, partitions).
    """
    job = JOBS_BY_NAME.get(params.get("job"))  # type: ignore[arg-type]
    if job is None:
        raise BackfillError(f"job {params.get('job')!r} is not one of {', '.join(JOBS_BY_NAME)}")
    start = parse_date("start", params.get("start"))
    end = parse_date("end", params.get("end"))
    partitions = split_range(start, end, params.get("partition_days", 30))
    limits = partition_limits(
        min(max_parallel, len(partitions)),
        params.get("keys", 1),
        params.get("requests_per_minute"),
        params.get("requests_per_day"),
        params.get("pacing", "daily"),
    )
    select = _selection(params.get("streams"))
    prefix = env_prefix(job.extractor)
    plan = []
    for part in partitions:
        env = {
            f"{prefix}_START_DATE": part.start.isoformat(),
            f"{prefix}_END_DATE": part.end.isoformat(),
            f"{prefix}_LOOKBACK_DAYS": "0",
            f"{prefix}_REQUESTS_PER_MINUTE": str(limits.requests_per_minute),
            f"{prefix}_REQUESTS_PER_HOUR": str(limits.requests_per_hour),
            f"{prefix}_REQUESTS_PER_DAY": str(limits.requests_per_day),
        }
        if select is not None:
            env[f"{prefix}__SELECT"] = select
        plan.append({"bash_command": meltano_run_command(job.name, part.state_id_suffix),
                     "env": env})
    return plan
