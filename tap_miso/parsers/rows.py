"""Row building and ordering helpers implementing the row contract (docs/INTERNALS.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby
from typing import Any

from .cells import hour_ending_in_range, parse_hour_ending, parse_number

Row = dict[str, Any]

log = logging.getLogger(__name__)


def new_row(**fields: Any) -> Row:
    """A row with the always-present ``_invalid`` list."""
    row: Row = dict(fields)
    row["_invalid"] = []
    return row


def flag(row: Row, field: str) -> None:
    """Record that ``field`` held a present-but-invalid value (once per field)."""
    if field not in row["_invalid"]:
        row["_invalid"].append(field)


def set_number(row: Row, field: str, value: Any) -> None:
    """Store a parsed number; a present non-numeric value becomes ``None`` and is flagged."""
    number, invalid = parse_number(value)
    row[field] = number
    if invalid:
        flag(row, field)


def set_hour_ending(row: Row, hour: int) -> None:
    """Store an hour ending parsed from a label; outside 1..24 it is kept but flagged.

    Keeping the integer (rather than ``None``) keeps keys unique; ``_invalid`` is the signal
    streams must check before turning it into an interval (FORMATS §1.1 T3).
    """
    row["hour_ending"] = hour
    if not hour_ending_in_range(hour):
        flag(row, "hour_ending")


def hour_sort_key(hour: int | None) -> tuple[int, int]:
    """Sort key that puts a missing hour ending last."""
    return (0, hour) if hour is not None else (1, 0)


def he_columns(names: Iterable[str]) -> dict[str, int]:
    """Map header names that look like hour-ending columns (``HE 1``, ``HE1``) to the hour."""
    found: dict[str, int] = {}
    for name in names:
        if name[:2].upper() != "HE":
            continue
        hour = parse_hour_ending(name)
        if hour is not None:
            found[name] = hour
    return found


def sort_within_runs(
    rows: Iterable[Row],
    run_key: Callable[[Row], Any],
    sort_key: Callable[[Row], Any],
    what: str,
) -> Iterator[Row]:
    """Yield rows, sorting each run of consecutive rows sharing ``run_key`` by ``sort_key``.

    Used by streamed 5-minute parsers: only one interval's rows are held in memory. The runs
    themselves are yielded in file order; if a run key goes backwards (the file is not in
    interval order) a warning is logged once and rows are still yielded as-is, so the stream
    must sort per day.
    """
    # groupby hands over each run lazily: a run is still yielded when the first row of the
    # next one has been read, and no tuple or list is made per row.
    return sort_chunks_within_runs(groupby(rows, run_key), sort_key, what)


def sort_chunks_within_runs(
    chunks: Iterable[tuple[Any, Iterable[Row]]],
    sort_key: Callable[[Row], Any],
    what: str,
) -> Iterator[Row]:
    """`sort_within_runs` for rows that arrive as ``(run_key, rows)`` chunks.

    Each chunk stands for at least one input row, even when ``rows`` is empty (its rows were
    dropped, but its key still ends or continues a run): the runs, their order, the
    out-of-order warning and the point at which a run is yielded are those of
    `sort_within_runs` over the input rows.
    """
    run: list[Row] = []
    current: Any = None
    previous: Any = None
    started = warned = False
    for key, rows in chunks:
        if started and key != current:
            run.sort(key=sort_key)
            yield from run
            run = []
            previous = current
            started = False
        if not started:
            started = True
            current = key
            if not warned and previous is not None and key is not None and key < previous:
                log.warning("%s: labels not in ascending order (%s after %s)", what, key, previous)
                warned = True
        run += rows
    run.sort(key=sort_key)
    yield from run
