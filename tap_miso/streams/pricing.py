"""Pricing streams: locational marginal prices (LMP) by node and hour."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any, BinaryIO, ClassVar

from singer_sdk import typing as th

from tap_miso import timeutil, vocabulary
from tap_miso.http.errors import NoDataError
from tap_miso.parsers.cells import text_value
from tap_miso.parsers.csv_reports import read_lmp_csv
from tap_miso.parsers.dx_lmp_typed import LMP_FORMAT, Group, LmpRecord, dx_lmp_batches, lmp_groups
from tap_miso.parsers.dx_records import dx_run_key, dx_starts_ascending
from tap_miso.parsers.errors import PayloadError
from tap_miso.parsers.rows import sort_chunks_within_runs
from tap_miso.sources import data_exchange as dx
from tap_miso.sources import market_reports as mr
from tap_miso.sources.base import DATA_EXCHANGE, MARKET_REPORT, FetchContext, Row, SourceSpec
from tap_miso.sources.node_types import node_types
from tap_miso.streams.base import MisoStream

LMP_PROPERTIES = th.PropertiesList(
    th.Property("node", th.StringType, required=True, description="MISO CPNode name."),
    th.Property(
        "node_type",
        th.StringType,
        description="Hub, Loadzone, Gennode or Interface (null when unknown).",
    ),
    th.Property(
        "is_trading_hub",
        th.BooleanType,
        description="One of MISO's 8 trading hubs (Type=Hub alone is not enough).",
    ),
    th.Property("price_type", th.StringType, required=True, description="ex_ante or ex_post."),
    th.Property(
        "revision",
        th.StringType,
        description="preliminary or final where the market revises; null otherwise.",
    ),
    th.Property("hour_ending", th.IntegerType, description="MISO hour ending 1..24 (EST)."),
    th.Property("lmp", th.NumberType, description="Locational marginal price, $/MWh."),
    th.Property(
        "mec",
        th.NumberType,
        description="Marginal energy component; derived as lmp - mcc - mlc when the "
        "source publishes none (market reports, public API).",
    ),
    th.Property("mcc", th.NumberType, description="Marginal congestion component, $/MWh."),
    th.Property("mlc", th.NumberType, description="Marginal loss component, $/MWh."),
)
LMP_HASH_FIELDS = (
    "node",
    "price_type",
    "revision",
    "interval_start_utc",
    "interval_end_utc",
    "lmp",
    "mec",
    "mcc",
    "mlc",
)


def derive_mec(lmp: float | None, mcc: float | None, mlc: float | None) -> float | None:
    """MEC = LMP - MCC - MLC (FORMATS §4.2: the CSVs carry no MEC row); null if any is null."""
    if lmp is None or mcc is None or mlc is None:
        return None
    return round(lmp - mcc - mlc, 6)


def _node_type(raw: str | None) -> str | None:
    """``vocabulary.node_type``, once per distinct raw value (a few per day, every row asks)."""
    try:
        return _NODE_TYPES[raw]
    except KeyError:
        if len(_NODE_TYPES) >= 1024:
            _NODE_TYPES.clear()
        value = _NODE_TYPES[raw] = vocabulary.node_type(raw)
        return value
    except TypeError:  # unhashable: not a type name anyway
        return vocabulary.node_type(raw)


_NODE_TYPES: dict[str | None, str | None] = {}


def lmp_row(
    *,
    node: str,
    node_type: str | None,
    price_type: str,
    revision: str | None,
    hour_ending: int | None,
    interval: timeutil.Interval,
    lmp: Any,
    mec: Any,
    mcc: Any,
    mlc: Any,
    invalid: list[str],
) -> Row:
    """One LMP row in the stream's field order."""
    return {
        "interval": interval,
        "node": node,
        "node_type": _node_type(node_type),
        "is_trading_hub": node in vocabulary.TRADING_HUBS,
        "price_type": price_type,
        "revision": revision,
        "hour_ending": hour_ending,
        "lmp": lmp,
        "mec": mec if mec is not None else derive_mec(lmp, mcc, mlc),
        "mcc": mcc,
        "mlc": mlc,
        "_invalid": invalid,
    }


def parse_dx_hourly_lmp(
    ctx: FetchContext, day: date, pages: Iterable[bytes], price_type: str, revision: str | None
) -> Iterator[Row]:
    """DX hourly LMP pages -> rows sorted by (hour, node); record order in pages is unknown.

    A cheap first pass (`dx_starts_ascending`, every record with a start) tells whether the
    hours come in order. If they do, one hour is held at a time for its node sort; if not,
    the whole day is held and sorted. Pages are decoded a batch at a time, typed where the
    batch has the common shape (`dx_lmp_typed`), else by the general record parser. Each run
    of records sharing a time object gets its hour ending once (`dx.dx_hour_ending`, skipped
    as `dx.dx_hours` skips); entries are compact tuples (node facts shared per node) and each
    row dict is built only when yielded. Rows, order, skips, log lines, drift calls and errors
    are those of `parse_dx_lmp_records` + `dx.dx_hours` + `lmp_row` over the whole day
    (tests/unit/test_pricing_hourly_typed.py); a malformed page fails the first pass, before
    any row.
    """
    types = node_types(ctx, day)
    hourly = _DxHourly(day, types)
    in_order = dx_starts_ascending(pages, every=True)
    groups = lmp_groups(dx_lmp_batches(pages), ctx.drift_callback(DATA_EXCHANGE))
    # Runs sorted by node first (None last), as `parse_dx_lmp_records` does: the stable sorts
    # below then see the entries in the same order, so they give the same rows.
    entries = sort_chunks_within_runs(hourly.chunks(groups), _run_order, LMP_FORMAT)
    if in_order:  # ascending starts: each hour's entries are contiguous, hours ascending
        hours: Iterable[list[_Entry]] = (
            sorted(hour, key=_day_order) for _, hour in groupby(entries, itemgetter(0))
        )
    else:
        day_entries = list(entries)
        hourly.warn_skipped(ctx)
        day_entries.sort(key=_day_order)
        hours = (day_entries,)
    intervals: dict[int, timeutil.Interval] = {}  # every node of an hour shares it
    for hour in hours:
        for he, node, lmp, mec, mcc, mlc, invalid, kind in hour:
            interval = intervals.get(he)
            if interval is None:
                interval = intervals[he] = timeutil.hour_ending_interval(day, he)
            yield {  # `lmp_row`'s fields, in its order
                "interval": interval,
                "node": node,
                "node_type": kind[0],
                "is_trading_hub": kind[1],
                "price_type": price_type,
                "revision": revision,
                "hour_ending": he,
                "lmp": lmp,
                "mec": mec if mec is not None else derive_mec(lmp, mcc, mlc),
                "mcc": mcc,
                "mlc": mlc,
                "_invalid": list(invalid),
            }
    if in_order:
        hourly.warn_skipped(ctx)


#: One record of the day: (HE, node, lmp, mec, mcc, mlc, invalid names, (node_type, hub)).
_Entry = tuple[int, str | None, Any, Any, Any, Any, tuple[str, ...], tuple[str | None, bool]]


def _run_order(t: _Entry) -> tuple[bool, Any]:
    """`parse_dx_lmp_records`' order within a run of one time: by node, null last."""
    return (t[1] is None, t[1] if t[1] is not None else 0)


def _day_order(t: _Entry) -> tuple[int, bool, Any]:
    """The day's order: (HE, node), a null node last in its hour (flagged ``invalid_node``).
    The general path sorted by (HE, node) alone, which raised TypeError, and failed the run
    with a traceback, when a null node shared an hour with another node."""
    return (t[0], t[1] is None, t[1] if t[1] is not None else "")


_NO_FLAGS: tuple[str, ...] = ()
_FLAGS = {  # (node null, time flagged) -> `_invalid` of a typed record
    (False, False): _NO_FLAGS,
    (False, True): ("time",),
    (True, False): ("node",),
    (True, True): ("node", "time"),
}


class _DxHourly:
    """Compact entries of DX hourly LMP record groups, with the skip count of `dx.dx_hours`."""

    def __init__(self, day: date, types: dict[str, str | None]) -> None:
        self.day, self.types = day, types
        self.nodes: dict[str, tuple[str | None, tuple[str | None, bool]]] = {}  # raw -> facts
        self.kinds: dict[str | None, tuple[str | None, bool]] = {}  # node -> (type, hub)
        self.skipped = 0

    def warn_skipped(self, ctx: FetchContext) -> None:
        """One warning for the records without a usable hour, if any."""
        if self.skipped:
            ctx.logger.warning(
                "%s %s: %d %s records without a usable hour skipped",
                ctx.stream,
                self.day,
                self.skipped,
                "LMP",
            )

    def kind(self, node: str | None) -> tuple[str | None, bool]:
        """``(node_type, is_trading_hub)`` of a node, as `lmp_row` makes them, once per node."""
        kind = self.kinds.get(node)
        if kind is None:
            kind = self.kinds[node] = (
                _node_type(self.types.get(node)),  # type: ignore[arg-type]
                node in vocabulary.TRADING_HUBS,
            )
        return kind

    def node(self, raw: str) -> tuple[str | None, tuple[str | None, bool]]:
        """``(text_value(raw), kind)`` of a typed record's node, once per raw string."""
        facts = self.nodes.get(raw)
        if facts is None:
            node = text_value(raw)
            facts = self.nodes[raw] = (node, self.kind(node))
        return facts

    def chunks(self, groups: Iterable[Group]) -> Iterator[tuple[Any, list[_Entry]]]:
        """``(run key, entries)`` per group; records without a usable hour are counted."""
        day = self.day
        for time, typed, items in groups:
            he = dx.dx_hour_ending(day, time)
            if he is None or not 1 <= he <= 24:
                self.skipped += len(items)
                yield dx_run_key(time), []
            elif typed:
                yield dx_run_key(time), self._typed(items, he, bool(time.invalid))
            else:
                yield dx_run_key(time), self._general(items, he)

    def _typed(self, items: list[LmpRecord], he: int, bad_time: bool) -> list[_Entry]:
        nodes, node_of = self.nodes, self.node
        valid = _FLAGS[False, bad_time]
        out: list[_Entry] = []
        append = out.append
        for r in items:
            node, kind = nodes.get(r.node) or node_of(r.node)
            invalid = valid if node is not None else _FLAGS[True, bad_time]
            append((he, node, r.lmp, r.mec, r.mcc, r.mlc, invalid, kind))
        return out

    def _general(self, items: list[Row], he: int) -> list[_Entry]:
        kinds, kind_of = self.kinds, self.kind
        return [
            (
                he,
                (node := r["node"]),
                r["lmp"],
                r["mec"],
                r["mcc"],
                r["mlc"],
                tuple(r["_invalid"]),
                kinds.get(node) or kind_of(node),
            )
            for r in items
        ]


def parse_lmp_report(
    ctx: FetchContext, day: date, data: bytes | BinaryIO, price_type: str, revision: str | None
) -> Iterator[Row]:
    """An LMP CSV report (bytes, or the downloaded file, closed here) -> rows sorted by
    (hour, node), `lmp_row`'s fields in its order.

    Built straight from the parser's columnar table (`read_lmp_csv`): per node, the type,
    hub flag and the 24 MEC values are computed once, then each row is one dict.
    """
    try:
        table = read_lmp_csv(data)
    finally:
        if not isinstance(data, bytes | bytearray):
            data.close()
    for he in table.hours:  # checked before any row goes out (a part is served whole)
        if not 1 <= he <= 24:  # MISO days have 24 hours, EST all year (FORMATS §1)
            raise PayloadError("lmp_csv", f"hour-ending column HE {he} is outside HE 1..24")
    starts = table.hour_flags()
    empty: list[float | None] = [None] * len(table.hours)
    for market_date, entries in table.days:
        if market_date != day:
            raise PayloadError("lmp_csv", f"file says market date {market_date}, expected {day}")
        nodes = []
        for node, entry in entries:
            lmp, mcc, mlc = (values or empty for values in entry.values)
            mec = [
                round(a - b - c, 6) if a is not None and b is not None and c is not None else None
                for a, b, c in zip(lmp, mcc, mlc, strict=True)
            ]
            nodes.append(
                (
                    node,
                    _node_type(entry.node_type),
                    node in vocabulary.TRADING_HUBS,
                    lmp,
                    mec,
                    mcc,
                    mlc,
                    entry.invalid,
                )
            )
        for slot, he in enumerate(table.hours):
            interval = timeutil.hour_ending_interval(day, he)  # every node of an hour shares it
            start = starts[slot]
            for node, node_type, hub, lmp, mec, mcc, mlc, invalid in nodes:
                flags = invalid[slot] if invalid is not None else None
                yield {
                    "interval": interval,
                    "node": node,
                    "node_type": node_type,
                    "is_trading_hub": hub,
                    "price_type": price_type,
                    "revision": revision,
                    "hour_ending": he,
                    "lmp": lmp[slot],
                    "mec": mec[slot],
                    "mcc": mcc[slot],
                    "mlc": mlc[slot],
                    "_invalid": [*start, *flags] if flags else list(start),
                }


# -- lmp_day_ahead_hourly -----------------------------------------------------------------------

_DA_DX_PATH = {"ex_ante": "day-ahead/{date}/lmp-exante", "ex_post": "day-ahead/{date}/lmp-expost"}
_DA_REPORT = {"ex_ante": "da_exante_lmp.csv", "ex_post": "da_expost_lmp.csv"}


class LmpDayAheadHourlyStream(MisoStream):
    """Day-ahead hourly LMP by node, ex-ante and ex-post (published ~14:00 EST the day before)."""

    name = "lmp_day_ahead_hourly"
    primary_keys = ("node", "interval_start_utc", "price_type")
    dataset_properties = LMP_PROPERTIES
    hash_fields = LMP_HASH_FIELDS
    parts = ("ex_ante", "ex_post")
    node_field = "node"
    default_lookback_days = 1
    publish_delay = timedelta(hours=-10)  # D-1 14:00 EST
    latest_offset_days = 1  # tomorrow, once published
    source_specs: ClassVar[tuple[SourceSpec, ...]] = (
        SourceSpec(
            source=DATA_EXCHANGE,
            product="pricing",
            load=lambda ctx, day, part: dx.load_node_pages(
                ctx, dx.day_path(_DA_DX_PATH[part], day)
            ),
            parse=lambda ctx, day, part, pages: parse_dx_hourly_lmp(ctx, day, pages, part, None),
            description="pricing/v1/day-ahead/{date}/lmp-exante|lmp-expost",
        ),
        SourceSpec(
            source=MARKET_REPORT,
            # On disk, not in memory: the prefetch holds up to three dates' files at once.
            load=lambda ctx, day, part: mr.download_report(ctx, day, _DA_REPORT[part]),
            parse=lambda ctx, day, part, data: parse_lmp_report(ctx, day, data, part, None),
            description="YYYYMMDD_da_exante_lmp.csv, YYYYMMDD_da_expost_lmp.csv",
        ),
    )


# -- lmp_real_time_hourly ----------------------------------------------------------------------

REVISIONS = ("final", "preliminary")


def already_final(ctx: FetchContext, day: date) -> bool:
    """True when ``day`` was delivered as final earlier (``final_dates`` in the stream's state):
    revisions only move forward (DESIGN.md §4), so no preliminary is served again."""
    return day.isoformat() in ctx.shared.get((ctx.stream, "final_dates"), ())


def load_latest_revision(ctx: FetchContext, day: date, load_one: Any) -> tuple[str, Any]:
    """Final when published, else preliminary (revisions only move forward, DESIGN.md §4).

    A date already delivered as final is never served as preliminary again: if final is
    missing here, this source has no data for it.
    """
    try:
        return "final", load_one("final")
    except NoDataError:
        if already_final(ctx, day):
            raise
        return "preliminary", load_one("preliminary")


def latest_revision_specs(
    *,
    dx_path: str,
    reports: dict[str, str],
    parse_dx: Callable[[FetchContext, date, Any, str, str | None], Iterator[Row]],
    parse_report: Callable[[FetchContext, date, Any, str, str | None], Iterator[Row]],
    by_node: bool = False,
    load_report: Callable[[FetchContext, date, str], Any] | None = None,
) -> tuple[SourceSpec, SourceSpec]:
    """The sources of a real-time hourly ex-post dataset, each final when published, else
    preliminary: DX ``dx_path?timeResolution=hourly``, then the Market Reports ``reports``
    (revision -> file name). ``parse_*(ctx, day, payload, price_type, revision)``.
    ``by_node``: ask the DX per configured node when that saves calls (price endpoints only).
    ``load_report(ctx, day, file name)`` downloads a report (bytes, or a file on disk;
    default `market_reports.load_report`)."""
    load_pages = dx.load_node_pages if by_node else (
        lambda ctx, path, params: dx.load_pages(ctx, "pricing", path, params)
    )
    return (
        SourceSpec(
            source=DATA_EXCHANGE,
            product="pricing",
            load=lambda ctx, day, part: load_latest_revision(
                ctx,
                day,
                lambda rev: load_pages(
                    ctx,
                    dx.day_path(dx_path, day),
                    {"timeResolution": "hourly", "preliminaryFinal": dx.PRELIMINARY_FINAL[rev]},
                ),
            ),
            parse=lambda ctx, day, part, loaded: parse_dx(
                ctx, day, loaded[1], "ex_post", loaded[0]
            ),
            description=f"pricing/v1/{dx_path}?timeResolution=hourly"
            "&preliminaryFinal=Final|Preliminary",
        ),
        SourceSpec(
            source=MARKET_REPORT,
            load=lambda ctx, day, part: load_latest_revision(
                ctx, day, lambda rev: (load_report or mr.load_report)(ctx, day, reports[rev])
            ),
            parse=lambda ctx, day, part, loaded: parse_report(
                ctx, day, loaded[1], "ex_post", loaded[0]
            ),
            description=f"YYYYMMDD_{reports['final']}, else YYYYMMDD_{reports['preliminary']}",
        ),
    )


class LmpRealTimeHourlyStream(MisoStream):
    """Real-time hourly (integrated) ex-post LMP by node, preliminary then final."""

    name = "lmp_real_time_hourly"
    primary_keys = ("node", "interval_start_utc")
    dataset_properties = LMP_PROPERTIES
    hash_fields = LMP_HASH_FIELDS
    node_field = "node"
    default_lookback_days = 7
    publish_delay = timedelta(hours=31)  # preliminary at D+1 07:00 EST
    latest_offset_days = -1
    revision_field = "revision"
    source_specs: ClassVar[tuple[SourceSpec, ...]] = latest_revision_specs(
        dx_path="real-time/{date}/lmp-expost",
        reports={"final": "rt_lmp_final.csv", "preliminary": "rt_lmp_prelim.csv"},
        parse_dx=parse_dx_hourly_lmp,
        parse_report=parse_lmp_report,
        by_node=True,
        # On disk, not in memory: the prefetch holds up to three dates' files at once.
        load_report=lambda ctx, day, name: mr.download_report(ctx, day, name),
    )


STREAMS = (LmpDayAheadHourlyStream, LmpRealTimeHourlyStream)
