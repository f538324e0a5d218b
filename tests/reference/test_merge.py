"""Merge semantics over three successive snapshots: add, change, disappear, reappear."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tap_miso.reference.cli import main
from tap_miso.reference.tables import GENERATORS, NODES
from tests.reference.singer import header, node, rows, singer, unit

T1, T2, T3 = "2026-09-01T09:30:00Z", "2026-10-01T09:30:00Z", "2026-11-01T09:30:00Z"


@pytest.fixture
def files(tmp_path):
    return tmp_path / "iso_nodes.csv", tmp_path / "generators.csv"


def apply(tmp_path, files, streams, now, state=True):
    feed = tmp_path / f"run-{now[:10]}.jsonl"
    feed.write_text(singer(streams, state=state))
    clock = datetime.fromisoformat(now.replace("Z", "+00:00"))
    args = ["--nodes", str(files[0]), "--generators", str(files[1]), "--input", str(feed)]
    assert main(args, now=lambda: clock.astimezone(UTC)) == 0


def test_three_snapshots_nodes(tmp_path, files):
    apply(tmp_path, files, {"nodes": [node("B"), node("A"), node("C")]}, T1)
    first = rows(files[0])
    assert list(first) == ["A", "B", "C"]  # sorted by key
    assert header(files[0]) == list(NODES.columns)
    assert first["A"] == {
        "node": "A", "node_type": "Gennode", "is_trading_hub": "false", "reserve_zone": "3",
        "first_model_date": "2026-03-01", "retired_model_date": "", "first_seen": T1,
        "last_seen": T1, "updated_at": T1, "present": "true", "removed_at": ""}

    # A changes type, B disappears from a complete list, D is new; C unchanged but for
    # provenance and volatile fields.
    apply(tmp_path, files, {"nodes": [node("A", "Loadzone"), node("C", source="data_exchange",
                                      last_seen="2026-12-01", model_date="2026-12-01"),
                                      node("D", first_model_date="2026-09-01")]}, T2)
    second = rows(files[0])
    assert second["A"]["node_type"] == "Loadzone"
    assert (second["A"]["updated_at"], second["A"]["last_seen"]) == (T2, T2)
    assert second["B"] == first["B"] | {"present": "false", "removed_at": T2,
                                            "updated_at": T2}
    assert (second["C"]["updated_at"], second["C"]["last_seen"]) == (T1, T2)
    assert (second["D"]["first_seen"], second["D"]["first_model_date"]) == (T2, "2026-09-01")

    # B reappears; C is reported retired; A and D unchanged; E is new but already retired.
    apply(tmp_path, files, {"nodes": [
        node("A", "Loadzone"), node("B"), node("D", first_model_date="2026-09-01"),
        node("C", node_type=None, retired=True, retired_model_date="2026-12-01"),
        node("E", retired=True, retired_model_date="2026-12-01")]}, T3)
    third = rows(files[0])
    assert list(third) == ["A", "B", "C", "D", "E"]
    assert third["A"] == second["A"] | {"last_seen": T3}
    assert third["B"] == second["B"] | {"present": "true", "removed_at": "",
                                             "last_seen": T3, "updated_at": T3}
    assert third["B"]["first_seen"] == T1
    assert third["C"] == second["C"] | {  # its type is not erased by the null of the record
        "retired_model_date": "2026-12-01", "present": "false", "removed_at": T3,
        "updated_at": T3}
    assert {k: third["E"][k] for k in ("present", "removed_at", "first_seen", "last_seen")} == {
        "present": "false", "removed_at": T3, "first_seen": T3, "last_seen": ""}


def test_three_snapshots_generators_keep_newest_period(tmp_path, files):
    apply(tmp_path, files, {"generators": [unit(10, "GT1", "2026-07"), unit(9, "01", "2026-07"),
                                           unit(9, "1", "2026-07")]}, T1)
    first = rows(files[1])
    assert list(first) == ["9/01", "9/1", "10/GT1"]  # numeric plant order, "01" is not "1"
    assert first["9/01"]["nameplate_capacity_mw"] == "100"
    assert "record_hash" not in header(files[1]) and "source" not in header(files[1])

    # Two periods in one run: 9/01 changes capacity in 2026-08 (the newest period wins);
    # 10/GT1 is only in 2026-07 (absent from the newest period: removed); 11/A is new.
    apply(tmp_path, files, {"generators": [
        unit(9, "01", "2026-08", nameplate_capacity_mw=120.5), unit(9, "01", "2026-07"),
        unit(10, "GT1", "2026-07", status="SB"), unit(9, "1", "2026-08"),
        unit(11, "A", "2026-08")]}, T2)
    second = rows(files[1])
    assert second["9/01"]["nameplate_capacity_mw"] == "120.5"
    assert (second["9/01"]["period"], second["9/01"]["updated_at"]) == ("2026-08", T2)
    assert second["9/1"]["updated_at"] == T1  # period and record_hash moved: not a change
    assert second["9/1"]["last_seen"] == T2
    assert second["10/GT1"] == first["10/GT1"] | {
        "status": "SB", "present": "false", "removed_at": T2, "updated_at": T2}
    assert second["11/A"]["first_seen"] == T2

    # 10/GT1 is back in 2026-09; the others are missing from the run entirely.
    apply(tmp_path, files, {"generators": [unit(10, "GT1", "2026-09", status="OP")]}, T3)
    third = rows(files[1])
    assert third["10/GT1"]["present"] == "true" and third["10/GT1"]["removed_at"] == ""
    assert third["10/GT1"]["first_seen"] == T1
    assert all(third[k]["present"] == "false" and third[k]["removed_at"] == T3
               for k in ("9/01", "9/1", "11/A"))
    assert third["9/01"]["nameplate_capacity_mw"] == "120.5"  # attributes are kept


def test_without_a_state_after_the_records_absence_is_not_removal(tmp_path, files, capsys):
    apply(tmp_path, files, {"nodes": [node("A"), node("B")],
                            "generators": [unit(1, "1", "2026-07"), unit(2, "1", "2026-07")]}, T1)
    apply(tmp_path, files, {"nodes": [node("A"), node("C", retired=True)],
                            "generators": [unit(1, "1", "2026-08"), unit(2, "1", "2026-07")]},
          T2, state=False)
    assert "not followed by a STATE message" in capsys.readouterr().err
    nodes, units = rows(files[0]), rows(files[1])
    assert nodes["B"]["present"] == "true"  # maybe only cut short: kept present
    assert nodes["C"]["present"] == "false"  # an explicit retirement still counts
    assert units["2/1"]["present"] == "true"


def test_a_rerun_of_the_same_output_changes_only_last_seen(tmp_path, files):
    streams = {"nodes": [node("A"), node("B", retired=True)],
               "generators": [unit(1, "1", "2026-07")]}
    apply(tmp_path, files, streams, T1)
    before = files[0].read_text(), files[1].read_text()
    apply(tmp_path, files, streams, T2)
    assert (files[0].read_text().replace(T2, T1), files[1].read_text().replace(T2, T1)) == before
    assert rows(files[0])["A"]["updated_at"] == T1


def test_only_the_files_asked_for_are_written(tmp_path, files, capsys):
    feed = tmp_path / "in.jsonl"
    feed.write_text(singer({"nodes": [node("A")]}))
    assert main(["--nodes", str(files[0]), "--generators", str(files[1]),
                 "--input", str(feed)]) == 0
    assert files[0].exists() and not files[1].exists()
    assert "no generators records" in capsys.readouterr().err
    assert GENERATORS.key == ("plant_id", "generator_id")


def test_fields_outside_the_column_list_are_reported(tmp_path, files, capsys):
    apply(tmp_path, files, {"generators": [unit(1, "1", "2026-07", capacity_factor=0.3)]}, T1)
    err = capsys.readouterr().err
    assert "not columns (ignored): capacity_factor" in err
    assert "left empty): " in err and "lmp_node" in err
