"""`Response`: what a route returns before the HTTP layer writes it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import orjson

JSON = "application/json; charset=utf-8"
CSV = "text/csv"
XLS = "application/vnd.ms-excel"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/x-zip-compressed"
XML = "application/xml"
HTML = "text/html; charset=utf-8"


@dataclass
class Response:
    """Status, headers and a body that is either bytes or a lazy chunk stream."""

    status: int
    content_type: str
    body: bytes | None = None
    chunks: Iterable[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cacheable: bool = False

    @property
    def streamed(self) -> bool:
        return self.body is None

    def materialize(self) -> Response:
        """Join a streamed body into bytes (faults that rewrite bodies need all of it)."""
        if self.body is None:
            self.body = b"".join(self.chunks or ())
            self.chunks = None
        return self

    def iter_body(self) -> Iterator[bytes]:
        if self.body is not None:
            yield self.body
        else:
            yield from self.chunks or ()


def json_response(payload: object, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    """Compact JSON body (MISO's APIM and public API send compact JSON)."""
    return Response(status, JSON, orjson.dumps(payload), headers=headers or {})
