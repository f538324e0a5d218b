"""Real-time 5-minute LMP by node (``lmp_real_time_5min``): ex-ante, and ex-post
(preliminary, then final).

Sources per part (FORMATS §6 "RT LMP 5-min"):

- ``ex_ante``: Data Exchange ``real-time/{date}/lmp-exante``; Market Reports
  ``YYYYMMDD_5min_exante_lmp.xlsx``.
- ``ex_post``: Data Exchange ``real-time/{date}/lmp-expost?timeResolution=5min`` (final, else
  preliminary); Market Reports weekly ``YYYYMMDD_5MIN_LMP.zip`` (final); public API
  ``GetRealTimeFiveMinExPost/Rolling`` (today) and ``/Previous`` (yesterday), preliminary.

Every source labels 5-minute intervals its own way (FORMATS §1.2, rule T6): each record keeps
the label as written in ``raw_time_label`` and the interval is computed with the source's
convention, so the same interval from any source gets the same ``interval_start_utc``.

Also holds the 5-minute helpers the ancillary streams share (label conventions, placing rows
on a market date, run-wide download caches).
"""

from __future__ import annotations

import atexit
import gzip
import shutil
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from singer_sdk import typing as th

from tap_miso import timeutil, vocabulary
from tap_miso.http.errors import MisoHttpError, NoDataError, url_path
from tap_miso.parsers import (
    dx_time,
    five_min_blocks,
    offload,
    parse_5min_exante_lmp_xlsx,
    parse_public_five_min_expost,
)
from tap_miso.parsers.cells import text_value
from tap_miso.parsers.dx_lmp_typed import (
    LMP_FORMAT,
    Batch,
    Group,
    LmpRecord,
    dx_lmp_batches,
    lmp_groups,
)
from tap_miso.parsers.dx_records import DxTime, dx_run_key, dx_starts_ascending
from tap_miso.parsers.errors import PayloadError
from tap_miso.parsers.five_min_zip import LabelRuns, parse_5min_lmp_csv, split_5min_lmp_zip
from tap_miso.parsers.rows import sort_chunks_within_runs
from tap_miso.sources import data_exchange as dx
from tap_miso.sources import market_reports as mr
from tap_miso.sources import public_api
from tap_miso.sources.base import (
    DATA_EXCHANGE,
    MARKET_REPORT,
    PUBLIC_API,
    FetchContext,
    Row,
    SourceSpec,
)
from tap_miso.sources.node_types import node_types
from tap_miso.streams.base import MisoStream
from tap_miso.streams.pricing import (
    LMP_HASH_FIELDS,
    LMP_PROPERTIES,
    _node_type,
    already_final,
    derive_mec,
    load_latest_revision,
)

# -- 5-minute label conventions (FORMATS §1.2, §1.3) ---------------------------------------------

START = "start"
END = "end"

#: DX 5-minute ``start`` is the interval START since MISO's 2026-05-06 fix, and MISO serves
#: history corrected too (FORMATS §1.2 release note). Before the fix ``start`` held the END.
DX_LABEL = START
#: MR ``Time (EST)`` (5min_exante_lmp.xlsx) and ``MKTHOUR_EST`` (5MIN_LMP.zip): START vs END is
#: UNVERIFIED (FORMATS §1.2, Q5). Public client code treats both as START, and so do we.
#: OPEN QUESTION: cross-check one day against the Data Exchange; if they turn out to be END
#: labels, change these two constants (records then shift by 5 minutes).
MR_EXANTE_LABEL = START
MR_WEEKLY_LABEL = START
#: Public ``GetRealTimeFiveMinExPost`` ``INTERVAL`` is the interval END (FORMATS §1.2, high
#: confidence: public client code fixed this in 2026-09).
PUBLIC_EXPOST_LABEL = END


def five_minute_interval(label: datetime, convention: str) -> timeutil.Interval:
    """Interval of a naive EST 5-minute label written with ``convention`` (FORMATS §1.3)."""
    if convention == START:
        return timeutil.five_minute_from_start(label)
    return timeutil.five_minute_from_end(label)


def hour_ending_of(interval: timeutil.Interval) -> int:
    """MISO hour ending (1..24) that contains a 5-minute interval (FORMATS §1.1 T4).

    Every node of an interval asks for it, one after another, so it is computed once per
    interval (bounded cache) and the last answer is kept for the next row.
    """
    global _LAST_HE
    last = _LAST_HE
    if last[0] is interval:
        return last[1]
    he = _HE_CACHE.get(interval)
    if he is None:
        if len(_HE_CACHE) >= 4096:
            _HE_CACHE.clear()
        offset = interval.start - timeutil.market_day_start(interval.market_date)
        he = _HE_CACHE[interval] = offset // timeutil.HOUR + 1
    _LAST_HE = (interval, he)
    return he


_HE_CACHE: dict[timeutil.Interval, int] = {}
_LAST_HE: tuple[timeutil.Interval | None, int] = (None, 0)


def placed(
    ctx: FetchContext,
    day: date,
    rows: Iterable[Row],
    convention: str,
    where: str,
    *,
    label_of: Callable[[Row], datetime | None] = lambda r: r.get("label"),
    required: tuple[str, ...] = (),
    stop_past_day: bool = False,
) -> Iterator[tuple[timeutil.Interval, Row]]:
    """``(interval, row)`` for the rows that fall on market date ``day``.

    Sources hand out windows, not market days (FORMATS §3.2 Semantics, §7.3): each row is
    assigned to the market date of its own interval and rows of other dates are skipped. A row
    without a usable label or with a null key field cannot be keyed, so it is skipped and
    counted in a warning. ``stop_past_day`` stops at the first row after ``day`` (ordered
    feeds only).
    """
    unusable = other_day = 0
    last_label: datetime | None = None
    interval: timeutil.Interval | None = None
    interval_day: date | None = None
    for row in rows:
        label = label_of(row)
        if label is None or _lacks(row, required):
            unusable += 1
            continue
        if label != last_label:  # thousands of rows share each label
            last_label, interval = label, five_minute_interval(label, convention)
            interval_day = interval.market_date
        assert interval is not None and interval_day is not None
        if interval_day != day:
            if stop_past_day and interval_day > day:
                break
            other_day += 1
            continue
        yield interval, row
    _report_skips(ctx, day, where, unusable, other_day)


def placed_blocks(
    ctx: FetchContext,
    day: date,
    blocks: Iterable[five_min_blocks.Block],
    fields: tuple[str, ...],
    convention: str,
    where: str,
    types: dict[str, str | None],
    *,
    price_type: str,
    revision: str | None,
    required: tuple[str, ...] = (),
) -> Iterator[Row]:
    """`source_row` of each `placed` row of ``blocks`` (`five_min_blocks`), without unpacking
    them: interval, market date and hour ending once per block, node facts once per node, one
    dict per row. Same rows, skips and log lines as `unpack` + `placed` + `source_row`
    (tests/unit/test_pricing_5min_blocks.py); a row of another shape goes through those.
    ``fields`` is ``EXANTE_FIELDS`` or ``WEEKLY_FIELDS``; ``required`` at most ``("node",)``.
    """
    if fields not in (five_min_blocks.EXANTE_FIELDS, five_min_blocks.WEEKLY_FIELDS) or not set(
        required
    ) <= {"node"}:
        raise ValueError(f"placed_blocks: unsupported fields {fields} or required {required}")
    need_node = bool(required)
    hubs = vocabulary.TRADING_HUBS
    facts: dict[Any, tuple[str | None, bool]] = {}
    nodes: list[Any] = []
    unusable = other_day = 0
    last_label: datetime | None = None
    interval: timeutil.Interval | None = None
    on_day = False
    he = 0
    for label, raw_label, new_nodes, raw_columns, others in blocks:
        if new_nodes is not None:
            nodes = new_nodes
        if label is None:
            unusable += len(nodes)
            continue
        usable = len(nodes)
        if need_node:  # a plain row's node is in `nodes`; a row of another shape has None there
            usable -= nodes.count(None) - len(others)
            usable -= sum(1 for r in others.values() if _lacks(r, required))
        unusable += len(nodes) - usable
        if not usable:
            continue
        if label != last_label:  # as `placed`: once per label, for a label with a usable row
            last_label, interval = label, five_minute_interval(label, convention)
            on_day = interval.market_date == day
            he = hour_ending_of(interval) if on_day else 0
        if not on_day:
            other_day += usable
            continue
        columns = [array("d", raw) for raw in raw_columns]
        if len(fields) == 4:  # lmp, mec, mlc, mcc
            plain = zip(nodes, columns[0], columns[1], columns[3], columns[2], strict=True)
        else:  # lmp, mcc, mlc: MEC derived
            plain = (
                (node, lmp, round(lmp - mcc - mlc, 6), mcc, mlc)
                for node, lmp, mcc, mlc in zip(nodes, *columns, strict=True)
            )
        for index, (node, lmp, mec, mcc, mlc) in enumerate(plain):
            if others and index in others:
                r = others[index]
                if not _lacks(r, required):
                    yield source_row(
                        interval, r, types, raw_label=r["raw_label"], price_type=price_type,
                        revision=revision,
                    )
                continue
            if node is None and need_node:
                continue
            fact = facts.get(node)
            if fact is None:
                fact = facts[node] = (_node_type(types.get(node)), node in hubs)
            yield {
                "interval": interval,
                "node": node,
                "node_type": fact[0],
                "is_trading_hub": fact[1],
                "price_type": price_type,
                "revision": revision,
                "hour_ending": he,
                "lmp": lmp,
                "mec": mec,
                "mcc": mcc,
                "mlc": mlc,
                "_invalid": [],
                "raw_time_label": raw_label,
            }
    _report_skips(ctx, day, where, unusable, other_day)


def _report_skips(ctx: FetchContext, day: date, where: str, unusable: int, other_day: int) -> None:
    """The skip log lines of `placed`."""
    if unusable:
        ctx.logger.warning(
            "%s %s: %s: %d rows without a usable time label or key skipped",
            ctx.stream,
            day,
            where,
            unusable,
        )
    if other_day:
        ctx.logger.info(
            "%s %s: %s: %d rows of other market dates skipped", ctx.stream, day, where, other_day
        )


def _lacks(row: Row, required: tuple[str, ...]) -> bool:
    """True when a required key field of ``row`` is null (a loop: no generator per row)."""
    for name in required:  # noqa: SIM110
        if row.get(name) is None:
            return True
    return False


def no_data(detail: str, source: str, url: str) -> NoDataError:
    """A "no data" outcome decided without a request (the base moves to the next source)."""
    return NoDataError(detail, source=source, url=url)


def dx_raw_label(time: Any) -> str | None:
    """The DX label as written: ``timeInterval.value`` (= START since the fix, §1.2)."""
    if time.value is not None:
        return str(time.value)
    return time.start.isoformat(sep=" ") if time.start is not None else None


def dx_in_time_order(pages: Iterable[bytes]) -> Iterator[dict]:
    """DX records in ascending ``start`` order.

    The record order across pages is not documented (FORMATS §2.2, Q4). A cheap first pass
    reads only the start times (`dx_page_starts`) and checks the order; only an unordered day
    is sorted whole (memory: every record at once). Each page is then decoded batch by batch.
    """
    if dx_starts_ascending(pages):
        return dx.iter_records(pages)
    return iter(_sorted_records(pages))


def dx_lmp_in_time_order(pages: Iterable[bytes]) -> Iterator[Batch]:
    """`dx_in_time_order` for LMP pages, as batches typed where possible (`dx_lmp_batches`)."""
    if dx_starts_ascending(pages):
        return dx_lmp_batches(pages)
    return iter([(False, _sorted_records(pages))])


def _sorted_records(pages: Iterable[bytes]) -> list[dict]:
    return sorted(dx.iter_records(pages), key=lambda r: dx_time(r).start or datetime.max)


# -- rows ----------------------------------------------------------------------------------------

LMP_5MIN_PROPERTIES = th.PropertiesList(
    *LMP_PROPERTIES.wrapped.values(),
    th.Property(
        "raw_time_label",
        th.StringType,
        description="The interval label as the source wrote it (FORMATS T6): DX and Market "
        "Reports label the START, the public API the END. Not part of record_hash.",
    ),
)


def source_row(
    interval: timeutil.Interval,
    r: Row,
    types: dict[str, str | None],
    *,
    raw_label: str | None,
    price_type: str,
    revision: str | None,
) -> Row:
    """The row of parsed source row ``r`` (node, prices, invalid cells): `lmp_row`'s fields in
    its order plus ``raw_time_label``; a source without MEC leaves it to be derived.

    Built in one dict, not through `lmp_row`'s keyword call: every record of a keyless day
    (1.5M) passes here (tests/unit/test_pricing_5min_rows.py keeps the two in step)."""
    node = r["node"]
    lmp, mec, mcc, mlc = r["lmp"], r.get("mec"), r["mcc"], r["mlc"]
    return {
        "interval": interval,
        "node": node,
        "node_type": _node_type(types.get(node)),
        "is_trading_hub": node in vocabulary.TRADING_HUBS,
        "price_type": price_type,
        "revision": revision,
        "hour_ending": hour_ending_of(interval),
        "lmp": lmp,
        "mec": mec if mec is not None else derive_mec(lmp, mcc, mlc),
        "mcc": mcc,
        "mlc": mlc,
        "_invalid": list(r["_invalid"]),
        "raw_time_label": raw_label,
    }


# -- Data Exchange ------------------------------------------------------------------------------

_DX_PATH = {"ex_ante": "real-time/{date}/lmp-exante", "ex_post": "real-time/{date}/lmp-expost"}


def load_dx(ctx: FetchContext, day: date, part: str) -> tuple[str | None, Iterable[bytes]]:
    """(revision, pages) of one part; ex-post is final when published, else preliminary."""
    path = dx.day_path(_DX_PATH[part], day)
    if part == "ex_ante":
        return None, dx.load_node_pages(ctx, path, {})
    return load_latest_revision(
        ctx,
        day,
        lambda rev: dx.load_node_pages(
            ctx, path, {"timeResolution": "5min", "preliminaryFinal": dx.PRELIMINARY_FINAL[rev]}
        ),
    )


def parse_dx(
    ctx: FetchContext, day: date, part: str, loaded: tuple[str | None, Iterable[bytes]]
) -> Iterator[Row]:
    """DX 5-minute LMP records -> rows, ascending by interval then node.

    The hot path of the stream (750,000 records per part and day). Pages are decoded a batch
    at a time, typed where the batch has the common shape (`dx_lmp_typed`), else by the general
    record parser; both give groups of records sharing a time object, whose rows are built
    in one loop (interval, hour ending and raw label once per group, node facts once per
    node) and sorted by node within each interval (`sort_chunks_within_runs`). Rows, order,
    skips and log lines are those of `parse_dx_lmp_records` + `placed` + `source_row`.
    """
    revision, pages = loaded
    rows = _DxRows(day, part, revision, node_types(ctx, day))
    groups = lmp_groups(dx_lmp_in_time_order(pages), ctx.drift_callback(DATA_EXCHANGE))
    yield from sort_chunks_within_runs(rows.chunks(groups), _BY_NODE, LMP_FORMAT)
    rows.report(ctx, day)


_BY_NODE = itemgetter("node")


class _DxRows:
    """Stream rows of DX LMP record groups, with the skip counts of `placed`."""

    def __init__(
        self, day: date, part: str, revision: str | None, types: dict[str, str | None]
    ) -> None:
        self.day, self.part, self.revision, self.types = day, part, revision, types
        # raw node -> (text_value, node_type, is_trading_hub); text_value is idempotent, so
        # general rows (node already text) share the entries
        self.facts: dict[str, tuple[str | None, str | None, bool]] = {}
        self.unusable = self.other_day = 0

    def fact(self, raw: str) -> tuple[str | None, str | None, bool]:
        """Facts of a node, once per distinct raw string."""
        fact = self.facts.get(raw)
        if fact is None:
            node = text_value(raw)
            if node is None:
                fact = (None, None, False)
            else:
                fact = (node, _node_type(self.types.get(node)), node in vocabulary.TRADING_HUBS)
            self.facts[raw] = fact
        return fact

    def chunks(self, groups: Iterable[Group]) -> Iterator[tuple[Any, list[Row]]]:
        """``(run key, rows)`` per group; skipped records are counted, not returned."""
        last_label: datetime | None = None
        interval: timeutil.Interval | None = None
        on_day = False
        he = 0
        for time, typed, items in groups:
            label = time.start
            if label is not None and label != last_label:
                last_label, interval = label, five_minute_interval(label, DX_LABEL)
                on_day = interval.market_date == self.day
                he = hour_ending_of(interval) if on_day else 0
            if label is None:
                self.unusable += len(items)
                yield dx_run_key(time), []
            elif not on_day:
                if typed:
                    null = sum(1 for r in items if self.fact(r.node)[0] is None)
                else:
                    null = sum(1 for r in items if r.get("node") is None)
                self.unusable += null
                self.other_day += len(items) - null
                yield dx_run_key(time), []
            else:
                build = self._typed if typed else self._general
                yield dx_run_key(time), build(items, interval, he, dx_raw_label(time), time)

    def _typed(
        self, items: list[LmpRecord], interval: Any, he: int, raw_label: Any, time: DxTime
    ) -> list[Row]:
        out: list[Row] = []
        append = out.append
        facts, fact_of, part, revision = self.facts, self.fact, self.part, self.revision
        bad_time = bool(time.invalid)
        for r in items:
            fact = facts.get(r.node) or fact_of(r.node)
            node = fact[0]
            if node is None:
                self.unusable += 1
                continue
            lmp, mec, mcc, mlc = r.lmp, r.mec, r.mcc, r.mlc
            append(
                {
                    "interval": interval,
                    "node": node,
                    "node_type": fact[1],
                    "is_trading_hub": fact[2],
                    "price_type": part,
                    "revision": revision,
                    "hour_ending": he,
                    "lmp": lmp,
                    "mec": mec if mec is not None else derive_mec(lmp, mcc, mlc),
                    "mcc": mcc,
                    "mlc": mlc,
                    "_invalid": ["time"] if bad_time else [],
                    "raw_time_label": raw_label,
                }
            )
        return out

    def _general(
        self, items: list[Row], interval: Any, he: int, raw_label: Any, time: DxTime
    ) -> list[Row]:
        """Rows of general records (``he`` is `hour_ending_of` ``interval``, as `source_row`
        computes it)."""
        out: list[Row] = []
        for r in items:
            if r.get("node") is None:
                self.unusable += 1
                continue
            out.append(
                source_row(
                    interval,
                    r,
                    self.types,
                    raw_label=raw_label,
                    price_type=self.part,
                    revision=self.revision,
                )
            )
        return out

    def report(self, ctx: FetchContext, day: date) -> None:
        """The skip log lines of `placed`."""
        _report_skips(ctx, day, DATA_EXCHANGE, self.unusable, self.other_day)


# -- Market Reports: daily ex-ante xlsx ----------------------------------------------------------

EXANTE_XLSX = "5min_exante_lmp.xlsx"


def _parse_in_child(ctx: FetchContext) -> bool:
    """True when the big 5-minute files are parsed in a child process (`parallel_parsing`;
    MISO's are always full size, ~750,000 rows: no size test)."""
    return ctx.settings.parallel_parsing and offload.available()


def _exante_blocks(ctx: FetchContext, data: BinaryIO) -> Iterator[five_min_blocks.Block] | None:
    """The workbook's rows packed by a child process (`_parse_in_child`: it reads the same
    open file), or None: parse it in this process."""
    if not _parse_in_child(ctx):
        return None
    try:
        fd = data.fileno()
    except (AttributeError, OSError, ValueError):  # not a file of its own (bytes in memory)
        return None
    callback = ctx.drift_callback(MARKET_REPORT)
    return five_min_blocks.blocks_in_child(
        "tap_miso.parsers.five_min_blocks:exante_blocks",
        (fd,),
        five_min_blocks.EXANTE_FIELDS,
        lambda: parse_5min_exante_lmp_xlsx(data, on_unexpected_columns=callback),
        what=EXANTE_XLSX,
        fds=(fd,),
        on_unexpected_columns=callback,
    )


def parse_exante_xlsx(ctx: FetchContext, day: date, data: BinaryIO) -> Iterator[Row]:
    """``5min_exante_lmp.xlsx`` (FORMATS §4.2; MEC present) -> ex-ante rows; closes ``data``."""
    types = node_types(ctx, day)
    with data:
        blocks = _exante_blocks(ctx, data)
        if blocks is not None:
            yield from placed_blocks(
                ctx, day, blocks, five_min_blocks.EXANTE_FIELDS, MR_EXANTE_LABEL, EXANTE_XLSX,
                types, price_type="ex_ante", revision=None, required=("node",),
            )
            return
        rows = parse_5min_exante_lmp_xlsx(
            data, on_unexpected_columns=ctx.drift_callback(MARKET_REPORT)
        )
        for interval, r in placed(
            ctx, day, rows, MR_EXANTE_LABEL, EXANTE_XLSX, required=("node",)
        ):
            yield source_row(
                interval, r, types, raw_label=r["raw_label"], price_type="ex_ante", revision=None
            )


# -- Market Reports: weekly final zip ------------------------------------------------------------
#
# The weekly zip holds 7 market days of every node (~5M rows, FORMATS §4.2, §7.21, §7.25), and
# every one of those days asks for it. Memory must not hold a week of rows, and the file must be
# downloaded once, not 7 times. So the first date of a week that needs it:
#   1. streams the zip to a temporary file (the HTTP body never sits in memory);
#   2. cuts its member into runs of raw CSV records of one time label (`split_5min_lmp_zip`,
#      no record parsed) and appends each run to its market date's gzip'd CSV spill file, for
#      the dates this run plans only, then deletes the zip;
#   3. every date of the week then parses only its own spill file, which is deleted once read
#      (the week's directory goes when its last file does), so disk use stays about one week.
# The run-wide cache (FetchContext.shared) holds only the file paths, per Monday.

WEEKLY_ZIP = "5MIN_LMP.zip"


def weekly_file_monday(day: date) -> date:
    """Monday M of the weekly zip holding ``day``: M covers [M-14 d, M-7 d) (FORMATS §4.2)."""
    return day - timedelta(days=day.weekday()) + timedelta(days=14)


@dataclass
class WeeklySpill:
    """Per-market-date spill files of one weekly zip."""

    directory: Path
    files: dict[date, Path]
    #: The market dates kept by the split (None: every date of the file).
    kept: frozenset[date] | None = None

    def covers(self, day: date) -> bool:
        """True unless the split skipped ``day``."""
        return self.kept is None or day in self.kept

    def consumed(self, day: date) -> None:
        """Delete a date's file once read; the directory goes with the last one."""
        self.files[day].unlink(missing_ok=True)
        if not any(path.exists() for path in self.files.values()):
            shutil.rmtree(self.directory, ignore_errors=True)


def spill_by_date(
    runs: LabelRuns, directory: Path, kept: frozenset[date] | None = None
) -> dict[date, Path]:
    """Append each run to ``directory/YYYYMMDD.csv.gz`` of its label's market date (the
    ``kept`` dates only, when given); each file starts with the zip's header line. Runs
    without a label (preamble, footer) are dropped, as the parser drops those lines."""
    files: dict[date, Path] = {}
    with ExitStack() as stack:
        spills: dict[date, Any] = {}
        last_label: datetime | None = None
        writer: Any = None
        for label, block in runs.runs:
            if label is None:
                continue
            if label != last_label:
                last_label = label
                day = five_minute_interval(label, MR_WEEKLY_LABEL).market_date
                writer = spills.get(day)
                if writer is None and (kept is None or day in kept):
                    files[day] = directory / f"{day:%Y%m%d}.csv.gz"
                    writer = spills[day] = stack.enter_context(
                        gzip.open(files[day], "wb", compresslevel=1)
                    )
                    writer.write(runs.header)
            if writer is not None:
                writer.write(block)
    return files


def split_weekly_zip(
    ctx: FetchContext, monday: date, kept: frozenset[date] | None = None
) -> WeeklySpill:
    """Download the zip dated ``monday`` once and spill its records per market date: only the
    records of the ``kept`` dates (when given), the others are dropped unparsed."""
    url = mr.report_url(ctx, monday, WEEKLY_ZIP)
    directory = Path(tempfile.mkdtemp(prefix=f"tap-miso-5min-{monday:%Y%m%d}-"))
    # Dates of the week this run never reads are removed when the process ends.
    atexit.register(shutil.rmtree, directory, True)
    archive = directory / WEEKLY_ZIP
    try:
        with archive.open("wb") as out:
            mr.download(ctx, url, out)
        with archive.open("rb") as fh:
            runs = split_5min_lmp_zip(fh, on_unexpected_columns=ctx.drift_callback(WEEKLY_ZIP))
            files = spill_by_date(runs, directory, kept)
    except BaseException as exc:
        shutil.rmtree(directory, ignore_errors=True)
        if isinstance(exc, PayloadError):  # name the file: its date is not the market date
            raise PayloadError(
                exc.format_name, f"{url_path(url)}: {exc.message}", exc.missing_columns
            ) from exc
        raise
    finally:
        archive.unlink(missing_ok=True)
    ctx.logger.info(
        "%s: weekly %s dated %s split into %d market dates%s",
        ctx.stream,
        WEEKLY_ZIP,
        monday,
        len(files),
        "" if kept is None else f" (kept: {', '.join(sorted(map(str, kept))) or 'none'})",
    )
    return WeeklySpill(directory, files, kept)


def week_dates_planned(ctx: FetchContext, monday: date) -> frozenset[date] | None:
    """The dates of the zip dated ``monday`` that this run fetches (None: not known)."""
    if ctx.planned is None:
        return None
    first, last = ctx.planned
    week = (monday - timedelta(days=14 - i) for i in range(7))
    return frozenset(day for day in week if first <= day <= last)


def load_weekly(ctx: FetchContext, day: date) -> tuple[WeeklySpill, Path]:
    """The spill file of ``day`` from the weekly zip (downloaded once per run and week)."""
    monday = weekly_file_monday(day)
    url = mr.report_url(ctx, monday, WEEKLY_ZIP)
    # Published Mondays only; other weekdays 404 (FORMATS §4.2 Schedule, §7.21): no request
    # before the Monday that carries ``day``.
    if ctx.now < timeutil.market_day_start(monday):
        raise no_data(f"weekly file for {day} is published on {monday}", MARKET_REPORT, url)
    key = ("5min_lmp_zip", monday)
    spill = ctx.once(key, lambda: split_weekly_zip(ctx, monday, week_dates_planned(ctx, monday)))
    # Read once already, or skipped as not planned: split again, every date this time.
    if not spill.covers(day) or (day in spill.files and not spill.files[day].exists()):
        ctx.forget(key)
        spill = ctx.once(key, lambda: split_weekly_zip(ctx, monday))
    if day not in spill.files:
        raise no_data(f"weekly file dated {monday} has no rows for {day}", MARKET_REPORT, url)
    return spill, spill.files[day]


def _spilled_rows(path: Path) -> Iterator[Row]:
    """The rows of one date's spill file, as `parse_5min_lmp_zip` reads them."""
    with gzip.open(path, "rb") as fh:
        yield from parse_5min_lmp_csv(fh)


def parse_weekly(ctx: FetchContext, day: date, loaded: tuple[WeeklySpill, Path]) -> Iterator[Row]:
    """A date's rows of the weekly final zip (no MEC column: derived, FORMATS §4.2, §7.20);
    the spill is parsed by a child process when `_parse_in_child`."""
    spill, path = loaded
    types = node_types(ctx, day)
    if _parse_in_child(ctx):
        blocks = five_min_blocks.blocks_in_child(
            "tap_miso.parsers.five_min_blocks:weekly_blocks",
            (str(path),),
            five_min_blocks.WEEKLY_FIELDS,
            lambda: _spilled_rows(path),
            what=WEEKLY_ZIP,
        )
        yield from placed_blocks(
            ctx, day, blocks, five_min_blocks.WEEKLY_FIELDS, MR_WEEKLY_LABEL, WEEKLY_ZIP, types,
            price_type="ex_post", revision="final",
        )
    else:
        for interval, r in placed(ctx, day, _spilled_rows(path), MR_WEEKLY_LABEL, WEEKLY_ZIP):
            yield source_row(
                interval, r, types, raw_label=r["raw_label"], price_type="ex_post",
                revision="final",
            )
    spill.consumed(day)


def load_mr(ctx: FetchContext, day: date, part: str) -> Any:
    """Ex-ante: the day's xlsx. Ex-post: the day's share of the weekly final zip."""
    if part == "ex_ante":  # on disk: the prefetch holds up to 3 dates' files at once
        return mr.download_report(ctx, day, EXANTE_XLSX)
    return load_weekly(ctx, day)


def parse_mr(ctx: FetchContext, day: date, part: str, loaded: Any) -> Iterator[Row]:
    """Rows of the Market Report that ``load_mr`` fetched for ``part``."""
    if part == "ex_ante":
        return parse_exante_xlsx(ctx, day, loaded)
    return parse_weekly(ctx, day, loaded)


# -- public API ----------------------------------------------------------------------------------

ROLLING = "MarketPricing/GetRealTimeFiveMinExPost/Rolling"
PREVIOUS = "MarketPricing/GetRealTimeFiveMinExPost/Previous"


def public_window(day: date, now: datetime) -> bool:
    """The feeds hold today (Rolling) and yesterday (Previous) only (FORMATS §3.2)."""
    today = timeutil.market_date_of(now)
    return day in (today, today - timedelta(days=1))


def rolling_feed(ctx: FetchContext) -> bytes:
    """``Rolling``, downloaded once per run: yesterday's last interval and today both need it
    (about 16 MB stays in memory for the run)."""
    return public_api.load_feed_once(ctx, ROLLING)


def load_public(ctx: FetchContext, day: date, part: str) -> list[tuple[str, bytes]]:
    """(feed, body) pairs holding ``day``'s preliminary ex-post intervals.

    With END labels, ``Previous`` for yesterday holds labels 00:00..23:55: its first label
    closes the day before, and yesterday's last interval (label today 00:00) is the first
    label of ``Rolling`` (FORMATS §3.2 Semantics, §7.3).
    """
    url = public_api.feed_url(ctx, ROLLING)
    if already_final(ctx, day):
        raise no_data(f"{day} was delivered as final; no preliminary again", PUBLIC_API, url)
    if day == timeutil.market_date_of(ctx.now):
        return [(ROLLING, rolling_feed(ctx))]
    payloads = [(PREVIOUS, public_api.load_feed(ctx, PREVIOUS))]
    try:
        payloads.append((ROLLING, rolling_feed(ctx)))
    except (MisoHttpError, PayloadError) as exc:
        ctx.logger.warning(
            "%s %s: Rolling unavailable (%s); the day's last interval is missing",
            ctx.stream,
            day,
            exc,
        )
    return payloads


def parse_public(
    ctx: FetchContext, day: date, part: str, payloads: list[tuple[str, bytes]]
) -> Iterator[Row]:
    """Public preliminary ex-post rows of ``day`` (no MEC: derived), END labels."""
    types = node_types(ctx, day)
    earlier: set[datetime] = set()
    for feed, data in payloads:
        seen: set[datetime] = set()
        rows = parse_public_five_min_expost(
            data, on_unexpected_columns=ctx.drift_callback(PUBLIC_API)
        )
        for interval, r in placed(
            ctx,
            day,
            rows,
            PUBLIC_EXPOST_LABEL,
            feed,
            required=("node",),
            stop_past_day=feed == ROLLING and len(payloads) > 1,
        ):
            if interval.start in earlier:
                continue  # overlapping windows: the earlier feed already gave it
            seen.add(interval.start)
            yield source_row(
                interval,
                r,
                types,
                raw_label=r["raw_label"],
                price_type="ex_post",
                revision="preliminary",
            )
        earlier |= seen


# -- stream -------------------------------------------------------------------------------------


class LmpRealTime5MinStream(MisoStream):
    """Real-time 5-minute LMP by node: ex-ante, and ex-post preliminary then final."""

    name = "lmp_real_time_5min"
    primary_keys = ("node", "interval_start_utc", "price_type")
    dataset_properties = LMP_5MIN_PROPERTIES
    # raw_time_label stays out of the hash: START vs END labels differ per source (T6).
    hash_fields = LMP_HASH_FIELDS
    parts = ("ex_ante", "ex_post")
    node_field = "node"
    default_lookback_days = 7
    publish_delay = timedelta(hours=31)  # DX and MR: D+1 07:00 EST
    latest_offset_days = 0  # today, from the public API's Rolling window
    revision_field = "revision"
    source_specs: ClassVar[tuple[SourceSpec, ...]] = (
        SourceSpec(
            source=DATA_EXCHANGE,
            product="pricing",
            load=load_dx,
            parse=parse_dx,
            description="pricing/v1/real-time/{date}/lmp-exante; lmp-expost?timeResolution=5min"
            "&preliminaryFinal=Final|Preliminary",
        ),
        SourceSpec(
            source=MARKET_REPORT,
            load=load_mr,
            parse=parse_mr,
            description="YYYYMMDD_5min_exante_lmp.xlsx; weekly YYYYMMDD_5MIN_LMP.zip (final)",
        ),
        SourceSpec(
            source=PUBLIC_API,
            load=load_public,
            parse=parse_public,
            serves=public_window,
            parts=("ex_post",),  # no all-node ex-ante 5-minute LMP in the public API
            description="MarketPricing/GetRealTimeFiveMinExPost/Rolling (today), /Previous "
            "(yesterday)",
        ),
    )


STREAMS = (LmpRealTime5MinStream,)
