"""Unit tests of the 5-minute LMP helpers: label conventions, day placement, weekly zip spill,
public window assembly."""

from __future__ import annotations

import io
import logging
import threading
import zipfile
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import orjson
import pytest

from tap_miso import timeutil
from tap_miso.parsers.five_min_zip import split_5min_lmp_zip
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
    days = (date(2025, 3, 8), date(2025, 3, 9))
    text = "MKTHOUR_EST,PNODENAME,LMP,CON_LMP,LOSS_LMP\n" + "".join(
        f"{d:%m/%d/%Y} 23:55,N,1.5,x,0.1\n" for d in days
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.csv", text)
    files = p5.spill_by_date(split_5min_lmp_zip(buffer.getvalue()), tmp_path)
    assert sorted(files) == list(days)
    back = list(p5._spilled_rows(files[days[1]]))
    assert back == [
        {
            "label": datetime(2025, 3, 9, 23, 55),
            "raw_label": "03/09/2025 23:55",
            "node": "N",
            "lmp": 1.5,
            "mcc": None,
            "mlc": 0.1,
            "_invalid": ["mcc"],
        }
    ]
    spill = p5.WeeklySpill(tmp_path, files)
    spill.consumed(days[0])
    assert tmp_path.exists() and not files[days[0]].exists()
    spill.consumed(days[1])
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


@pytest.mark.parametrize(
    ("source", "types"),
    [
        ({"node": "ILLINOIS.HUB", "lmp": 31.5, "mcc": 1.25, "mlc": -0.5, "_invalid": []},
         {"ILLINOIS.HUB": "Hub"}),
        ({"node": "N.1", "lmp": 20.0, "mec": 19.0, "mcc": 0.5, "mlc": 0.5, "_invalid": []},
         {"N.1": "Gennode"}),
        ({"node": "N.2", "lmp": None, "mcc": 1.0, "mlc": None, "_invalid": ["lmp"]}, {}),
        ({"node": "N.3", "lmp": 5.0, "mec": None, "mcc": 1.0, "mlc": 2.0, "_invalid": []},
         {"N.3": "odd type"}),
    ],
)
def test_source_row_is_lmp_row_plus_the_raw_label(source, types):
    """`source_row` builds its dict by hand for speed: same keys, order and values as
    `lmp_row` (the hourly streams' row) plus ``raw_time_label``."""
    from tap_miso.streams.pricing import lmp_row

    interval = p5.five_minute_interval(datetime(2026, 3, 8, 13, 5), p5.START)
    got = p5.source_row(
        interval, source, types, raw_label="03/08/2026 13:05", price_type="ex_post",
        revision="final",
    )
    want = lmp_row(
        node=source["node"], node_type=types.get(source["node"]), price_type="ex_post",
        revision="final", hour_ending=p5.hour_ending_of(interval), interval=interval,
        lmp=source["lmp"], mec=source.get("mec"), mcc=source["mcc"], mlc=source["mlc"],
        invalid=list(source["_invalid"]),
    )
    want["raw_time_label"] = "03/08/2026 13:05"
    assert list(got.items()) == list(want.items())
    assert got["_invalid"] is not source["_invalid"]
