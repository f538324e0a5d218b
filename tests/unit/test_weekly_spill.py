"""The weekly zip's spill files hold each market date's rows, in order, across read chunks;
a split keeps only the dates the run plans, and splits again for any other."""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from tap_miso.parsers import five_min_zip
from tap_miso.sources.base import FetchContext
from tap_miso.streams import pricing_5min as p5


def weekly_zip(rows: list[dict]) -> bytes:
    lines = ["Title", "", "MKTHOUR_EST,PNODENAME,LMP,CON_LMP,LOSS_LMP"]
    for r in rows:
        cells = [r["raw_label"], r["node"], r["lmp"], r["mcc"], r["mlc"]]
        lines.append(",".join("" if v is None else str(v) for v in cells))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.csv", "\n".join([*lines, "MISO MAKES NO REPRESENTATIONS"]) + "\n")
    return buffer.getvalue()


@pytest.mark.parametrize("chunk", [64, 1 << 20])
@pytest.mark.parametrize("kept", [None, frozenset({date(2025, 3, 9)})])
def test_spill_keeps_every_row_of_each_kept_date_in_order(tmp_path, monkeypatch, chunk, kept):
    monkeypatch.setattr(five_min_zip, "CHUNK", chunk)
    rows = []
    start = datetime(2025, 3, 8, 23, 0)
    for step in range(40):  # 23:00..00:35 EST labels; runs of 3 nodes, dates switch at 00:00
        label = start + timedelta(minutes=5 * (step % 20)) + timedelta(days=step // 20)
        for node in ("A", "B", "C"):
            rows.append(
                {
                    "label": label,
                    "raw_label": f"{label:%m/%d/%Y %H:%M}",
                    "node": node,
                    "lmp": step + 0.5,
                    "mcc": None if node == "B" else -0.25,
                    "mlc": 0.0,
                    "_invalid": [],
                }
            )
    runs = five_min_zip.split_5min_lmp_zip(weekly_zip(rows))
    files = p5.spill_by_date(runs, tmp_path, kept)
    dates = [date(2025, 3, 8), date(2025, 3, 9), date(2025, 3, 10)]
    assert sorted(files) == (dates if kept is None else sorted(kept))
    for day, path in files.items():
        expected = [
            r
            for r in rows
            if p5.five_minute_interval(r["label"], p5.MR_WEEKLY_LABEL).market_date == day
        ]
        assert list(p5._spilled_rows(path)) == expected
    if kept is None:
        assert sum(len(list(p5._spilled_rows(p))) for p in files.values()) == len(rows)


MONDAY = date(2025, 3, 24)  # the zip dated 2025-03-24 holds 2025-03-10..16
WEEK = [date(2025, 3, 10) + timedelta(days=i) for i in range(7)]


def fetch_ctx(planned):
    return FetchContext(
        stream="lmp_real_time_5min",
        client=None,  # type: ignore[arg-type]  # split_weekly_zip is replaced below
        settings=SimpleNamespace(market_reports_url="http://mr"),  # type: ignore[arg-type]
        logger=logging.getLogger("test"),
        now=datetime(2025, 4, 1, tzinfo=UTC),
        planned=planned,
    )


@pytest.mark.parametrize(
    ("planned", "kept"),
    [
        (None, None),
        ((date(2025, 3, 11), date(2025, 3, 12)), {date(2025, 3, 11), date(2025, 3, 12)}),
        ((date(2025, 3, 1), date(2025, 3, 11)), set(WEEK[:2])),
        ((date(2025, 3, 15), date(2025, 4, 30)), set(WEEK[5:])),
        ((date(2025, 1, 1), date(2025, 12, 31)), set(WEEK)),
    ],
)
def test_week_dates_planned_are_the_run_dates_inside_the_zip(planned, kept) -> None:
    got = p5.week_dates_planned(fetch_ctx(planned), MONDAY)
    assert got == (None if kept is None else frozenset(kept))
    assert all(p5.weekly_file_monday(day) == MONDAY for day in got or ())


def test_split_keeps_the_planned_dates_and_splits_again_for_any_other(tmp_path, monkeypatch):
    splits: list[frozenset[date] | None] = []

    def split(ctx, monday, kept=None):
        assert monday == MONDAY
        splits.append(kept)
        files = {}
        for day in WEEK if kept is None else sorted(kept):
            files[day] = tmp_path / f"{len(splits)}-{day}.jsonl.gz"
            files[day].write_bytes(b"")
        return p5.WeeklySpill(tmp_path, files, kept)

    monkeypatch.setattr(p5, "split_weekly_zip", split)
    ctx = fetch_ctx((WEEK[1], WEEK[2]))
    for day in (WEEK[1], WEEK[2]):  # one split, of the planned dates only
        spill, path = p5.load_weekly(ctx, day)
        assert path == spill.files[day] and path.name.startswith("1-")
    assert splits == [frozenset(WEEK[1:3])]
    spill, path = p5.load_weekly(ctx, WEEK[4])  # not planned (a later caller): every date
    assert splits == [frozenset(WEEK[1:3]), None]
    assert path.name == f"2-{WEEK[4]}.jsonl.gz" and spill.covers(WEEK[0])
    assert not p5.WeeklySpill(tmp_path, {}, frozenset(WEEK[1:3])).covers(WEEK[4])
