"""Public API JSON feeds (FORMATS §3): values are strings, ``"None"`` is null, and an empty
200 response is a gap, so it raises `PayloadError` ("empty").

As for DX, rows are never skipped for a bad key: it is ``None`` and named in ``_invalid``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO

from .anchors import UnexpectedColumns, check_columns, norm
from .cells import (
    cell_text,
    is_null,
    parse_date,
    parse_hour_ending,
    parse_label,
    parse_zone,
    text_value,
    zone_in_range,
)
from .errors import PayloadError
from .json_stream import load_json, read_headed_table
from .rows import Row, flag, hour_sort_key, new_row, set_hour_ending, set_number, sort_within_runs

PUBLIC_FIVE_MIN_EXPOST = "public_five_min_expost"
PUBLIC_ASM_MCP = "public_asm_mcp"
PUBLIC_EXANTE_LMP = "public_exante_lmp"
PUBLIC_FUEL_MIX = "public_fuel_mix"
PUBLIC_NSI = "public_nsi_five_minute"
PUBLIC_NAI = "public_nai_five_minute"
PUBLIC_NAI_IMPORTS = "public_nai_imports"
PUBLIC_WIND_SOLAR = "public_wind_solar_forecast"
REFID = "public_refid"


def _public_json(data: bytes | str | BinaryIO, format_name: str) -> Any:
    document = load_json(data, format_name)
    # Legacy/empty bodies answer 200 {"error": "no data"} (FORMATS §5, §7.22): a gap.
    if isinstance(document, dict) and "error" in document:
        raise PayloadError(format_name, f"empty payload (error: {document['error']!r})")
    if document is None or document == {} or document == []:
        raise PayloadError(format_name, "empty payload")
    return document


def _dig(document: Any, path: str, format_name: str) -> Any:
    """``document[a][b]...`` for ``path = "a.b"``, or `PayloadError` naming the missing key."""
    node = document
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            raise PayloadError(format_name, f"{path} not found", missing_columns=[path])
        node = node[key]
    return node


def _as_list(value: Any) -> list[Any]:
    """A JSON array, tolerating a lone object or null where an array is expected."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _nonempty(rows: list[Row], format_name: str) -> Iterator[Row]:
    # An empty 200 response is a gap, not success (FORMATS §3.2 Empty responses, §7.22).
    if not rows:
        raise PayloadError(format_name, "empty payload: no rows")
    return iter(rows)


def _set_label(row: Row, raw: Any, base_date: date | None = None) -> None:
    """``label`` (naive, as written) and ``raw_label``; ``HH:MM`` labels need ``base_date``."""
    text = text_value(raw)
    row["raw_label"] = text
    label = None
    if text is not None:
        label = parse_label(text)
        if label is None and base_date is not None:
            label = _time_on(base_date, text)
    row["label"] = label
    if label is None:
        flag(row, "label")


_HHMM_RE = re.compile(r"(\d{1,2}):(\d{2})", re.ASCII)


def _time_on(day: date, hhmm: str) -> datetime | None:
    """``day`` at ``HH:MM``; ``24:00`` is 00:00 of the next day (FORMATS §1.1 T8)."""
    match = _HHMM_RE.fullmatch(hhmm.strip())
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2])
    if hour == 24 and minute == 0:
        return datetime(day.year, day.month, day.day) + timedelta(days=1)
    if hour > 23 or minute > 59:
        return None
    return datetime(day.year, day.month, day.day, hour, minute)


_REFID_RE = re.compile(
    r"\s*(?P<d>\d{1,2})-(?P<mon>[A-Za-z]{3})-(?P<y>\d{4})\s*-\s*"
    r"(?:Interval\s+(?P<hhmm>\d{1,2}:\d{2})(?:\s*EST)?|.*)\s*",
    re.ASCII,
)


def parse_refid(text: str) -> tuple[date, str | None]:
    """Parse a Public API ``RefId`` (FORMATS §3.1): ``14-Jul-2026 - Interval 08:15 EST`` →
    ``(date(2026, 7, 14), "08:15")``. Other RefIds (the outage feed's ``... - Total Outage
    Megawatts: N``) give ``(date, None)``. Month names are matched without the locale."""
    match = _REFID_RE.fullmatch(text) if isinstance(text, str) else None
    day = parse_date(f"{match['mon']} {match['d']}, {match['y']}") if match else None
    if match is None or day is None:
        raise PayloadError(REFID, f"not a RefId: {text!r:.80}")
    hhmm = match["hhmm"]
    return day, (hhmm.zfill(5) if hhmm else None)


def _refid_date(document: Mapping[str, Any], key: str = "RefId") -> date | None:
    raw = document.get(key) if isinstance(document, Mapping) else None
    try:
        return parse_refid(raw)[0] if isinstance(raw, str) else None
    except PayloadError:
        return None


_EXPOST_COLUMNS = ("INTERVAL", "CPNODE", "LMP", "MLC", "MCC")


def parse_public_five_min_expost(
    fileobj_or_bytes: BinaryIO | bytes, *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """``MarketPricing/GetRealTimeFiveMinExPost/Current|Rolling|Previous`` (FORMATS §3.2).

    Streams the ``data`` array (see `json_stream`; ~47 MB for ``Previous``) without loading the
    whole document. Rows: ``label`` (``INTERVAL``, interval END, EST), ``raw_label``, ``node``
    (``CPNODE``), ``lmp``, ``mlc``, ``mcc``, ``_invalid`` (no MEC: derive ``LMP-MLC-MCC``).
    Input order is kept across intervals; each interval's rows are sorted by node. An empty
    ``data`` array raises `PayloadError` ("empty") once iteration reaches the end.
    """
    headers, items = read_headed_table(fileobj_or_bytes, PUBLIC_FIVE_MIN_EXPOST)
    names = [cell_text(h) for h in headers]
    check_columns(
        names,
        PUBLIC_FIVE_MIN_EXPOST,
        required=_EXPOST_COLUMNS,
        known=_EXPOST_COLUMNS,
        on_unexpected_columns=on_unexpected_columns,
    )
    position = {norm(name): index for index, name in enumerate(names)}
    index = {name: position[norm(name)] for name in _EXPOST_COLUMNS}

    def cell(item: Any, name: str) -> Any:
        if isinstance(item, list):
            return item[index[name]] if index[name] < len(item) else None
        if isinstance(item, Mapping):  # tolerate object rows if MISO ever switches
            return item.get(name)
        return None

    def produce() -> Iterator[Row]:
        count = 0
        last_raw, last_label = None, None
        for item in items:
            row = new_row(node=text_value(cell(item, "CPNODE")))
            if row["node"] is None:
                flag(row, "node")
            raw = cell(item, "INTERVAL")
            if raw is not None and raw == last_raw:  # ~2,600 rows share each label
                row["raw_label"], row["label"] = last_label
                if row["label"] is None:
                    flag(row, "label")
            else:
                _set_label(row, raw)
                last_raw, last_label = raw, (row["raw_label"], row["label"])
            set_number(row, "lmp", cell(item, "LMP"))
            set_number(row, "mlc", cell(item, "MLC"))
            set_number(row, "mcc", cell(item, "MCC"))
            count += 1
            yield row
        if count == 0:
            raise PayloadError(PUBLIC_FIVE_MIN_EXPOST, "empty payload: no rows")

    return sort_within_runs(
        produce(),
        lambda r: r["label"],
        lambda r: r["node"] or "",
        PUBLIC_FIVE_MIN_EXPOST,
    )


PUBLIC_MCP_PRODUCTS = (
    "GenRegMCP", "GenSpinMCP", "GenSuppMCP", "StrMcp", "DemandRegMcp", "DemandSpinMcp",
    "DemandSuppMcp", "RcpUpMcp", "RcpDownMcp",
)


def parse_public_asm_mcp(
    data: bytes, *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """``MarketPricing/GetAncillaryServicesMcp`` (FORMATS §3.2): one row per section x zone x
    product.

    Rows: ``section`` (``RealTimeMCP``/``DayAheadMCP``), ``zone`` (int), ``product`` (raw key,
    e.g. ``GenRegMCP``), ``mcp``, ``market_date`` (``MktDay`` ``MM-DD-YYYY``, else the RefId
    date), ``hour_and_min`` (RT raw ``HH:MM``, else ``None``), ``hour_ending`` (DA, else
    ``None``), ``label`` (RT: market date + ``HourAndMin``, naive; DA: ``None``),
    ``raw_label``, ``_invalid``; sorted by (section, zone, product).
    """
    document = _public_json(data, PUBLIC_ASM_MCP)
    mcp = _dig(document, "MCPData", PUBLIC_ASM_MCP)
    raw_day = mcp.get("MktDay") if isinstance(mcp, Mapping) else None
    day = parse_date(raw_day) if not is_null(raw_day) else None
    day = day or _refid_date(mcp)
    sections = [s for s in ("RealTimeMCP", "DayAheadMCP") if isinstance(mcp.get(s), Mapping)]
    if not sections:
        raise PayloadError(PUBLIC_ASM_MCP, "empty payload: no MCP sections", ["RealTimeMCP"])
    unexpected: list[str] = []
    rows: list[Row] = []
    for section in sections:
        block = mcp[section]
        for zone_item in _as_list(block.get("Zone")):
            if not isinstance(zone_item, Mapping):
                continue
            zone = parse_zone(zone_item.get("number"))
            for product, value in zone_item.items():
                if product == "number":
                    continue
                if product not in PUBLIC_MCP_PRODUCTS and product not in unexpected:
                    unexpected.append(product)
                row = new_row(section=section, zone=zone, product=product, market_date=day)
                if zone is None or not zone_in_range(zone):
                    flag(row, "zone")
                if day is None:
                    flag(row, "market_date")
                set_number(row, "mcp", value)
                if section == "RealTimeMCP":
                    row["hour_and_min"] = text_value(block.get("HourAndMin"))
                    row["hour_ending"] = None
                    row["raw_label"] = row["hour_and_min"]
                    row["label"] = (
                        _time_on(day, row["hour_and_min"]) if day and row["hour_and_min"] else None
                    )
                    if row["label"] is None:
                        flag(row, "label")
                else:
                    row["hour_and_min"] = None
                    row["label"] = None
                    raw_he = text_value(block.get("HourEnding"))
                    row["raw_label"] = raw_he
                    hour = parse_hour_ending(raw_he)
                    row["hour_ending"] = hour
                    if hour is None:
                        flag(row, "hour_ending")
                    else:
                        set_hour_ending(row, hour)
                rows.append(row)
    if unexpected and on_unexpected_columns is not None:
        on_unexpected_columns(unexpected)
    rows.sort(key=lambda r: (r["section"] != "RealTimeMCP", r["zone"] or 0, r["product"]))
    return _nonempty(rows, PUBLIC_ASM_MCP)


def parse_public_exante_lmp(
    data: bytes, *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """``MarketPricing/GetExAnteLmp`` (FORMATS §3.2): ex-ante 5-min LMP for hubs.

    Rows: ``market_date`` (from ``RefId``), ``label`` (RefId date + ``HourAndMin``, naive),
    ``raw_label`` (``HourAndMin``), ``node`` (``name``), ``lmp``, ``mlc`` (``loss``), ``mcc``
    (``congestion``), ``_invalid``; sorted by node.
    """
    document = _public_json(data, PUBLIC_EXANTE_LMP)
    lmp_data = _dig(document, "LMPData", PUBLIC_EXANTE_LMP)
    block = _dig(lmp_data, "ExAnteLMP", PUBLIC_EXANTE_LMP)
    ref_id = lmp_data.get("RefId")
    day, ref_hhmm = parse_refid(ref_id) if isinstance(ref_id, str) else (None, None)
    hhmm = text_value(block.get("HourAndMin")) or ref_hhmm
    known = {"name", "LMP", "loss", "congestion"}
    unexpected: list[str] = []
    rows = []
    for hub in _as_list(block.get("Hub")):
        if not isinstance(hub, Mapping):
            continue
        unexpected.extend(k for k in hub if k not in known and k not in unexpected)
        row = new_row(market_date=day, node=text_value(hub.get("name")), raw_label=hhmm)
        row["label"] = _time_on(day, hhmm) if day and hhmm else None
        if row["label"] is None:
            flag(row, "label")
        if row["node"] is None:
            flag(row, "node")
        set_number(row, "lmp", hub.get("LMP"))
        set_number(row, "mlc", hub.get("loss"))
        set_number(row, "mcc", hub.get("congestion"))
        rows.append(row)
    if unexpected and on_unexpected_columns is not None:
        on_unexpected_columns(unexpected)
    rows.sort(key=lambda r: r["node"] or "")
    return _nonempty(rows, PUBLIC_EXANTE_LMP)


def parse_public_fuel_mix(
    data: bytes, *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """``FuelMix``, ``FuelMix/Today``, ``FuelMix/Yesterday`` (FORMATS §3.2).

    Rows: ``label`` (``INTERVALEST`` ``2026-07-14 8:10:00 AM``, naive EST; START vs END
    unverified), ``raw_label``, ``category`` (raw ``CATEGORY``), ``mw`` (``ACT``),
    ``_invalid``; sorted by (label, category). ``FUEL_CATEGORY`` is a display label and is
    ignored; ``TotalMW`` is ignored ("0" in Today/Yesterday). A payload without ``Fuel.Type``
    entries raises `PayloadError` ("empty").
    """
    document = _public_json(data, PUBLIC_FUEL_MIX)
    fuel = document.get("Fuel") if isinstance(document, Mapping) else None
    types = _as_list(fuel.get("Type")) if isinstance(fuel, Mapping) else []
    known = {"INTERVALEST", "CATEGORY", "ACT", "FUEL_CATEGORY"}
    unexpected: list[str] = []
    rows = []
    for item in types:
        if not isinstance(item, Mapping):
            continue
        unexpected.extend(k for k in item if k not in known and k not in unexpected)
        row = new_row(category=text_value(item.get("CATEGORY")))
        if row["category"] is None:
            flag(row, "category")
        _set_label(row, item.get("INTERVALEST"))
        set_number(row, "mw", item.get("ACT"))
        rows.append(row)
    if unexpected and on_unexpected_columns is not None:
        on_unexpected_columns(unexpected)
    rows.sort(key=lambda r: (r["label"] is None, r["label"] or datetime.min, r["category"] or ""))
    return _nonempty(rows, PUBLIC_FUEL_MIX)


PUBLIC_NSI_BAS = ("AECI", "LGEE", "MHEB", "MISO", "ONT", "PJM", "SOCO", "SPA", "SWPP", "TVA")


def parse_public_nsi_five_minute(
    data: bytes, *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """``Interchange/GetNsi/FiveMinute`` (and the ``GetNsi/MISO*`` shape, whose one column is
    ``NSI``) (FORMATS §3.2): one row per BA column per instance.

    Rows: ``label`` (``timestamp``, naive EST; treated as END by public clients),
    ``raw_label``, ``label_timezone`` (``"EST"``), ``adjacent_ba`` (raw column name; ``MISO`` is
    the total), ``mw`` (sign convention unverified, §7.9), ``_invalid``; sorted by (label,
    adjacent_ba).
    """
    document = _public_json(data, PUBLIC_NSI)
    instances = _as_list(_dig(document, "instance", PUBLIC_NSI))
    unexpected: list[str] = []
    rows = []
    for item in instances:
        if not isinstance(item, Mapping):
            continue
        for column, value in item.items():
            if column == "timestamp":
                continue
            if column not in PUBLIC_NSI_BAS and column != "NSI" and column not in unexpected:
                unexpected.append(column)
            row = new_row(adjacent_ba=column, label_timezone="EST")
            _set_label(row, item.get("timestamp"))
            set_number(row, "mw", value)
            rows.append(row)
    if unexpected and on_unexpected_columns is not None:
        on_unexpected_columns(unexpected)
    rows.sort(key=lambda r: (r["label"] is None, r["label"] or datetime.min, r["adjacent_ba"]))
    return _nonempty(rows, PUBLIC_NSI)


def _report_unexpected(
    items: Iterable[Any], known: set[str], on_unexpected_columns: UnexpectedColumns
) -> None:
    """Report keys outside ``known`` seen in any item, once per call."""
    if on_unexpected_columns is None:
        return
    unexpected: dict[str, None] = {}
    for item in items:
        if isinstance(item, Mapping):
            unexpected.update((key, None) for key in item if key not in known)
    if unexpected:
        on_unexpected_columns(list(unexpected))


def _parse_nai(
    data: bytes, format_name: str, timezone_name: str, on_unexpected_columns: UnexpectedColumns
) -> Iterator[Row]:
    document = _public_json(data, format_name)
    if not isinstance(document, list):
        raise PayloadError(format_name, "expected a JSON array of {Time, Value}")
    _report_unexpected(document, {"Time", "Value"}, on_unexpected_columns)
    rows = []
    for item in document:
        if not isinstance(item, Mapping):
            continue
        row = new_row(label_timezone=timezone_name)
        _set_label(row, item.get("Time"))
        set_number(row, "mw", item.get("Value"))
        rows.append(row)
    rows.sort(key=lambda r: (r["label"] is None, r["label"] or datetime.min))
    return _nonempty(rows, format_name)


def parse_public_nai_five_minute(
    data: bytes, *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """``Interchange/GetNai/FiveMinute`` (FORMATS §3.2): MISO-total NAI, labels in **EST**.

    Rows: ``label`` (``Time`` ``2026-07-14 8:15:00 AM``), ``raw_label``, ``label_timezone``
    (``"EST"``), ``mw``, ``_invalid``; sorted by label.
    """
    return _parse_nai(data, PUBLIC_NAI, "EST", on_unexpected_columns)


def parse_public_nai_imports(
    data: bytes, *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """``Interchange/GetNai/Imports`` (FORMATS §1.1 T7a, §7.4): same shape as
    `parse_public_nai_five_minute` but ``Time`` is **UTC**; rows carry ``label_timezone`` =
    ``"UTC"`` so the stream parses it as UTC (never adding 5 h)."""
    return _parse_nai(data, PUBLIC_NAI_IMPORTS, "UTC", on_unexpected_columns)


def parse_public_wind_solar_forecast(
    data: bytes, *, on_unexpected_columns: UnexpectedColumns = None
) -> Iterator[Row]:
    """``WindSolar/getwindforecast`` / ``getsolarforecast`` (FORMATS §3.2).

    Rows: ``market_date``, ``hour_ending`` (``HourEndingEST``), ``label`` (``DateTimeEST``,
    the hour START, naive EST), ``raw_label``, ``mw``, ``_invalid``; sorted by label.

    The window spans today and the next day while ``MktDay`` names one date, so
    ``market_date`` is the date of ``DateTimeEST`` (HE h of D starts at D + (h-1) h, always
    inside D); ``MktDay`` is only the fallback. An ``HourEndingEST`` that disagrees with the
    start hour + 1 is flagged as ``hour_ending``.
    """
    document = _public_json(data, PUBLIC_WIND_SOLAR)
    items = _as_list(_dig(document, "Forecast", PUBLIC_WIND_SOLAR))
    raw_day = document.get("MktDay")
    fallback_day = None if is_null(raw_day) else parse_date(raw_day)
    _report_unexpected(items, {"DateTimeEST", "HourEndingEST", "Value"}, on_unexpected_columns)
    rows = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        row = new_row()
        _set_label(row, item.get("DateTimeEST"))
        label = row["label"]
        row["market_date"] = label.date() if label is not None else fallback_day
        hour = parse_hour_ending(text_value(item.get("HourEndingEST")))
        row["hour_ending"] = hour
        if hour is None:
            flag(row, "hour_ending")
        else:
            set_hour_ending(row, hour)
            if label is not None and (label.hour + 1 != hour or label.minute):
                flag(row, "hour_ending")
        if row["market_date"] is None:
            flag(row, "market_date")
        set_number(row, "mw", item.get("Value"))
        rows.append(row)
    rows.sort(
        key=lambda r: (
            r["market_date"] or date.min,
            hour_sort_key(r["hour_ending"]),
            r["label"] or datetime.min,
        )
    )
    return _nonempty(rows, PUBLIC_WIND_SOLAR)

