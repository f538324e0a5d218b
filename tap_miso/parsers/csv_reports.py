"""Market Report CSV files: hourly LMP and ancillary MCP.

FORMATS §4.2 (LMP files) and §4.3 (ancillary MCP files); the weekly 5-minute LMP zip is in
`five_min_zip`.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, BinaryIO

from .anchors import (
    DISCLAIMER_PREFIX,
    Header,
    UnexpectedColumns,
    check_columns,
    find_header,
    first_nonblank,
    is_disclaimer_row,
    norm,
)
from .cells import cell_text, parse_date, parse_zone, zone_in_range
from .errors import PayloadError, guarded_iter, payload_guard
from .lmp_table import FIELDS, VALUE_INDEX, HourColumns, LmpNode, LmpTable
from .rows import (
    Row,
    flag,
    he_columns,
    hour_sort_key,
    new_row,
    set_hour_ending,
    set_number,
)

log = logging.getLogger(__name__)

LMP_CSV = "lmp_csv"
ASM_CSV = "asm_csv"

_HE_REQUIRED = [(f"HE {hour}", f"HE{hour}") for hour in range(1, 25)]
_HE_KNOWN = {name for pair in _HE_REQUIRED for name in pair}


def _check_head(head: bytes, format_name: str) -> None:
    """Refuse payloads that are clearly not CSV, from their first bytes."""
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head[:1] == b"<":
        raise PayloadError(format_name, "payload is an HTML/XML page, not CSV")
    if head.startswith(b"PK\x03\x04") or b"\x00" in head:
        raise PayloadError(format_name, "payload is binary, not CSV")


def _csv_text(data: bytes | str, format_name: str) -> str:
    """Decode CSV bytes (UTF-8, else cp1252), rejecting payloads that are clearly not CSV."""
    if isinstance(data, str):
        return data
    _check_head(bytes(data[:4096]), format_name)
    try:
        return bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError:
        return bytes(data).decode("cp1252", errors="replace")


def _csv_file_text(fh: BinaryIO, format_name: str) -> io.TextIOWrapper:
    """`_csv_text` for a seekable binary file, read as a stream: the same text, decided the
    same way (the whole file is UTF-8, else it is read as cp1252)."""
    _check_head(fh.read(4096), format_name)
    fh.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    encoding = "utf-8-sig"
    try:
        while chunk := fh.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        encoding = "cp1252"
    fh.seek(0)
    return io.TextIOWrapper(fh, encoding=encoding, errors="replace", newline="")


def _csv_rows(data: bytes | str, format_name: str) -> list[list[str]]:
    """Decode CSV bytes and split into rows, rejecting payloads that are clearly not CSV."""
    text = _csv_text(data, format_name)
    # newline="" lets csv handle CRLF (RT ASM files, FORMATS §4.3, §7.16) and bare LF alike.
    with payload_guard(format_name, "unreadable CSV"):
        return list(csv.reader(io.StringIO(text, newline="")))


def _csv_stream(data: bytes | str | BinaryIO, format_name: str) -> Iterator[list[str]]:
    """`_csv_rows` one row at a time: a day-ahead file's ~220k cell strings are never all alive
    at once (they set the per-date memory peak, bench/RESULTS.md round 4). ``data`` may be a
    seekable binary file (a download on disk), read as a stream."""
    if isinstance(data, bytes | bytearray | str):
        text: Any = io.StringIO(_csv_text(data, format_name), newline="")
    else:
        text = _csv_file_text(data, format_name)
    return guarded_iter(csv.reader(text), format_name, "unreadable CSV")


def _preamble_date(
    preamble: Sequence[Sequence[Any]], fallback: date | None, format_name: str
) -> date:
    """Market date from the first preamble line that is a date (line 2 ``MM/DD/YYYY``).

    Titles are never matched (FORMATS §4.2 Titles, Q10). ``fallback`` (the file-name date) is
    used when no preamble line is a date; if both exist and differ the preamble wins.
    """
    for row in preamble:
        first = first_nonblank(row)
        found = parse_date(first[1]) if first else None
        if found is not None:
            if fallback is not None and found != fallback:
                log.warning("%s: preamble date %s differs from %s", format_name, found, fallback)
            return found
    if fallback is not None:
        return fallback
    raise PayloadError(format_name, "market date (MM/DD/YYYY) not found before the header")


def parse_lmp_csv(
    data: bytes,
    *,
    market_date: date | None = None,
    on_unexpected_columns: UnexpectedColumns = None,
) -> Iterator[Row]:
    """Parse ``*_da_exante_lmp.csv``, ``*_da_expost_lmp.csv``, ``*_rt_lmp_prelim.csv``,
    ``*_rt_lmp_final.csv`` (FORMATS §4.2); also the quarterly-archive layout
    ``MARKET_DAY,NODE,TYPE,VALUE,HE1..HE24`` (per-row date, thousands commas).

    Rows: ``market_date``, ``node``, ``node_type``, ``hour_ending``, ``lmp``, ``mcc``, ``mlc``,
    ``_invalid``; sorted by (market_date, hour_ending, node). ``market_date`` (keyword) is a
    fallback for files whose preamble has no date line.
    """
    table = read_lmp_csv(
        data, market_date=market_date, on_unexpected_columns=on_unexpected_columns
    )
    return table.rows()


_LMP_ANCHORS = ("Node", "MARKET_DAY")
_LMP_ANCHORS_NORM = frozenset(norm(name) for name in _LMP_ANCHORS)


def _is_lmp_junk(row: Sequence[str]) -> bool:
    """``is_anchor_row(row, _LMP_ANCHORS) or is_disclaimer_row(row)`` in one scan."""
    first = first_nonblank(row)
    return first is not None and (
        norm(first[1]) in _LMP_ANCHORS_NORM or first[1].upper().startswith(DISCLAIMER_PREFIX)
    )


def read_lmp_csv(
    data: bytes | BinaryIO,
    *,
    market_date: date | None = None,
    on_unexpected_columns: UnexpectedColumns = None,
) -> LmpTable:
    """`parse_lmp_csv`'s rows in columnar form (`LmpTable`), for the pricing streams.
    ``data``: the file's bytes, or the file itself (seekable; read as a stream, then closed)."""
    rows = _csv_stream(data, LMP_CSV)
    header, preamble = find_header(rows, _LMP_ANCHORS, LMP_CSV)
    hours = he_columns(header.columns)
    check_columns(
        header,
        LMP_CSV,
        required=["Node", "Type", "Value", *_HE_REQUIRED],
        known=lambda name: norm(name) in {"node", "type", "value", "market_day"}
        or name in _HE_KNOWN,
        on_unexpected_columns=on_unexpected_columns,
    )
    archive_layout = header.has("MARKET_DAY")
    file_date = None if archive_layout else _preamble_date(preamble, market_date, LMP_CSV)
    columns = HourColumns([(header.positions[norm(name)], hour) for name, hour in hours.items()])

    def at(row: Sequence[str], position: int | None) -> str:
        return row[position].strip() if position is not None and position < len(row) else ""

    node_at, type_at, value_at = (header.position(name) for name in ("Node", "Type", "Value"))
    day_at = header.position("MARKET_DAY")
    days: dict[str, date | None] = {}  # archive layout: MARKET_DAY text -> date

    # §4.2: rows are grouped by node or by Value depending on the sample, so pivot by key.
    pivot: dict[tuple[date, str], LmpNode] = {}
    unknown_values: set[str] = set()
    for row in rows:
        if _is_lmp_junk(row):
            continue
        node = at(row, node_at)
        value_kind = at(row, value_at).upper()
        if archive_layout:
            raw_day = row[day_at] if day_at is not None and day_at < len(row) else None
            try:
                day = days[raw_day]
            except KeyError:
                day = days[raw_day] = parse_date(raw_day)
        else:
            day = file_date
        if not node or not value_kind or day is None:
            continue  # footer/label row: key fields do not parse (§4.1 Footer)
        index = VALUE_INDEX.get(value_kind)
        if index is None:  # there is no MEC row (§4.2 Values); anything else is drift
            unknown_values.add(value_kind)
            continue
        entry = pivot.get((day, node))
        if entry is None:
            # A node without MCC/MLC rows keeps None there, never 0 (§4.2 Numbers).
            entry = pivot[(day, node)] = LmpNode(at(row, type_at) or None)
        field = FIELDS[index]
        if entry.values[index] is not None:  # the first row of a (node, Value) is kept
            skipped = [hour for _, _, hour in columns.columns]
        else:
            skipped = columns.fill(entry, index, row)
        for hour in skipped:
            key = (day, hour, node)
            log.warning("%s: duplicate %s row for %s; first kept", LMP_CSV, field, key)
    if unknown_values:
        log.warning("%s: ignored rows with unknown Value %s", LMP_CSV, sorted(unknown_values))
    if not pivot:
        raise PayloadError(LMP_CSV, "no data rows after the header")
    by_day: dict[date, list[tuple[str, LmpNode]]] = {}
    for (day, node), entry in pivot.items():
        by_day.setdefault(day, []).append((node, entry))
    return LmpTable(
        columns.hours, [(day, sorted(by_day[day], key=_first)) for day in sorted(by_day)]
    )


def _first(pair: tuple[str, LmpNode]) -> str:
    return pair[0]


def parse_asm_csv(
    data: bytes,
    *,
    market_date: date | None = None,
    on_unexpected_columns: UnexpectedColumns = None,
) -> Iterator[Row]:
    """Parse DA ``*_asm_exante_damcp.csv``/``*_asm_expost_damcp.csv`` and RT
    ``*_asm_rtmcp_prelim.csv``/``*_asm_rtmcp_final.csv`` (FORMATS §4.3).

    Rows: ``market_date``, ``zone`` (int, ``None`` for the MISO-wide table), ``mcp_type`` (raw
    code), ``hour_ending``, ``mcp``, ``_conflicts``, ``_invalid``; sorted by (hour_ending, zone
    with MISO-wide first, mcp_type).

    The pnode table is deduplicated to one row per (zone, mcp_type, hour_ending) (§4.3 Zones,
    Q16): the first pnode row wins, and ``_conflicts`` counts later pnode rows for the same key
    whose value differs (0 when all agree), so the stream can assert consistency.
    """
    tables: dict[int, Header] = {}
    header: Header | None = None
    hours: dict[str, int] = {}
    table = 0
    preamble: list[list[str]] = []
    unexpected: list[str] = []
    out: dict[tuple[int | None, str, int], Row] = {}
    for row in _csv_rows(data, ASM_CSV):
        first = first_nonblank(row)
        if first is None:
            continue  # the RT files separate four blocks by blank lines (§4.3)
        anchor = norm(first[1])
        # Table 1's header starts with two empty cells, so its first non-blank cell is
        # "MCP Type"; table 2 starts at "Pnode" (§4.3 Tables). Headers carry leading spaces
        # (" HE 1", §7.17), which Header strips.
        if anchor in ("mcp type", "pnode"):
            table = 2 if anchor == "pnode" else 1
            header = Header.from_row(row)
            hours = he_columns(header.columns)
            if table not in tables:
                tables[table] = header
                required = (["Pnode", "Zone"] if table == 2 else []) + ["MCP Type", *_HE_REQUIRED]
                check_columns(
                    header,
                    ASM_CSV,
                    required=required,
                    known=lambda name: norm(name) in {"pnode", "zone", "mcp type"}
                    or name in _HE_KNOWN,
                    on_unexpected_columns=unexpected.extend,
                )
            continue
        if header is None:
            preamble.append(row)
            continue
        if is_disclaimer_row(row):
            continue
        mcp_type = cell_text(header.cell(row, "MCP Type"))
        if not mcp_type:
            continue
        zone: int | None = None
        if table == 2:
            zone = parse_zone(header.cell(row, "Zone"))
            if zone is None or not cell_text(header.cell(row, "Pnode")):
                continue  # key fields do not parse: a label/footer row
        for name, hour in hours.items():
            candidate = new_row(zone=zone, mcp_type=mcp_type, hour_ending=hour, mcp=None)
            set_hour_ending(candidate, hour)
            if zone is not None and not zone_in_range(zone):
                flag(candidate, "zone")
            set_number(candidate, "mcp", header.cell(row, name))
            key = (zone, mcp_type, hour)
            kept = out.get(key)
            if kept is None:
                candidate["_conflicts"] = 0
                out[key] = candidate
            elif (kept["mcp"], "mcp" in kept["_invalid"]) != (
                candidate["mcp"],
                "mcp" in candidate["_invalid"],
            ):
                kept["_conflicts"] += 1
    missing = [name for number, name in ((1, "MCP Type"), (2, "Pnode")) if number not in tables]
    if missing:
        raise PayloadError(ASM_CSV, "table header not found", missing_columns=missing)
    if unexpected and on_unexpected_columns is not None:
        on_unexpected_columns(list(dict.fromkeys(unexpected)))
    if not out:
        raise PayloadError(ASM_CSV, "no data rows after the headers")
    day = _preamble_date(preamble, market_date, ASM_CSV)
    result = []
    for row in out.values():
        row["market_date"] = day
        result.append(row)
    result.sort(
        key=lambda r: (
            hour_sort_key(r["hour_ending"]),
            r["zone"] is not None,
            r["zone"] or 0,
            r["mcp_type"],
        )
    )
    return iter(result)
