"""Fake EIA Open Data API v2: ``/eia/v2/electricity/operating-generator-capacity/data/``.

Faithful to shared/miso/EIA.md: the key as ``api_key`` (403 ``API_KEY_MISSING`` /
``API_KEY_INVALID``), facets (unknown id: 400; unknown value: zero rows), ``data[]`` columns
(without them rows carry no values), ``start``/``end`` compared as text, multi-column sort,
``offset``/``length`` capped at ``page_max`` with an "out of range" warning under
``response``, an "incomplete return" warning at the top level on non-final pages, string values,
``-units`` companions, ``total`` as a string (a number with ``total_as_number``) and the
``request`` echo including the key. Throttling is injected with faults (see ``throttle_body``).
"""

from __future__ import annotations

import re
from typing import Any

from tap_miso.testing.fake_miso import eia_data
from tap_miso.testing.fake_miso.eia_data import EiaFakeSettings, Unit
from tap_miso.testing.fake_miso.response import Response, json_response
from tap_miso.testing.fake_miso.surfaces.context import RequestContext

PREFIX = "/eia/v2/"
ROUTE = "/eia/v2/electricity/operating-generator-capacity/data"
FACETS = ("stateid", "sector", "entityid", "plantid", "generatorid", "unit", "technology",
          "energy_source_code", "prime_mover_code", "balancing_authority_code", "status")
MW_COLUMNS = ("nameplate-capacity-mw", "net-summer-capacity-mw", "net-winter-capacity-mw",
              "planned-derate-summer-cap-mw", "planned-uprate-summer-cap-mw")
DATA_COLUMNS = (*MW_COLUMNS, "operating-year-month", "planned-retirement-year-month",
                "planned-derate-year-month", "planned-uprate-year-month", "county", "latitude",
                "longitude")
#: Label columns, with EIA's real-world typos (clients must not key on labels).
STATUS_LABELS = {"OP": "Operating", "SB": "Standy/Backup", "OA": "Out of service, expected "
                 "back", "OS": "Out of servce"}
_FACET_RE = re.compile(r"facets\[([^\]]+)\]\[\]")
_DATA_RE = re.compile(r"data\[(\d+)\]")
_SORT_RE = re.compile(r"sort\[(\d+)\]\[(column|direction)\]")


def key_error(code: str) -> Response:
    messages = {"API_KEY_MISSING": "No api_key was supplied. Please register for one at "
                                   "https://www.eia.gov/opendata/register.php",
                "API_KEY_INVALID": "An invalid api_key has been supplied. Please check the "
                                   "key or register for one."}
    return json_response({"error": {"code": code, "message": messages[code]}}, 403)


def throttle_body() -> str:
    """The 403 body EIA sends while a key is suspended for going too fast."""
    return ('{"error":{"code":"OVER_RATE_LIMIT","message":"You have exceeded your rate '
            'limit. Try again later or contact us."}}')


def bad_request(message: str) -> Response:
    return json_response({"error": message, "code": 400}, 400)


def handle_api(ctx: RequestContext, settings: EiaFakeSettings) -> Response:
    """Answer one API request."""
    query = ctx.query
    key = query.get("api_key")
    if not key:
        return key_error("API_KEY_MISSING")
    if key not in settings.keys:
        return key_error("API_KEY_INVALID")
    if ctx.path.rstrip("/") != ROUTE:
        return json_response({"error": "Not found.", "code": 404}, 404)
    if query.get("frequency", "monthly") != "monthly":
        return bad_request(f"Invalid frequency '{query['frequency']}' provided. The only "
                           "valid frequency is 'monthly'.")
    try:
        request = _parse(query)
    except ValueError as exc:
        return bad_request(str(exc))
    rows = _matching_rows(ctx, settings, request)
    total = len(rows)
    offset, asked = request["offset"], request["length"]
    length = min(asked, settings.page_max)
    page = rows[offset: offset + length]
    response: dict[str, Any] = {"total": total if settings.total_as_number else str(total),
                                "dateFormat": "YYYY-MM", "frequency": "monthly",
                                "data": page,
                                "description": "Inventory of Operable Generators (EIA-860M)"}
    body: dict[str, Any] = {"response": response}
    if asked > settings.page_max:
        response["warnings"] = [{"warning": "parameter out of range: length",
                                 "description": f"The maximum length is {settings.page_max}; "
                                                f"{settings.page_max} rows are returned."}]
    if offset + len(page) < total:
        body["warnings"] = [{"warning": "incomplete return",
                             "description": "The API can only return "
                                            f"{settings.page_max} rows in JSON format. Please "
                                            "consider constraining your request with facet, "
                                            "start, or end, or using offset to paginate "
                                            "results."}]
    body["request"] = {"command": "/v2/electricity/operating-generator-capacity/data/",
                       "params": dict(query)}  # the key is echoed, as EIA does
    body["apiVersion"] = "2.1.12"
    return json_response(body)


def _parse(query: dict[str, str]) -> dict[str, Any]:
    facets: dict[str, set[str]] = {}
    columns: list[str] = []
    sorts: dict[int, dict[str, str]] = {}
    for name, value in query.items():
        if match := _FACET_RE.fullmatch(name):
            if match.group(1) not in FACETS:
                raise ValueError(f"Invalid facet '{match.group(1)}' provided. The only valid "
                                 f"facets are {', '.join(FACETS)}.")
            facets.setdefault(match.group(1), set()).add(value)
        elif _DATA_RE.fullmatch(name):
            if value not in DATA_COLUMNS:
                raise ValueError(f"Invalid data column '{value}' provided.")
            columns.append(value)
        elif match := _SORT_RE.fullmatch(name):
            sorts.setdefault(int(match.group(1)), {})[match.group(2)] = value
    try:
        offset, length = int(query.get("offset", "0")), int(query.get("length", "5000"))
    except ValueError:
        raise ValueError("offset and length must be integers.") from None
    if offset < 0 or length < 0:
        raise ValueError("offset and length must not be negative.")
    return {"facets": facets, "columns": columns, "offset": offset, "length": length,
            "start": query.get("start", eia_data.FIRST_PERIOD), "end": query.get("end"),
            "sort": [sorts[i] for i in sorted(sorts)]}


def _matching_rows(ctx: RequestContext, settings: EiaFakeSettings,
                   request: dict[str, Any]) -> list[dict[str, Any]]:
    newest = eia_data.newest_period(ctx.now, settings)
    end = min(request["end"] or newest, newest)
    start = max(request["start"], eia_data.FIRST_PERIOD)
    rows = []
    for index in range(eia_data.period_index(start[:7]), eia_data.period_index(end[:7]) + 1):
        period = eia_data.period_at(index)
        if not start <= period <= end:
            continue
        for unit in eia_data.units_in(period, "operating"):
            row = api_row(unit, period, request["columns"])
            if all(str(row.get(f)) in values for f, values in request["facets"].items()):
                rows.append(row)
    for spec in reversed(request["sort"]):
        column = spec.get("column", "")
        rows.sort(key=lambda r, c=column: str(r.get(c) or ""),
                  reverse=spec.get("direction", "asc") == "desc")
    return rows


def _text(value: float | str | None) -> str | None:
    if value is None:
        return None
    return f"{value:g}" if isinstance(value, float) else value


def api_row(unit: Unit, period: str, columns: list[str]) -> dict[str, Any]:
    """One row as the API writes it: every value a string (or null)."""
    row: dict[str, Any] = {
        "period": period, "stateid": unit.state, "stateName": unit.state,
        "sector": "ipp-non-chp", "sectorName": "IPP Non-CHP", "entityid": unit.entity_id,
        "entityName": unit.entity_name, "plantid": unit.plant_id, "plantName": unit.plant_name,
        "generatorid": unit.generator_id, "technology": unit.technology,
        "energy_source_code": unit.energy_source, "energy-source-desc": unit.energy_source,
        "prime_mover_code": unit.prime_mover, "balancing_authority_code": unit.ba,
        "balancing-authority-name": f"{unit.ba} balancing authoritiy", "status": unit.status,
        "statusDescription": STATUS_LABELS.get(unit.status, unit.status),
    }  # fmt: skip
    values = {
        "nameplate-capacity-mw": unit.nameplate,
        "net-summer-capacity-mw": eia_data.summer_capacity(unit, period),
        "net-winter-capacity-mw": unit.winter,
        "planned-derate-summer-cap-mw": unit.derate[1] if unit.derate else None,
        "planned-uprate-summer-cap-mw": unit.uprate[1] if unit.uprate else None,
        "operating-year-month": unit.operating,
        "planned-retirement-year-month": eia_data.planned_retirement(unit),
        "planned-derate-year-month": unit.derate[0] if unit.derate else None,
        "planned-uprate-year-month": unit.uprate[0] if unit.uprate else None,
        "county": unit.county, "latitude": unit.latitude, "longitude": unit.longitude,
    }
    for column in columns:
        row[column] = _text(values[column])
        if column in MW_COLUMNS:
            row[f"{column}-units"] = "MW"
    return row
