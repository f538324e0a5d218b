"""Turn a fault step into the response (or body rewrite) it stands for."""

from __future__ import annotations

import hashlib

from tap_miso.testing.fake_miso.faults import Fault
from tap_miso.testing.fake_miso.response import HTML, Response, json_response
from tap_miso.testing.fake_miso.surfaces import errors

SHORT_CIRCUIT = frozenset({"status", "reset", "html200", "error200", "not_published"})
SURFACE_PREFIXES = (("/pricing/", "data_exchange"), ("/lgi/", "data_exchange"),
                    ("/api/", "public_api"), ("/marketreports/", "market_reports"),
                    ("/eia/", "eia"))


def surface_of(path: str) -> str:
    """`data_exchange`, `public_api` or `market_reports` (unknown paths count as DX)."""
    for prefix, surface in SURFACE_PREFIXES:
        if path.startswith(prefix):
            return surface
    return "data_exchange"


def short_circuit(fault: Fault, surface: str, path: str, now: object) -> Response:
    """Response for faults answered without reaching the route (not `reset`)."""
    if fault.kind == "status":
        code = int(fault.params["code"])
        body = fault.params.get("body")
        if body is None:
            response = errors.status_body(surface, code)
        else:
            text = body if isinstance(body, str) else str(body)
            response = Response(code, errors.content_type_for_body(text), text.encode())
        retry_after = fault.params.get("retry_after")
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response
    if fault.kind == "html200":
        return Response(200, HTML, errors.HTML_ERROR_PAGE)
    if fault.kind == "error200":
        return json_response(errors.ERROR_200)
    if fault.kind == "not_published":
        if surface == "market_reports":
            return errors.blob_not_found(path, now)  # type: ignore[arg-type]
        if surface == "public_api":
            return errors.public_no_data()
        return errors.dx_no_data()
    raise ValueError(f"fault {fault.kind!r} is not a short-circuit fault")


def rewrite(response: Response, old: str | bytes, new: str | bytes, count: int = 1) -> Response:
    """`rewrite`: replace the first ``count`` occurrences of ``old`` in the body with ``new``
    (a valid page made subtly bad, e.g. one price written ``1e999``)."""
    def raw(text: str | bytes) -> bytes:
        return text.encode() if isinstance(text, str) else text

    body = response.materialize().body or b""
    response.body = body.replace(raw(old), raw(new), count)
    return response


def corrupt(response: Response) -> Response:
    """`malformed`: invalid JSON for JSON bodies, garbage bytes for everything else."""
    body = response.materialize().body or b""
    if response.content_type.startswith("application/json"):
        response.body = body[: len(body) // 2] + b'\x00{"broken'
    else:
        size = max(64, min(len(body), 4096))
        noise = b"".join(hashlib.blake2b(body[:64] + bytes([i % 256]), digest_size=64).digest()
                         for i in range(size // 64 + 1))
        response.body = b"\x00\xff\xfeGARBAGE" + noise[:size]
    return response
