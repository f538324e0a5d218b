"""The weekly ``YYYYMMDD_5MIN_LMP.zip`` (FORMATS §4.2): 7 market days of every node, ~5M rows.

Two ways to read it:

* `parse_5min_lmp_zip` parses the whole member into rows (one interval's rows in memory).
* `split_5min_lmp_zip` cuts the member into runs of raw CSV records that share one time label,
  without parsing the records: a stream writes each market date's runs to its own spill file
  and parses only the dates it wants with `parse_5min_lmp_csv` (the spill is the header line
  plus records). Parsing every row of the week to keep one day cost 6.7 s of CPU; finding
  the runs costs about the inflating of the member.

How the runs are found: the member is read 1 MB at a time; every record of an interval starts
with the same label text and the file is in interval order, so a run's end is found by
bisecting the block's lines on "starts with ``label,``" and checked by counting (newlines in
the run = lines starting with the label); all of it is C-level searching. A block that does not
fit that model (a quote character, a lone CR, a label that recurs after another) is handled
record by record with the ``csv`` module, re-written in canonical CSV: the records and their
fields are then exactly those ``csv.reader`` reads, as `parse_5min_lmp_zip` would.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from .anchors import Header, UnexpectedColumns, check_columns, find_header
from .cells import cell_text, parse_label
from .errors import PayloadError, guarded_iter, payload_guard
from .rows import Row, set_number, sort_within_runs

FIVE_MIN_LMP_ZIP = "5min_lmp_zip"
ANCHOR = "MKTHOUR_EST"
_KNOWN = ("MKTHOUR_EST", "PNODENAME", "LMP", "CON_LMP", "LOSS_LMP", "MLC_LMP")
_REQUIRED = ["MKTHOUR_EST", "PNODENAME", "LMP", "CON_LMP", ("LOSS_LMP", "MLC_LMP")]

#: Bytes of the member read at a time by `split_5min_lmp_zip`.
CHUNK = 1 << 20
#: A line longer than this (no newline found) sends the rest of the member to the csv path.
LONG_LINE = 4 * CHUNK
_MEMBER_READ = "reading zip member"


def parse_5min_lmp_zip(
    fileobj: BinaryIO | bytes, *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """Stream the weekly zip: first member, anchor ``MKTHOUR_EST``.

    ``fileobj`` must be seekable (a zip's directory is at its end); spool HTTP bodies to a
    temporary file first. Rows: ``label`` (naive, ``%m/%d/%Y %H:%M`` as written; START vs END
    unverified), ``raw_label``, ``node``, ``lmp``, ``mcc`` (``CON_LMP``), ``mlc`` (``LOSS_LMP``,
    or ``MLC_LMP`` in another era), ``_invalid``.

    Memory: one CSV row plus one interval's rows at a time. The file is assumed to be in
    interval order; each interval's rows are sorted by node. If a label goes backwards a
    warning is logged and rows are yielded as-is (the stream sorts per day). Header errors are
    raised at call time; errors in the body (truncated member) while iterating.
    """
    member = _first_member(fileobj)
    text = io.TextIOWrapper(member, encoding="utf-8-sig", errors="replace", newline="")
    return _parse_text(text, on_unexpected_columns)


def parse_5min_lmp_csv(fileobj: BinaryIO) -> Iterator[Row]:
    """The rows of a spill written from `split_5min_lmp_zip` (its header line, then runs):
    what `parse_5min_lmp_zip` yields for those records. Unknown columns were reported by the
    split, so they are not reported again."""
    text = io.TextIOWrapper(fileobj, encoding="utf-8-sig", errors="replace", newline="")
    return _parse_text(text, None)


@dataclass
class LabelRuns:
    """The member's header line and its records after it, as ``(label, raw CSV bytes)`` runs.

    ``label`` is the records' parsed ``MKTHOUR_EST`` (``None`` when it does not parse:
    preamble, repeated header, footer, blank line; `parse_5min_lmp_zip` skips those). Runs of
    one label may come in several pieces. ``header`` ends with a newline, so ``header`` plus
    any runs is a CSV file for `parse_5min_lmp_csv`.
    """

    header: bytes
    runs: Iterator[tuple[datetime | None, bytes]]


def split_5min_lmp_zip(
    fileobj: BinaryIO | bytes, *, on_unexpected_columns: UnexpectedColumns = None
) -> LabelRuns:
    """Cut the weekly zip's member into `LabelRuns` without parsing its records.

    Header errors are raised at call time (as `parse_5min_lmp_zip`); a corrupt member while
    iterating; a member with no labelled record raises "no data rows" at its end.
    """
    member = _first_member(fileobj)

    def read(size: int) -> bytes:
        with payload_guard(FIVE_MIN_LMP_ZIP, _MEMBER_READ):
            return member.read(size)

    lines = _Lines(read)
    header, _ = find_header(lines.rows(), (ANCHOR,), FIVE_MIN_LMP_ZIP)
    _check_header(header, on_unexpected_columns)
    header_line = lines.last.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n") + b"\r\n"
    label_at = header.position(ANCHOR)
    assert label_at is not None  # required by _check_header
    return LabelRuns(header_line, _with_data_check(_runs(read, lines.rest(), label_at)))


# -- shared parsing --------------------------------------------------------------------------


def _first_member(fileobj: BinaryIO | bytes) -> Any:
    """The first member of the zip, opened for reading (its name is unspecified, §4.2 Size)."""
    if isinstance(fileobj, bytes | bytearray):
        fileobj = io.BytesIO(fileobj)
    with payload_guard(FIVE_MIN_LMP_ZIP, "not a readable zip archive"):
        archive = zipfile.ZipFile(fileobj)
        members = [info for info in archive.infolist() if not info.is_dir()]
        if not members:
            raise PayloadError(FIVE_MIN_LMP_ZIP, "zip archive has no members")
        return archive.open(members[0])


def _check_header(header: Header, on_unexpected_columns: UnexpectedColumns) -> None:
    check_columns(
        header,
        FIVE_MIN_LMP_ZIP,
        required=_REQUIRED,
        known=_KNOWN,
        on_unexpected_columns=on_unexpected_columns,
    )


def _parse_text(text: Iterable[str], on_unexpected_columns: UnexpectedColumns) -> Iterator[Row]:
    """Header check, then the rows of ``text`` (see `parse_5min_lmp_zip`)."""
    rows = guarded_iter(csv.reader(text), FIVE_MIN_LMP_ZIP, _MEMBER_READ)
    header, _ = find_header(rows, (ANCHOR,), FIVE_MIN_LMP_ZIP)
    _check_header(header, on_unexpected_columns)
    # Map by name: one scraper saw MLC_LMP instead of LOSS_LMP (§4.2 Columns).
    loss_column = "LOSS_LMP" if header.has("LOSS_LMP") else "MLC_LMP"
    label_at, node_at = header.position(ANCHOR), header.position("PNODENAME")
    numbers = [
        (field, header.position(column))
        for field, column in (("lmp", "LMP"), ("mcc", "CON_LMP"), ("mlc", loss_column))
    ]

    def produce() -> Iterator[Row]:
        """Rows as `header.cell` + `set_number` make them, positions looked up once and plain
        decimals (nearly every cell) taken by `parse_number`'s own fast path, inline."""
        count = 0
        last_raw, label = None, None
        for row in rows:  # csv cells are str: cell_text(cell) is cell.strip()
            width = len(row)
            raw = row[label_at].strip() if label_at is not None and label_at < width else ""
            if raw != last_raw:  # every node of an interval shares the label
                last_raw, label = raw, parse_label(raw)
            node = row[node_at].strip() if node_at is not None and node_at < width else ""
            if label is None or not node:
                continue  # repeated header, disclaimer or other footer line
            out: Row = {"label": label, "raw_label": raw, "node": node, "_invalid": []}
            for field, at in numbers:
                value = row[at] if at is not None and at < width else None
                try:
                    number = float(value)  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    set_number(out, field, value)
                    continue
                if number - number == 0.0 and value.isascii() and "_" not in value:
                    out[field] = number
                else:
                    set_number(out, field, value)
            count += 1
            yield out
        if count == 0:
            raise PayloadError(FIVE_MIN_LMP_ZIP, "no data rows after the header")

    return sort_within_runs(
        produce(), lambda r: r["label"], lambda r: r["node"], FIVE_MIN_LMP_ZIP
    )


# -- finding the runs ------------------------------------------------------------------------


class _Lines:
    """Physical lines of the member read through ``read``, for finding the header."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self.read = read
        self.buffer = b""
        self.offset = 0
        self.last = b""

    def rows(self) -> Iterator[list[str]]:
        """Each line parsed as one CSV record (the preamble and header have no quoted
        newlines); ``last`` is the raw line of the row just yielded."""
        first = True
        while True:
            end = self._line_end()
            if end == -1:
                chunk = self.read(CHUNK)
                self.buffer = self.buffer[self.offset :] + chunk
                self.offset = 0
                if chunk and (len(self.buffer) <= LONG_LINE or self._line_end() != -1):
                    continue
                end = len(self.buffer)  # the end of the member (or a line too long)
                if not end:
                    return
            self.last = self.buffer[self.offset : end]
            self.offset = end
            text = self.last.decode("utf-8-sig" if first else "utf-8", errors="replace")
            first = False
            with payload_guard(FIVE_MIN_LMP_ZIP, _MEMBER_READ):
                row = next(csv.reader([text.rstrip("\r\n")]), [])
            yield row

    def _line_end(self) -> int:
        """Where the line at ``offset`` ends (after LF, CRLF or a lone CR, as ``csv`` reads
        lines); -1 when the buffer does not hold all of it."""
        buffer, offset = self.buffer, self.offset
        newline = buffer.find(b"\n", offset)
        cr = buffer.find(b"\r", offset, len(buffer) if newline == -1 else newline)
        if cr == -1:
            return newline + 1 if newline != -1 else -1
        if cr + 1 < len(buffer):
            return cr + 2 if buffer[cr + 1] == 10 else cr + 1
        return -1  # a CR at the end of the buffer: a LF may follow

    def rest(self) -> bytes:
        """The bytes read past the last line yielded."""
        return self.buffer[self.offset :]


def _with_data_check(
    runs: Iterator[tuple[datetime | None, bytes]],
) -> Iterator[tuple[datetime | None, bytes]]:
    """``runs``, then "no data rows" if none had a label."""
    found = False
    for label, block in runs:
        found = found or label is not None
        yield label, block
    if not found:
        raise PayloadError(FIVE_MIN_LMP_ZIP, "no data rows after the header")


def _runs(
    read: Callable[[int], bytes], pending: bytes, label_at: int
) -> Iterator[tuple[datetime | None, bytes]]:
    """Runs of the member from ``pending`` (bytes already read) on."""
    labels = _LabelCache()
    if label_at != 0:
        yield from _csv_runs(pending, read, label_at, labels)
        return
    finder = _RunFinder(labels)
    while True:
        chunk = read(CHUNK)
        pending += chunk
        end = pending.rfind(b"\n") + 1 if chunk else len(pending)
        if end == 0 and chunk and len(pending) <= LONG_LINE:
            continue  # no complete line yet
        if not end:
            if chunk:  # a line longer than LONG_LINE
                yield from _csv_runs(pending, read, label_at, labels)
            return
        if pending.find(b'"', 0, end) != -1 or pending.count(b"\r", 0, end) != pending.count(
            b"\r\n", 0, end
        ):
            yield from _csv_runs(pending, read, label_at, labels)
            return
        yield from finder.runs(pending[:end])
        pending = pending[end:]
        if not chunk:
            return


class _RunFinder:
    """Runs of blocks of whole lines (no quote, no lone CR), label in the first field.

    Bisection assumes a label's lines are contiguous; once that fails (a file not in interval
    order), every later block is read line by line so the cost stays linear."""

    def __init__(self, labels: _LabelCache) -> None:
        self.labels = labels
        self.linear = False

    def runs(self, block: bytes) -> Iterator[tuple[datetime | None, bytes]]:
        position, size = 0, len(block)
        while position < size:
            line_end = block.find(b"\n", position) + 1 or size
            comma = block.find(b",", position, line_end)
            if comma == -1:  # a line of one field: its own run
                yield self.labels.of(block[position:line_end]), block[position:line_end]
                position = line_end
                continue
            field = block[position:comma]
            prefix = field + b","
            end = line_end
            if not self.linear:
                end = _run_end(block, line_end, prefix)
                if not _one_label(block, position, end, b"\n" + prefix):
                    self.linear, end = True, line_end
            if self.linear:
                while end < size and block.startswith(prefix, end):
                    end = block.find(b"\n", end) + 1 or size
            yield self.labels.of(field), block[position:end]
            position = end


def _run_end(block: bytes, low: int, prefix: bytes) -> int:
    """End of the run of lines starting with ``prefix`` whose second line starts at ``low``,
    if such lines are contiguous (bisection over line starts; `_one_label` checks it)."""
    high = len(block)  # line starts >= high are not in the run
    while low < high:
        middle = (low + high) // 2
        start = block.find(b"\n", middle - 1) + 1 or len(block)  # first line start >= middle
        if start >= high:
            high = middle
        elif block.startswith(prefix, start):
            low = block.find(b"\n", start) + 1 or len(block)
        else:
            high = start
    return low


def _one_label(block: bytes, start: int, end: int, newline_prefix: bytes) -> bool:
    """True when every line of ``block[start:end]`` after the first starts with the label."""
    inner = end - 1 if block[end - 1 : end] == b"\n" else end
    return block.count(b"\n", start, inner) == block.count(newline_prefix, start, end)


def _csv_runs(
    pending: bytes, read: Callable[[int], bytes], label_at: int, labels: _LabelCache
) -> Iterator[tuple[datetime | None, bytes]]:
    """Runs of ``pending`` and the rest of the member, record by record with ``csv``."""
    raw = io.BufferedReader(_Prefixed(pending, read), CHUNK)
    text = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    current: Any = None
    for row in guarded_iter(csv.reader(text), FIVE_MIN_LMP_ZIP, _MEMBER_READ):
        raw_label = cell_text(row[label_at] if label_at < len(row) else None)
        if (raw_label != current or out.tell() >= CHUNK) and out.tell():
            yield labels.parsed(current), out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
        current = raw_label
        writer.writerow(row)
    if out.tell():
        yield labels.parsed(current), out.getvalue().encode("utf-8")


class _LabelCache:
    """Parsed labels by their text (7 x 288 labels in a weekly file)."""

    def __init__(self) -> None:
        self.by_text: dict[Any, datetime | None] = {}

    def of(self, field: bytes) -> datetime | None:
        """The label of a raw first field (as ``csv`` reads an unquoted field)."""
        label = self.by_text.get(field, _MISSING)
        if label is _MISSING:
            label = self.parsed(cell_text(field.decode("utf-8", errors="replace")))
            if len(self.by_text) < 100_000:
                self.by_text[field] = label
        return label  # type: ignore[return-value]

    def parsed(self, text: str | None) -> datetime | None:
        return parse_label(text) if text else None


_MISSING = object()


class _Prefixed(io.RawIOBase):
    """``head`` followed by what ``read`` returns, as a raw binary stream."""

    def __init__(self, head: bytes, read: Callable[[int], bytes]) -> None:
        self.head = memoryview(head)
        self.read_more = read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:
            size = min(len(buffer), len(self.head))
            buffer[:size] = self.head[:size]
            self.head = self.head[size:]
            return size
        data = self.read_more(len(buffer))
        buffer[: len(data)] = data
        return len(data)
