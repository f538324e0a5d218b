"""Backfill planning and the Meltano command builder, as plain Python (no Airflow import)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import pytest
from miso_backfill_plan import (
    KNOWN_STREAMS,
    BackfillError,
    Limits,
    Partition,
    partition_limits,
    plan_backfill,
    split_range,
)
from miso_meltano import JOBS, env_prefix, meltano_run_command

from conftest import DAGS

D = date.fromisoformat


def spans(partitions: list[Partition]) -> list[tuple[str, str]]:
    return [(p.start.isoformat(), p.end.isoformat()) for p in partitions]


def test_planner_modules_do_not_need_airflow():
    code = ("import sys, miso_backfill_plan, miso_meltano; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'airflow'))")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(DAGS)},
                         capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.strip() == "[]"


def test_split_range_covers_every_date_once_in_order():
    parts = split_range(D("2023-01-01"), D("2023-03-15"), 30)
    assert spans(parts) == [
        ("2023-01-01", "2023-01-30"), ("2023-01-31", "2023-03-01"), ("2023-03-02", "2023-03-15"),
    ]


def test_range_shorter_than_a_partition_is_one_partition():
    assert spans(split_range(D("2024-05-10"), D("2024-05-12"), 30)) == [
        ("2024-05-10", "2024-05-12")
    ]
    assert spans(split_range(D("2024-05-10"), D("2024-05-10"), 1)) == [
        ("2024-05-10", "2024-05-10")
    ]


def test_leap_years_count_february_29():
    # 2024 has 366 dates: one 366-day partition, or 365 days plus 2024-12-31 alone.
    assert spans(split_range(D("2024-01-01"), D("2024-12-31"), 366)) == [
        ("2024-01-01", "2024-12-31")
    ]
    assert spans(split_range(D("2024-01-01"), D("2024-12-31"), 365)) == [
        ("2024-01-01", "2024-12-30"), ("2024-12-31", "2024-12-31")
    ]
    assert spans(split_range(D("2024-02-27"), D("2024-03-02"), 2)) == [
        ("2024-02-27", "2024-02-28"), ("2024-02-29", "2024-03-01"), ("2024-03-02", "2024-03-02")
    ]
    # 2023 is not a leap year: 365 dates fit in one 365-day partition.
    assert spans(split_range(D("2023-01-01"), D("2023-12-31"), 365)) == [
        ("2023-01-01", "2023-12-31")
    ]


def test_end_before_start_is_a_clear_error():
    with pytest.raises(BackfillError, match=r"^end 2024-01-01 is before start 2024-01-02$"):
        split_range(D("2024-01-02"), D("2024-01-01"), 30)


@pytest.mark.parametrize("days", [0, -3, 1.5, True, "30"])
def test_partition_days_must_be_a_positive_whole_number(days):
    with pytest.raises(BackfillError, match="partition_days"):
        split_range(D("2024-01-01"), D("2024-01-31"), days)


def test_more_partitions_than_airflow_maps_is_a_clear_error():
    # 2021-01-01..2023-10-21 is 1,024 dates: the limit; one more date is one too many.
    assert len(split_range(D("2021-01-01"), D("2023-10-21"), 1)) == 1024
    with pytest.raises(BackfillError, match=r"1025 partitions exceed .* raise partition_days"):
        split_range(D("2021-01-01"), D("2023-10-22"), 1)


def test_state_id_suffix_names_the_partition():
    assert Partition(D("2020-02-01"), D("2020-02-29")).state_id_suffix == \
        "backfill-2020-02-01-2020-02-29"


def test_limits_two_keys_four_partitions_burst():
    # 2 keys: 200 calls/min and 48,000/day in all; 4 at once: 50/min and 12,000/day each.
    assert partition_limits(4, 2, 200, 48_000, "burst") == Limits(50, 3000, 12_000)


def test_limits_daily_pacing_spreads_the_day_budget():
    # 12,000/day each over 1,440 minutes: 8/min (8.33 rounded down), 480/hour.
    assert partition_limits(4, 2, 200, 48_000, "daily") == Limits(8, 480, 12_000)
    # Sum of the four partitions' day at that pace: 4 x 8 x 1440 = 46,080 <= 48,000.
    assert 4 * 8 * 1440 <= 48_000


def test_limits_default_to_three_quarters_of_the_keys_quota():
    # 1 key: 75/min and 18,000/day; 3 at once: 25/min, 6,000/day, paced 4/min (6000//1440).
    assert partition_limits(3, 1, pacing="burst") == Limits(25, 1500, 6000)
    assert partition_limits(3, 1) == Limits(4, 240, 6000)


def test_one_process_never_exceeds_100_per_minute():
    # 3 keys, one partition: the budget allows 300/min but a tap process caps a product at 100.
    assert partition_limits(1, 3, 300, 72_000, "burst") == Limits(100, 6000, 72_000)


def test_day_budget_below_the_minute_rate_lowers_the_minute_rate():
    # The tap rejects requests_per_day < requests_per_hour < requests_per_minute.
    assert partition_limits(1, 1, 100, 40, "burst") == Limits(40, 40, 40)


def test_budget_smaller_than_the_partitions_is_a_clear_error():
    with pytest.raises(BackfillError, match=r"requests_per_minute budget 3 is smaller than the "
                                            r"4 partitions running at once"):
        partition_limits(4, 1, 3, 20_000, "burst")
    with pytest.raises(BackfillError, match=r"requests_per_day budget 3 is smaller than the "
                                            r"4 partitions"):
        partition_limits(4, 1, 100, 3, "burst")
    with pytest.raises(BackfillError, match=r"below 1440 calls a day .* pacing 'burst'"):
        partition_limits(4, 1, 100, 5000, "daily")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"requests_per_minute": 101}, "requests_per_minute 101 is above MISO's limit 100"),
        ({"requests_per_day": 24_001}, "requests_per_day 24001 is above MISO's limit 24000"),
        ({"requests_per_day": 0}, "requests_per_day 0 must be a whole number >= 1"),
        ({"pacing": "fast"}, "pacing 'fast' must be one of daily, burst"),
    ],
)
def test_bad_budgets_are_clear_errors(kwargs, message):
    with pytest.raises(BackfillError, match=message):
        partition_limits(2, 1, **kwargs)


def test_keys_must_be_positive():
    with pytest.raises(BackfillError, match="keys 0 must be a whole number >= 1"):
        partition_limits(2, 0)


def test_env_prefix_is_meltanos_for_inherited_plugins():
    # Checked with `meltano config list tap-miso--prices`: [env: TAP_MISO__PRICES_START_DATE].
    assert env_prefix("tap-miso--prices") == "TAP_MISO__PRICES"
    assert env_prefix("tap-miso--interchange-hourly") == "TAP_MISO__INTERCHANGE_HOURLY"


def test_plan_backfill_gives_each_partition_its_dates_limits_and_state_id():
    plan = plan_backfill(
        {"job": "miso-load-forecasts", "start": "2024-02-01", "end": "2024-03-15",
         "partition_days": 15, "keys": 2, "requests_per_minute": 200,
         "requests_per_day": 48_000, "pacing": "burst", "streams": []},
        max_parallel=4,
    )
    # 44 dates in 15-day partitions: 3 partitions, so the budget is shared by 3, not 4.
    assert [p["env"]["TAP_MISO__LOAD_START_DATE"] for p in plan] == [
        "2024-02-01", "2024-02-16", "2024-03-02"]
    assert plan[2]["env"] == {
        "TAP_MISO__LOAD_START_DATE": "2024-03-02",
        "TAP_MISO__LOAD_END_DATE": "2024-03-15",
        "TAP_MISO__LOAD_LOOKBACK_DAYS": "0",
        "TAP_MISO__LOAD_REQUESTS_PER_MINUTE": "66",
        "TAP_MISO__LOAD_REQUESTS_PER_HOUR": "3960",
        "TAP_MISO__LOAD_REQUESTS_PER_DAY": "16000",
    }
    assert plan[0]["bash_command"] == (
        '"${TAP_MISO_PROJECT_DIR:?set TAP_MISO_PROJECT_DIR to the Meltano project directory}'
        '/orchestrate/airflow/meltano_run.sh" run --state-id-suffix '
        "backfill-2024-02-01-2024-02-15 miso-load-forecasts"
    )


def test_plan_backfill_stream_selection_override():
    plan = plan_backfill({"job": "miso-prices", "start": "2024-01-01", "end": "2024-01-01",
                          "streams": ["lmp_real_time_5min", "ancillary_mcp_real_time_5min"]},
                         max_parallel=4)
    assert json.loads(plan[0]["env"]["TAP_MISO__PRICES__SELECT"]) == [
        "ancillary_mcp_real_time_5min.*", "lmp_real_time_5min.*"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"job": "miso-nope"}, "job 'miso-nope' is not one of miso-prices, "),
        ({"start": "2024-13-01"}, "start '2024-13-01' is not a date YYYY-MM-DD"),
        ({"end": "yesterday"}, "end 'yesterday' is not a date YYYY-MM-DD"),
        ({"end": None}, "end None is not a date YYYY-MM-DD"),
        ({"streams": ["lmp_day_ahead_hourly", "lmp_da"]}, "unknown streams lmp_da"),
    ],
)
def test_plan_backfill_bad_params(params, message):
    base = {"job": "miso-prices", "start": "2024-01-01", "end": "2024-01-31"}
    with pytest.raises(BackfillError, match=message):
        plan_backfill({**base, **params}, max_parallel=4)


def test_known_streams_are_the_streams_in_meltano_yml(meltano_yml):
    kafka = next(p for p in meltano_yml["plugins"]["loaders"] if p["name"] == "target-kafka")
    selected = {pattern.split(".")[0] for plugin in meltano_yml["plugins"]["extractors"]
                for pattern in plugin.get("select", [])}
    assert set(kafka["config"]["stream_maps"]) | selected == KNOWN_STREAMS


def test_jobs_match_meltano_yml(meltano_yml):
    schedules = {s["job"]: s["interval"] for s in meltano_yml["schedules"]}
    tasks = {j["name"]: j["tasks"] for j in meltano_yml["jobs"]}
    assert {job.name for job in JOBS} == set(tasks) == set(schedules)
    for job in JOBS:
        assert job.schedule == schedules[job.name]
        assert tasks[job.name] == [f"{job.extractor} target-postgres"]


def test_run_command_rejects_unknown_jobs_and_unsafe_suffixes():
    with pytest.raises(ValueError, match="unknown job 'x'"):
        meltano_run_command("x")
    with pytest.raises(ValueError, match="state id suffix"):
        meltano_run_command("miso-prices", "a; rm -rf /")
