"""Unit tests of the 5-minute LMP helpers: label conventions, day placement, weekly zip spill,
public window assembly."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import orjson
import pytest

from tap_miso import timeutil
from tap_miso.streams import pricing_5min as p5
from tap_miso.streams.base import MisoStream


def ctx(**settings):
    defaults = {"source_preference": ("public_api",), "pricing_api_keys": (), "nodes": frozenset()}
    return SimpleNamespace(
        stream="lmp_real_time_5min",
        settings=SimpleNamespace(**{**defaults, **settings}),
        logger=logging.getLogger("test"),
        shared={},
        shared_lock=threading.Lock(),
        now=datetime(2026, 11, 2, 17, 0, tzinfo=UTC),
        drift_callback=lambda where: lambda cols: None,
    )


def test_weekly_zip_is_the_monday_fourteen_days_after_the_week_start():
    # FORMATS §4.2: the file dated Monday M covers [M-14 d, M-7 d).
    assert p5.weekly_file_monday(date(2025, 3, 3)) == date(2025, 3, 17)  # Monday
    assert p5.weekly_file_monday(date(2025, 3, 9)) == date(2025, 3, 17)  # Sunday
    assert p5.weekly_file_monday(date(2025, 3, 10)) == date(2025, 3, 24)


def test_end_and_start_labels_of_one_interval_agree_on_a_fall_dst_day():
    # FORMATS §1.3 table: public END 01:35 and DX START 01:30 are [06:30Z, 06:35Z).
    end = p5.five_minute_interval(datetime(2026, 11, 1, 1, 35), p5.END)
    start = p5.five_minute_interval(datetime(2026, 11, 1, 1, 30), p5.START)
    assert end == start
    assert timeutil.format_utc(start.start) == "2026-11-01T06:30:00Z"
    assert p5.hour_ending_of(start) == 2


def test_end_label_midnight_belongs_to_the_previous_day():
    interval = p5.five_minute_interval(datetime(2026, 7, 15), p5.END)
    assert interval.market_date == date(2026, 7, 14)
    assert p5.hour_ending_of(interval) == 24


def test_placed_keeps_only_the_day_and_skips_unusable_rows(caplog):
    day = date(2026, 7, 14)
    rows = [
        {"label": datetime(2026, 7, 14, 0, 0), "node": "A"},  # END: closes the 13th
        {"label": datetime(2026, 7, 14, 0, 5), "node": "A"},
        {"label": None, "node": "A"},
        {"label": datetime(2026, 7, 14, 0, 10), "node": None},
        {"label": datetime(2026, 7, 15, 0, 0), "node": "A"},  # last interval of the 14th
        {"label": datetime(2026, 7, 15, 0, 5), "node": "A"},
        {"label": datetime(2026, 7, 15, 0, 10), "node": "A"},
    ]
    with caplog.at_level(logging.INFO):
        kept = list(p5.placed(ctx(), day, rows, p5.END, "feed", required=("node",)))
    assert [r["label"] for _, r in kept] == [datetime(2026, 7, 14, 0, 5), datetime(2026, 7, 15)]
    assert "2 rows without a usable time label" in caplog.text
    stopped = list(
        p5.placed(ctx(), day, rows, p5.END, "feed", required=("node",), stop_past_day=True)
    )
    assert len(stopped) == 2


def test_weekly_spill_round_trip(tmp_path):
    rows = [
        {
            "raw_label": f"{d:%m/%d/%Y} 23:55",
            "label": datetime(d.year, d.month, d.day, 23, 55),
            "node": "N",
            "lmp": 1.5,
            "mcc": None,
            "mlc": 0.1,
            "_invalid": ["mcc"],
        }
        for d in (date(2025, 3, 8), date(2025, 3, 9))
    ]
    files = p5.spill_by_date(iter(rows), tmp_path)
    assert sorted(files) == [date(2025, 3, 8), date(2025, 3, 9)]
    back = list(p5._spilled_rows(files[date(2025, 3, 9)]))
    assert back == [rows[1]]
    spill = p5.WeeklySpill(tmp_path, files)
    spill.consumed(date(2025, 3, 8))
    assert tmp_path.exists() and not files[date(2025, 3, 8)].exists()
    spill.consumed(date(2025, 3, 9))
    assert not tmp_path.exists()


def _expost_feed(labels):
    data = [[f"{label:%Y-%m-%dT%H:%M:%S}", "N1", "10.00", "0.50", "1.00"] for label in labels]
    return orjson.dumps({"headers": ["INTERVAL", "CPNODE", "LMP", "MLC", "MCC"], "data": data})


def test_public_previous_plus_rolling_give_the_full_day():
    day = date(2026, 11, 1)
    midnight = datetime(2026, 11, 1)
    previous = _expost_feed(midnight + i * timedelta(minutes=5) for i in range(288))
    rolling = _expost_feed(
        midnight + timedelta(days=1) + i * timedelta(minutes=5) for i in range(3)
    )
    rows = list(
        p5.parse_public(ctx(), day, "ex_post", [(p5.PREVIOUS, previous), (p5.ROLLING, rolling)])
    )
    starts = [r["interval"].start for r in rows]
    assert len(starts) == 288 == len(set(starts))
    assert starts == sorted(starts)
    assert timeutil.format_utc(starts[0]) == "2026-11-01T05:00:00Z"
    assert timeutil.format_utc(starts[-1]) == "2026-11-02T04:55:00Z"
    assert rows[-1]["raw_time_label"] == "2026-11-02T00:00:00"
    assert rows[0]["mec"] == pytest.approx(8.5) and rows[0]["revision"] == "preliminary"


def test_public_refuses_a_date_already_delivered_as_final():
    context = ctx()
    context.settings.public_api_url = "http://example.invalid/api"
    context.shared[(context.stream, "final_dates")] = frozenset({"2026-11-01"})
    with pytest.raises(p5.NoDataError):
        p5.load_public(context, date(2026, 11, 1), "ex_post")


def test_raw_time_label_is_not_hashed():
    assert "raw_time_label" not in p5.LmpRealTime5MinStream.hash_fields
    assert issubclass(p5.LmpRealTime5MinStream, MisoStream)
