"""CSV serialization of a `Sheet` (minimal quoting, chosen newline, streamed in chunks)."""

from __future__ import annotations

from collections.abc import Iterator

from tap_miso.testing.fake_miso.formats.sheet import Row, Sheet

_CHUNK_ROWS = 20_000


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    if "," in text or '"' in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(row: Row) -> str:
    """One CSV record without its newline (fast path for plain text cells)."""
    try:
        line = ",".join(row)  # type: ignore[arg-type]
    except TypeError:
        return ",".join(_cell(value) for value in row)
    if line.count(",") == len(row) - 1 and '"' not in line and "\n" not in line:
        return line
    return ",".join(_cell(value) for value in row)


def csv_chunks(sheet: Sheet, newline: str = "\n") -> Iterator[bytes]:
    """Encode the sheet as CSV, yielding ~20k-row chunks."""
    buffer: list[str] = []
    for row in sheet.rows:
        buffer.append(csv_line(row))
        if len(buffer) >= _CHUNK_ROWS:
            yield (newline.join(buffer) + newline).encode()
            buffer = []
    if buffer:
        yield (newline.join(buffer) + newline).encode()


def csv_bytes(sheet: Sheet, newline: str = "\n") -> bytes:
    """Whole CSV body."""
    return b"".join(csv_chunks(sheet, newline))
