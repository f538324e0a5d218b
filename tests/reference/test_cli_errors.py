"""Command-line errors: clear, one line, non-zero exit, nothing written."""

from __future__ import annotations

import json
import subprocess

from tests.reference.singer import COMMAND, node, run, singer


def one_line_error(result, code: int) -> str:
    err = result.stderr.decode()
    assert result.returncode == code, err
    assert "Traceback" not in err
    return err


def test_no_file_argument_is_a_usage_error(tmp_path):
    err = one_line_error(run([], singer({"nodes": [node("A")]})), 2)
    assert "give --nodes FILE and/or --generators FILE" in err


def test_unreadable_input(tmp_path):
    target = tmp_path / "iso_nodes.csv"
    err = one_line_error(run(["--nodes", str(target), "--input", str(tmp_path / "nope.jsonl")]),
                         1)
    assert err.strip() == (f"tap-miso-reference: error: cannot read input "
                           f"{tmp_path / 'nope.jsonl'}: No such file or directory")
    assert not target.exists()


def test_missing_output_directory(tmp_path):
    target = tmp_path / "missing" / "iso_nodes.csv"
    err = one_line_error(run(["--nodes", str(target)], singer({"nodes": [node("A")]})), 1)
    assert f"directory {tmp_path / 'missing'} does not exist" in err


def test_non_singer_line_names_the_line_and_writes_nothing(tmp_path):
    target = tmp_path / "iso_nodes.csv"
    text = singer({"nodes": [node("A")]})
    lines = text.splitlines(keepends=True)
    lines.insert(2, "INFO starting sync\n")
    err = one_line_error(run(["--nodes", str(target)], "".join(lines)), 1)
    assert err.count("\n") == 1
    assert "stdin line 3: not a Singer message (not JSON): 'INFO starting sync'" in err
    assert not target.exists()


def test_json_that_is_not_a_message(tmp_path):
    err = one_line_error(run(["--nodes", str(tmp_path / "n.csv")], '{"hello": 1}\n'), 1)
    assert "stdin line 1: not a Singer message (no SCHEMA/RECORD/STATE type)" in err


def test_record_without_its_key(tmp_path):
    bad = singer({"nodes": [node("A"), {"node_type": "Hub"}]})
    err = one_line_error(run(["--nodes", str(tmp_path / "n.csv")], bad), 1)
    assert "stdin line 3: nodes record without a usable node (None)" in err


def test_generator_record_with_a_bad_period(tmp_path):
    bad = singer({"generators": [{"plant_id": 1, "generator_id": "1", "period": "2026/07"}]})
    err = one_line_error(run(["--generators", str(tmp_path / "g.csv")], bad), 1)
    assert "stdin line 2: generators record with period '2026/07', expected YYYY-MM" in err


def test_passthrough_copies_every_line_unchanged(tmp_path):
    text = singer({"nodes": [node("A")], "lmp_day_ahead_hourly": [{"node": "A", "lmp": 1.5}]})
    text = text.replace('"type": "STATE"', '"type":   "STATE"') + "\n"  # odd spacing, blank
    result = run(["--nodes", str(tmp_path / "n.csv"), "--passthrough"], text)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == text.encode()
    quiet = run(["--nodes", str(tmp_path / "n2.csv")], text)
    assert quiet.returncode == 0 and quiet.stdout == b""
    assert json.loads(text.splitlines()[0])["stream"] == "nodes"


def test_bad_now_value(tmp_path):
    err = one_line_error(run(["--nodes", str(tmp_path / "n.csv"), "--now", "yesterday"]), 2)
    assert "--now 'yesterday' is not an ISO 8601 timestamp" in err


def test_a_closed_downstream_pipe_is_one_clear_line(tmp_path):
    feed = tmp_path / "big.jsonl"
    feed.write_text(singer({"nodes": [node(f"N{i}") for i in range(50000)]}))
    target = tmp_path / "n.csv"
    command = " ".join([*COMMAND, "--nodes", str(target), "--passthrough", "--input", str(feed)])
    result = subprocess.run(["bash", "-c", f"{command} | head -c 10 >/dev/null; "
                             "exit ${PIPESTATUS[0]}"], capture_output=True, timeout=60,
                            check=False)
    err = one_line_error(result, 1)
    assert err.strip() == ("tap-miso-reference: error: stdout was closed by the next command "
                           "in the pipe; files not updated")
    assert not target.exists()
