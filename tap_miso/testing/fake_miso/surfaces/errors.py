"""Error bodies each surface really sends, and the exceptions routes raise to get them."""

from __future__ import annotations

from datetime import datetime

from tap_miso.testing.fake_miso.data.mixing import seed_of
from tap_miso.testing.fake_miso.response import HTML, JSON, XML, Response, json_response

DX_NO_DATA = {"status": 404, "reason": "Empty data returned for date"}
DX_NOT_FOUND = {"statusCode": 404, "message": "Resource not found"}
DX_MISSING_KEY = {"statusCode": 401, "message": "Access denied due to missing subscription key"}
DX_INVALID_KEY = {"statusCode": 401, "message": "Access denied due to invalid subscription key"}
PUBLIC_NO_DATA = {"Message": "No data available for the requested market day."}
ERROR_200 = {"error": "no data"}
HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>"
    b"<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your "
    b"request. Please try again later.</p></body></html>\n"
)
_GATEWAY_MESSAGES = {
    400: "Bad request",
    401: "Access denied due to invalid subscription key",
    403: "Out of call volume quota. Quota will be replenished in 23:59:59.",
    429: "Rate limit is exceeded. Try again in 60 seconds.",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


class NoData(Exception):
    """The surface's "no data / not published" answer."""


class BadRequest(Exception):
    """Data Exchange 400 (e.g. an unparseable date)."""


def dx_no_data() -> Response:
    return json_response(DX_NO_DATA, 404)


def dx_gateway(code: int, message: str | None = None) -> Response:
    return json_response({"statusCode": code, "message": message or _GATEWAY_MESSAGES.get(
        code, "Error")}, code)


def dx_bad_request(reason: str = "Invalid date format") -> Response:
    return json_response({"status": 400, "reason": reason}, 400)


def blob_not_found(path: str, now: datetime) -> Response:
    """Azure Blob Storage 404 body used by docs.misoenergy.org."""
    request_id = f"{seed_of('blob', path):016x}"
    body = (
        '<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code><Message>'
        "The specified blob does not exist.\n"
        f"RequestId:{request_id[:8]}-{request_id[8:12]}-0000-0000-{request_id[:12]}\n"
        f"Time:{now:%Y-%m-%dT%H:%M:%S}.0000000Z</Message></Error>"
    ).encode()
    return Response(404, XML, body, headers={"x-ms-error-code": "BlobNotFound"})


def public_no_data() -> Response:
    return json_response(PUBLIC_NO_DATA, 404)


def public_not_found(path: str) -> Response:
    return json_response(
        {"Message": f"No HTTP resource was found that matches the request URI '{path}'."}, 404
    )


def status_body(surface: str, code: int) -> Response:
    """Default body for an injected status fault on `surface`."""
    if surface == "market_reports":
        body = (
            '<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>'
            f"The server is busy (HTTP {code}).</Message></Error>"
        ).encode()
        return Response(code, XML, body)
    if surface == "public_api":
        return json_response({"Message": "An error has occurred."}, code)
    return dx_gateway(code)


def content_type_for_body(body: str) -> str:
    stripped = body.lstrip()
    if stripped.startswith(("{", "[")):
        return JSON
    if stripped.startswith("<?xml"):
        return XML
    return HTML if stripped.startswith("<") else "text/plain; charset=utf-8"
