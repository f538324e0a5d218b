"""Parsing in a child process: items, logs, drift reports and errors arrive as in-process."""

from __future__ import annotations

import logging
import tempfile

import pytest

from tap_miso.parsers import offload
from tap_miso.parsers.errors import PayloadError

JOBS = "tests.unit.offload_jobs"


@pytest.fixture(autouse=True)
def _fresh():
    offload._unavailable.clear()
    yield
    offload._unavailable.clear()


@pytest.fixture
def children(monkeypatch):
    """The child processes started (to see that they ended)."""
    started = []
    start = offload._start

    def spy(*args):
        child = start(*args)
        started.append(child)
        return child

    monkeypatch.setattr(offload, "_start", spy)
    return started


def local_never():
    raise AssertionError("ran in-process")


def run(job, *args, **kwargs):
    kwargs.setdefault("local", local_never)
    return offload.offloaded(f"{JOBS}:{job}", args, what="test.xlsx", **kwargs)


def test_items_arrive_in_order_and_the_child_ends(children):
    assert list(run("numbers", 5000)) == list(range(5000))
    assert len(children) == 1 and children[0].returncode == 0


def test_logs_and_drift_reports_are_passed_on_in_order():
    seen = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(("log", record.name, record.levelname, record.getMessage()))

    logger = logging.getLogger("tap_miso.parsers.rows")
    handler = Collect()
    logger.addHandler(handler)
    try:
        for item in run("talk", on_unexpected_columns=lambda names: seen.append(("drift", names))):
            seen.append(("item", item))
    finally:
        logger.removeHandler(handler)
    assert seen == [
        ("item", "before"),
        ("log", "tap_miso.parsers.rows", "WARNING", "labels not in ascending order (7)"),
        ("drift", ["NEW_COLUMN"]),
        ("item", "after"),
    ]


def test_a_payload_error_comes_after_the_items_before_it():
    got = []
    with pytest.raises(PayloadError) as err:
        got.extend(run("payload_error_after", 3))
    assert got == [0, 1, 2]
    assert str(err.value) == "five_min_lmp_zip: bad row (missing columns: LMP)"
    assert err.value.missing_columns == ["LMP"]


def test_a_bug_in_the_child_is_an_error_with_its_traceback():
    got = []
    with pytest.raises(offload.OffloadError, match=r"(?s)test.xlsx: the parser process failed.*"
                       r"KeyError: 'a bug in the parser'"):
        got.extend(run("bug_after", 2))
    assert got == [0, 1]


def test_a_child_that_dies_is_a_payload_error_naming_the_file():
    got = []
    ended = r"test.xlsx: parser process ended early \(exit code 3\)"
    with pytest.raises(PayloadError, match=ended):
        got.extend(run("die_after", 4))
    assert got == [0, 1, 2, 3]


def test_garbage_on_the_pipe_is_a_payload_error_not_a_traceback(children):
    got = []
    with pytest.raises(PayloadError, match=r"test.xlsx: parser process sent an unreadable answer"):
        got.extend(run("garbage_after", 2))
    assert got == [0, 1]
    assert children[0].returncode is not None


def test_the_child_reads_an_open_file_it_inherits():
    with tempfile.TemporaryFile() as fh:
        fh.write(b"workbook bytes")
        fh.flush()
        assert list(run("read_fd", fh.fileno(), fds=(fh.fileno(),))) == [b"workbook bytes"]


def test_closing_early_stops_the_child(children):
    items = run("pid")
    child_pid = next(items)
    items.close()
    assert children[0].pid == child_pid
    assert children[0].returncode is not None  # killed and reaped, not left running


@pytest.mark.parametrize("how", ["no interpreter", "job not importable"])
def test_no_child_means_parsing_in_process_for_the_rest_of_the_run(monkeypatch, caplog, how):
    if how == "no interpreter":
        monkeypatch.setattr(offload.sys, "executable", "/nonexistent/python3")
        job = f"{JOBS}:numbers"
    else:
        job = "tests.unit.no_such_module:numbers"
    got = list(offload.offloaded(job, (3,), local=lambda: iter(["local"]), what="x"))
    assert got == ["local"]
    assert not offload.available()
    assert "parsing in a child process is not available" in caplog.text
    assert list(run("numbers", 2, local=lambda: iter(["local again"]))) == ["local again"]


@pytest.mark.parametrize("where", ["windows", "frozen application"])
def test_not_on_windows_nor_in_a_frozen_application(monkeypatch, children, where):
    if where == "windows":
        monkeypatch.setattr(offload.os, "name", "nt")
    else:
        monkeypatch.setattr(offload.sys, "frozen", True, raising=False)
    assert list(run("numbers", 2, local=lambda: iter(["local"]))) == ["local"]
    assert children == []
