"""Data Exchange (DX) JSON: the paging envelope, the time object and per-endpoint records
(FORMATS §2.2-2.5).

Rows from JSON are never skipped for a bad key (unlike Market Report tables, whose junk rows
are repeated headers and footers): a key field that is missing or unparseable is kept as
``None`` and named in ``_invalid``, so no record is silently lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
import orjson

from .anchors import UnexpectedColumns, check_columns
from .cells import (
    is_null,
    parse_date,
    parse_hour_ending,
    parse_label,
    parse_zone,
    text_value,
    zone_in_range,
)
from .errors import PayloadError, payload_guard
from .json_stream import load_json
from .rows import Row, flag, hour_sort_key, set_number, sort_within_runs

DX_PAGE = "dx_page"


@dataclass(frozen=True)
class DxPage:
    """One DX response page (FORMATS §2.2 Envelope and paging)."""

    records: list[dict[str, Any]]
    page_number: int
    page_size: int
    total_elements: int
    total_pages: int
    last_page: bool


@dataclass(frozen=True)
class DxTime:
    """A DX record's time object (FORMATS §2.2 Time object), as labelled by MISO.

    ``start``/``end`` are naive EST datetimes (``None`` if absent); ``value`` is the raw
    ``value`` (5-min start, hourly HE ``"1".."24"``, or date); ``interval`` is the raw scalar
    ``interval`` label. ``invalid`` names ``start``/``end`` when present but unparseable.
    ``resolution`` is raw and unreliable (the portal shows ``daily`` on hourly records):
    take the grain from the endpoint.
    """

    resolution: str | None
    start: datetime | None
    end: datetime | None
    value: Any
    interval: str | None
    invalid: tuple[str, ...] = ()


def _page_int(page: Mapping[str, Any], key: str) -> int:
    value = page.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise PayloadError(DX_PAGE, f"page.{key} is not an integer: {value!r}", [f"page.{key}"])


def parse_dx_page(data: bytes) -> DxPage:
    """Parse a DX response body ``{"data": [...], "page": {...}}`` (FORMATS §2.2).

    Raises `PayloadError` for invalid JSON, error bodies (``{"status": 404, "reason": ...}``,
    ``{"statusCode": ..., "message": ...}``) and any other non-envelope JSON.
    """
    document = load_json(data, DX_PAGE)
    if not isinstance(document, dict):
        raise PayloadError(DX_PAGE, "expected a JSON object envelope")
    if "data" not in document or "page" not in document:
        reason = document.get("reason") or document.get("message") or document.get("error")
        missing = [key for key in ("data", "page") if key not in document]
        detail = f" ({reason})" if reason else ""
        raise PayloadError(DX_PAGE, f"not a DX envelope{detail}", missing_columns=missing)
    records, page = document["data"], document["page"]
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise PayloadError(DX_PAGE, "data must be an array of objects")
    if not isinstance(page, dict):
        raise PayloadError(DX_PAGE, "page must be an object")
    last = page.get("lastPage")
    if isinstance(last, str) and last.strip().lower() in ("true", "false"):
        last = last.strip().lower() == "true"
    if not isinstance(last, bool):
        raise PayloadError(DX_PAGE, f"page.lastPage is not a boolean: {last!r}", ["page.lastPage"])
    return DxPage(
        records=records,
        page_number=_page_int(page, "pageNumber"),
        page_size=_page_int(page, "pageSize"),
        total_elements=_page_int(page, "totalElements"),
        total_pages=_page_int(page, "totalPages"),
        last_page=last,
    )


_UNSET: Any = object()
#: Records decoded per batch by :func:`iter_dx_page_records`.
RECORD_BATCH = 2000
_OBJECT = ord("{")


class _Envelope(msgspec.Struct, gc=False):
    data: list[msgspec.Raw]
    page: Any


_ENVELOPE = msgspec.json.Decoder(_Envelope)


def _raw_records(data: bytes) -> list[msgspec.Raw] | None:
    """The undecoded ``data`` elements of a well-formed envelope whose elements are all
    objects and whose ``page`` is valid; ``None`` for anything else (let `parse_dx_page`
    say what is wrong). One msgspec pass over the body."""
    try:
        envelope = _ENVELOPE.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    raws = envelope.data
    if not all(memoryview(raw)[0] == _OBJECT for raw in raws):
        return None
    _check_page(envelope.page)
    return raws


def _check_page(page: Any) -> None:
    """`parse_dx_page`'s checks of the ``page`` object (`PayloadError` if it is not valid)."""
    parse_dx_page(orjson.dumps({"data": [], "page": page}))


def iter_dx_page_records(data: bytes, batch: int = RECORD_BATCH) -> Iterator[dict[str, Any]]:
    """The records of one DX page, decoded ``batch`` at a time.

    Same records and the same errors (raised before the first record) as
    ``parse_dx_page(data).records``, but memory is the raw page plus one batch of dicts: a
    whole 100k-record page decoded at once costs ~360 MB and is slower (allocation/GC churn).
    """
    raws = _raw_records(data)
    if raws is None:
        yield from parse_dx_page(data).records
        return
    for i in range(0, len(raws), batch):
        with payload_guard(DX_PAGE, "invalid JSON"):
            records = orjson.loads(b"[" + b",".join(raws[i : i + batch]) + b"]")
        yield from records


class _StartOnly(msgspec.Struct, gc=False):
    start: str | None = None


class _TimedOnly(msgspec.Struct, gc=False):
    timeInterval: _StartOnly | None = None
    interval: Any = None  # the time object of ``demand/forecast`` (see `dx_time`)


class _StartsPage(msgspec.Struct, gc=False):  # JSON has no cycles: untracked
    data: list[_TimedOnly]
    page: Any


_STARTS = msgspec.json.Decoder(_StartsPage)


def dx_page_starts(data: bytes) -> list[str | None] | None:
    """Raw ``start`` of each record of a page (from ``timeInterval``, else an ``interval``
    object, as `dx_time`), without decoding the rest; the envelope is checked like
    `parse_dx_page` (`PayloadError`).

    ``None`` when the page does not have that plain shape (the caller then reads the records
    fully, with `dx_time`, which also handles the other shapes and reports errors).
    """
    try:
        page = _STARTS.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    _check_page(page.page)
    return [
        r.timeInterval.start
        if r.timeInterval is not None
        else (r.interval.get("start") if isinstance(r.interval, dict) else None)
        for r in page.data
    ]


def dx_starts_ascending(pages: Iterable[bytes], *, every: bool = False) -> bool:
    """A cheap first pass over downloaded pages: do the records' starts never go backwards?

    Only the start times are read (`dx_page_starts`); a page of another shape is read fully,
    which raises its `PayloadError` here, before any record is used. Thousands of records
    share each start, so each new raw value is parsed once. A record without a readable start
    is passed over, or, with ``every``, makes the answer False (its place in time is then
    unknown: the hourly parser takes its hour from ``value`` instead).
    """
    last_raw: Any = object()
    previous: datetime | None = None
    for page in pages:
        starts = dx_page_starts(page)
        if starts is None:  # not the plain shape: read it fully
            starts = [_raw_start(record) for record in iter_dx_page_records(page)]
        for raw in starts:
            if raw == last_raw:
                continue
            last_raw = raw
            start = dx_start_of(raw)
            if start is None:
                if every:
                    return False
                continue
            if previous is not None and start < previous:
                return False
            previous = start
    return True


def _raw_start(record: dict) -> Any:
    """Raw ``start`` of a record's time object (``timeInterval``, else ``interval``)."""
    obj = record.get("timeInterval")
    if not isinstance(obj, dict):
        obj = record.get("interval")
    return obj.get("start") if isinstance(obj, dict) else None


def dx_start_of(raw: Any) -> datetime | None:
    """``start`` of a DX time object from its raw value, as `dx_time` reads it."""
    return None if is_null(raw) else parse_label(raw)


def dx_time(record: Mapping[str, Any]) -> DxTime:
    """Extract the time object of a DX record.

    Handles ``timeInterval = {resolution, start, end, value}`` plus a scalar ``interval``
    label, and the endpoint that puts the time object under ``interval`` instead
    (``real-time/{date}/demand/forecast``, FORMATS §2.2). Time strings may use ``T`` or a
    space and may carry fractional seconds (§2.1 Time strings).
    """
    obj = record.get("timeInterval")
    interval = record.get("interval")
    if not isinstance(obj, dict) and isinstance(interval, dict):
        obj, interval = interval, None
    if not isinstance(obj, dict):
        obj = {}
    invalid = []
    parsed: dict[str, datetime | None] = {}
    for key in ("start", "end"):
        raw = obj.get(key)
        parsed[key] = None if is_null(raw) else parse_label(raw)
        if parsed[key] is None and not is_null(raw):
            invalid.append(key)
    return DxTime(
        resolution=text_value(obj.get("resolution")),
        start=parsed["start"],
        end=parsed["end"],
        value=obj.get("value"),
        interval=text_value(interval),
        invalid=tuple(invalid),
    )


def _dx_time_key(row: Row) -> tuple[int, Any]:
    return dx_run_key(row["time"])


def dx_run_key(time: DxTime) -> tuple[int, Any]:
    """Order key of a time object: ``start``, else the hour ending of its labels."""
    if time.start is not None:
        return (0, time.start)
    return (1, hour_sort_key(parse_hour_ending(time.interval or time.value)))


@dataclass(frozen=True)
class _DxSpec:
    """Declarative field map of one DX record type."""

    format_name: str
    texts: Mapping[str, str]  # record key -> row field (raw text)
    numbers: Mapping[str, str]  # record key -> row field (float)
    required: tuple[str | tuple[str, ...], ...]
    key_fields: tuple[str, ...]  # text fields flagged in _invalid when null
    timed: bool = True
    extra_known: tuple[str, ...] = ()  # keys read by a per-record hook

    @property
    def known(self) -> set[str]:
        names = set(self.texts) | set(self.numbers) | set(self.extra_known)
        for item in self.required:
            names.update([item] if isinstance(item, str) else item)
        return names | ({"timeInterval", "interval"} if self.timed else set())


def _dx_rows(
    records: Iterable[Mapping[str, Any]],
    spec: _DxSpec,
    on_unexpected_columns: UnexpectedColumns,
    extra: Callable[[Mapping[str, Any], Row], Iterable[Row]] | None = None,
    *,
    checked: bool = False,
) -> Iterator[Row]:
    """Map records to rows; the first record's keys are checked once for drift (not at all
    when ``checked``: the caller's input began earlier).

    Hot path (750k records a day for 5-minute LMP): texts are converted once per distinct
    string, finite JSON floats are taken as they are, and the time object is parsed once per
    run of records sharing it; every other value goes through the general cell functions.
    """
    texts = tuple(spec.texts.items())
    numbers = tuple(spec.numbers.items())
    key_fields = frozenset(spec.key_fields)
    text_of: dict[str, str | None] = {}  # raw string -> text_value(raw)
    last_obj: Any = _UNSET
    last_interval: Any = _UNSET
    time: DxTime | None = None
    for record in records:
        if type(record) is not dict and not isinstance(record, Mapping):  # abc check: slow
            raise PayloadError(spec.format_name, f"record is not an object: {record!r:.80}")
        if not checked:
            check_columns(
                list(record),
                spec.format_name,
                required=spec.required,
                known=spec.known,
                on_unexpected_columns=on_unexpected_columns,
            )
            checked = True
        row: Row = {"_invalid": []}  # new_row(), without the call
        get = record.get
        for key, field in texts:
            raw = get(key)
            if type(raw) is str:
                value = text_of.get(raw, _UNSET)
                if value is _UNSET:
                    value = text_of[raw] = text_value(raw)
            else:
                value = text_value(raw)
            row[field] = value
            if value is None and field in key_fields:
                flag(row, field)
        for key, field in numbers:
            raw = get(key)
            if type(raw) is float and raw - raw == 0.0:  # finite: parse_number returns it
                row[field] = raw
            else:
                set_number(row, field, raw)
        if spec.timed:
            obj, interval = get("timeInterval"), get("interval")
            if time is None or obj != last_obj or interval != last_interval:
                time = dx_time(record)  # DxTime is immutable: shared by the run
                last_obj, last_interval = obj, interval
            row["time"] = time
            if time.invalid:
                flag(row, "time")
        if extra is None:
            yield row
        else:
            yield from extra(record, row)


def _sorted_runs(rows: Iterator[Row], key_fields: tuple[str, ...], what: str) -> Iterator[Row]:
    """Keep input order across intervals; sort each interval's rows by key (None-safe)."""
    if len(key_fields) == 1:  # same order as the tuple of one pair, without a generator
        (only,) = key_fields
        return sort_within_runs(
            rows,
            _dx_time_key,
            lambda r: (r[only] is None, r[only] if r[only] is not None else 0),
            what,
        )
    return sort_within_runs(
        rows,
        _dx_time_key,
        lambda r: tuple((r[f] is None, r[f] if r[f] is not None else 0) for f in key_fields),
        what,
    )


_LMP = _DxSpec(
    "dx_lmp",
    texts={"node": "node", "preliminaryFinal": "preliminary_final"},
    numbers={"lmp": "lmp", "mcc": "mcc", "mec": "mec", "mlc": "mlc"},
    required=("node", "lmp"),
    key_fields=("node",),
)


def parse_dx_lmp_records(
    records: Iterable[Mapping[str, Any]], *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """DX ``lmp-exante``/``lmp-expost`` records (FORMATS §2.4).

    Rows: ``node``, ``lmp``, ``mcc``, ``mec``, ``mlc``, ``preliminary_final`` (raw or
    ``None``), ``time`` (`DxTime`), ``_invalid``. Input order is kept across intervals; rows of
    one interval (consecutive equal time) are sorted by node.
    """
    rows = _dx_rows(records, _LMP, on_unexpected_columns)
    return _sorted_runs(rows, ("node",), _LMP.format_name)


_MCP = _DxSpec(
    "dx_mcp",
    texts={"product": "product", "preliminaryFinal": "preliminary_final"},
    numbers={"mcp": "mcp"},
    required=("product", "mcp"),
    key_fields=("product",),
    extra_known=("zone",),
)


def _mcp_zone(record: Mapping[str, Any], row: Row) -> Iterable[Row]:
    # "Zone 3" (DX) → 3 (FORMATS §2.6 Reserve zone); absent for MISO-wide asm-summary.
    raw = record.get("zone")
    zone = parse_zone(raw)
    row["zone"] = zone
    if (zone is None and not is_null(raw)) or (zone is not None and not zone_in_range(zone)):
        flag(row, "zone")
    return (row,)


def parse_dx_mcp_records(
    records: Iterable[Mapping[str, Any]], *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """DX ``asm-exante``/``asm-expost``/``asm-summary`` records (FORMATS §2.4).

    Rows: ``zone`` (int from ``Zone 3``; ``None`` when absent), ``product`` (raw), ``mcp``,
    ``preliminary_final``, ``time``, ``_invalid``.
    """
    rows = _dx_rows(records, _MCP, on_unexpected_columns, _mcp_zone)
    return _sorted_runs(rows, ("zone", "product"), _MCP.format_name)


_PNODE = _DxSpec(
    "dx_pnode",
    texts={"node": "node", "nodeType": "node_type"},
    numbers={},
    required=("node",),
    key_fields=("node",),
    timed=False,
)


def parse_dx_pnode_records(
    records: Iterable[Mapping[str, Any]], *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """DX ``aggregated-pnode`` records (FORMATS §2.4). Rows: ``node``, ``node_type`` (raw,
    vocabulary unverified, §8 Q2), ``_invalid``; sorted by node."""
    rows = list(_dx_rows(records, _PNODE, on_unexpected_columns))
    rows.sort(key=lambda r: (r["node"] is None, r["node"] or ""))
    return iter(rows)


_LOAD = _DxSpec(
    "dx_load",
    texts={"region": "region", "localResourceZone": "local_resource_zone"},
    numbers={"load": "load"},
    required=("load",),
    key_fields=(),
)


def parse_dx_load_records(
    records: Iterable[Mapping[str, Any]], *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """DX ``real-time/{date}/demand/actual`` records (FORMATS §2.5).

    Rows: ``region`` (raw, e.g. ``North``) or ``local_resource_zone`` (raw, e.g. ``LRZ3_5``),
    the other ``None``; ``load`` (MWh), ``time``, ``_invalid``.
    """
    rows = _dx_rows(records, _LOAD, on_unexpected_columns)
    return _sorted_runs(rows, ("region", "local_resource_zone"), _LOAD.format_name)


_DEMAND = _DxSpec(
    "dx_demand",
    texts={"region": "region", "zone": "zone"},
    numbers={"fixed": "fixed", "priceSens": "price_sens", "virtual": "virtual", "demand": "demand"},
    required=(("fixed", "priceSens", "virtual", "demand"),),
    key_fields=(),
)


def parse_dx_demand_records(
    records: Iterable[Mapping[str, Any]], *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """DX demand records (FORMATS §2.5): ``day-ahead/{date}/demand`` (``fixed``,
    ``priceSens``, ``virtual`` by region), ``real-time/{date}/demand/forecast`` (``demand``,
    time object under ``interval``) and ``demand/load-state-estimator`` (``zone``, ``demand``).

    Rows: ``region``, ``zone`` (raw, vocabulary unknown), ``fixed``, ``price_sens``,
    ``virtual``, ``demand`` (absent ones ``None``), ``time``, ``_invalid``.
    """
    rows = _dx_rows(records, _DEMAND, on_unexpected_columns)
    return _sorted_runs(rows, ("region", "zone"), _DEMAND.format_name)


_LOAD_FORECAST = _DxSpec(
    "dx_load_forecast",
    texts={"region": "region", "localResourceZone": "local_resource_zone"},
    numbers={"loadForecast": "load_forecast"},
    required=("loadForecast",),
    key_fields=(),
    extra_known=("init",),
)


def _forecast_init(record: Mapping[str, Any], row: Row) -> Iterable[Row]:
    raw = record.get("init")  # MTLF vintage (FORMATS §2.5 forecast/load)
    row["init"] = None if is_null(raw) else parse_date(raw)
    if row["init"] is None and not is_null(raw):
        flag(row, "init")
    return (row,)


def parse_dx_load_forecast_records(
    records: Iterable[Mapping[str, Any]], *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """DX ``forecast/{date}/load`` (MTLF) records (FORMATS §2.5).

    Rows: ``region``, ``local_resource_zone`` (raw ``Z1``..``Z10``), ``load_forecast``,
    ``init`` (vintage date, ``None`` if absent), ``time``, ``_invalid``.
    """
    rows = _dx_rows(records, _LOAD_FORECAST, on_unexpected_columns, _forecast_init)
    return _sorted_runs(rows, ("region", "local_resource_zone"), _LOAD_FORECAST.format_name)


DX_FUELS = ("coal", "gas", "nuclear", "water", "wind", "solar", "other", "storage")
_FUEL = _DxSpec(
    "dx_fuel_type",
    texts={"region": "region"},
    numbers={"totalMw": "total_mw"},
    required=("region", "fuelTypes"),
    key_fields=("region",),
)


def parse_dx_fuel_type_records(
    records: Iterable[Mapping[str, Any]], *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """DX ``generation/fuel-type`` records (FORMATS §2.5), one row per region x fuel.

    Rows: ``region`` (raw, upper case), ``fuel`` (raw ``fuelTypes`` key), ``mw``,
    ``total_mw`` (the record's ``totalMw``), ``time``, ``_invalid``. A fuel key outside
    ``coal, gas, nuclear, water, wind, solar, other, storage`` is emitted and reported once as
    ``fuelTypes.<key>``; a ``fuelTypes`` that is not an object gives one row with ``fuel``
    ``None`` and ``fuelTypes`` flagged. The RT endpoint has no MISO total: derive it downstream.
    """
    reported: set[str] = set()

    def explode(record: Mapping[str, Any], row: Row) -> Iterable[Row]:
        fuels = record.get("fuelTypes")
        if not isinstance(fuels, Mapping):
            out = {**row, "_invalid": [*row["_invalid"], "fuelTypes"], "fuel": None, "mw": None}
            return (out,)
        unknown = [f"fuelTypes.{k}" for k in fuels if k not in DX_FUELS and k not in reported]
        if unknown and on_unexpected_columns is not None:
            reported.update(name.split(".", 1)[1] for name in unknown)
            on_unexpected_columns(unknown)
        result = []
        for fuel, value in fuels.items():
            out = {**row, "_invalid": list(row["_invalid"]), "fuel": fuel}
            set_number(out, "mw", value)
            result.append(out)
        return result

    rows = _dx_rows(records, _FUEL, on_unexpected_columns, explode)
    return _sorted_runs(rows, ("region", "fuel"), _FUEL.format_name)


_INTERCHANGE = _DxSpec(
    "dx_interchange",
    texts={"region": "region", "adjacentBa": "adjacent_ba"},
    numbers={},
    required=(("nsi", "nai"),),
    key_fields=(),
    extra_known=("nsi", "nai"),
)


def _interchange_value(record: Mapping[str, Any], row: Row) -> Iterable[Row]:
    measure = "nsi" if "nsi" in record else "nai"
    row["measure"] = measure
    set_number(row, "mw", record.get(measure))
    return (row,)


def parse_dx_interchange_records(
    records: Iterable[Mapping[str, Any]], *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """DX interchange records with ``nsi`` or ``nai`` (FORMATS §2.5): historical NSI by
    ``adjacentBa``, RT NAI by ``adjacentBa``, DA NSI by ``region``.

    Rows: ``region``, ``adjacent_ba`` (raw; ``ONT`` vs ``IESO`` differ by endpoint, §7.11),
    ``measure`` (``"nsi"``/``"nai"``), ``mw`` (sign convention per source, §7.9), ``time``,
    ``_invalid``.
    """
    rows = _dx_rows(records, _INTERCHANGE, on_unexpected_columns, _interchange_value)
    return _sorted_runs(rows, ("adjacent_ba", "region"), _INTERCHANGE.format_name)
