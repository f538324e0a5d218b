"""The deterministic data model: sizes, names, identities, magnitudes, determinism."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date

import pytest

from tap_miso.testing.fake_miso import DataModel
from tap_miso.testing.fake_miso.data.model import Lmp

from .conftest import D

TRADING_HUBS = {"ARKANSAS.HUB", "ILLINOIS.HUB", "INDIANA.HUB", "LOUISIANA.HUB",
                "MICHIGAN.HUB", "MINN.HUB", "MS.HUB", "TEXAS.HUB"}


def test_full_size_roster_matches_miso_2026_mix() -> None:
    model = DataModel(2612, date(2026, 7, 20))
    counts = Counter(node_type for _, node_type in model.nodes)
    assert counts == {"Gennode": 1715, "Loadzone": 437, "Hub": 414, "Interface": 46}
    names = [name for name, _ in model.nodes]
    assert len(set(names)) == 2612
    assert set(names) >= TRADING_HUBS
    loadzones = [name for name, t in model.nodes if t == "Loadzone"]
    assert all("." in name for name in loadzones)


def test_small_roster_scales_types_and_keeps_trading_hubs() -> None:
    model = DataModel(40, date(2026, 7, 20))
    counts = Counter(node_type for _, node_type in model.nodes)
    assert sum(counts.values()) == 40
    assert set(counts) == {"Gennode", "Loadzone", "Hub", "Interface"}
    assert {name for name, _ in model.nodes} >= TRADING_HUBS


def test_node_model_changes_on_quarter_boundaries() -> None:
    model = DataModel(2612, date(2026, 7, 20))
    june, august = model.nodes_on(date(2026, 6, 1)), model.nodes_on(date(2026, 8, 31))
    september = model.nodes_on(date(2026, 9, 1))
    assert june == august == model.nodes
    added = set(september) - set(june)
    retired = set(june) - set(september)
    assert 1 <= len(added) <= 20 and 1 <= len(retired) <= 20
    assert model.model_date(date(2026, 11, 30)) == date(2026, 9, 1)
    assert model.model_date(date(2026, 1, 15)) == date(2025, 12, 1)


def test_lmp_components_add_up_exactly_and_have_two_decimals() -> None:
    model = DataModel(40, date(2026, 7, 20))
    for name, _ in model.nodes:
        for he in (1, 14, 24):
            for price_type in ("ex_ante", "ex_post", "preliminary", "final"):
                value = model.lmp(D, he, name, price_type)
                assert round(value.mec + value.mcc + value.mlc, 2) == value.lmp
                assert all(round(part, 2) == part for part in value)
        five = model.lmp_5min(D, 287, name, "final")
        assert round(five.mec + five.mcc + five.mlc, 2) == five.lmp


def test_values_have_realistic_magnitudes() -> None:
    model = DataModel(2612, date(2026, 7, 20))
    names = [name for name, _ in model.nodes[::10]]
    lmps = [model.lmp(D, he, n, "ex_post").lmp for he in range(1, 25) for n in names]
    lmps.sort()
    assert 15 < lmps[len(lmps) // 2] < 80
    assert model.actual_load(D, 17, "MISO") > 60_000
    assert abs(model.actual_load(D, 17, "MISO") - sum(
        model.actual_load(D, 17, r) for r in ("North", "Central", "South"))) < 0.01
    assert 1_000 < model.actual_load(D, 17, "LRZ1") < 25_000
    assert 0 <= model.asm_mcp(D, 14, 3, "Supplemental", "ex_post") <= model.asm_mcp(
        D, 14, 3, "Regulation", "ex_post")
    assert model.generation_forecast("solar", D, D, 2, "MISO") == 0
    assert model.nai(D, 5, "IESO") == model.nai(D, 5, "ONT")


def test_values_are_deterministic_and_independent_of_node_count() -> None:
    small, large = DataModel(40, date(2026, 7, 20)), DataModel(2612, date(2026, 7, 20))
    assert small.lmp(D, 14, "MINN.HUB", "ex_post") == large.lmp(D, 14, "MINN.HUB", "ex_post")
    assert small.lmp(D, 14, "MINN.HUB", "ex_post") == Lmp(
        *DataModel(40, date(2026, 7, 20)).lmp(D, 14, "MINN.HUB", "ex_post"))
    assert [n for n, _ in small.nodes if n.endswith(".HUB")] == sorted(TRADING_HUBS)
    first = DataModel(2612, date(2026, 7, 20)).nodes
    assert first == large.nodes


def test_a_full_five_minute_day_generates_in_seconds() -> None:
    model = DataModel(2612, date(2026, 7, 20))
    names = [name for name, _ in model.nodes]
    started = time.monotonic()
    total = 0
    for index in range(288):
        for name in names:
            total += model.lmp_5min_cents(date(2026, 7, 1), index, name, "preliminary")[0]
    assert time.monotonic() - started < 5
    assert total != 0


@pytest.mark.parametrize("node_count", [12, 13, 16, 20])
def test_smallest_rosters_work_for_every_quarter(node_count):
    model = DataModel(node_count)
    for day in (date(2023, 1, 2), date(2026, 3, 1), date(2026, 11, 24), date(2028, 6, 1)):
        names = [name for name, _ in model.nodes_on(day)]
        assert len(names) == node_count
        assert set(model.trading_hubs) <= set(names)
