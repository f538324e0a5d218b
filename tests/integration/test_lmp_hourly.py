"""Hourly LMP streams end to end through the fake MISO server (real tap processes)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import jsonschema
import pytest

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.harness import fake_config, run_tap

DA = "lmp_day_ahead_hourly"
RT = "lmp_real_time_hourly"
NODES = 20
TODAY = timeutil.market_today()
D1, D2 = TODAY - timedelta(days=3), TODAY - timedelta(days=2)


@pytest.fixture(scope="module")
def fake():
    with FakeMisoServer(node_count=NODES) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake):
    fake.clear_faults()
    fake.missing_dates.clear()
    fake.reset_log()
    fake.reset_limits()
    yield


def pricing_key(fake):
    return fake.dx_keys["pricing"][0]


def da_run(fake, first=D1, last=D2, **overrides):
    config = fake_config(fake, start_date=str(first), end_date=str(last), **overrides)
    return run_tap(config, streams=[DA])


def strip_source(records):
    return [{k: v for k, v in r.items() if k != "source"} for r in records]


def nodes_on(fake, day):
    return [name for name, _ in fake.data.nodes_on(day)]


def test_da_from_market_reports_matches_fake_data_and_schema(fake):
    run = da_run(fake)
    assert run.returncode == 0, run.stderr[-2000:]
    records = run.records(DA)
    expected = sum(len(nodes_on(fake, d)) * 24 * 2 for d in (D1, D2))
    assert len(records) == expected
    assert {r["source"] for r in records} == {"market_report"}

    schema = next(m["schema"] for m in run.messages if m["type"] == "SCHEMA")
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for record in records[:: max(1, len(records) // 200)]:
        validator.validate(record)

    starts = [r["interval_start_utc"] for r in records]
    assert starts == sorted(starts), "records must leave in ascending interval_start_utc"
    for record in records[:: max(1, len(records) // 100)]:
        day = date.fromisoformat(record["market_date"])
        want = fake.data.lmp(day, record["hour_ending"], record["node"], record["price_type"])
        assert (record["lmp"], record["mcc"], record["mlc"]) == (want.lmp, want.mcc, want.mlc)
        assert record["mec"] == pytest.approx(want.mec, abs=1e-9)  # derived: no MEC in CSV
        interval = timeutil.hour_ending_interval(day, record["hour_ending"])
        assert record["interval_start_utc"] == timeutil.format_utc(interval.start)
        assert record["interval_end_utc"] == timeutil.format_utc(interval.end)
        assert record["interval_start_local"].endswith("-05:00")
        assert record["source_timezone"] == "EST"
        assert record["quality_flags"] == []
    hubs = {r["node"] for r in records if r["is_trading_hub"]}
    assert hubs == set(fake.data.trading_hubs)
    assert run.summary()["gap_count"] == 0


def test_da_data_exchange_first_with_key_and_identical_but_for_source(fake):
    keyless = da_run(fake)
    fake.reset_log()
    keyed = da_run(fake, pricing_api_key=pricing_key(fake))
    assert keyed.returncode == 0, keyed.stderr[-2000:]
    assert {r["source"] for r in keyed.records(DA)} == {"data_exchange"}
    assert not fake.requests_for(r"/marketreports/.*da_ex")  # DX served everything
    assert strip_source(keyed.records(DA)) == strip_source(keyless.records(DA))


def test_da_falls_back_to_reports_when_data_exchange_fails(fake):
    first = D1 - timedelta(days=2)
    reference = da_run(fake, first=first)
    fake.reset_log()
    fake.inject(r"/pricing/v1/day-ahead/", "status", times=None, code=500)
    run = da_run(fake, first=first, pricing_api_key=pricing_key(fake), max_retries=1,
                 circuit_breaker_failure_threshold=2)
    assert run.returncode == 0, run.stderr[-2000:]
    assert {r["source"] for r in run.records(DA)} == {"market_report"}
    assert strip_source(run.records(DA)) == strip_source(reference.records(DA))
    assert run.summary()["fallbacks"], "fallbacks must be counted"
    # 4 dates x 2 parts x 2 attempts would be 16 requests; the breaker opened after the first
    # prefetched loads failed (at most 3 dates in flight: 4 workers / 2 parts, plus the date
    # queued ahead), so the last date failed fast without a request.
    assert len(fake.requests_for(r"/pricing/v1/day-ahead/")) <= 12


def test_malformed_dx_payload_falls_back(fake):
    fake.inject(rf"/pricing/v1/day-ahead/{D1}/lmp-expost", "malformed", times=None)
    run = da_run(fake, first=D1, last=D1, pricing_api_key=pricing_key(fake))
    assert run.returncode == 0, run.stderr[-2000:]
    sources = Counter((r["price_type"], r["source"]) for r in run.records(DA))
    n = len(nodes_on(fake, D1)) * 24
    assert sources == {("ex_ante", "data_exchange"): n, ("ex_post", "market_report"): n}


def test_incremental_second_run_fetches_only_the_lookback_window(fake):
    first = da_run(fake)
    state = first.last_state
    bookmark = state["bookmarks"][DA]["replication_key_value"]
    assert bookmark == timeutil.format_utc(timeutil.hour_ending_interval(D2, 24).start)
    fake.reset_log()
    config = fake_config(fake, start_date=str(D1 - timedelta(days=10)), end_date=str(D2),
                         lookback_days=1)
    second = run_tap(config, streams=[DA], state=state)
    assert second.returncode == 0, second.stderr[-2000:]
    resume = timeutil.parse_utc(bookmark) - timedelta(days=1)
    fetched_days = {r.path.split("/")[-1][:8] for r in fake.requests_for(r"/marketreports/")}
    assert fetched_days == {f"{d:%Y%m%d}" for d in
                            timeutil.date_range(timeutil.market_date_of(resume), D2)}
    emitted = [r["interval_start_utc"] for r in second.records(DA)]
    assert emitted and min(emitted) >= timeutil.format_utc(resume)
    assert len(second.records(DA)) == len(nodes_on(fake, D2)) * 2 * 25  # D1 HE24 + all of D2


def test_missing_date_is_a_gap_and_the_run_continues(fake):
    fake.missing_dates.add(D1)
    run = da_run(fake)
    assert run.returncode == 0, run.stderr[-2000:]
    assert {r["market_date"] for r in run.records(DA)} == {str(D2)}
    gaps = run.summary()["gaps"][DA]
    assert [g["market_date"] for g in gaps] == [str(D1)]
    assert "Gap: lmp_day_ahead_hourly has no data for market date" in run.stderr


def test_missing_part_is_a_gap_for_that_part_only(fake):
    fake.inject(rf"/marketreports/{D1:%Y%m%d}_da_exante_lmp.csv", "not_published", times=None)
    run = da_run(fake, first=D1, last=D1)
    assert run.returncode == 0
    assert {r["price_type"] for r in run.records(DA)} == {"ex_post"}
    assert "ex_ante" in run.summary()["gaps"][DA][0]["detail"]


def test_unpublished_future_date_ends_quietly(fake):
    future = TODAY + timedelta(days=2)
    run = da_run(fake, first=future, last=future)
    assert run.returncode == 0
    assert run.records(DA) == []
    assert run.summary()["gap_count"] == 0
    assert "not published yet" in run.stderr


@pytest.mark.parametrize("day", [date(2025, 3, 9), date(2025, 11, 2)])
def test_dst_days_have_24_hours_in_fixed_est(fake, day):
    run = da_run(fake, first=day, last=day)
    assert run.returncode == 0, run.stderr[-2000:]
    per_key = defaultdict(set)
    for r in run.records(DA):
        per_key[(r["node"], r["price_type"])].add(r["interval_start_utc"])
    assert per_key and all(len(v) == 24 for v in per_key.values())
    starts = sorted(next(iter(per_key.values())))
    assert starts[0] == f"{day}T05:00:00Z"
    assert starts[-1] == f"{day + timedelta(days=1)}T04:00:00Z"


def _corrupted_csv(fake, day, report, node, before, after):
    import requests

    body = requests.get(f"{fake.market_reports_url}/{day:%Y%m%d}_{report}", timeout=30).text
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(f"{node},") and ",LMP," in line:
            cells = line.split(",")
            assert cells[3] == before or before is None
            cells[3] = after
            lines[i] = ",".join(cells)
            return "\n".join(lines)
    raise AssertionError("node row not found")


@pytest.mark.parametrize("policy", ["flag", "drop", "fail"])
def test_bad_cell_is_flagged_dropped_or_fails_never_a_wrong_number(fake, policy):
    node = "MINN.HUB"
    body = _corrupted_csv(fake, D1, "da_expost_lmp.csv", node, None, "abc")
    fake.reset_log()
    fake.inject(rf"/marketreports/{D1:%Y%m%d}_da_expost_lmp.csv", "status", times=None,
                code=200, body=body)
    run = da_run(fake, first=D1, last=D1, on_invalid_record=policy)
    bad = [r for r in run.records(DA)
           if r["node"] == node and r["hour_ending"] == 1 and r["price_type"] == "ex_post"]
    if policy == "fail":
        assert run.returncode == 1
        assert "Traceback" not in run.stderr
        assert f"lmp_day_ahead_hourly: invalid record on market date {D1}" in run.stderr
        return
    assert run.returncode == 0, run.stderr[-2000:]
    if policy == "flag":
        assert len(bad) == 1
        assert bad[0]["lmp"] is None and bad[0]["mec"] is None
        assert bad[0]["quality_flags"] == ["invalid_lmp"]
        assert run.summary()["flagged_records"] == {DA: 1}
    else:
        assert bad == []
        assert run.summary()["dropped_records"] == {DA: 1}
        assert len(run.records(DA)) == len(nodes_on(fake, D1)) * 48 - 1


def test_unusable_payload_with_no_fallback_fails_with_one_clear_line(fake):
    fake.inject(rf"/marketreports/{D2:%Y%m%d}_da_expost_lmp.csv", "html200", times=None)
    run = da_run(fake)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    failure = [ln for ln in run.stderr.splitlines() if "Run failed" in ln]
    assert len(failure) == 1
    assert f"{DA}: no source could serve market date {D2} [ex_post]" in failure[0]
    assert "market_report" in failure[0]
    # The last STATE marks the last complete date: D1 went out in full before D2 failed.
    assert run.last_state["bookmarks"][DA]["replication_key_value"] >= f"{D1}T"


def test_bad_key_fails_fast_and_never_prints_the_key(fake):
    secret = "RECOGNISABLE-PRICING-KEY-31337"
    run = da_run(fake, pricing_api_key=secret)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert secret not in run.stdout + run.stderr
    assert "401" in run.stderr or "denied" in run.stderr.lower()


def test_real_time_prefers_final_and_never_goes_back_to_preliminary(fake):
    old, recent = TODAY - timedelta(days=8), TODAY - timedelta(days=2)
    config = fake_config(fake, start_date=str(old), end_date=str(old))
    run = run_tap(config, streams=[RT])
    assert run.returncode == 0, run.stderr[-2000:]
    assert {r["revision"] for r in run.records(RT)} == {"final"}
    some = run.records(RT)[0]
    want = fake.data.lmp(old, some["hour_ending"], some["node"], "final")
    assert some["lmp"] == want.lmp
    state = run.last_state
    assert state["bookmarks"][RT]["final_dates"] == [str(old)]

    config = fake_config(fake, start_date=str(recent), end_date=str(recent))
    prelim = run_tap(config, streams=[RT])
    assert {r["revision"] for r in prelim.records(RT)} == {"preliminary"}

    # Final disappears for the old date: the tap must not fall back to preliminary for it.
    fake.inject(r"rt_lmp_final", "not_published", times=None)
    config = fake_config(fake, start_date=str(old), end_date=str(old))
    again = run_tap(config, streams=[RT], state=state)
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.records(RT) == []
    assert again.summary()["gap_count"] == 0


def test_node_filter_limits_records(fake):
    run = da_run(fake, first=D1, last=D1, nodes=["MINN.HUB", "TEXAS.HUB"])
    assert {r["node"] for r in run.records(DA)} == {"MINN.HUB", "TEXAS.HUB"}
    assert len(run.records(DA)) == 2 * 24 * 2


def test_record_hash_is_deterministic_across_runs(fake):
    a = da_run(fake, first=D1, last=D1).records(DA)
    b = da_run(fake, first=D1, last=D1).records(DA)
    assert [r["record_hash"] for r in a] == [r["record_hash"] for r in b]
    assert len({r["record_hash"] for r in a}) == len(a)



@pytest.mark.parametrize("stream", [DA, RT])
def test_2025_date_is_identical_from_data_exchange_and_reports_including_node_type(fake, stream):
    # DX aggregated-pnode history starts 2025-12-02: DX LMP records of older dates take their
    # node types from the day's da_expost_lmp.csv, like the Market Report records.
    day = date(2025, 6, 10)
    config = fake_config(fake, start_date=str(day), end_date=str(day))
    reports = run_tap(config, streams=[stream])
    keyed = run_tap({**config, "pricing_api_key": pricing_key(fake)}, streams=[stream])
    assert reports.returncode == 0, reports.stderr[-2000:]
    assert keyed.returncode == 0, keyed.stderr[-2000:]
    assert {r["source"] for r in reports.records(stream)} == {"market_report"}
    assert {r["source"] for r in keyed.records(stream)} == {"data_exchange"}
    records = keyed.records(stream)
    assert records and all(r["node_type"] is not None for r in records)
    assert all(r["node_type"] == fake.data.node_type(r["node"]) for r in records[:: 50])
    assert strip_source(records) == strip_source(reports.records(stream))


def test_failing_source_and_no_data_elsewhere_before_due_is_not_published_yet(fake):
    # DX answers 500 and the reports have nothing for a date not due yet: "not published yet"
    # (the run ends quietly), not a failure.
    future = TODAY + timedelta(days=2)
    fake.inject(r"/pricing/v1/day-ahead/", "status", times=None, code=500)
    run = da_run(fake, first=future, last=future, pricing_api_key=pricing_key(fake),
                 max_retries=1)
    assert run.returncode == 0, run.stderr[-2000:]
    assert fake.requests_for(r"/pricing/v1/day-ahead/"), "the Data Exchange was asked and failed"
    assert run.records(DA) == []
    assert run.summary()["gap_count"] == 0
    assert "not published yet" in run.stderr


def test_failing_source_and_no_data_elsewhere_when_overdue_fails(fake):
    fake.missing_dates.add(D1)
    fake.inject(r"/pricing/v1/day-ahead/", "status", times=None, code=500)
    run = da_run(fake, first=D1, last=D1, pricing_api_key=pricing_key(fake), max_retries=1)
    assert run.returncode == 1
    assert f"{DA}: no source could serve market date {D1}" in run.stderr


def test_node_filter_asks_the_data_exchange_per_node(fake):
    nodes = ["MINN.HUB", "TEXAS.HUB"]
    run = da_run(fake, first=D1, last=D1, nodes=nodes, pricing_api_key=pricing_key(fake))
    assert run.returncode == 0, run.stderr[-2000:]
    assert {r["node"] for r in run.records(DA)} == set(nodes)
    assert {r["source"] for r in run.records(DA)} == {"data_exchange"}
    calls = fake.requests_for(r"/pricing/v1/day-ahead/")
    # one call per node and part, each filtered on its node: no all-node pages fetched
    assert sorted((c.path.rsplit("/", 1)[-1], c.query.get("node")) for c in calls) == sorted(
        (part, node) for part in ("lmp-exante", "lmp-expost") for node in nodes
    )


def test_a_data_exchange_day_failing_part_way_is_completed_from_market_reports():
    """DX ex-ante page 3 of 5 has a price MISO could never send (1e999): the DX rows of the
    first hours are already out when it fails. The date is completed from the CSV from the
    last interval sent on: every (node, hour) arrives once, in ascending order."""
    with FakeMisoServer(node_count=NODES, dx_page_size=100) as fake:
        bad = {"old": '"lmp":', "new": '"lmp":1e999,"lmp_was":'}
        fake.inject_sequence(r"/day-ahead/.*/lmp-exante", [("ok", {}), ("ok", {}),
                                                           ("rewrite", bad)])
        run = da_run(fake, first=D1, last=D1, pricing_api_key=pricing_key(fake))
        nodes = set(nodes_on(fake, D1))
    assert run.returncode == 0, run.stderr[-2000:]
    assert "failed part-way" in run.stderr and "re-reading the date from market_report" in (
        run.stderr
    )
    ante = [r for r in run.records(DA) if r["price_type"] == "ex_ante"]
    seen = Counter((r["node"], r["hour_ending"]) for r in ante)
    assert set(seen) == {(n, he) for n in nodes for he in range(1, 25)}
    starts = [r["interval_start_utc"] for r in run.records(DA)]
    assert starts == sorted(starts)
    by_source = defaultdict(set)
    for r in ante:
        by_source[r["source"]].add(r["hour_ending"])
    last_dx, first_mr = max(by_source["data_exchange"]), min(by_source["market_report"])
    assert last_dx <= first_mr <= last_dx + 1 and first_mr <= 24
    assert max(seen.values()) == 1  # nothing sent twice
    post = [r for r in run.records(DA) if r["price_type"] == "ex_post"]
    assert {r["source"] for r in post} == {"data_exchange"} and len(post) == len(nodes) * 24
