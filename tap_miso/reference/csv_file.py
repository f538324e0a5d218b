"""Read (strictly) and render a reference CSV file.

Reading refuses anything the command did not write itself, so a damaged file is reported and
left alone rather than "repaired": bytes that are not UTF-8, an empty file, a header without the
key or bookkeeping columns or with unknown or repeated columns, ragged rows, empty or repeated
keys, and ``present`` values other than true/false. Attribute columns missing from an older
file's header are allowed (they start empty) so the column list can grow.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from tap_miso.reference.tables import BOOKKEEPING, TableSpec, sort_key

Key = tuple[str, ...]
Rows = dict[Key, dict[str, str]]


class ReferenceFileError(Exception):
    """An existing reference CSV cannot be used; the message names the file and the problem."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


def read_table(path: Path, spec: TableSpec) -> Rows | None:
    """Rows of ``path`` by key, or None when the file does not exist yet."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ReferenceFileError(path, f"cannot read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceFileError(
            path, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    if not text.strip():
        raise ReferenceFileError(path, "file is empty (no header row); delete it to start anew")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
        _check_header(path, spec, header)
        return _rows(path, spec, header, reader)
    except csv.Error as exc:
        raise ReferenceFileError(path, f"line {reader.line_num}: malformed CSV ({exc})") from None


def _check_header(path: Path, spec: TableSpec, header: list[str]) -> None:
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise ReferenceFileError(path, f"wrong header: repeated column(s) {', '.join(repeated)}")
    missing_key = [c for c in spec.key if c not in header]
    if missing_key:
        raise ReferenceFileError(path, f"missing key column(s) {', '.join(missing_key)} "
                                       f"(is this a {spec.stream} reference file?)")
    unknown = [c for c in header if c not in spec.columns]
    if unknown:
        raise ReferenceFileError(path, f"wrong header: unexpected column(s) {', '.join(unknown)}")
    missing = [c for c in BOOKKEEPING if c not in header]
    if missing:
        raise ReferenceFileError(path, f"wrong header: missing column(s) {', '.join(missing)}")


def _rows(path: Path, spec: TableSpec, header: list[str], reader: Iterator[list[str]]) -> Rows:
    rows: Rows = {}
    lines: dict[Key, int] = {}
    for fields in reader:
        line = reader.line_num  # type: ignore[attr-defined]
        if not fields:
            continue  # a blank line
        if len(fields) != len(header):
            raise ReferenceFileError(
                path, f"line {line} has {len(fields)} fields, the header has {len(header)}")
        row = dict.fromkeys(spec.columns, "") | dict(zip(header, fields, strict=True))
        key = tuple(row[c] for c in spec.key)
        empty = [c for c in spec.key if not row[c]]
        if empty:
            raise ReferenceFileError(path, f"line {line}: empty key column {', '.join(empty)}")
        if key in rows:
            raise ReferenceFileError(
                path, f"duplicate key {_show(spec, key)} on lines {lines[key]} and {line}")
        if row["present"] not in ("true", "false"):
            raise ReferenceFileError(
                path, f"line {line}: present is {row['present']!r}, expected true or false")
        rows[key], lines[key] = row, line
    return rows


def render_table(spec: TableSpec, rows: Rows) -> Iterator[str]:
    """CSV text of ``rows`` sorted by key, one chunk per line (header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(spec.columns)
    yield buffer.getvalue()
    for key in sorted(rows, key=sort_key):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([rows[key][c] for c in spec.columns])
        yield buffer.getvalue()


def _show(spec: TableSpec, key: Key) -> str:
    return ", ".join(f"{c}={v}" for c, v in zip(spec.key, key, strict=True))
