"""Data Exchange paging envelope (FORMATS.md §2.2).

`{"data": [...], "page": {"pageNumber", "pageSize", "totalElements", "totalPages", "lastPage"}}`
The page size is fixed and unknown, so `page.*` is logged at DEBUG on every call. The walk
stops on `lastPage`, on `pageNumber >= totalPages`, on an empty `data`, and never goes past
the first `totalPages` (a server that keeps echoing page 1 cannot loop us forever).
A republish during the walk (`totalElements` changes) or a count that does not match
`totalElements` raises `PagingMismatch`; the client re-walks once.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from singer_sdk.pagination import PageNumberPaginator

logger = logging.getLogger(__name__)


class PagingMismatch(Exception):
    """The walk is inconsistent: `totalElements` changed, or the count differs from it."""


class EnvelopeError(ValueError):
    """The body is not the Data Exchange envelope."""


def _as_int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


class DataExchangePaginator(PageNumberPaginator):
    """Page-number paginator (start 1) that reads MISO's paging envelope.

    Call `read(response)` for each page (it returns the records), then `advance(response)`.
    After `finished`, call `check_complete()`.
    """

    def __init__(self, path: str = "") -> None:
        """Create a paginator for one walk.

        Args:
            path: The endpoint path, for log lines.
        """
        super().__init__(1)
        self.path = path
        self.total_elements: int | None = None
        self.total_pages: int | None = None
        self.received = 0
        self._more = True
        self._pending = False
        self.pages_read = 0

    def read(self, response: requests.Response | dict[str, Any]) -> list[dict[str, Any]]:
        """Parse one page, update the counters, and return its records.

        Args:
            response: The page response (or its already-parsed JSON body).

        Returns:
            The records of the page.

        Raises:
            EnvelopeError: The body is not a paging envelope.
            PagingMismatch: `totalElements` changed since page 1.
        """
        body = response if isinstance(response, dict) else response.json()
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            msg = "body has no 'data' list"
            raise EnvelopeError(msg)
        page = body.get("page") if isinstance(body.get("page"), dict) else {}
        number = _as_int(page.get("pageNumber"))
        total_elements = _as_int(page.get("totalElements"))
        total_pages = _as_int(page.get("totalPages"))
        last_page = page.get("lastPage") is True
        logger.debug(
            "DX page %s: page.pageNumber=%s pageSize=%s totalElements=%s totalPages=%s "
            "lastPage=%s records=%d", self.path, page.get("pageNumber"), page.get("pageSize"),
            page.get("totalElements"), page.get("totalPages"), page.get("lastPage"), len(data))

        if self.pages_read == 0:
            self.total_elements = total_elements
            self.total_pages = total_pages
        elif total_elements is not None and total_elements != self.total_elements:
            msg = (f"totalElements changed from {self.total_elements} to {total_elements} "
                   f"at page {self.current_value} (republished mid-walk)")
            raise PagingMismatch(msg)

        self.pages_read += 1
        self.received += len(data)
        number = number if number is not None else self.current_value
        cap = max(1, self.total_pages or 1)
        self._more = not (
            not page  # no envelope: a single page
            or last_page
            or not data
            or (total_pages is not None and number >= total_pages)
            or self.current_value >= cap
        )
        self._pending = True
        return data

    def has_more(self, response: requests.Response) -> bool:
        """True unless the page just read was the last one (see module doc)."""
        if not self._pending:
            self.read(response)
        self._pending = False
        return self._more

    def check_complete(self) -> None:
        """Raise `PagingMismatch` if the records received differ from `totalElements`."""
        if self.total_elements is not None and self.received != self.total_elements:
            msg = (f"received {self.received} records, envelope said totalElements="
                   f"{self.total_elements}")
            raise PagingMismatch(msg)
