"""Shared by the DX LMP typed-path equivalence tests (5-minute and hourly): page bodies, the
"is this page typed" check, and one observation of a parse (rows, error, logs, drift)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from tap_miso.parsers import dx_lmp_typed
from tap_miso.parsers.dx_records import _raw_records

#: One DX record's JSON text that is not valid JSON (or not one record) in ways a decoder may
#: let through: both paths must give the general path's PayloadError.
INVALID_RECORD_JSON = [
    b'{"timeInterval":{"start":"2026-07-14 00:00:00"},"node":"A.HUB","lmp":NaN}',
    b'{"timeInterval":{"start":"2026-07-14 00:00:00"},"node":"A.HUB","lmp":1e999}',
    b'{"timeInterval":{"start":"\\ud800"},"node":"A.HUB","lmp":1.0}',
    b'{"timeInterval":{"start":"\xff"},"node":"A.HUB","lmp":1.0}',
    b'{"timeInterval":{"start":"2026-07-14 00:00:00"},"node":"\xed\xa0\x80","lmp":1.0}',
    b'{"timeInterval":{},"node":"A.HUB","lmp":1.0}, 7',
    b'{"timeInterval":{},"node":"A.HUB","lmp":1.0,}',
    b'{"timeInterval":{},"node":"A.HUB","lmp":1.0',
]


def page(records: list[Any], raw: bytes | None = None) -> bytes:
    """A one-page DX body holding ``records`` (or ``raw`` JSON text spliced in as the data)."""
    meta = {
        "pageNumber": 1,
        "pageSize": 5000,
        "totalElements": len(records),
        "totalPages": 1,
        "lastPage": True,
    }
    if raw is not None:  # records spliced in as raw JSON text (ints, -0, odd tokens)
        return b'{"data":[' + raw + b'],"page":' + orjson.dumps(meta) + b"}"
    return orjson.dumps({"data": records, "page": meta})


def odd_numbers_page(value: str, interval: str, last: tuple[str, str]) -> bytes:
    """A typed page of odd number spellings: ints, -0, nulls, absent keys, 1e2, an int beyond
    64 bits and one beyond float precision. Its first three records share one time object
    (start 2026-07-14 00:00:00.000, ``value``; the second adds the scalar ``interval``); the
    last has its own (``last``: start, end)."""
    time = (b'{"timeInterval":{"start":"2026-07-14 00:00:00.000","value":"'
            + value.encode() + b'"},')
    raw = b",".join(
        [
            time + b'"node":"B.GEN","lmp":25,"mcc":-0,"mec":null,"mlc":0}',
            time + b'"node":"A.HUB","lmp":-0.0,"mcc":-0.0,"mlc":1e2,"interval":"'
            + interval.encode() + b'"}',
            time + b'"node":"C.LZ","lmp":null,"mcc":null,"mec":1E-3,"mlc":12345678901234567890}',
            b'{"timeInterval":{"start":"' + last[0].encode() + b'","end":"' + last[1].encode()
            + b'"},'
            b'"node":"ILLINOIS.HUB","lmp":9007199254740993,"preliminaryFinal":null}',
        ]
    )
    return page([], raw)


def is_typed(body: bytes) -> bool:
    """True when every record of the page takes the typed (msgspec) path."""
    raws = _raw_records(body)
    return raws is not None and dx_lmp_typed.typed_runs(b"[" + b",".join(raws) + b"]") is not None


def observe(
    run: Callable[[Any], Iterable[Any]],
    caplog: pytest.LogCaptureFixture,
    stream: str,
    logger: str,
) -> tuple:
    """``run(ctx)`` consumed: (repr of the rows, error, log lines, drift calls, row count)."""
    drift: list[Any] = []
    ctx = SimpleNamespace(
        stream=stream,
        logger=logging.getLogger(logger),
        drift_callback=lambda where: lambda cols: drift.append((where, cols)),
    )
    caplog.clear()
    rows: list[Any] = []
    error = None
    try:
        for row in run(ctx):
            rows.append(row)
    except Exception as exc:  # compared across the paths, not swallowed
        error = (type(exc).__name__, str(exc))
    logs = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    # repr keeps key order and int-vs-float; -0.0 and NaN are compared by repr too
    return repr(rows), error, logs, drift, len(rows)
