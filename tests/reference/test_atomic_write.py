"""Atomicity: a process killed while writing leaves the original file byte-identical."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from tap_miso.reference.atomic import atomic_write
from tap_miso.reference.csv_file import read_table
from tap_miso.reference.tables import NODES
from tests.reference.singer import node, rows, run, singer

# Runs the real command, but the CSV rendering stops halfway, says so and sleeps until killed.
CHILD = textwrap.dedent("""
    import sys, time
    from tap_miso.reference import cli

    real = cli.render_table

    def half_then_hang(spec, table):
        chunks = list(real(spec, table))
        yield from chunks[: len(chunks) // 2]
        sys.stderr.write("MID-WRITE\\n")
        sys.stderr.flush()
        time.sleep(120)
        yield from chunks[len(chunks) // 2:]

    cli.render_table = half_then_hang
    sys.exit(cli.main(sys.argv[1:]))
""")


def test_kill_mid_write_leaves_the_original_intact(tmp_path):
    target = tmp_path / "iso_nodes.csv"
    nodes = [node(f"N{i:04}") for i in range(1500)]
    first = run(["--nodes", str(target)], singer({"nodes": nodes}), now="2026-09-01T00:00:00Z")
    assert first.returncode == 0, first.stderr.decode()
    original = target.read_bytes()
    feed = tmp_path / "second.jsonl"
    feed.write_text(singer({"nodes": [node(f"N{i:04}", "Loadzone") for i in range(2000)]}))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, "--nodes", str(target), "--input", str(feed)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        assert child.stderr.readline() == b"MID-WRITE\n"
        temps = [p for p in tmp_path.iterdir() if p.name.startswith(".iso_nodes.csv.")]
        assert len(temps) == 1 and temps[0].stat().st_size > 0  # really half written
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.stderr.close()
    assert target.read_bytes() == original
    assert len(read_table(target, NODES)) == 1500
    # The next run succeeds (the orphaned temporary file is ignored).
    again = run(["--nodes", str(target), "--input", str(feed)], now="2026-10-01T00:00:00Z")
    assert again.returncode == 0, again.stderr.decode()
    after = rows(target)
    assert len(after) == 2000 and after["N0000"]["node_type"] == "Loadzone"


def test_a_failure_before_the_rename_removes_the_temporary_file(tmp_path):
    target = tmp_path / "f.csv"
    target.write_text("old\n")
    os.chmod(target, 0o640)

    def failing():
        yield "new,"
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(target, failing())
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.csv"]
    atomic_write(target, iter(["new\n"]))
    assert target.read_text() == "new\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)  # permissions kept
