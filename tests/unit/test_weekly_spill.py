"""The weekly zip's spill files hold each market date's rows, in order, across write batches."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tap_miso.streams import pricing_5min as p5


@pytest.mark.parametrize("batch", [1, 3, 2048])
def test_spill_keeps_every_row_of_each_date_in_order(tmp_path, monkeypatch, batch) -> None:
    monkeypatch.setattr(p5, "SPILL_BATCH", batch)
    rows = []
    start = datetime(2025, 3, 8, 23, 0)
    for step in range(40):  # 23:00..02:15 EST labels; runs of 3 nodes, dates switch at 00:00
        label = start + timedelta(minutes=5 * (step % 20)) + timedelta(days=step // 20)
        for node in ("A", "B", "C"):
            rows.append(
                {
                    "raw_label": f"{label:%m/%d/%Y %H:%M}",
                    "label": label,
                    "node": node,
                    "lmp": step + 0.5,
                    "mcc": None if node == "B" else -0.25,
                    "mlc": 0.0,
                    "_invalid": ["mcc"] if node == "B" else [],
                }
            )
    files = p5.spill_by_date(iter(rows), tmp_path)
    for day, path in files.items():
        expected = [
            r
            for r in rows
            if p5.five_minute_interval(r["label"], p5.MR_WEEKLY_LABEL).market_date == day
        ]
        assert list(p5._spilled_rows(path)) == expected
    assert sum(len(list(p5._spilled_rows(p))) for p in files.values()) == len(rows)
    assert len(files) == 3 and min(files) == date(2025, 3, 8)
