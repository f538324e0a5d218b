"""5-minute LMP rows packed by interval, to cross a process boundary cheaply (`offload`).

A parsed row is a small dict (label, raw label, node, ``_invalid``, three or four floats); a day
is 750,000 of them. Pickling them one by one would cost about as much as parsing. A block holds
the rows of one interval that share label and raw label (at most `MAX_BLOCK` rows): the node
names (``None`` when they are those of the block before), each price column as the bytes of an
``array('d')``, and any row that is not of the plain shape (an invalid cell, a value that is not
a float, another set of keys) whole, by position. `unpack` gives back equal rows, in order.

The jobs at the end run in the child process: the ex-ante workbook and a date's weekly spill.
"""

from __future__ import annotations

import gzip
import os
from array import array
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby, islice
from typing import Any

from tap_miso.parsers.anchors import UnexpectedColumns
from tap_miso.parsers.excel_reports import parse_5min_exante_lmp_xlsx
from tap_miso.parsers.five_min_zip import parse_5min_lmp_csv
from tap_miso.parsers.offload import offloaded

Row = dict[str, Any]
#: (label, raw label, nodes or None = as before, columns, {position: row of another shape})
Block = tuple[Any, Any, list[Any] | None, list[bytes], dict[int, Row]]

MAX_BLOCK = 4096
EXANTE_FIELDS = ("lmp", "mec", "mlc", "mcc")  # parse_5min_exante_lmp_xlsx's order
WEEKLY_FIELDS = ("lmp", "mcc", "mlc")  # parse_5min_lmp_csv's order


def _run_key(row: Row) -> tuple[Any, Any]:
    return row.get("label"), row.get("raw_label")


def _chunks(rows: Iterable[Row]) -> Iterator[list[Row]]:
    """``rows`` in lists of at most `MAX_BLOCK` (memory stays bounded whatever the file)."""
    it = iter(rows)
    while chunk := list(islice(it, MAX_BLOCK)):
        yield chunk


def pack(rows: Iterable[Row], fields: tuple[str, ...]) -> Iterator[Block]:
    """Blocks of ``rows`` (see the module doc); ``fields`` are the price fields in row order."""
    shape = ("label", "raw_label", "node", "_invalid", *fields)
    last_nodes: list[Any] | None = None
    for (label, raw_label), run in groupby(rows, _run_key):
        for chunk in _chunks(run):
            nodes: list[Any] = []
            columns = [array("d") for _ in fields]
            others: dict[int, Row] = {}
            for index, row in enumerate(chunk):
                values = [row.get(name) for name in fields]
                if (
                    tuple(row) == shape
                    and not row["_invalid"]
                    and all(type(value) is float for value in values)
                ):
                    nodes.append(row["node"])
                else:
                    others[index] = row
                    nodes.append(None)
                    values = [0.0] * len(fields)
                for column, value in zip(columns, values, strict=True):
                    column.append(value)
            same = nodes == last_nodes
            last_nodes = nodes
            yield label, raw_label, None if same else nodes, [c.tobytes() for c in columns], others


def unpack(blocks: Iterable[Block], fields: tuple[str, ...]) -> Iterator[Row]:
    """The rows `pack` was given, in order (equal dicts, same key order). The stream builds its
    rows from the blocks directly (`pricing_5min.placed_blocks`); this is their reference."""
    nodes: list[Any] = []
    for label, raw_label, new_nodes, raw_columns, others in blocks:
        if new_nodes is not None:
            nodes = new_nodes
        columns = [array("d", raw) for raw in raw_columns]
        for index, (node, *values) in enumerate(zip(nodes, *columns, strict=True)):
            row = others.get(index)
            if row is None:
                row = {"label": label, "raw_label": raw_label, "node": node, "_invalid": []}
                row.update(zip(fields, values, strict=True))
            yield row


# -- jobs run in the child process (tap_miso.parsers.offload) ----------------------------------


def exante_blocks(fd: int, *, on_unexpected_columns: UnexpectedColumns = None) -> Iterator[Block]:
    """Blocks of the ex-ante workbook open on descriptor ``fd`` (read from its start)."""
    with os.fdopen(fd, "rb") as fh:
        fh.seek(0)
        rows = parse_5min_exante_lmp_xlsx(fh, on_unexpected_columns=on_unexpected_columns)
        yield from pack(rows, EXANTE_FIELDS)


def weekly_blocks(path: str, *, on_unexpected_columns: UnexpectedColumns = None) -> Iterator[Block]:
    """Blocks of one date's gzip'd spill of the weekly zip (its columns were checked by the
    split, so ``on_unexpected_columns`` is not called)."""
    with gzip.open(path, "rb") as fh:
        yield from pack(parse_5min_lmp_csv(fh), WEEKLY_FIELDS)


# -- the parent's side -------------------------------------------------------------------------


def blocks_in_child(
    job: str,
    args: tuple[Any, ...],
    fields: tuple[str, ...],
    local_rows: Callable[[], Iterator[Row]],
    *,
    what: str,
    fds: tuple[int, ...] = (),
    on_unexpected_columns: UnexpectedColumns = None,
) -> Iterator[Block]:
    """The blocks of the rows ``local_rows()`` gives, packed by ``job`` (one of the above) in a
    child process (`offload.offloaded`; packed in this process when no child can start)."""
    return offloaded(
        job,
        args,
        local=lambda: pack(local_rows(), fields),
        what=what,
        fds=fds,
        on_unexpected_columns=on_unexpected_columns,
    )
