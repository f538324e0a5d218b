"""Robust header location for Market Report tables (FORMATS §4.1 "Robust header location").

Tables are read without a header; the header is the first row whose first non-blank cell
equals an anchor (``Node``, ``Market Day``, ``MKTHOUR_EST``, ...). Every header cell is
stripped, blank-header columns (merged-cell artifacts) are dropped, and columns are looked up
by name (whitespace-collapsed, case-insensitive), never by position.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .cells import cell_text
from .errors import PayloadError

UnexpectedColumns = Callable[[list[str]], None] | None

#: First-cell prefix of MISO's footer disclaimer (FORMATS §4.1 Footer, §7.19).
DISCLAIMER_PREFIX = "MISO MAKES NO"


@lru_cache(maxsize=4096)
def norm(name: str) -> str:
    """Normalized column name used for lookups: whitespace collapsed, case-folded."""
    return " ".join(name.split()).casefold()


def first_nonblank(row: Sequence[Any]) -> tuple[int, str] | None:
    """Position and stripped text of the first non-blank cell, or ``None`` for a blank row."""
    for position, value in enumerate(row):
        text = cell_text(value)
        if text:
            return position, text
    return None


def is_blank_row(row: Sequence[Any]) -> bool:
    """True when every cell is empty or whitespace."""
    return first_nonblank(row) is None


def is_disclaimer_row(row: Sequence[Any]) -> bool:
    """True for the ``MISO MAKES NO REPRESENTATIONS…`` footer (case-insensitive)."""
    first = first_nonblank(row)
    return first is not None and first[1].upper().startswith(DISCLAIMER_PREFIX)


def is_anchor_row(row: Sequence[Any], anchors: Collection[str]) -> bool:
    """True when the row's first non-blank cell equals one of ``anchors`` (normalized)."""
    first = first_nonblank(row)
    return first is not None and norm(first[1]) in {norm(a) for a in anchors}


@dataclass
class Header:
    """A located header row: stripped names by position, plus a lookup by normalized name."""

    names: list[str]
    positions: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Header:
        names = [cell_text(value) for value in row]
        positions: dict[str, int] = {}
        for position, name in enumerate(names):
            if name:  # blank header = merged-cell artifact: drop the column
                positions.setdefault(norm(name), position)
        return cls(names, positions)

    @property
    def columns(self) -> list[str]:
        """Non-blank header names in file order."""
        return [name for name in self.names if name]

    def has(self, name: str) -> bool:
        return norm(name) in self.positions

    def position(self, name: str) -> int | None:
        return self.positions.get(norm(name))

    def cell(self, row: Sequence[Any], name: str) -> Any:
        """The row's cell under column ``name``; ``None`` if the column or cell is absent."""
        position = self.positions.get(norm(name))
        if position is None or position >= len(row):
            return None
        return row[position]


def find_header(
    rows: Iterator[Sequence[Any]],
    anchors: Collection[str],
    format_name: str,
    *,
    max_rows: int = 500,
) -> tuple[Header, list[Sequence[Any]]]:
    """Consume ``rows`` up to and including the first anchor row.

    Returns the header and the preamble rows before it (for dates and titles). Raises
    `PayloadError` naming the anchor if it is not found within ``max_rows`` rows, so a huge
    file of the wrong shape is not scanned to the end.
    """
    preamble: list[Sequence[Any]] = []
    for row in rows:
        if is_anchor_row(row, anchors):
            return Header.from_row(row), preamble
        preamble.append(row)
        if len(preamble) >= max_rows:
            break
    raise PayloadError(
        format_name, "header anchor row not found", missing_columns=[next(iter(anchors))]
    )


def check_columns(
    header: Header | Collection[str],
    format_name: str,
    *,
    required: Iterable[str | Sequence[str]],
    known: Collection[str] | Callable[[str], bool],
    on_unexpected_columns: UnexpectedColumns = None,
) -> None:
    """Raise `PayloadError` for missing required columns; report unknown ones via the callback.

    ``required`` items are a name or a tuple of alternative names (any one satisfies it; the
    first is reported when none is present). ``known`` is a set of names or a predicate.
    """
    present = header.columns if isinstance(header, Header) else list(header)
    present_norm = {norm(name) for name in present}
    missing = []
    for item in required:
        alternatives = [item] if isinstance(item, str) else list(item)
        if not any(norm(name) in present_norm for name in alternatives):
            missing.append(alternatives[0])
    if missing:
        raise PayloadError(format_name, "required columns missing", missing_columns=missing)
    if on_unexpected_columns is None:
        return
    if callable(known):
        unexpected = [name for name in present if not known(name)]
    else:
        known_norm = {norm(name) for name in known}
        unexpected = [name for name in present if norm(name) not in known_norm]
    if unexpected:
        on_unexpected_columns(unexpected)
