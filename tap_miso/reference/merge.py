"""Merge one run's snapshot of a stream into a reference table (rows are never deleted).

Per key: a new key is added (``first_seen`` = ``last_seen`` = ``updated_at`` = now); a key seen
again gets ``last_seen`` = now and its observed columns refreshed, and ``updated_at`` = now only
when an attribute changed or it came back after removal; a key *no longer present* gets
``present`` = false and ``removed_at`` = now (once) and keeps its attributes (a removal record's
empty values, like a retired node's null ``node_type``, do not erase known ones). Timestamps are
UTC ISO 8601 (``2026-11-27T09:30:00Z``). ``last_seen`` is the last run in which the key was
present (empty for a key whose first record already said it was gone).

No longer present means
- nodes: a record with ``retired`` true, or, when the run has a complete node list (the nodes
  records were followed by a STATE message: the tap finished the stream), no record at all;
- generators: absent from the newest ``period`` in the run's generators records (a unit whose
  latest record is older, or none at all), again only when those records were followed by a
  STATE message.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from tap_miso.reference.csv_file import Key, Rows
from tap_miso.reference.singer_input import SingerInputError, StreamCapture
from tap_miso.reference.tables import GENERATORS, NODES, TableSpec, cell

PERIOD = re.compile(r"\d{4}-\d{2}")


@dataclass
class Snapshot:
    """One run's view of a table: column values per key, and which keys are gone."""

    rows: dict[Key, dict[str, str]]
    gone: set[Key]
    absent_are_gone: bool  # keys missing from ``rows`` are gone too
    unknown_fields: set[str] = field(default_factory=set)
    unfilled_columns: set[str] = field(default_factory=set)


def nodes_snapshot(capture: StreamCapture) -> Snapshot:
    """Snapshot of the ``nodes`` records (the last record of a node wins)."""
    snapshot = _snapshot(NODES, capture.records, capture.checkpointed)
    for number, record in capture.records:
        key = _key(NODES, record, number)
        if record.get("retired") is True:
            snapshot.gone.add(key)
        else:
            snapshot.gone.discard(key)
    return snapshot


def generators_snapshot(capture: StreamCapture) -> Snapshot:
    """Snapshot of the ``generators`` records: each unit's newest ``period`` wins."""
    newest: dict[Key, tuple[str, int, dict]] = {}
    for number, record in capture.records:
        period = record.get("period")
        if not isinstance(period, str) or not PERIOD.fullmatch(period):
            raise SingerInputError(f"line {number}: generators record with period {period!r}, "
                                   "expected YYYY-MM")
        key = _key(GENERATORS, record, number)
        if key not in newest or period >= newest[key][0]:
            newest[key] = (period, number, record)
    chosen = sorted((number, record) for _, number, record in newest.values())
    snapshot = _snapshot(GENERATORS, chosen, capture.checkpointed)
    if newest and capture.checkpointed:
        latest = max(period for period, _, _ in newest.values())
        snapshot.gone = {key for key, (period, _, _) in newest.items() if period < latest}
    return snapshot


def _snapshot(spec: TableSpec, records: list[tuple[int, dict]], complete: bool) -> Snapshot:
    rows: dict[Key, dict[str, str]] = {}
    seen_fields: set[str] = set()
    for number, record in records:
        seen_fields.update(record)
        values = {}
        for column in spec.attributes + spec.observed:
            try:
                values[column] = cell(record.get(column))
            except ValueError as exc:
                raise SingerInputError(f"line {number}: {spec.stream} field {column}: {exc}"
                                       ) from None
        rows[_key(spec, record, number)] = values
    return Snapshot(
        rows, set(), complete and bool(rows),
        unknown_fields={f for f in seen_fields if not spec.is_known_field(f)},
        unfilled_columns=set(spec.attributes + spec.observed) - seen_fields if rows else set(),
    )


def _key(spec: TableSpec, record: dict, number: int) -> Key:
    key = []
    for column in spec.key:
        value = record.get(column)
        if value is None or value == "" or isinstance(value, bool | dict | list):
            raise SingerInputError(f"line {number}: {spec.stream} record without a usable "
                                   f"{column} ({value!r})")
        key.append(cell(value))
    return tuple(key)


def merge(existing: Rows | None, snapshot: Snapshot, spec: TableSpec,
          now: datetime) -> tuple[Rows, Counter]:
    """New table rows and counts of what happened (added, changed, removed, returned)."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = {key: dict(row) for key, row in (existing or {}).items()}
    counts: Counter = Counter()
    for key, values in snapshot.rows.items():
        gone = key in snapshot.gone
        row = rows.get(key)
        if row is None:
            rows[key] = {**dict(zip(spec.key, key, strict=True)), **values,
                         "first_seen": stamp, "last_seen": "" if gone else stamp,
                         "updated_at": stamp, "present": "false" if gone else "true",
                         "removed_at": stamp if gone else ""}
            counts["added"] += 1
            continue
        if gone:  # a retirement record knows less (nodes: no type): keep what is known
            values = {c: v for c, v in values.items() if v != ""}
        changed = any(row[c] != values[c] for c in spec.attributes if c in values)
        row.update(values)
        if changed:
            row["updated_at"] = stamp
            counts["changed"] += 1
        if not gone:
            row["last_seen"] = stamp
            if row["present"] == "false":
                row.update(present="true", removed_at="", updated_at=stamp)
                counts["returned"] += 1
        elif row["present"] == "true":
            _remove(row, stamp)
            counts["removed"] += 1
    if snapshot.absent_are_gone:
        for key, row in rows.items():
            if key not in snapshot.rows and row["present"] == "true":
                _remove(row, stamp)
                counts["removed"] += 1
    return rows, counts


def _remove(row: dict[str, str], stamp: str) -> None:
    row.update(present="false", removed_at=stamp, updated_at=stamp)
