"""EIA Open Data API v2 pages of ``electricity/operating-generator-capacity`` (shared/miso/EIA.md).

A page is ``{"response": {"total": "4321", "data": [...], "warnings"?: [...]}, "request":
{... the api_key echoed ...}, "warnings"?: [...]}``. Only ``response`` is read: the ``request``
echo carries the key and never leaves this module. Values are JSON strings (or null); MW
columns have ``<col>-units`` companions, which are ignored; ``total`` is a string (a number in
old responses).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from tap_miso.parsers.cells import text_value
from tap_miso.parsers.errors import PayloadError
from tap_miso.parsers.rows import Row, flag, new_row, set_number

EIA_API_PAGE = "eia_api_page"
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{1,2})")

#: API data column -> record field (numbers).
NUMBER_COLUMNS = {
    "nameplate-capacity-mw": "nameplate_capacity_mw",
    "net-summer-capacity-mw": "net_summer_capacity_mw",
    "net-winter-capacity-mw": "net_winter_capacity_mw",
    "planned-derate-summer-cap-mw": "planned_derate_summer_cap_mw",
    "planned-uprate-summer-cap-mw": "planned_uprate_summer_cap_mw",
    "latitude": "latitude",
    "longitude": "longitude",
}
#: API data column -> record field (``YYYY-MM``).
YEAR_MONTH_COLUMNS = {
    "operating-year-month": "operating_year_month",
    "planned-retirement-year-month": "planned_retirement_year_month",
    "planned-derate-year-month": "planned_derate_year_month",
    "planned-uprate-year-month": "planned_uprate_year_month",
}
#: Fields no API column carries (the API lists operable units only: none has retired yet).
ABSENT_FIELDS = ("retirement_year_month",)
#: Row column -> record field (text).
TEXT_COLUMNS = {
    "plantName": "plant_name",
    "entityid": "operator_id",
    "entityName": "operator_name",
    "stateid": "state",
    "county": "county",
    "technology": "technology",
    "energy_source_code": "energy_source_code",
    "prime_mover_code": "prime_mover_code",
    "status": "status",
    "balancing_authority_code": "balancing_authority_code",
}
#: The ``data[]`` columns to ask for (without them rows carry no values).
DATA_COLUMNS = (
    "nameplate-capacity-mw", "net-summer-capacity-mw", "net-winter-capacity-mw",
    "operating-year-month", "planned-retirement-year-month", "planned-derate-year-month",
    "planned-derate-summer-cap-mw", "planned-uprate-year-month", "planned-uprate-summer-cap-mw",
    "county", "latitude", "longitude",
)  # fmt: skip


@dataclass(frozen=True)
class ApiPage:
    """One page: the announced total, its rows, and the warnings EIA attached to it."""

    total: int
    rows: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)


def parse_api_page(body: bytes) -> ApiPage:
    """Parse one page body; raise :class:`PayloadError` if it is not an EIA data page.

    Warnings are read from both places EIA puts them (top level and under ``response``).
    """
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(EIA_API_PAGE, f"not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise PayloadError(EIA_API_PAGE, "not a JSON object")
    if "error" in document:
        raise PayloadError(EIA_API_PAGE, f"error object: {_short(document['error'])}")
    response = document.get("response")
    if not isinstance(response, dict):
        raise PayloadError(EIA_API_PAGE, "no 'response' object", missing_columns=["response"])
    data = response.get("data")
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise PayloadError(EIA_API_PAGE, "'response.data' is not a list of objects",
                           missing_columns=["response.data"])
    return ApiPage(_total(response.get("total")), data,
                   _warnings(document.get("warnings")) + _warnings(response.get("warnings")))


def _total(value: Any) -> int:
    """``total`` as an int: a string in current responses, a number in old ones."""
    if isinstance(value, bool):
        raise PayloadError(EIA_API_PAGE, f"'response.total' is not a count: {value!r}")
    if isinstance(value, int):
        count = value
    elif isinstance(value, float) and value.is_integer():
        count = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        count = int(value.strip())
    else:
        raise PayloadError(EIA_API_PAGE, f"'response.total' is not a count: {_short(value)}",
                           missing_columns=[] if value is not None else ["response.total"])
    if count < 0:
        raise PayloadError(EIA_API_PAGE, f"'response.total' is negative: {count}")
    return count


def _warnings(value: Any) -> list[str]:
    """Warning texts from a ``warnings`` list of ``{"warning", "description"}`` or strings."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, Mapping):
            text = " - ".join(str(item[k]) for k in ("warning", "description") if item.get(k))
        else:
            text = str(item)
        if text:
            out.append(_short(text))
    return out


def _short(value: Any, limit: int = 200) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_year_month(value: Any) -> tuple[str | None, bool]:
    """``"2020-12"`` -> ``("2020-12", False)``; null -> ``(None, False)``; bad -> flagged."""
    text = text_value(value)
    if text is None:
        return None, False
    match = _YEAR_MONTH.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None, True
    return f"{match.group(1)}-{int(match.group(2)):02d}", False


def key_text(value: Any) -> str | None:
    """A plant or generator id as EIA wrote it (``"01"`` stays ``"01"``); None if blank."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text_value(value) if isinstance(value, str) else None


def generator_row(raw: Mapping[str, Any]) -> Row:
    """One API row as a generators row (keys may be None: the caller skips such rows).

    Numbers are parsed from strings; a present non-number is None and flagged in
    ``_invalid``. Label columns and ``-units`` companions are ignored.
    """
    period, bad_period = parse_year_month(raw.get("period"))
    row = new_row(plant_id=key_text(raw.get("plantid")),
                  generator_id=key_text(raw.get("generatorid")),
                  period=period, status_category="operating")
    if bad_period:
        flag(row, "period")
    for column, name in TEXT_COLUMNS.items():
        row[name] = text_value(raw.get(column))
    for column, name in NUMBER_COLUMNS.items():
        set_number(row, name, raw.get(column))
    for column, name in YEAR_MONTH_COLUMNS.items():
        row[name], bad = parse_year_month(raw.get(column))
        if bad:
            flag(row, name)
    for name in ABSENT_FIELDS:
        row[name] = None
    return row
