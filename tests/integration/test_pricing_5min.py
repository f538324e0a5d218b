"""``lmp_real_time_5min`` end to end through the fake MISO server (real tap processes).

The fake's clock is frozen at today 12:00 EST so the public windows are deterministic: Rolling
holds today's intervals up to 12:00 (144) plus yesterday's last one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import jsonschema
import pytest
import requests

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.harness import fake_config, run_tap

STREAM = "lmp_real_time_5min"
NODES = 16
TODAY = timeutil.market_today()
YESTERDAY = TODAY - timedelta(days=1)
# Two days of one week whose weekly zip (dated that Monday + 14 d) is already published.
_WEEK = TODAY - timedelta(days=21 + (TODAY - timedelta(days=21)).weekday())
D1, D2 = _WEEK + timedelta(days=1), _WEEK + timedelta(days=2)
ZIP_MONDAY = _WEEK + timedelta(days=14)


@pytest.fixture(scope="module")
def fake():
    noon = timeutil.market_day_start(TODAY) + timedelta(hours=12)
    with FakeMisoServer(node_count=NODES, now=noon) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake):
    fake.clear_faults()
    fake.missing_dates.clear()
    fake.reset_log()
    fake.reset_limits()
    yield


def key(fake):
    return fake.dx_keys["pricing"][0]


def run(fake, first, last, state=None, **overrides):
    config = fake_config(fake, start_date=str(first), end_date=str(last), **overrides)
    result = run_tap(config, streams=[STREAM], state=state)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def nodes_on(fake, day):
    return [name for name, _ in fake.data.nodes_on(day)]


def index_of(record):
    start = timeutil.parse_utc(record["interval_start_utc"])
    day = date.fromisoformat(record["market_date"])
    return (start - timeutil.market_day_start(day)) // timedelta(minutes=5)


def comparable(records):
    """Records without what may differ between sources: source and the raw label."""
    drop = {"source", "raw_time_label"}
    return [{k: v for k, v in r.items() if k not in drop} for r in records]


def check_values(fake, records, kinds, *, typed=True):
    for r in records[:: max(1, len(records) // 300)]:
        day = date.fromisoformat(r["market_date"])
        want = fake.data.lmp_5min(day, index_of(r), r["node"], kinds[r["price_type"]])
        assert (r["lmp"], r["mcc"], r["mlc"]) == (want.lmp, want.mcc, want.mlc)
        assert r["mec"] == pytest.approx(want.mec, abs=1e-9)
        assert r["hour_ending"] == index_of(r) // 12 + 1
        assert r["quality_flags"] == []
        assert r["node_type"] == (fake.data.node_type(r["node"]) if typed else None)


def validate_schema(result, records):
    schema = next(m["schema"] for m in result.messages if m["type"] == "SCHEMA")
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for record in records[:: max(1, len(records) // 200)]:
        validator.validate(record)


@pytest.fixture(scope="module")
def keyless_week(fake):
    """D1..D2 without a key: MR ex-ante xlsx + the weekly final zip."""
    fake.reset_log()
    result = run(fake, D1, D2)
    return result, fake.requests_for(r"/marketreports/")


def test_keyless_history_comes_from_market_reports(fake, keyless_week):
    result, mr_requests = keyless_week
    records = result.records(STREAM)
    per_day = len(nodes_on(fake, D1)) * 288
    assert Counter((r["market_date"], r["price_type"], r["revision"]) for r in records) == {
        (str(D1), "ex_ante", None): per_day,
        (str(D1), "ex_post", "final"): per_day,
        (str(D2), "ex_ante", None): per_day,
        (str(D2), "ex_post", "final"): per_day,
    }
    assert {r["source"] for r in records} == {"market_report"}
    starts = [r["interval_start_utc"] for r in records]
    assert starts == sorted(starts)
    validate_schema(result, records)
    check_values(fake, records, {"ex_ante": "ex_ante", "ex_post": "final"})
    # The weekly zip serves both dates from one download, dated the Monday 14 days on.
    zips = [r.path for r in mr_requests if r.path.endswith("5MIN_LMP.zip")]
    assert zips == [f"/marketreports/{ZIP_MONDAY:%Y%m%d}_5MIN_LMP.zip"]
    # ... and only the two planned dates of its seven are split out (the others are skipped)
    assert f"split into 2 market dates (kept: {D1}, {D2})" in result.stderr
    first = records[0]
    assert first["raw_time_label"] in (f"{D1} 12:00:00 AM", f"{D1:%m/%d/%Y} 00:00")
    assert first["interval_start_utc"] == f"{D1}T05:00:00Z"


def test_data_exchange_first_with_key_identical_but_for_source(fake, keyless_week):
    result = run(fake, D1, D2, pricing_api_key=key(fake))
    records = result.records(STREAM)
    assert {r["source"] for r in records} == {"data_exchange"}
    assert not fake.requests_for(r"/marketreports/.*5(MIN|min)")
    assert comparable(records) == comparable(keyless_week[0].records(STREAM))
    assert {r["revision"] for r in records if r["price_type"] == "ex_post"} == {"final"}
    assert result.last_state["bookmarks"][STREAM]["final_dates"] == [str(D1), str(D2)]


def test_falls_back_to_market_reports_when_data_exchange_fails(fake, keyless_week):
    fake.inject(r"/pricing/v1/real-time/", "status", times=None, code=500)
    result = run(
        fake, D1, D2, pricing_api_key=key(fake), max_retries=1, circuit_breaker_failure_threshold=2
    )
    records = result.records(STREAM)
    assert {r["source"] for r in records} == {"market_report"}
    assert comparable(records) == comparable(keyless_week[0].records(STREAM))
    assert result.summary()["fallbacks"]


def test_public_api_serves_yesterday_in_full_and_today_so_far(fake):
    result = run(fake, YESTERDAY, TODAY, source_preference=["public_api"])
    records = result.records(STREAM)
    n = len(nodes_on(fake, TODAY))
    assert Counter((r["market_date"], r["revision"], r["source"]) for r in records) == {
        (str(YESTERDAY), "preliminary", "public_api"): n * 288,
        (str(TODAY), "preliminary", "public_api"): n * 144,  # fake clock: 12:00 EST
    }
    per_node = defaultdict(set)
    for r in records:
        per_node[(r["market_date"], r["node"])].add(r["interval_start_utc"])
    assert {len(v) for k, v in per_node.items() if k[0] == str(YESTERDAY)} == {288}
    # No node list is enabled (public only), so node_type is null.
    check_values(fake, records, {"ex_post": "preliminary"}, typed=False)
    # END labels: the raw label is the interval's end in EST.
    for r in records[:: len(records) // 50]:
        end = timeutil.parse_utc(r["interval_end_utc"]).astimezone(timeutil.EST)
        assert r["raw_time_label"] == end.strftime("%Y-%m-%dT%H:%M:%S")
    # Rolling serves yesterday's last interval and today from one download (politeness).
    assert len(fake.requests_for(r"GetRealTimeFiveMinExPost/Rolling")) == 1
    assert len(fake.requests_for(r"GetRealTimeFiveMinExPost/Previous")) == 1


def test_public_end_labels_and_dx_start_labels_give_the_same_intervals(fake):
    dx_run = run(
        fake, YESTERDAY, YESTERDAY, pricing_api_key=key(fake), source_preference=["data_exchange"]
    )
    keyless = run(fake, YESTERDAY, YESTERDAY, source_preference=["market_report", "public_api"])
    dx_records, public_records = dx_run.records(STREAM), keyless.records(STREAM)
    assert Counter(r["source"] for r in public_records if r["price_type"] == "ex_post") == {
        "public_api": len(nodes_on(fake, YESTERDAY)) * 288
    }
    assert {r["revision"] for r in dx_records if r["price_type"] == "ex_post"} == {"preliminary"}
    assert comparable(dx_records) == comparable(public_records)
    by_key = {(r["node"], r["interval_start_utc"], r["price_type"]): r for r in dx_records}
    sample = next(r for r in public_records if r["price_type"] == "ex_post")
    twin = by_key[(sample["node"], sample["interval_start_utc"], "ex_post")]
    assert sample["record_hash"] == twin["record_hash"]
    start = datetime.fromisoformat(twin["raw_time_label"])
    assert datetime.fromisoformat(sample["raw_time_label"]) == start + timedelta(minutes=5)


def test_date_delivered_as_final_is_not_sent_again_as_preliminary(fake):
    state = {"bookmarks": {STREAM: {"final_dates": [str(YESTERDAY)]}}}
    result = run(fake, YESTERDAY, YESTERDAY, state=state, pricing_api_key=key(fake))
    records = result.records(STREAM)
    assert {r["price_type"] for r in records} == {"ex_ante"}
    assert not fake.requests_for(r"GetRealTimeFiveMinExPost")
    dx_flags = [r.query.get("preliminaryFinal") for r in fake.requests_for(r"lmp-expost")]
    assert dx_flags == ["Final"]


def test_recent_dates_without_a_key_have_no_ex_post_source_until_the_weekly_zip(fake):
    day = TODAY - timedelta(days=3)
    result = run(fake, day, day)
    assert {r["price_type"] for r in result.records(STREAM)} == {"ex_ante"}
    assert not fake.requests_for(r"5MIN_LMP\.zip")  # not requested before its Monday
    assert "ex_post" in result.summary()["gaps"][STREAM][0]["detail"]


@pytest.mark.parametrize("day", [date(2025, 3, 9), date(2025, 11, 2)])
def test_dst_days_have_288_intervals_in_fixed_est(fake, day):
    result = run(fake, day, day)
    per_key = defaultdict(set)
    for r in result.records(STREAM):
        per_key[(r["node"], r["price_type"])].add(r["interval_start_utc"])
    assert len(per_key) == len(nodes_on(fake, day)) * 2
    assert {len(v) for v in per_key.values()} == {288}
    starts = sorted(next(iter(per_key.values())))
    assert starts[0] == f"{day}T05:00:00Z"
    assert starts[-1] == f"{day + timedelta(days=1)}T04:55:00Z"


def test_bad_cell_is_flagged_never_a_wrong_number(fake):
    path = f"/pricing/v1/real-time/{D1}/lmp-exante"
    body = requests.get(
        fake.data_exchange_url + path,
        params={"pageNumber": 1},
        timeout=30,
        headers={"Ocp-Apim-Subscription-Key": key(fake)},
    ).json()
    assert body["page"]["totalPages"] == 1
    bad = body["data"][5]
    bad["lmp"] = "abc"
    import json

    fake.inject(path, "status", times=None, code=200, body=json.dumps(body))
    result = run(fake, D1, D1, pricing_api_key=key(fake))
    flagged = [r for r in result.records(STREAM) if r["quality_flags"]]
    assert len(flagged) == 1
    record = flagged[0]
    assert record["node"] == bad["node"] and record["price_type"] == "ex_ante"
    assert record["lmp"] is None and record["quality_flags"] == ["invalid_lmp"]
    assert result.summary()["flagged_records"] == {STREAM: 1}


def test_node_filter_asks_data_exchange_per_node(fake):
    wanted = ["MINN.HUB", "TEXAS.HUB"]
    result = run(fake, D1, D1, pricing_api_key=key(fake), nodes=wanted)
    records = result.records(STREAM)
    assert {r["node"] for r in records} == set(wanted)
    assert len(records) == 2 * 288 * 2
    asked = {r.query.get("node") for r in fake.requests_for(r"/pricing/v1/real-time/")}
    assert asked == set(wanted)


EXANTE_XLSX_RE = r"^/marketreports/\d{8}_5min_exante_lmp\.xlsx$"


def test_truncated_exante_workbook_is_downloaded_again_never_parsed_short(fake, keyless_week):
    """The 19 MB workbook is streamed to disk; a body cut short is fetched again whole."""
    fake.inject(EXANTE_XLSX_RE, "truncate", times=2)
    result = run(fake, D1, D1)
    expected = [r for r in keyless_week[0].records(STREAM) if r["market_date"] == str(D1)]
    assert comparable(result.records(STREAM)) == comparable(expected)
    assert [r.fault for r in fake.requests_for(EXANTE_XLSX_RE)] == ["truncate", "truncate", None]
    assert result.stderr.count("download interrupted") == 2


def test_exante_workbook_cut_short_every_time_is_a_clear_failure(fake):
    fake.inject(EXANTE_XLSX_RE, "truncate", times=None)
    config = fake_config(fake, start_date=str(D1), end_date=str(D1))
    result = run_tap(config, streams=[STREAM])
    assert result.returncode != 0
    assert "download interrupted 3 times" in result.stderr
    assert len(fake.requests_for(EXANTE_XLSX_RE)) == 3
    assert not [r for r in result.records(STREAM) if r["price_type"] == "ex_ante"]


WEEKLY_ZIP_RE = r"^/marketreports/\d{8}_5MIN_LMP\.zip$"


@pytest.mark.parametrize("fault", ["malformed", "html200"])
def test_a_weekly_zip_that_is_not_a_zip_is_a_clear_failure(fake, fault):
    """No other keyless ex-post source for these dates: the run stops, naming the file; the
    ex-ante part of the date was not emitted as a complete date either."""
    fake.inject(WEEKLY_ZIP_RE, fault, times=None)
    try:
        config = fake_config(fake, start_date=str(D1), end_date=str(D1))
        result = run_tap(config, streams=[STREAM])
    finally:
        fake.clear_faults()  # module-scoped fixtures of the next test run before `clean`
    assert result.returncode != 0
    failure = [line for line in result.stderr.splitlines() if "Run failed" in line]
    assert len(failure) == 1 and f"{ZIP_MONDAY:%Y%m%d}_5MIN_LMP.zip" in failure[0]
    assert "[ex_post]" in failure[0] and "Traceback" not in result.stderr
    assert not [r for r in result.records(STREAM) if r["price_type"] == "ex_post"]


def test_a_weekly_zip_with_a_new_column_is_reported_and_still_read(fake, keyless_week):
    """Schema drift in the weekly zip is reported once (not once per date) and its records are
    those of the usual file."""
    fake.inject(WEEKLY_ZIP_RE, "drift", times=None, mode="add", column="ENERGY")
    result = run(fake, D1, D2)
    expected = [r for r in keyless_week[0].records(STREAM) if r["price_type"] == "ex_post"]
    got = [r for r in result.records(STREAM) if r["price_type"] == "ex_post"]
    assert comparable(got) == comparable(expected)
    drift = [line for line in result.stderr.splitlines() if "Schema drift" in line]
    assert len(drift) == 1 and "5MIN_LMP.zip sent unexpected columns ['ENERGY']" in drift[0]
    assert len(fake.requests_for(WEEKLY_ZIP_RE)) == 1


def test_a_data_exchange_part_failing_part_way_is_completed_from_the_weekly_zip():
    """DX ex-post page 3 of 5 has a price of 1e999: the first intervals are already out when it
    fails. The part is completed from the weekly zip from the last interval sent on, merged
    with ex-ante in ascending order; nothing is lost and nothing comes twice."""
    noon = timeutil.market_day_start(TODAY) + timedelta(hours=12)
    with FakeMisoServer(node_count=NODES, now=noon, dx_page_size=1000) as fake:
        bad = {"old": '"lmp":', "new": '"lmp":1e999,"lmp_was":'}
        fake.inject_sequence(rf"/real-time/{D1}/lmp-expost", [("ok", {}), ("ok", {}),
                                                               ("rewrite", bad)])
        result = run(fake, D1, D1, pricing_api_key=key(fake))
        nodes = set(nodes_on(fake, D1))
    assert "data_exchange failed part-way" in result.stderr
    records = result.records(STREAM)
    starts = [r["interval_start_utc"] for r in records]
    assert starts == sorted(starts)
    ante = [r for r in records if r["price_type"] == "ex_ante"]
    assert {r["source"] for r in ante} == {"data_exchange"} and len(ante) == len(nodes) * 288
    post = [r for r in records if r["price_type"] == "ex_post"]
    seen = Counter((r["node"], index_of(r)) for r in post)
    assert set(seen) == {(n, i) for n in nodes for i in range(288)}
    by_source = defaultdict(set)
    for r in post:
        by_source[r["source"]].add(index_of(r))
    last_dx, first_mr = max(by_source["data_exchange"]), min(by_source["market_report"])
    assert last_dx <= first_mr <= last_dx + 1 and first_mr <= 287
    assert max(seen.values()) == 1  # nothing sent twice
    assert {r["revision"] for r in post} == {"final"}
    check_values(fake, post, {"ex_post": "final"})


EXANTE_XLSX_NAME = "5min_exante_lmp.xlsx"


def states(result):
    """The STATE values without the signpost (the wall-clock time of the run)."""
    out = []
    for message in result.messages:
        if message["type"] == "STATE":
            bookmark = dict(message["value"]["bookmarks"][STREAM])
            bookmark.pop("replication_key_signpost", None)
            out.append(bookmark)
    return out


def test_parsing_in_child_processes_gives_the_same_records(fake, keyless_week):
    """`parallel_parsing` (default on) parses the workbook and the weekly spill in child
    processes; off, in the tap's own process. Same records, state and summary."""
    on, _ = keyless_week
    off = run(fake, D1, D2, parallel_parsing=False)
    assert on.records(STREAM) == off.records(STREAM)
    assert states(on) == states(off)
    timeless = ("records", "records_checked", "quality_score", "flags_by_rule", "missing_dates",
                "missing_intervals", "sources_by_date")
    summaries = [{k: r.summary()["streams"][STREAM][k] for k in timeless} for r in (on, off)]
    assert summaries[0] == summaries[1] and summaries[0]["records"] == len(on.records(STREAM))
    for name in (EXANTE_XLSX_NAME, "5MIN_LMP.zip"):
        assert on.stderr.count(f"{name}: parsing in child process") == 2  # one per date
        assert f"{name}: parsing in child process" not in off.stderr


@pytest.mark.parametrize("parallel", [True, False])
def test_workbook_drift_reported_from_the_child_process_as_in_process(fake, keyless_week,
                                                                      parallel):
    fake.inject(EXANTE_XLSX_RE, "drift", times=None, mode="add", column="RT Ex-Ante Note")
    result = run(fake, D1, D1, parallel_parsing=parallel)
    expected = [r for r in keyless_week[0].records(STREAM) if r["market_date"] == str(D1)]
    assert result.records(STREAM) == expected
    drift = [line for line in result.stderr.splitlines() if "Schema drift" in line]
    assert len(drift) == 1 and "sent unexpected columns ['RT Ex-Ante Note']" in drift[0]
    assert (f"{EXANTE_XLSX_NAME}: parsing in child process" in result.stderr) is parallel


@pytest.mark.parametrize("parallel", [True, False])
def test_workbook_without_a_price_column_fails_the_same_way_in_a_child_process(fake, parallel):
    fake.inject(EXANTE_XLSX_RE, "drift", times=None, mode="drop", column="RT Ex-Ante MCC")
    config = fake_config(fake, start_date=str(D1), end_date=str(D1), parallel_parsing=parallel)
    result = run_tap(config, streams=[STREAM])
    assert result.returncode != 0 and "Traceback" not in result.stderr
    failure = [line for line in result.stderr.splitlines() if "Run failed" in line]
    assert len(failure) == 1 and "[ex_ante]" in failure[0]
    assert "(missing columns: RT Ex-Ante MCC)" in failure[0]
    assert not result.records(STREAM)
