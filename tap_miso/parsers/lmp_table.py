"""Columnar form of an hourly LMP CSV (FORMATS §4.2): one entry per (market date, node) holding
the 24 hourly LMP/MCC/MLC values, filled a whole CSV row at a time.

The hot path of the day-ahead stream (about 62,000 rows per file): a row of plain decimals is
converted with one ``map(float, ...)`` and stored as is; any other row goes cell by cell
through `parse_number`, so nulls, thousands commas and invalid cells come out exactly as
there. `parse_lmp_csv` and the pricing stream read the same table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from operator import itemgetter

from .cells import hour_ending_in_range, parse_number
from .rows import Row

#: ``Value`` column text -> index into `LmpNode.values` (there is no MEC row, §4.2 Values).
VALUE_INDEX = {"LMP": 0, "MCC": 1, "MLC": 2}
FIELDS = ("lmp", "mcc", "mlc")


class LmpNode:
    """One node of one market date: raw ``Type`` text, and per field the values by hour slot
    (``None`` until that field's row is read: a node without MCC/MLC rows keeps nulls)."""

    __slots__ = ("invalid", "node_type", "values")

    def __init__(self, node_type: str | None) -> None:
        self.node_type = node_type
        self.values: list[list[float | None] | None] = [None, None, None]
        #: Per hour slot, the fields whose cell was present but not a number (read order).
        self.invalid: list[list[str] | None] | None = None

    def flag(self, slot: int, field: str, slots: int) -> None:
        if self.invalid is None:
            self.invalid = [None] * slots
        flags = self.invalid[slot]
        if flags is None:
            self.invalid[slot] = [field]
        else:  # each field of a slot is read once (later rows are duplicates)
            flags.append(field)


class HourColumns:
    """The hour-ending columns of a header: positions, hour slots, and the cell reader."""

    def __init__(self, columns: Sequence[tuple[int, int]]) -> None:
        """``columns``: ``(position, hour)`` in header order (hours may repeat)."""
        self.hours = sorted({hour for _, hour in columns})
        slot_of = {hour: slot for slot, hour in enumerate(self.hours)}
        self.columns = [(position, slot_of[hour], hour) for position, hour in columns]
        positions = [position for position, _ in columns]
        self.width = max(positions) + 1
        # One C call per row: the cells of every hour column, in header order.
        self._cells = itemgetter(*positions) if len(positions) > 1 else (
            lambda row, p=positions[0]: (row[p],)
        )
        # Header order == slot order (HE 1..HE 24, each once): a row's values are the slots.
        self.direct = [slot for _, slot, _ in self.columns] == list(range(len(self.hours)))

    def fast_values(self, row: Sequence[str]) -> list[float] | None:
        """The row's hour values when every cell is a plain finite decimal, in slot order;
        ``None`` when any cell needs `parse_number` (blank, null text, thousands comma, junk,
        NaN/inf, underscores or non-ASCII digits, which `float` accepts and it does not)."""
        if not self.direct or len(row) < self.width:
            return None
        cells = self._cells(row)
        try:
            values = list(map(float, cells))
        except ValueError:
            return None
        total = sum(values)
        if total - total != 0.0:  # NaN or infinity somewhere (or an overflowing sum)
            return None
        joined = "".join(cells)
        if not joined.isascii() or "_" in joined:
            return None
        return values

    def fill(self, entry: LmpNode, index: int, row: Sequence[str]) -> list[int]:
        """Store field ``index`` of ``row`` in ``entry`` (first read of that field).

        Returns the hours of header columns skipped because an earlier column of the same
        hour was taken (normally none): the caller warns about them.
        """
        values = self.fast_values(row)
        if values is not None:
            entry.values[index] = values
            return []
        skipped: list[int] = []
        field = FIELDS[index]
        slots = len(self.hours)
        out: list[float | None] = [None] * slots
        done = [False] * slots
        for position, slot, hour in self.columns:
            if done[slot]:  # two header columns for one hour: the first one wins
                skipped.append(hour)
                continue
            done[slot] = True
            number, invalid = parse_number(row[position] if position < len(row) else None)
            out[slot] = number
            if invalid:
                entry.flag(slot, field, slots)
        entry.values[index] = out
        return skipped


class LmpTable:
    """A parsed LMP CSV: hour slots, and per market date (ascending) its nodes (by name)."""

    def __init__(self, hours: list[int], days: list[tuple[date, list[tuple[str, LmpNode]]]]):
        self.hours = hours
        self.days = days

    def hour_flags(self) -> list[list[str]]:
        """Per hour slot, the flags every row of that hour starts with (HE outside 1..24)."""
        return [[] if hour_ending_in_range(hour) else ["hour_ending"] for hour in self.hours]

    def rows(self) -> Iterator[Row]:
        """Row-contract dicts, sorted by (market_date, hour_ending, node)."""
        empty: list[float | None] = [None] * len(self.hours)
        starts = self.hour_flags()
        for day, nodes in self.days:
            for slot, hour in enumerate(self.hours):
                for node, entry in nodes:
                    lmp, mcc, mlc = entry.values
                    flags = entry.invalid[slot] if entry.invalid is not None else None
                    yield {
                        "market_date": day,
                        "node": node,
                        "node_type": entry.node_type,
                        "hour_ending": hour,
                        "lmp": (lmp or empty)[slot],
                        "mcc": (mcc or empty)[slot],
                        "mlc": (mlc or empty)[slot],
                        "_invalid": [*starts[slot], *flags] if flags else list(starts[slot]),
                    }
