"""Day-ahead CSVs are read a row at a time; a bad row late in the file is still a clean error."""

from __future__ import annotations

import pytest

from tap_miso.parsers.csv_reports import _csv_stream, read_lmp_csv
from tap_miso.parsers.errors import PayloadError

HEADER = b"Node,Type,Value," + b",".join(b"HE %d" % h for h in range(1, 25))
GOOD = b"A,Hub,LMP," + b",".join([b"1.5"] * 24)
HUGE = b'B,Hub,LMP,"' + b"x" * 200_000 + b'"'  # beyond csv's field size limit
FILE = (
    b"Day Ahead Market ExAnte LMPs\n11/03/2026\n\n" + HEADER + b"\n" + GOOD + b"\n" + HUGE + b"\n"
)


def test_rows_come_one_at_a_time() -> None:
    rows = _csv_stream(FILE, "lmp_csv")
    assert next(rows) == ["Day Ahead Market ExAnte LMPs"]  # read before the bad row exists
    with pytest.raises(PayloadError, match="unreadable CSV: Error: field larger"):
        list(rows)


def test_a_bad_row_late_in_the_file_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="lmp_csv: unreadable CSV: Error: field larger"):
        read_lmp_csv(FILE)


def test_not_csv_is_refused_before_any_row() -> None:
    with pytest.raises(PayloadError, match="HTML/XML page"):
        _csv_stream(b"<html>maintenance</html>", "lmp_csv")
