"""`placed_blocks` builds the rows of packed 5-minute blocks as `unpack` + `placed` +
`source_row` do: same rows in the same order, same skips and log lines."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

from tap_miso.parsers import five_min_blocks as fb
from tap_miso.streams import pricing_5min as p5

DAY = date(2026, 11, 3)
T0 = datetime(2026, 11, 3)  # 00:00 EST, the first label of DAY
TYPES = {"HUB.A": "Hub", "GEN.B": "Gennode", "LZ.C": "Loadzone"}
NODES = ["ALTE.ALTE", "GEN.B", "HUB.A", "LZ.C", "MINN.HUB"]  # MINN.HUB: a trading hub


def exante(label, node, lmp=31.5, *, mec=30.0, mlc=0.5, mcc=1.0, invalid=(), raw=None, **more):
    row = {"label": label, "raw_label": raw or f"{label:%Y-%m-%d %I:%M:%S %p}", "node": node,
           "_invalid": list(invalid), "lmp": lmp, "mec": mec, "mlc": mlc, "mcc": mcc}
    row.update(more)
    return row


def weekly(label, node, lmp=31.5, *, mcc=1.0, mlc=0.5, invalid=()):
    return {"label": label, "raw_label": f"{label:%m/%d/%Y %H:%M}", "node": node,
            "_invalid": list(invalid), "lmp": lmp, "mcc": mcc, "mlc": mlc}


CASES = {
    "exante": (fb.EXANTE_FIELDS, p5.MR_EXANTE_LABEL, ("node",), "ex_ante", None, exante),
    "weekly": (fb.WEEKLY_FIELDS, p5.MR_WEEKLY_LABEL, (), "ex_post", "final", weekly),
}


def both_ways(rows, case, caplog):
    fields, convention, required, price_type, revision, _ = CASES[case]
    ctx = SimpleNamespace(logger=logging.getLogger("test.blocks"), stream="lmp_real_time_5min")
    blocks = list(fb.pack(iter(rows), fields))
    caplog.set_level(logging.INFO, logger="test.blocks")
    caplog.clear()
    want = [
        p5.source_row(interval, r, TYPES, raw_label=r["raw_label"], price_type=price_type,
                      revision=revision)
        for interval, r in p5.placed(ctx, DAY, fb.unpack(iter(blocks), fields), convention,
                                     "f.xlsx", required=required)
    ]
    want_logs = [(r.levelname, r.getMessage()) for r in caplog.records]
    caplog.clear()
    got = list(p5.placed_blocks(ctx, DAY, iter(blocks), fields, convention, "f.xlsx", TYPES,
                                price_type=price_type, revision=revision, required=required))
    got_logs = [(r.levelname, r.getMessage()) for r in caplog.records]
    return got, want, got_logs, want_logs


def check(rows, case, caplog):
    got, want, got_logs, want_logs = both_ways(rows, case, caplog)
    assert [list(r) for r in got] == [list(r) for r in want]
    assert got == want
    assert got_logs == want_logs
    return got, got_logs


def day_rows(case, intervals=3):
    make = CASES[case][5]
    return [make(T0 + timedelta(minutes=5 * i), node, 10.0 * i + j)
            for i in range(intervals) for j, node in enumerate(NODES)]


@pytest.mark.parametrize("case", CASES)
def test_plain_day(case, caplog):
    got, logs = check(day_rows(case), case, caplog)
    assert len(got) == 15 and not logs
    assert {r["hour_ending"] for r in got} == {1}
    assert [r["is_trading_hub"] for r in got[:5]] == [False, False, False, False, True]


@pytest.mark.parametrize("case", CASES)
def test_other_dates_and_unusable_rows_are_skipped_and_counted(case, caplog):
    make = CASES[case][5]
    before, after = T0 - timedelta(minutes=5), T0 + timedelta(days=1)
    rows = [
        make(before, "GEN.B"), make(before, "HUB.A"),  # the day before
        *day_rows(case, 2),
        make(T0 + timedelta(minutes=10), None),  # a row without a node
        make(after, "GEN.B"),  # the next day
    ]
    rows.insert(4, {k: v for k, v in make(T0, "X").items() if k != "label"})  # no label key
    got, logs = check(rows, case, caplog)
    assert {r["market_date"] for r in (p5.MisoStream.to_record(None, dict(g), "x")
                                       for g in got)} == {str(DAY)}
    assert [level for level, _ in logs] == ["WARNING", "INFO"]
    assert "3 rows of other market dates" in logs[1][1]


@pytest.mark.parametrize("case", CASES)
def test_rows_of_another_shape_in_place(case, caplog):
    make = CASES[case][5]
    rows = day_rows(case, 2)
    rows[1] = make(T0, "GEN.B", None, invalid=["lmp"])
    rows[3] = make(T0, "LZ.C", 7)  # an int
    rows[6] = {**make(T0 + timedelta(minutes=5), "GEN.B"), "extra": "x"}
    rows[8] = make(T0 + timedelta(minutes=5), None, invalid=["node"])
    got, _ = check(rows, case, caplog)
    assert got[1]["_invalid"] == ["lmp"] and got[1]["lmp"] is None


def test_exante_rows_with_a_label_but_no_node_are_unusable(caplog):
    rows = [*day_rows("exante", 1), exante(T0, None), exante(T0, None, invalid=["x"])]
    got, logs = check(rows, "exante", caplog)
    assert len(got) == 5
    assert logs == [("WARNING", "lmp_real_time_5min 2026-11-03: f.xlsx: 2 rows without a "
                                "usable time label or key skipped")]


def test_blocks_cut_by_size_and_raw_labels_keep_one_interval(monkeypatch, caplog):
    monkeypatch.setattr(fb, "MAX_BLOCK", 2)
    rows = day_rows("exante", 2)
    rows[2]["raw_label"] = "another spelling"
    check(rows, "exante", caplog)


def test_a_day_ending_with_the_next_days_first_hour(caplog):
    rows = [weekly(T0 + timedelta(minutes=5 * i), n) for i in range(286, 292) for n in NODES]
    got, logs = check(rows, "weekly", caplog)
    assert {r["hour_ending"] for r in got} == {24}
    assert logs == [("INFO", "lmp_real_time_5min 2026-11-03: f.xlsx: 20 rows of other market "
                             "dates skipped")]


def test_unsupported_fields_are_refused():
    ctx = SimpleNamespace(logger=logging.getLogger("t"), stream="s")
    with pytest.raises(ValueError, match="unsupported"):
        list(p5.placed_blocks(ctx, DAY, [], ("lmp",), p5.MR_EXANTE_LABEL, "f", TYPES,
                              price_type="ex_ante", revision=None))
