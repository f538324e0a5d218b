"""The row-at-a-time LMP CSV parser and report path as they were before the columnar fast
path (commit fcb1cac), kept verbatim as the oracle the fast path is compared with."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from typing import Any

from tap_miso import timeutil
from tap_miso.parsers.anchors import (
    UnexpectedColumns,
    check_columns,
    find_header,
    is_anchor_row,
    is_disclaimer_row,
    norm,
)
from tap_miso.parsers.cells import cell_text, parse_date
from tap_miso.parsers.csv_reports import (
    _HE_KNOWN,
    _HE_REQUIRED,
    LMP_CSV,
    _csv_rows,
    _preamble_date,
)
from tap_miso.parsers.errors import PayloadError
from tap_miso.parsers.rows import (
    Row,
    he_columns,
    hour_sort_key,
    new_row,
    set_hour_ending,
    set_number,
)
from tap_miso.streams.pricing import lmp_row

log = logging.getLogger("tap_miso.parsers.csv_reports")


def reference_parse_lmp_csv(
    data: bytes,
    *,
    market_date: date | None = None,
    on_unexpected_columns: UnexpectedColumns = None,
) -> Iterator[Row]:
    rows = iter(_csv_rows(data, LMP_CSV))
    header, preamble = find_header(rows, ("Node", "MARKET_DAY"), LMP_CSV)
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
    pivot: dict[tuple[date, int, str], Row] = {}
    seen: set[tuple[date, int, str, str]] = set()
    unknown_values: set[str] = set()
    for row in rows:
        if is_anchor_row(row, ("Node", "MARKET_DAY")) or is_disclaimer_row(row):
            continue
        node = cell_text(header.cell(row, "Node"))
        value_kind = cell_text(header.cell(row, "Value")).upper()
        day = parse_date(header.cell(row, "MARKET_DAY")) if archive_layout else file_date
        if not node or not value_kind or day is None:
            continue
        field = {"LMP": "lmp", "MCC": "mcc", "MLC": "mlc"}.get(value_kind)
        if field is None:
            unknown_values.add(value_kind)
            continue
        for name, hour in hours.items():
            key = (day, hour, node)
            out = pivot.get(key)
            if out is None:
                out = new_row(
                    market_date=day,
                    node=node,
                    node_type=cell_text(header.cell(row, "Type")) or None,
                    hour_ending=hour,
                    lmp=None,
                    mcc=None,
                    mlc=None,
                )
                set_hour_ending(out, hour)
                pivot[key] = out
            if (*key, field) in seen:
                log.warning("%s: duplicate %s row for %s; first kept", LMP_CSV, field, key)
                continue
            seen.add((*key, field))
            set_number(out, field, header.cell(row, name))
    if unknown_values:
        log.warning("%s: ignored rows with unknown Value %s", LMP_CSV, sorted(unknown_values))
    if not pivot:
        raise PayloadError(LMP_CSV, "no data rows after the header")
    return iter(
        sorted(
            pivot.values(),
            key=lambda r: (r["market_date"], hour_sort_key(r["hour_ending"]), r["node"]),
        )
    )


def reference_parse_lmp_report(
    day: date, data: bytes, price_type: str, revision: str | None
) -> Iterator[Row]:
    intervals: dict[int, Any] = {}
    for r in reference_parse_lmp_csv(data):
        if r["market_date"] is not None and r["market_date"] != day:
            raise PayloadError(
                "lmp_csv", f"file says market date {r['market_date']}, expected {day}"
            )
        he = r["hour_ending"]
        interval = intervals.get(he)
        if interval is None:
            interval = intervals[he] = timeutil.hour_ending_interval(day, he)
        yield lmp_row(
            node=r["node"],
            node_type=r["node_type"],
            price_type=price_type,
            revision=revision,
            hour_ending=he,
            interval=interval,
            lmp=r["lmp"],
            mec=None,
            mcc=r["mcc"],
            mlc=r["mlc"],
            invalid=list(r["_invalid"]),
        )
