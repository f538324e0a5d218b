"""Typed fast path for DX LMP pages (``lmp-exante``/``lmp-expost``, FORMATS §2.4).

A batch of records that all have exactly the common shape (known keys only, ``node`` a
string, prices numbers or null, ``interval``/``preliminaryFinal`` strings or null) is decoded
by msgspec into `LmpRecord` structs; the time object stays raw and is read by `dx_time` once
per run of records sharing it. Any other batch is read by the general path (orjson +
`_dx_rows`), so malformed input keeps every flag, alert and error.
Both paths come out as groups of consecutive records sharing one time object.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import Any

import msgspec
import orjson

from .anchors import UnexpectedColumns
from .dx_records import (
    _LMP,
    DX_PAGE,
    RECORD_BATCH,
    DxTime,
    _dx_rows,
    _raw_records,
    dx_time,
    parse_dx_page,
)
from .errors import payload_guard


class LmpRecord(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """One DX LMP record of the common shape. An absent optional key reads as null, as in the
    general path; a JSON int becomes the float `parse_number` makes of it; JSON has no NaN
    and msgspec rejects out-of-range numbers, so prices are finite."""

    node: str
    lmp: float | None
    timeInterval: msgspec.Raw
    mcc: float | None = None
    mec: float | None = None
    mlc: float | None = None
    preliminaryFinal: str | None = None
    interval: str | None = None


_BATCH = msgspec.json.Decoder(list[LmpRecord])
#: The format name of LMP rows (`_LMP`), used in the parser's log lines.
LMP_FORMAT = _LMP.format_name
_TIME_OF = attrgetter("timeInterval", "interval")
_ROW_TIME = itemgetter("time")

#: A run of consecutive records sharing one time object: typed records or general rows.
Group = tuple[DxTime, bool, list[Any]]
#: One decoded batch: ``(True, [(time, records)...])`` or ``(False, [record dicts])``.
Batch = tuple[bool, list[Any]]


def typed_runs(body: bytes) -> list[tuple[DxTime, list[LmpRecord]]] | None:
    """The runs of a JSON array of records of the common shape, with their `DxTime`;
    ``None`` when any record has another shape."""
    try:
        records = _BATCH.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    runs = []
    for (raw, interval), items in groupby(records, _TIME_OF):
        try:
            obj = orjson.loads(memoryview(raw))
        except orjson.JSONDecodeError:  # the general path reports it
            return None
        runs.append((dx_time({"timeInterval": obj, "interval": interval}), list(items)))
    return runs


def dx_lmp_batches(pages: Iterable[bytes], batch: int = RECORD_BATCH) -> Iterator[Batch]:
    """The records of DX LMP pages in page order, ``batch`` at a time: typed runs where the
    batch has the common shape, else record dicts. The pages are split and checked as
    `iter_dx_page_records` does, so errors and the batch they come with are the same."""
    for data in pages:
        raws = _raw_records(data)
        if raws is None:
            yield False, parse_dx_page(data).records
            continue
        for i in range(0, len(raws), batch):
            body = b"[" + b",".join(raws[i : i + batch]) + b"]"
            runs = typed_runs(body)
            if runs is not None:
                yield True, runs
                continue
            with payload_guard(DX_PAGE, "invalid JSON"):
                records = orjson.loads(body)
            yield False, records


def lmp_groups(
    batches: Iterable[Batch], on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Group]:
    """``(time, typed, items)`` for each run of records sharing a time object.

    General records are mapped by `_dx_rows`; the first record of the whole input is checked
    for drift, whichever path it takes (a typed record has only known keys and ``node`` and
    ``lmp``, so the check would find nothing).
    """
    checked = False
    for typed, items in batches:
        if not items:
            continue
        if typed:
            checked = True
            for time, records in items:
                yield time, True, records
            continue
        rows = _dx_rows(items, _LMP, on_unexpected_columns, checked=checked)
        checked = True
        for time, group in groupby(rows, _ROW_TIME):
            yield time, False, list(group)
