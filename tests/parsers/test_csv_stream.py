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


def _lmp_file(body: bytes) -> bytes:
    return b"Day Ahead Market ExAnte LMPs\n11/03/2026\n\n" + HEADER + b"\n" + body + b"\n"


@pytest.mark.parametrize(
    "data",
    [
        _lmp_file(GOOD),
        b"\xef\xbb\xbf" + _lmp_file(GOOD.replace(b"A,", "Ä.NODE,".encode())),  # BOM, UTF-8
        _lmp_file(GOOD.replace(b"A,", b"\xc4.NODE,")),  # not UTF-8: read as cp1252
        _lmp_file(GOOD) * 1 + _lmp_file(b"\n".join(GOOD.replace(b"A,", b"N%d," % i)
                                                 for i in range(30_000))),
    ],
    ids=["plain", "utf8-bom", "cp1252", "beyond-one-read"],
)
def test_a_file_on_disk_reads_as_its_bytes(tmp_path, data) -> None:
    path = tmp_path / "report.csv"
    path.write_bytes(data)
    with path.open("rb") as fh:
        from_file = list(read_lmp_csv(fh).rows())
        assert fh.closed  # read as a stream, then closed
    assert from_file == list(read_lmp_csv(data).rows())
    assert len(from_file) == 24 * (data.count(b",Hub,LMP,"))
    assert list(_csv_stream(path.open("rb"), "lmp_csv")) == list(_csv_stream(data, "lmp_csv"))


def test_a_file_that_is_not_csv_is_refused_before_any_row(tmp_path) -> None:
    path = tmp_path / "report.csv"
    path.write_bytes(b"\n\n<html>maintenance</html>")
    with path.open("rb") as fh, pytest.raises(PayloadError, match="HTML/XML page"):
        _csv_stream(fh, "lmp_csv")
    path.write_bytes(b"PK\x03\x04zipped")
    with path.open("rb") as fh, pytest.raises(PayloadError, match="binary"):
        read_lmp_csv(fh)
