"""The shared machinery of every time-series stream: planning, source fallback, state, records.

A concrete stream only declares its name, keys, schema fields, resolution, publication delay and
ordered :class:`~tap_miso.sources.base.SourceSpec` list (STYLE.md: each dataset declared once).
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
import singer_sdk.singerlib as singer
from singer_sdk import Stream
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter, serialize_jsonl
from singer_sdk.contrib.msgspec import encoder as msgspec_encoder
from singer_sdk.helpers._util import utc_now as sdk_utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.mapper import SameRecordTransform

from tap_miso import timeutil
from tap_miso.http.errors import (
    AuthError,
    BadPathError,
    MisoHttpError,
    NoDataError,
)
from tap_miso.parsers.errors import PayloadError
from tap_miso.quality import StreamQuality, is_error
from tap_miso.sources.base import FetchContext, Row, SourceSpec
from tap_miso.streams.interval_merge import merge_by_interval

if TYPE_CHECKING:
    from tap_miso.tap import TapMiso

#: Fields every time-series record carries (DESIGN.md §3).
CONTRACT_FIELDS = th.PropertiesList(
    th.Property(
        "interval_start_utc",
        th.DateTimeType,
        required=True,
        description="Interval start, UTC, ISO 8601 with Z. Replication key.",
    ),
    th.Property(
        "interval_end_utc",
        th.DateTimeType,
        required=True,
        description="Interval end (exclusive), UTC.",
    ),
    th.Property(
        "market_date",
        th.DateType,
        required=True,
        description="MISO market day (EST) the interval belongs to.",
    ),
    th.Property(
        "interval_start_local",
        th.StringType,
        required=True,
        description="Interval start in source time with offset (-05:00 for EST).",
    ),
    th.Property(
        "source_timezone",
        th.StringType,
        required=True,
        description="Time zone the source labels time in: EST (fixed UTC-5) or UTC.",
    ),
    th.Property(
        "source",
        th.StringType,
        required=True,
        description="data_exchange, market_report or public_api.",
    ),
    th.Property(
        "record_hash",
        th.StringType,
        required=True,
        description="SHA-256 of the business fields; identical input, identical hash.",
    ),
    th.Property(
        "quality_flags",
        th.ArrayType(th.StringType),
        required=True,
        description="Quality rule names this record broke; empty when clean.",
    ),
)


#: Records handled together by the batch path (post-processing, encoding, one write). Small on
#: purpose: a batch stays in the CPU cache between stages (2,000 ran slower than one at a time;
#: 30 to 100 ran ~15% faster, bench/RESULTS.md).
BATCH_SIZE = 64


class SourceChainError(RuntimeError):
    """Every source of a stream failed for a market date (not merely 'no data')."""


class MisoStream(Stream):
    """Base class of MISO time-series streams."""

    replication_key = "interval_start_utc"
    is_sorted = True
    #: Records are built JSON-native (ISO strings, floats, ints, bools, lists of strings) and
    #: carry only schema properties, so the SDK's per-record type conformance is skipped
    #: (``tests/unit/test_fast_path_schema.py`` validates every record against its schema).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    #: Business fields hashed into ``record_hash`` (never extraction metadata such as source).
    hash_fields: ClassVar[tuple[str, ...]] = ()
    #: Extra schema properties of the dataset.
    dataset_properties: ClassVar[th.PropertiesList]
    source_specs: ClassVar[tuple[SourceSpec, ...]] = ()
    default_lookback_days: ClassVar[int] = 1
    #: When the first source is expected to have a market date, relative to its 00:00 EST.
    publish_delay: ClassVar[timedelta] = timedelta(0)
    #: Extra time before a missing date counts as a gap rather than "not yet published".
    gap_grace: ClassVar[timedelta] = timedelta(hours=12)
    #: Latest market date worth asking for, relative to today's market date.
    latest_offset_days: ClassVar[int] = 0
    #: Parts of a market date, each fetched through its own source chain and merged by time.
    parts: ClassVar[tuple[str, ...]] = ("all",)
    #: Field holding ``preliminary``/``final`` for streams whose market revises its data.
    revision_field: ClassVar[str | None] = None
    #: Field whose value must be in ``settings.nodes`` when the node filter is set.
    node_field: ClassVar[str | None] = None
    #: What a planned date is, for the logs (forecast streams plan vintages).
    planned_unit: ClassVar[str] = "market dates"

    def __init__(self, tap: TapMiso, **kwargs: Any) -> None:
        schema = th.PropertiesList(
            *CONTRACT_FIELDS.wrapped.values(), *self.dataset_properties.wrapped.values()
        ).to_dict()
        super().__init__(tap, schema=schema, **kwargs)
        self._miso_tap = tap

    # -- SDK hooks -----------------------------------------------------------------------------

    @property
    def check_sorted(self) -> bool:
        """Lookback re-reads records before the old bookmark, so the SDK must not reject them.

        Ascending order inside a run is still guaranteed (and checked) by :meth:`get_records`.
        """
        return False

    def get_records(self, context: dict | None) -> Iterable[dict]:
        """Plan the market dates, fetch each from the first source that serves it, emit.

        Records leave in ascending ``(replication key, interval_start_utc)`` order: for most
        streams the replication key is ``interval_start_utc`` itself; for forecast streams it
        is the vintage (:class:`~tap_miso.streams.load.VintagedStream`).
        """
        for batch in self._record_batches(context):
            yield from batch

    def _record_batches(self, context: dict | None) -> Iterator[list[dict]]:
        """The records of :meth:`get_records` in lists of up to :data:`BATCH_SIZE`.

        A batch never spans two market dates: the STATE checkpoint of a date boundary is
        written when the consumer asks for the next date's first batch, after it has handled
        every record of the previous date (as with single records). A batch also ends before
        the record that marks a date final, so a STATE written while the batch is handled
        never claims a date final before its first final record. When a source or the order
        check fails part-way, the records read before the failure are yielded first.
        """
        settings = self._miso_tap.settings
        now = self._miso_tap.now()
        first, last, emit_from = self.plan_window(context, now)
        if first > last:
            self.logger.info(
                "%s: nothing to fetch (%s %s..%s)", self.name, self.planned_unit, first, last
            )
            return
        self.logger.info("%s: %s %s..%s", self.name, self.planned_unit, first, last)
        state = self.get_context_state(context)
        self._bookmarked_value = None
        self._planned = (first, last)
        tap = self._miso_tap
        tap.shared_cache[(self.name, "final_dates")] = frozenset(state.get("final_dates") or ())
        key = self.replication_key
        nodes = settings.nodes
        node_field = self.node_field if nodes else None
        revision_field = self.revision_field
        previous: tuple[str, str] = ("", "")
        marked = ""  # market date last marked final (thousands of records share it)
        for day, prefetched in self._prefetch(timeutil.date_range(first, last), now):
            if previous[0]:
                # Checkpoint at every market-date boundary, so a run that fails (or is killed)
                # later resumes from the last complete date (DESIGN.md §5).
                self._write_state_message()
            records = self._records_for_date(day, prefetched, now)
            if records is None:
                break  # not yet published: later dates cannot be either
            batch: list[dict] = []
            append = batch.append
            try:
                for record in records:
                    if emit_from and record[key] < emit_from:
                        continue
                    if node_field and record[node_field] not in nodes:
                        continue
                    order = (record[key], record["interval_start_utc"])
                    if order < previous:
                        raise SourceChainError(
                            f"{self.name}: records out of order on {day} "
                            f"({_order_text(order)} after {_order_text(previous)})"
                        )
                    previous = order
                    if (
                        revision_field
                        and record[revision_field] == "final"
                        and record["market_date"] != marked
                    ):
                        if batch:
                            yield batch
                            batch = []
                            append = batch.append
                        marked = record["market_date"]
                        self._mark_final(state, marked)
                    append(record)
                    if len(batch) >= BATCH_SIZE:
                        yield batch
                        batch = []
                        append = batch.append
            except Exception:
                if batch:
                    yield batch  # what was read before the failure still goes out first
                raise
            if batch:
                yield batch

    def _mark_final(self, state: dict, market_date: str) -> None:
        """Remember dates delivered as final: they are never re-sent as preliminary.

        Kept in the stream's state for the last 60 days, beyond any lookback window.
        """
        dates = set(state.get("final_dates") or ())
        if market_date in dates:
            return
        dates.add(market_date)
        horizon = (date.fromisoformat(market_date) - timedelta(days=60)).isoformat()
        state["final_dates"] = sorted(d for d in dates if d >= horizon)
        self._miso_tap.shared_cache[(self.name, "final_dates")] = frozenset(state["final_dates"])

    def post_process(self, row: dict, context: dict | None = None) -> dict | None:
        """Apply quality rules and the invalid-record policy; add ``record_hash``."""
        row["record_hash"] = self.record_hash(row)
        # Rules add their flags to quality_flags; only error flags meet the policy (an
        # ``outlier`` is a warning: kept as received, never dropped, never fails the run).
        # With ``quality_checks`` off only the parsers' invalid-cell flags are there.
        errors = self._quality.check(row) if self._quality_checks else _error_flags(row)
        if errors and not self._keep_invalid(row, errors):
            return None
        self._miso_tap.records.add(self.name)
        return row

    def _keep_invalid(self, row: dict, errors: list[str]) -> bool:
        """:func:`keep_invalid` for a record of this stream."""
        return keep_invalid(
            self._miso_tap,
            self.name,
            lambda: f"on market date {row['market_date']} from {row['source']} "
            f"({', '.join(errors)}); key { {k: row.get(k) for k in self.primary_keys} }",
        )

    def _post_process_batch(self, batch: list[dict]) -> tuple[list[dict], Exception | None]:
        """:meth:`post_process` over a batch, in order: (records kept, error to raise after them).

        The "fail" policy's error comes back instead of being raised, so the records before the
        invalid one are written first, as they would be one at a time.
        """
        values = self._hash_values
        sha256, dumps = hashlib.sha256, orjson.dumps
        for row in batch:
            try:
                hashed = values(row)
            except KeyError:  # a field absent from this record: hashed as null
                hashed = self._hash_list(row)
            row["record_hash"] = sha256(dumps(hashed)).hexdigest()
        if self._quality_checks:
            errors_by_row = self._quality.check_many(batch)
        else:
            errors_by_row = [_error_flags(row) if row["quality_flags"] else () for row in batch]
        kept = batch
        if any(errors_by_row):
            kept = []
            for row, errors in zip(batch, errors_by_row, strict=True):
                try:
                    if errors and not self._keep_invalid(row, errors):
                        continue
                except SourceChainError as exc:
                    self._miso_tap.records.add(self.name, len(kept))
                    return kept, exc
                kept.append(row)
        self._miso_tap.records.add(self.name, len(kept))
        return kept, None

    def _sync_records(
        self, context: dict | None = None, *, write_messages: bool = True
    ) -> Iterator[dict]:
        """The SDK's record loop, a batch at a time when nothing needs it record by record.

        Same messages in the same order as the SDK's loop (RECORD lines, the STATE every
        ``STATE_MSG_FREQUENCY`` records and at date boundaries, the final STATE), with one
        ``post_process`` pass, one encoder call and one write per batch. Partitions, child
        streams, a record limit, another message writer, a narrowed selection or subclass
        hooks run through the SDK's loop unchanged.
        """
        if not self._batch_sync_applies(context, write_messages):
            yield from super()._sync_records(context, write_messages=write_messages)
            return
        record_counter = self.get_record_counter()
        timer = self.get_sync_timer()
        frequency = self.STATE_MSG_FREQUENCY
        written = 0
        with record_counter, timer:
            record_counter.with_context({})
            timer.with_context({})
            self._write_starting_replication_value(None)
            for batch in self._record_batches(None):
                kept, failure = self._post_process_batch(batch)
                start = 0
                while start < len(kept):
                    # Split where the SDK would write its every-N-records STATE.
                    stop = min(len(kept), start + frequency - written % frequency)
                    chunk = kept[start:stop] if start or stop < len(kept) else kept
                    self._write_record_batch(chunk)
                    self._increment_stream_state(chunk[-1], context=None)
                    written += len(chunk)
                    if written % frequency == 0:
                        self._write_state_message()
                    record_counter.increment(len(chunk))
                    start = stop
                yield from kept
                if failure is not None:
                    raise failure
            self._finalize_state(self.get_context_state(None))
        self._finalize_state(self.stream_state)
        self._write_state_message()

    def _batch_sync_applies(self, context: dict | None, write_messages: bool) -> bool:
        """True when :meth:`_sync_records` may work a batch at a time (see there)."""
        cls = type(self)
        return (
            context is None
            and write_messages
            and self.selected
            and not self.partitions
            and not self.child_streams
            and self.ABORT_AT_RECORD_COUNT is None
            and type(self._tap.message_writer) is MsgSpecWriter
            and self._selection_is_noop()
            and cls.get_records is MisoStream.get_records
            and cls.post_process is MisoStream.post_process
            and cls._write_record_message is MisoStream._write_record_message
            and cls._increment_stream_state is MisoStream._increment_stream_state
        )

    def _write_record_batch(self, records: list[dict]) -> None:
        """RECORD lines of ``records`` in one write, byte for byte what the SDK's writer writes.

        The records are encoded in one ``encode_lines`` call with the SDK's msgspec encoder and
        wrapped in the message envelope (``type``, ``stream``, ``record``, ``version``,
        ``time_extracted``, in ``RecordMessage.to_dict`` order); JSON text never holds a raw
        newline, so the line breaks split records exactly. ``time_extracted`` is taken once per
        batch. Stream maps that change records are applied record by record first.
        """
        encode = msgspec_encoder.encode
        extracted = b',"time_extracted":' + encode(sdk_utc_now())
        if self._stream_version is not None:
            extracted = b',"version":' + encode(self._stream_version) + extracted
        tail = extracted + b"}"
        out = sys.stdout.buffer
        for stream_map in self.stream_maps:
            if _is_identity_map(stream_map):
                mapped = records
            else:
                mapped = [m for m in map(stream_map.transform, records) if m is not None]
                if not mapped:
                    continue
            head = b'{"type":"RECORD","stream":' + encode(stream_map.stream_alias) + b',"record":'
            body = msgspec_encoder.encode_lines(mapped)
            out.write(head + body[:-1].replace(b"\n", tail + b"\n" + head) + tail + b"\n")
        self.state_manager.is_flushed = False

    def _selection_is_noop(self) -> bool:
        """True when the catalog selects every property and conformance is ``NONE``.

        Then the SDK's ``pop_deselected_record_properties`` removes nothing and
        ``conform_record_data_types`` returns the record as is, so both can be skipped.
        """
        mask = self.mask
        if mask is not self._checked_mask:
            self._checked_mask = mask
            self._all_selected = all(mask.values())
        return self._all_selected and self.TYPE_CONFORMANCE_LEVEL is TypeConformanceLevel.NONE

    def _generate_record_messages(self, record: dict) -> Iterator[singer.RecordMessage]:
        """The SDK's RECORD messages, without its per-record selection walk when it is a no-op
        (see :meth:`_selection_is_noop`); any deselected property uses the SDK's own method."""
        if not self._selection_is_noop():
            yield from super()._generate_record_messages(record)
            return
        for stream_map in self.stream_maps:
            mapped_record = stream_map.transform(record)
            if mapped_record is not None:
                yield singer.RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped_record,
                    version=self._stream_version,
                    time_extracted=sdk_utc_now(),
                )

    def _write_record_message(self, record: dict) -> None:
        """Write RECORD lines to stdout's binary buffer without a flush per record.

        The SDK's msgspec writer flushes stdout after every message (one ``write`` system call
        per record). Here the same line (same dict, same key order as
        ``RecordMessage.to_dict``, same encoder) goes to ``sys.stdout.buffer``, which writes
        whole buffers; the next STATE (or any other message) is written through the writer,
        whose flush pushes the records out first, so the order on stdout is unchanged. Other
        writers or a non-trivial selection use the SDK's path.
        """
        if type(self._tap.message_writer) is not MsgSpecWriter or not self._selection_is_noop():
            super()._write_record_message(record)
            return
        out = sys.stdout.buffer
        for stream_map in self.stream_maps:
            mapped_record = stream_map.transform(record)
            if mapped_record is not None:
                message: dict[str, Any] = {
                    "type": "RECORD",
                    "stream": stream_map.stream_alias,
                    "record": mapped_record,
                }
                if self._stream_version is not None:
                    message["version"] = self._stream_version
                message["time_extracted"] = sdk_utc_now()
                out.write(serialize_jsonl(message))
        self.state_manager.is_flushed = False

    def _process_record(
        self,
        record: dict,
        child_context: dict | None = None,
        partition_context: dict | None = None,
    ) -> None:
        """Nothing to do per record without child streams or a partition context.

        The SDK's version copies every record as the context of child streams that MISO
        streams do not have; with children or a partition it runs as is.
        """
        if self.child_streams or partition_context:
            super()._process_record(record, child_context, partition_context)

    def _increment_stream_state(self, latest_record: dict, *, context: dict | None = None) -> None:
        """The SDK's bookmark update, skipped while the replication key value repeats.

        Every node of an interval has the same ``interval_start_utc``: setting the bookmark
        to the value it already holds changes nothing (``check_sorted`` is off), so only a new
        value goes through the SDK.
        """
        value = latest_record.get(self.replication_key) if context is None else None
        if value is not None and value == self._bookmarked_value:
            return
        super()._increment_stream_state(latest_record, context=context)
        self._bookmarked_value = value

    _checked_mask: Any = None
    _all_selected: bool = False
    _bookmarked_value: Any = None
    #: (first, last) market date of the current sync, for `FetchContext.planned`.
    _planned: tuple[date, date] | None = None

    @cached_property
    def _quality_checks(self) -> bool:
        return self._miso_tap.settings.quality_checks

    @cached_property
    def _quality(self) -> StreamQuality:
        return self._miso_tap.monitor.for_stream(self.name, self.primary_keys)

    # -- planning ------------------------------------------------------------------------------

    def lookback_days(self) -> int:
        """Configured lookback, or this stream's default."""
        configured = self._miso_tap.settings.lookback_days
        return self.default_lookback_days if configured is None else configured

    def latest_market_date(self, now: datetime) -> date:
        """Last market date this stream asks for when no ``end_date`` is set."""
        return timeutil.market_date_of(now) + timedelta(days=self.latest_offset_days)

    def plan_window(self, context: dict | None, now: datetime) -> tuple[date, date, str | None]:
        """(first date, last date, earliest interval_start_utc to emit) for this run."""
        settings = self._miso_tap.settings
        first = settings.start_date
        emit_from: str | None = None
        bookmark = self.get_context_state(context).get("replication_key_value")
        if bookmark:
            resume = timeutil.parse_utc(bookmark) - timedelta(days=self.lookback_days())
            emit_from = timeutil.format_utc(resume)
            first = max(first, timeutil.market_date_of(resume))
        last = settings.end_date or self.latest_market_date(now)
        return first, last, emit_from

    def is_overdue(self, day: date, now: datetime) -> bool:
        """True when ``day`` should have been published by now (so missing data is a gap)."""
        due = timeutil.market_day_start(day) + self.publish_delay + self.gap_grace
        return now >= due

    # -- fetching with fallback ----------------------------------------------------------------

    def active_specs(self, day: date, now: datetime, part: str | None = None) -> list[SourceSpec]:
        """Sources usable for ``day`` (and serving ``part``, when given), in preference order."""
        settings = self._miso_tap.settings
        order = {name: i for i, name in enumerate(settings.source_preference)}
        specs = [
            s
            for s in self.source_specs
            if s.available(settings)
            and s.serves(day, now)
            and (part is None or s.serves_part(part))
        ]
        return sorted(specs, key=lambda s: order[s.source])

    def _context(self, now: datetime) -> FetchContext:
        return fetch_context(self._miso_tap, self.name, self.logger, now, self._planned)

    def _part_configured(self, part: str) -> bool:
        """True when some source the settings allow serves ``part`` (on some dates).

        A part no allowed source serves at all (e.g. net actual interchange, Data Exchange only,
        without an LGI key) is skipped with one warning per run instead of a gap per date.
        """
        known = self.__dict__.setdefault("_parts_configured", {})
        if part not in known:
            settings = self._miso_tap.settings
            serving = [s for s in self.source_specs if s.serves_part(part)]
            known[part] = any(s.available(settings) for s in serving)
            if not known[part]:
                needs = sorted({
                    f"{s.source} needs {s.product}_api_key"
                    if s.source in settings.source_preference
                    else f"{s.source} is not in source_preference"
                    for s in serving
                })
                self._miso_tap.summary.add_unserved(self.name, part, "; ".join(needs) or "none")
        return known[part]

    def _prefetch(
        self, days: list[date], now: datetime
    ) -> Iterator[tuple[date, dict[str, Future]]]:
        """Yield each day with its parts' first-source downloads already started in workers.

        Up to ``max_concurrent_requests`` upcoming (date, part) downloads run while the current
        date is parsed and emitted; order stays ascending because dates are consumed in order.
        """
        window = self._miso_tap.settings.max_concurrent_requests
        ctx = self._context(now)
        with ThreadPoolExecutor(max_workers=window, thread_name_prefix=self.name) as pool:
            pending: list[tuple[date, dict[str, Future]]] = []
            queue = iter(days)

            def submit_next() -> bool:
                day = next(queue, None)
                if day is None:
                    return False
                futures = {}
                for part in self.parts:
                    specs = self.active_specs(day, now, part)
                    if specs:
                        futures[part] = pool.submit(specs[0].load, ctx, day, part)
                pending.append((day, futures))
                return True

            for _ in range(max(1, window // len(self.parts))):
                if not submit_next():
                    break
            try:
                while pending:
                    day, futures = pending.pop(0)
                    # Queue the next date before this one is emitted, so every worker has a
                    # download to do while records go out (a rate-limited backfill otherwise
                    # left slots idle: 1.21x -> 1.09x the 100 calls/min bound, bench/RESULTS.md).
                    submit_next()
                    yield day, futures
            finally:
                for _, futures in pending:
                    for fut in futures.values():
                        fut.cancel()

    def _records_for_date(
        self, day: date, prefetched: dict[str, Future], now: datetime
    ) -> Iterator[dict] | None:
        """Records of ``day``, parts merged in interval order; None when not yet published."""
        ctx = self._context(now)
        specs = self.active_specs(day, now)
        if not specs:
            self.logger.info("%s %s: no configured source serves this date", self.name, day)
            return iter(())
        streams: list[Iterator[dict]] = []
        missing: list[str] = []
        for part in self.parts:
            part_specs = [s for s in specs if s.serves_part(part)]
            if not part_specs and not self._part_configured(part):
                continue  # a setting rules this part out (warned once): not a gap in MISO's data
            records = self._part_records(ctx, day, part, part_specs, prefetched.get(part))
            if records is None:
                missing.append(part)
            else:
                streams.append(records)
        already_final = day.isoformat() in self._miso_tap.shared_cache.get(
            (self.name, "final_dates"), ()
        )
        if missing and already_final and not streams:
            self.logger.info(
                "%s %s: delivered as final earlier; no source has final now", self.name, day
            )
            return iter(())
        if missing:
            if not self.is_overdue(day, now):
                if not streams:
                    self.logger.info("%s: %s not published yet; stopping here", self.name, day)
                    return None
            else:
                what = "" if missing == ["all"] else f" ({', '.join(missing)})"
                self._miso_tap.summary.add_gap(
                    self.name, day, f"no data{what} from {', '.join(s.source for s in specs)}"
                )
        if len(streams) == 1:
            return streams[0]
        return merge_by_interval(streams)

    def _part_records(
        self,
        ctx: FetchContext,
        day: date,
        part: str,
        specs: list[SourceSpec],
        prefetched: Future | None,
    ) -> Iterator[dict] | None:
        """Records of one part from the first source that has it; None if none has data.

        A parser's "empty payload" (an empty 200 answer, FORMATS §3.2 Empty responses, §7.22)
        means "no data", like MISO's 404s. When a source failed but every other source has no
        data for a date that is not overdue yet, the date is taken as not published yet: the
        failing source would not have had it either.
        """
        failures: list[str] = []
        for index, spec in enumerate(specs):
            try:
                payload = (
                    prefetched.result()
                    if index == 0 and prefetched is not None
                    else spec.load(ctx, day, part)
                )
                rows = spec.parse(ctx, day, part, payload)
                first = next(rows, None)
            except NoDataError:
                continue
            except (BadPathError, AuthError):
                raise
            except (MisoHttpError, PayloadError) as exc:
                if is_empty_payload(exc):
                    continue
                self.logger.warning(
                    "%s %s%s: %s failed (%s); trying the next source",
                    self.name,
                    day,
                    _part_label(part),
                    spec.source,
                    exc,
                )
                self._miso_tap.summary.count_fallback(self.name, spec.source)
                failures.append(f"{spec.source}: {exc}")
                continue
            if first is None:
                self._miso_tap.monitor.empty_response(self.name, spec.source, day)
                continue
            return self._emit_rows(day, part, spec, first, rows, specs[index + 1 :], ctx)
        if failures and len(failures) < len(specs) and not self.is_overdue(day, ctx.now):
            self.logger.info(
                "%s %s%s: the other sources have no data yet; taken as not published yet",
                self.name,
                day,
                _part_label(part),
            )
            return None
        if failures:
            raise SourceChainError(
                f"{self.name}: no source could serve market date {day}{_part_label(part)}: "
                + "; ".join(failures)
            )
        return None

    def _emit_rows(
        self,
        day: date,
        part: str,
        spec: SourceSpec,
        first: Row,
        rows: Iterator[Row],
        fallbacks: list[SourceSpec],
        ctx: FetchContext,
    ) -> Iterator[dict]:
        """Turn rows into records; a source failing mid-date hands the date to the next one.

        The records already sent stay sent, and records leave in ascending order: the next
        source's records of the date are sent from the interval of the last record sent on,
        except the keys of that interval already sent (it may have gone out in part). So
        nothing is lost, nothing goes backwards and no key is sent twice.
        """
        key_of = self._key_of
        record = self.to_record(first, spec.source)
        start = record["interval_start_utc"]
        interval_keys = [self._key_with_nulls(record)]  # the keys sent of the current interval
        yield record
        try:
            for row in rows:
                record = self.to_record(row, spec.source)
                if record["interval_start_utc"] != start:
                    start = record["interval_start_utc"]
                    interval_keys = []
                try:
                    interval_keys.append(key_of(record))
                except KeyError:  # a key field absent from this record: taken as null
                    interval_keys.append(self._key_with_nulls(record))
                yield record
        except (MisoHttpError, PayloadError) as exc:
            if isinstance(exc, BadPathError | AuthError) or not fallbacks:
                raise SourceChainError(
                    f"{self.name}: {spec.source} failed part-way through {day}"
                    f"{_part_label(part)}: {exc}"
                ) from exc
            resume = self._order_of(record)
            self.logger.warning(
                "%s %s: %s failed part-way (%s); re-reading the date from %s, sending from %s on",
                self.name,
                day,
                spec.source,
                exc,
                fallbacks[0].source,
                _order_text(resume),
            )
            self._miso_tap.summary.count_fallback(self.name, spec.source)
            # The next source's records at `resume` whose key already went out are skipped
            # (without primary keys nothing tells them apart: that interval is sent again).
            sent = set(interval_keys) if self.primary_keys else set()
            nxt = fallbacks[0]
            for row in nxt.parse(ctx, day, part, nxt.load(ctx, day, part)):
                record = self.to_record(row, nxt.source)
                order = self._order_of(record)
                if order > resume or (order == resume and self._key_with_nulls(record) not in sent):
                    yield record

    @cached_property
    def _key_of(self) -> Callable[[dict], Any]:
        """A record's primary key values (``itemgetter``: one C call a record; KeyError when a
        key field is absent, see `_key_with_nulls`)."""
        return itemgetter(*self.primary_keys) if self.primary_keys else _no_key

    def _key_with_nulls(self, record: dict) -> Any:
        """`_key_of`, an absent key field taken as null (same shape: a value or a tuple)."""
        values = tuple(record.get(name) for name in self.primary_keys or ())
        if not values:
            return None
        return values[0] if len(values) == 1 else values

    def _order_of(self, record: dict) -> tuple[str, str]:
        """The order records leave in: (replication key, ``interval_start_utc``)."""
        return (record[self.replication_key], record["interval_start_utc"])

    # -- records -------------------------------------------------------------------------------

    def to_record(self, row: Row, source: str) -> dict:
        """Contract fields + business fields; invalid cells become quality flags."""
        interval: timeutil.Interval = row.pop("interval")
        invalid = row.pop("_invalid", None) or ()
        source_tz = row.pop("_source_timezone", "EST")
        record = interval.fields(source_tz)
        record.update(row)
        record["source"] = source
        record["quality_flags"] = [f"invalid_{name}" for name in invalid] if invalid else []
        return record

    @cached_property
    def _hash_values(self) -> Callable[[dict], Any]:
        """The hashed fields of a record as a tuple (``itemgetter``: one C call)."""
        return itemgetter(*self.hash_fields) if len(self.hash_fields) > 1 else self._hash_list

    def _hash_list(self, record: dict) -> list:
        return [record.get(name) for name in self.hash_fields]

    def record_hash(self, record: dict) -> str:
        """SHA-256 over the business fields, independent of source and extraction time."""
        try:
            values = self._hash_values(record)  # a tuple encodes as the same JSON array
        except KeyError:  # a field absent from this record: hashed as null
            values = self._hash_list(record)
        return hashlib.sha256(orjson.dumps(values)).hexdigest()


def keep_invalid(tap: TapMiso, stream: str, describe: Callable[[], str]) -> bool:
    """Count a record with error flags and apply ``on_invalid_record``.

    Returns False when the record is dropped; raises :class:`SourceChainError` for "fail",
    naming the record with ``describe()``.
    """
    summary = tap.summary
    summary.count_flagged(stream)
    policy = tap.settings.on_invalid_record
    if policy == "drop":
        summary.count_dropped(stream)
        return False
    if policy == "fail":
        raise SourceChainError(f"{stream}: invalid record {describe()}")
    return True


def fetch_context(
    tap: TapMiso,
    stream: str,
    logger: logging.Logger,
    now: datetime,
    planned: tuple[date, date] | None = None,
) -> FetchContext:
    """The sources' view of the run for ``stream`` (client, settings, run-wide cache, the
    market dates it plans)."""
    return FetchContext(
        stream=stream,
        client=tap.client,
        settings=tap.settings,
        logger=logger,
        now=now,
        on_unexpected_columns=tap.summary.schema_drift_callback(stream),
        shared=tap.shared_cache,
        shared_lock=tap.shared_lock,
        planned=planned,
    )


def is_empty_payload(exc: Exception) -> bool:
    """True for a parser's "empty payload" error: MISO answered 200 with nothing in it."""
    return isinstance(exc, PayloadError) and exc.message.startswith("empty payload")


def _no_key(record: dict) -> None:
    """The key of a record of a stream without primary keys."""
    return None


def _order_text(order: tuple[str, str]) -> str:
    """``(replication key, interval_start_utc)`` for a message, without repeating a value."""
    return order[1] if order[0] == order[1] else f"{order[0]} / {order[1]}"


def _error_flags(row: dict) -> list[str]:
    """The error flags among a record's ``quality_flags`` (the parsers' invalid cells)."""
    flags = row["quality_flags"]
    return [f for f in flags if is_error(f)] if flags else flags


def _is_identity_map(stream_map: Any) -> bool:
    """True for the SDK's default stream map when it neither filters nor flattens."""
    return type(stream_map) is SameRecordTransform and not (
        stream_map.flattening_options and stream_map.flattening_enabled
    )


def _part_label(part: str) -> str:
    return "" if part == "all" else f" [{part}]"


def utc_now() -> datetime:
    """Current UTC time (one place to monkeypatch in tests)."""
    return datetime.now(UTC)
