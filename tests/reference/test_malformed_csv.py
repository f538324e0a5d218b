"""A malformed existing CSV: one clear line naming file and problem, exit 2, file untouched."""

from __future__ import annotations

import pytest

from tap_miso.reference.tables import NODES
from tests.reference.singer import node, run, singer

HEADER = ",".join(NODES.columns)
ROW_A = "A,Gennode,false,3,2026-03-01,,2026-09-01T00:00:00Z,2026-09-01T00:00:00Z,"\
        "2026-09-01T00:00:00Z,true,"
ROW_B = ROW_A.replace("A,", "B,", 1)

CASES = {
    "missing key column": (
        ("plant_id,generator_id," + ",".join(NODES.columns[1:]) + "\n").encode(),
        "missing key column(s) node"),
    "unknown column": ((HEADER + ",colour\n" + ROW_A + ",red\n").encode(),
                       "wrong header: unexpected column(s) colour"),
    "missing bookkeeping column": ((HEADER.replace(",removed_at", "") + "\n").encode(),
                                   "wrong header: missing column(s) removed_at"),
    "repeated column": ((HEADER + ",node\n").encode(), "wrong header: repeated column(s) node"),
    "duplicate key": ((HEADER + "\n" + ROW_A + "\n" + ROW_B + "\n" + ROW_A + "\n").encode(),
                      "duplicate key node=A on lines 2 and 4"),
    "ragged row": ((HEADER + "\n" + ROW_A + "\n" + ",".join(ROW_B.split(",")[:9]) + "\n"
                    ).encode(), "line 3 has 9 fields, the header has 11"),
    "undecodable bytes": ((HEADER + "\n" + ROW_A.replace("Gennode", "Gen\xe9node") + "\n"
                           ).encode("latin-1"), "not UTF-8 text (byte 0xe9 at offset"),
    "empty file": (b"", "file is empty"),
    "bad present value": ((HEADER + "\n" + ROW_A.replace(",true,", ",yes,") + "\n").encode(),
                          "line 2: present is 'yes', expected true or false"),
    "empty key": ((HEADER + "\n" + ROW_A.replace("A,", ",", 1) + "\n").encode(),
                  "line 2: empty key column node"),
    "unterminated quote": ((HEADER + '\n"A,Gennode\n').encode(), "malformed CSV"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_existing_csv_is_refused_and_left_untouched(tmp_path, case):
    content, problem = CASES[case]
    target = tmp_path / "iso_nodes.csv"
    target.write_bytes(content)
    result = run(["--nodes", str(target), "--passthrough"], singer({"nodes": [node("Z")]}))
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"tap-miso-reference: error: {target}: ")
    assert problem in err
    assert target.read_bytes() == content
    assert result.stdout == b""  # checked before any input is read or passed on
    assert [p.name for p in tmp_path.iterdir()] == ["iso_nodes.csv"]  # no temporary left


def test_a_valid_file_written_by_hand_is_accepted(tmp_path):
    target = tmp_path / "iso_nodes.csv"
    # Excel's BOM, a missing attribute column (older layout) and a trailing blank line.
    target.write_bytes(("\ufeff" + HEADER.replace(",retired_model_date", "") + "\n"
                        + ROW_A.replace("2026-03-01,,", "2026-03-01,") + "\n\n").encode())
    result = run(["--nodes", str(target)], singer({"nodes": [node("A")]}),
                 now="2026-10-01T00:00:00Z")
    assert result.returncode == 0, result.stderr.decode()
    lines = target.read_text().splitlines()
    assert lines[0] == HEADER
    assert lines[1] == ("A,Gennode,false,3,2026-03-01,,2026-09-01T00:00:00Z,"
                        "2026-10-01T00:00:00Z,2026-09-01T00:00:00Z,true,")
