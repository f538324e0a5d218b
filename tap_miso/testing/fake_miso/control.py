"""`/_fake/...` control endpoints for the CLI and demos (not logged as MISO requests).

    POST   /_fake/faults         {"path_regex", "fault", "times", "params"} or
                                 {"path_regex", "steps": [[fault, params], ...]}
    GET    /_fake/faults         active rules
    DELETE /_fake/faults         clear all rules
    GET    /_fake/requests       request log (JSON list)
    DELETE /_fake/requests       clear the log
    POST   /_fake/clock          {"now": "2026-07-20T17:00:00Z"} (null = real time)
    POST   /_fake/missing-dates  {"dates": ["2026-07-10"]};  DELETE clears them
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson

from tap_miso.testing.fake_miso.response import Response, json_response
from tap_miso.testing.fake_miso.state import ServerState


def handle(state: ServerState, method: str, path: str, body: bytes) -> Response:
    """Answer a control request."""
    try:
        payload: Any = orjson.loads(body) if body else {}
        return _dispatch(state, method, path.rstrip("/"), payload)
    except (ValueError, KeyError, TypeError) as error:
        return json_response({"error": str(error)}, 400)


def _dispatch(state: ServerState, method: str, path: str, payload: Any) -> Response:
    if path == "/_fake/faults":
        if method == "POST":
            if "steps" in payload:
                steps = [(kind, params or {}) for kind, params in payload["steps"]]
                handle = state.faults.inject_sequence(payload["path_regex"], steps)
            else:
                handle = state.faults.inject(payload["path_regex"], payload["fault"],
                                             payload.get("times", 1),
                                             **(payload.get("params") or {}))
            return json_response(handle.describe(), 201)
        if method == "DELETE":
            state.faults.clear()
            return json_response({"cleared": True})
        return json_response(state.faults.describe())
    if path == "/_fake/requests":
        if method == "DELETE":
            state.log.clear()
            return json_response({"cleared": True})
        return json_response([record.as_json() for record in state.log.all()])
    if path == "/_fake/clock" and method == "POST":
        raw = payload.get("now")
        state.clock.set(None if raw is None else datetime.fromisoformat(raw))
        return json_response({"now": state.now.isoformat()})
    if path == "/_fake/missing-dates":
        if method == "DELETE":
            state.missing_dates.clear()
        elif method == "POST":
            state.missing_dates.update(date.fromisoformat(d) for d in payload["dates"])
        return json_response(sorted(d.isoformat() for d in state.missing_dates))
    return json_response({"error": f"unknown control endpoint {method} {path}"}, 404)
