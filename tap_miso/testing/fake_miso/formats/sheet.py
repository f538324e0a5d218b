"""A tiny tabular document model shared by every Market Reports writer.

A `Sheet` is a name plus rows (lists of cells). Rows that are column headers are
`HeaderRow` instances, which lets schema-drift faults find and change columns without
knowing the report. Rows may be a lazy iterator, so huge reports stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

Cell = str | int | float | date | datetime | None
Row = Sequence[Cell]
DISCLAIMER = (
    "MISO MAKES NO REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED, AS TO THE ACCURACY OR "
    "COMPLETENESS OF THE INFORMATION CONTAINED HEREIN, AND SHALL NOT BE LIABLE FOR ANY "
    "ERRORS OR OMISSIONS."
)


class HeaderRow(list):
    """Marks a row as a column header (drift faults rename/drop/add columns here)."""


@dataclass
class Merge:
    """Merged cell range, 0-based inclusive rows and columns."""

    first_row: int
    last_row: int
    first_col: int
    last_col: int


@dataclass
class Sheet:
    """One worksheet (or the whole of a CSV file)."""

    name: str
    rows: Iterable[Row]
    merges: list[Merge] = field(default_factory=list)
    date_format: str = "mm/dd/yyyy"
