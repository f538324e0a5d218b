"""Node crosswalk history: quarterly model dates, retirement, reappearance, compact state."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tap_miso import timeutil
from tap_miso.streams.nodes import (
    NodeHistory,
    dump_history,
    load_history,
    record_observation,
)
from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.harness import fake_config, run_tap

NODES = "nodes"
START = date(2026, 5, 20)  # mid-quarter: the 2026-03-01 model is in force
FIRST_END = date(2026, 8, 31)  # first run: May 20, Jun 1 model, Aug 31 (still the Jun 1 model)


@pytest.fixture(scope="module")
def fake():
    with FakeMisoServer(node_count=40) as server:
        yield server


def expected_history(fake, days: list[date]) -> dict[str, dict]:
    """Independent oracle: first/last presence and the model of the first absence after it."""
    lists = {d: {n for n, _ in fake.data.nodes_on(d)} for d in days}
    out = {}
    for node in set().union(*lists.values()):
        present = [d for d in days if node in lists[d]]
        after = [d for d in days if d > present[-1] and node not in lists[d]]
        out[node] = {
            "first_seen": str(present[0]),
            "last_seen": str(present[-1]),
            "first_model_date": str(fake.data.model_date(present[0])),
            "retired_model_date": str(fake.data.model_date(after[0])) if after else None,
            "retired": node not in lists[days[-1]],
        }
    return out


def picked(record: dict) -> dict:
    return {k: record[k] for k in ("first_seen", "last_seen", "first_model_date",
                                   "retired_model_date", "retired")}


def run_nodes(fake, end: date | None = None, state: dict | None = None):
    config = fake_config(fake, start_date=str(START), **({"end_date": str(end)} if end else {}))
    run = run_tap(config, streams=[NODES], state=state)
    assert run.returncode == 0, run.stderr[-2000:]
    return run


# -- pure history logic ----------------------------------------------------------------------

def test_three_observations_add_retire_and_reappear():
    history: dict[str, NodeHistory] = {}
    record_observation(history, date(2026, 5, 20), ["A", "B"])  # Mar 1 model, mid-quarter
    record_observation(history, date(2026, 6, 1), ["A", "C"])  # B retired, C added
    assert history["A"] == NodeHistory("2026-05-20", "2026-06-01")
    assert history["A"].first_model_date == "2026-03-01"  # observed in the Mar model, not Jun
    assert history["B"] == NodeHistory("2026-05-20", "2026-05-20", "2026-06-01")
    assert history["C"].first_model_date == "2026-06-01"
    record_observation(history, date(2026, 9, 1), ["A", "B"])  # B reappears, C retired
    assert history["B"] == NodeHistory("2026-05-20", "2026-09-01", None)
    assert history["C"] == NodeHistory("2026-06-01", "2026-06-01", "2026-09-01")
    record_observation(history, date(2026, 11, 27), ["A", "B"])  # mid-quarter end of window
    assert history["C"].retired_model_date == "2026-09-01"  # first absence, not the latest


def test_a_node_vanishing_mid_model_gets_the_model_it_vanished_in():
    history: dict[str, NodeHistory] = {}
    record_observation(history, date(2026, 9, 1), ["A"])
    record_observation(history, date(2026, 11, 27), [])
    assert history["A"].retired_model_date == "2026-09-01"


def test_an_older_observation_neither_retires_nor_revives():
    history = {"A": NodeHistory("2026-06-01", "2026-06-01", "2026-09-01"),
               "B": NodeHistory("2026-09-01", "2026-09-01")}
    record_observation(history, date(2026, 6, 1), ["A"])  # a re-read of an old model
    assert history["A"].retired_model_date == "2026-09-01"
    assert history["B"].retired_model_date is None  # B's last sighting is newer than June


def test_state_round_trip_groups_identical_histories():
    history = {"A": NodeHistory("2026-05-20", "2026-11-27"),
               "B": NodeHistory("2026-05-20", "2026-11-27"),
               "C": NodeHistory("2026-05-20", "2026-08-31", "2026-09-01")}
    dumped = dump_history(history)
    assert [g["nodes"] for g in dumped] == [["C"], ["A", "B"]]
    assert load_history(json.loads(json.dumps({"node_history": dumped})), "2026-11-27") == history


def test_older_node_dates_state_is_migrated():
    state = {"node_dates": {"A": ["2026-05-20", "2026-11-27"], "B": ["2026-05-20", "2026-08-31"]}}
    history = load_history(state, "2026-11-27")
    assert history["A"] == NodeHistory("2026-05-20", "2026-11-27")
    assert history["B"] == NodeHistory("2026-05-20", "2026-08-31", "2026-09-01")


# -- against the fake roster (nodes added and retired at each quarter) -----------------------

def test_model_dates_over_two_runs_and_retirements_emitted_once(fake):
    today = timeutil.market_today()
    first = run_nodes(fake, end=FIRST_END)
    days_1 = [START, date(2026, 6, 1), FIRST_END]
    expected = expected_history(fake, days_1)
    assert {r["node"]: picked(r) for r in first.records(NODES)} == expected
    assert {"2026-03-01", "2026-06-01"} <= {e["first_model_date"] for e in expected.values()}
    assert any(e["retired_model_date"] == "2026-06-01" for e in expected.values())

    second = run_nodes(fake, state=first.last_state)
    expected = expected_history(fake, sorted({*days_1, date(2026, 9, 1), today}))
    emitted = {r["node"]: picked(r) for r in second.records(NODES)}
    newly_retired = {n for n, e in expected.items()
                     if e["retired"] and e["retired_model_date"] == "2026-09-01"}
    assert newly_retired, "the fake retires nodes at the Sep 1 model"
    retired_records = [r for r in second.records(NODES) if r["node"] in newly_retired]
    assert retired_records and all(r["node_type"] == fake.data.node_type(r["node"])
                                   for r in retired_records)  # type kept from the state
    listed_today = {n for n, _ in fake.data.nodes_on(today)}
    assert set(emitted) == listed_today | newly_retired  # June retirements are not re-sent
    assert emitted == {n: expected[n] for n in emitted}
    assert any(e["first_model_date"] == "2026-09-01" for e in emitted.values())

    third = run_nodes(fake, state=second.last_state)
    assert {r["node"] for r in third.records(NODES)} == listed_today
    assert not any(r["retired"] for r in third.records(NODES))


def test_reappearing_node_is_unretired_and_keeps_its_history(fake):
    today = timeutil.market_today()
    first = run_nodes(fake)
    state = first.last_state
    bookmark = state["bookmarks"][NODES]
    node = sorted(n for n, _ in fake.data.nodes_on(today))[0]
    # Pretend an earlier run saw ``node`` until Jun 1 and then missed it at the Sep 1 model.
    for group in bookmark["node_history"]:
        if node in group["nodes"]:
            group["nodes"].remove(node)
    bookmark["node_history"].append({"first_seen": "2026-01-15", "last_seen": "2026-06-01",
                                     "retired_model_date": "2026-09-01", "nodes": [node]})
    second = run_nodes(fake, state=state)
    record = next(r for r in second.records(NODES) if r["node"] == node)
    assert picked(record) == {"first_seen": "2026-01-15", "last_seen": str(today),
                              "first_model_date": "2025-12-01", "retired_model_date": None,
                              "retired": False}
    groups = second.last_state["bookmarks"][NODES]["node_history"]
    assert not any(node in g["nodes"] and g["retired_model_date"] for g in groups)


def test_state_stays_compact_for_a_full_roster():
    with FakeMisoServer(node_count=2612) as big:
        run = run_nodes(big)
    state = run.last_state["bookmarks"][NODES]
    nodes = sum(len(g["nodes"]) for g in state["node_history"])
    assert nodes == len({r["node"] for r in run.records(NODES)}) > 2612
    size = len(json.dumps(state))
    names = sum(len(json.dumps(n)) + 2 for g in state["node_history"] for n in g["nodes"])
    print(f"nodes state: {nodes} nodes, {len(state['node_history'])} groups, {size} bytes")
    assert size < names + 2000  # the names plus a few date groups, no per-node dates


def test_a_retired_node_keeps_its_last_known_type():
    history: dict[str, NodeHistory] = {}
    record_observation(history, date(2026, 6, 1), ["A", "B"], {"A": "Gennode", "B": "Hub"})
    record_observation(history, date(2026, 9, 1), ["A"], {"A": None})  # a null never erases
    assert history["A"].node_type == "Gennode"
    assert history["B"] == NodeHistory("2026-06-01", "2026-06-01", "2026-09-01", "Hub")
    record_observation(history, date(2026, 3, 1), ["A"], {"A": "Loadzone"})  # older re-read
    assert history["A"].node_type == "Gennode"
    record_observation(history, date(2026, 10, 1), ["A"], {"A": "Loadzone"})  # newer: changes
    assert history["A"].node_type == "Loadzone"
    restored = load_history({"node_history": dump_history(history)}, None)
    assert restored == history
