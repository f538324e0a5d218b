"""When MISO publishes each dataset (all relative to the fake's clock, EST = UTC-5).

Each function returns the aware UTC instant from which the data for `day` is served.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tap_miso.testing.fake_miso.clock import as_utc, est_at, est_today

MR_RETENTION_PRIOR_YEARS = 3
RT_PRELIM_CSV_RETENTION_DAYS = 4
DX_AGGREGATED_PNODE_SINCE = date(2025, 12, 2)


def day_ahead(day: date) -> datetime:
    """DA prices, DA MCPs, DA demand: D-1 14:00 EST."""
    return est_at(day, 14, days=-1)


def real_time_preliminary(day: date) -> datetime:
    """RT prelim (hourly and 5-min), RT ex-ante 5-min, RT fuel mix, interchange: D+1 07:00."""
    return est_at(day, 7, days=1)


def real_time_final(day: date) -> datetime:
    """RT final prices and MCPs: D+5 07:00 EST."""
    return est_at(day, 7, days=5)


def actual_load(day: date) -> datetime:
    """DX actual load: D+1 02:00 EST."""
    return est_at(day, 2, days=1)


def load_forecast(vintage: date) -> datetime:
    """DX MTLF run `init`: available 07:00 EST the day after init."""
    return est_at(vintage, 7, days=1)


def file_dated(day: date) -> datetime:
    """Publish-date named MR files (df_al, rf_al, cpnode_reszone, weekly zip): 00:00 EST."""
    return est_at(day)


def mom(day: date) -> datetime:
    """mom.xlsx: 19:30 EST on the file date."""
    return est_at(day, 19, 30)


def is_published(now: datetime, available_from: datetime) -> bool:
    return as_utc(now) >= available_from


def within_mr_retention(now: datetime, file_date: date) -> bool:
    """Daily MR files: current year plus 3 prior calendar years."""
    return file_date.year >= est_today(now).year - MR_RETENTION_PRIOR_YEARS


def rt_prelim_csv_retained(now: datetime, day: date) -> bool:
    """`rt_lmp_prelim.csv` only for D >= today - 4."""
    return day >= est_today(now) - timedelta(days=RT_PRELIM_CSV_RETENTION_DAYS)


def weekly_five_minute_window(monday: date) -> tuple[date, date] | None:
    """[M-14d, M-7d) covered by the weekly 5MIN_LMP.zip dated `monday`; None if not a Monday."""
    if monday.weekday() != 0:
        return None
    return monday - timedelta(days=14), monday - timedelta(days=7)
