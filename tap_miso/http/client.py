"""`HttpClient`: the one resilient HTTP client shared by every stream and source.

Per call: circuit breaker -> (per attempt: host semaphore -> rate limiter -> request ->
classify) -> retry with backoff. The semaphore is taken before the limiter so a granted
permit is used at once; permits therefore match send times and the limiter's ceilings hold
on the wire, not just on paper.

Retries are a small explicit loop rather than `backoff` decorators: the wait must come from
`Retry-After` when present, the sleep/clock/jitter must be injectable for virtual-time
tests, a Data Exchange 403 is not a retry but a switch to the next key, and every attempt
feeds the limiter. The wait is full jitter, `rng() * min(backoff_max, backoff_base * 2**n)`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import msgspec
import requests

from tap_miso.http.auth import KEY_HEADER, DataExchangeAuthenticator
from tap_miso.http.breaker import BreakerRegistry
from tap_miso.http.classify import DATA_EXCHANGE, classify
from tap_miso.http.config import ClientSettings
from tap_miso.http.eia_classify import EIA_API, EIA_SOURCES, classify_eia
from tap_miso.http.errors import (
    AuthError,
    CircuitOpenError,
    InvalidPayloadError,
    MisoHttpError,
    NoDataError,
    QuotaExhaustedError,
    RateLimitedError,
    RetriesExhaustedError,
    TransientError,
    url_path,
)
from tap_miso.http.page_spool import PageSpool
from tap_miso.http.paging import DataExchangePaginator, EnvelopeError, PagingMismatch
from tap_miso.http.ratelimit import RateLimiterRegistry
from tap_miso.http.stats import ClientListener, ClientStats, ListenerSet
from tap_miso.http.transport import make_session

logger = logging.getLogger(__name__)

PRODUCTS = ("pricing", "lgi")
Params = Mapping[str, Any] | None

_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class HttpClient:
    """Thread-safe resilient client (see module doc). Use as a context manager or `close()`."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        """Create the client.

        Args:
            settings: Client settings.
            clock: Monotonic clock for limiter, breaker and key parking (virtual in tests).
            sleep: Sleep used for every wait (virtual in tests).
            rng: Uniform [0, 1) source for backoff jitter.
        """
        self.settings = settings
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self.stats = ClientStats()
        self.events = ListenerSet()
        self.limiters = RateLimiterRegistry(settings, clock=clock, sleep=sleep)
        self.breakers = BreakerRegistry(
            failure_threshold=settings.breaker_failure_threshold,
            reset_seconds=settings.breaker_reset_seconds,
            clock=clock,
            on_open=self._breaker_opened,
        )
        self._auth = {p: DataExchangeAuthenticator(p, settings.keys_for(p), clock=clock)
                      for p in PRODUCTS}
        self._lock = threading.Lock()
        self._sessions: dict[str, requests.Session] = {}
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}

    # -- public API ---------------------------------------------------------------------

    def __enter__(self) -> HttpClient:
        """Return self."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the sessions."""
        self.close()

    def close(self) -> None:
        """Close every pooled session."""
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()

    def add_listener(self, listener: ClientListener) -> None:
        """Receive request latency, call outcome and breaker events (health, metrics)."""
        self.events.add(listener)

    def _breaker_opened(self, name: str) -> None:
        self.stats.breaker_opened(name)
        self.events.breaker_opened(name)

    def authenticator(self, product: str) -> DataExchangeAuthenticator:
        """The key rotation of a Data Exchange product (`pricing` or `lgi`)."""
        if product not in self._auth:
            msg = f"unknown Data Exchange product {product!r} (expected one of {PRODUCTS})"
            raise ValueError(msg)
        return self._auth[product]

    def has_keys(self, product: str) -> bool:
        """True when the product has a usable key (streams skip the DX otherwise)."""
        return self.authenticator(product).has_keys

    def limiter_rates(self) -> dict[str, float]:
        """Current adaptive rate (calls/min) of each limiter, by `host[/product]`."""
        return self.limiters.rates()

    def get(
        self,
        url: str,
        *,
        source: str,
        product: str | None = None,
        params: Params = None,
        stream: bool = False,
    ) -> requests.Response:
        """GET `url` with breaker, rate limit, retries and MISO's error meanings.

        Args:
            url: Absolute URL.
            source: `data_exchange`, `market_report` or `public_api`.
            product: `pricing` or `lgi`; required for the Data Exchange (selects keys).
            params: Query parameters.
            stream: Leave the body unread (the caller iterates and closes the response).
                Only the Content-Type is checked for an HTML page; the concurrency slot is
                released once the headers have arrived.

        Returns:
            A 2xx response whose body is not an HTML page or an error object.

        Raises:
            NoDataError, BadPathError, AuthError, QuotaExhaustedError, InvalidPayloadError,
            CircuitOpenError, RetriesExhaustedError: see `tap_miso.http.errors`.
        """
        auth = None
        breaker_name = source
        full_url = requests.Request("GET", url, params=params).prepare().url or url
        if source == DATA_EXCHANGE:
            auth = self.authenticator(product or "")
            breaker_name = f"{DATA_EXCHANGE}:{product}"
            if not auth.configured:
                msg = f"no Data Exchange {product} key configured"
                raise AuthError(msg, source=source, url=full_url)
            if not auth.has_keys:
                raise auth.exhausted_error(full_url)
        breaker = self.breakers.get(breaker_name)
        try:
            breaker.before_request(full_url)
        except CircuitOpenError:
            self.stats.circuit_rejected(breaker_name)
            raise
        try:
            response = self._get_with_retries(url, full_url, source=source, product=product,
                                              params=params, stream=stream, auth=auth)
        except RetriesExhaustedError as exc:
            breaker.record_failure()
            self.events.call_failed(breaker_name, str(exc))
            raise
        except MisoHttpError as exc:
            # A definite answer (no data, bad path, auth, quota, bad payload) means the source
            # is up. Only a TLS failure (the bare base class) counts against it.
            if type(exc) is MisoHttpError:
                breaker.record_failure()
                self.events.call_failed(breaker_name, str(exc))
            else:
                breaker.record_success()
                self.events.call_succeeded(breaker_name)
            raise
        except BaseException:
            breaker.release()
            raise
        breaker.record_success()
        self.events.call_succeeded(breaker_name)
        return response

    def data_exchange_records(self, product: str, path: str,
                              params: Params = None) -> Iterator[dict[str, Any]]:
        """Yield every record of a Data Exchange endpoint, walking its pages.

        A walk is buffered and only yielded once consistent (FORMATS.md §2.2): if
        `totalElements` changes mid-walk or the count differs, the walk is redone once, then
        `InvalidPayloadError` is raised. A `NoDataError` on page 1 propagates.

        Args:
            product: `pricing` or `lgi`.
            path: Path after `/{product}/v1/`, e.g. `day-ahead/2026-01-05/lmp-exante`.
            params: Filters (`interval`, `node`, ...); `pageNumber` is added per page.

        Yields:
            Records (dicts) as MISO sent them.
        """
        for _body, records in self._consistent_walk(product, path, params):
            yield from records

    def data_exchange_pages(self, product: str, path: str,
                            params: Params = None) -> Iterator[bytes]:
        """Like `data_exchange_records`, but yield each page's raw JSON body (for parsers)."""
        yield from self._consistent_walk(product, path, params, _BodyList, lean=True)

    def data_exchange_spool(self, product: str, path: str, params: Params = None) -> PageSpool:
        """Walk like `data_exchange_pages`, keeping the raw bodies in a `PageSpool`.

        The walk only reads each page's envelope (records are skipped, not decoded), and the
        bodies go to a spooled temporary file, so a day of big pages does not sit on the heap.
        """
        return self._consistent_walk(product, path, params, PageSpool, lean=True)

    # -- internals -----------------------------------------------------------------------

    def _consistent_walk(self, product: str, path: str, params: Params,
                         sink: Callable[[], _Sink] | None = None, *,
                         lean: bool = False) -> Any:
        make = sink or _RecordPages
        url = f"{self.settings.data_exchange_url}/{product}/v1/{path.lstrip('/')}"
        try:
            return self._walk(product, url, path, params, make(), lean)
        except PagingMismatch as exc:
            logger.warning("%s %s: %s; re-walking once", DATA_EXCHANGE, url_path(url), exc)
        try:
            return self._walk(product, url, path, params, make(), lean)
        except PagingMismatch as exc:
            msg = f"paging inconsistent on two walks: {exc}"
            raise InvalidPayloadError(msg, source=DATA_EXCHANGE, url=url) from None

    def _walk(self, product: str, url: str, path: str, params: Params, pages: _Sink,
              lean: bool) -> Any:
        """Fetch every page into ``pages``; ``lean`` reads only the envelope of each page."""
        paginator = DataExchangePaginator(path)
        while not paginator.finished:
            page_params = {**(params or {}), "pageNumber": paginator.current_value}
            try:
                response = self.get(url, source=DATA_EXCHANGE, product=product,
                                    params=page_params)
            except NoDataError:
                if paginator.count == 0:
                    raise
                break  # a later page vanished: check_complete() decides
            try:
                body = envelope_only(response.content) if lean else response.json()
                if not isinstance(body, dict):
                    raise EnvelopeError("body is not a JSON object")
                pages.add(response.content, paginator.read(body))
            except (ValueError, EnvelopeError) as exc:
                msg = f"unparseable Data Exchange page {paginator.current_value}: {exc}"
                raise InvalidPayloadError(msg, source=DATA_EXCHANGE, url=response.url,
                                          status=response.status_code) from None
            paginator.advance(response)
        paginator.check_complete()
        return pages

    def _host_resources(self, url: str) -> tuple[str, requests.Session,
                                                  threading.BoundedSemaphore]:
        parts = urlsplit(url)
        host = parts.netloc.lower()
        key = f"{parts.scheme}://{host}"
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = self._sessions[key] = make_session(self.settings)
            semaphore = self._semaphores.get(key)
            if semaphore is None:
                semaphore = self._semaphores[key] = threading.BoundedSemaphore(
                    self.settings.max_concurrent_requests)
        return host, session, semaphore

    def _get_with_retries(
        self,
        url: str,
        full_url: str,
        *,
        source: str,
        product: str | None,
        params: Params,
        stream: bool,
        auth: DataExchangeAuthenticator | None,
    ) -> requests.Response:
        host, session, semaphore = self._host_resources(url)
        limiter = self.limiters.get(host, product if source == DATA_EXCHANGE
                                    else "eia" if source == EIA_API else None)
        classifier = classify_eia if source in EIA_SOURCES else classify
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        retries = 0
        while True:
            error: MisoHttpError | None
            started: float | None = None
            try:
                with semaphore:
                    limiter.acquire()
                    started = time.monotonic()
                    response = session.get(url, params=params, stream=stream,
                                           timeout=timeout, auth=auth)
                elapsed = time.monotonic() - started
            except requests.exceptions.SSLError as exc:
                self.stats.request(source, "error")
                self._attempt_ended(source, "error", started)
                msg = (f"TLS verification failed ({exc}); if MISO's chain changed, "
                       f"set ca_bundle")
                raise MisoHttpError(msg, source=source, url=full_url) from None
            except _TRANSPORT_ERRORS as exc:
                self.stats.request(source, "error")
                self._attempt_ended(source, "error", started)
                error = TransientError(f"{type(exc).__name__}: {exc}", source=source,
                                       url=full_url)
            else:
                self.stats.request(source, response.status_code)
                self.events.request_finished(source, str(response.status_code), elapsed)
                limiter.on_latency(elapsed)
                error = classifier(response, source=source, url=full_url, product=product,
                                   stream=stream)
                if error is None:
                    limiter.on_success()
                    return response
                response.close()
                if isinstance(error, QuotaExhaustedError) and auth is not None:
                    self._park_key(auth, response, full_url)
                    continue  # at once, with the next key: not a retry
                if isinstance(error, RateLimitedError):
                    limiter.on_throttled()
                    self.stats.throttle(source)
                elif isinstance(error, TransientError) and (error.status or 0) >= 500:
                    limiter.on_server_error()
            if not isinstance(error, TransientError):
                raise error
            if retries >= self.settings.max_retries:
                msg = f"gave up after {retries + 1} attempts; last: {error.detail}"
                raise RetriesExhaustedError(msg, source=source, url=full_url,
                                            attempts=retries + 1, status=error.status)
            wait = self._backoff(retries, error.retry_after)
            retries += 1
            self.stats.retry(source)
            logger.warning("%s %s: %s; retry %d/%d in %.2f s", source, url_path(full_url),
                           error.detail, retries, self.settings.max_retries, wait)
            self._sleep(wait)

    def _attempt_ended(self, source: str, status: str, started: float | None) -> None:
        if started is not None:
            self.events.request_finished(source, status, time.monotonic() - started)

    def _backoff(self, retries_so_far: int, retry_after: float | None) -> float:
        """`Retry-After` (capped) when given, else full-jitter exponential backoff."""
        s = self.settings
        if retry_after is not None:
            return min(retry_after, s.max_retry_after)
        return self._rng() * min(s.backoff_max, s.backoff_base * 2 ** retries_so_far)

    def _park_key(self, auth: DataExchangeAuthenticator, response: requests.Response,
                  full_url: str) -> None:
        key = response.request.headers.get(KEY_HEADER) if response.request else None
        if key:
            auth.park(str(key))
        self.stats.key_parked(auth.product)
        if not auth.has_keys:
            raise auth.exhausted_error(full_url)
        logger.warning("%s %s: Data Exchange %s key quota spent (403); key parked, "
                       "switching to the next key", DATA_EXCHANGE, url_path(full_url),
                       auth.product)


# -- walk sinks and the lean envelope reader -----------------------------------------------------


class _Sink(Protocol):
    def add(self, body: bytes, records: list[Any]) -> None: ...


class _RecordPages(list):
    """(body, decoded records) of every page: `data_exchange_records`."""

    def add(self, body: bytes, records: list[Any]) -> None:
        self.append((body, records))


class _BodyList(list):
    """Raw bodies only: `data_exchange_pages`."""

    def add(self, body: bytes, records: list[Any]) -> None:
        self.append(body)


_TOP = msgspec.json.Decoder(dict[str, msgspec.Raw])
_RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])


def envelope_only(content: bytes) -> Any:
    """A page's body with ``data`` as raw, undecoded elements (enough to count and check them).

    The whole body is still checked to be well-formed JSON (``ValueError`` otherwise). A body
    that is not an object, or whose ``data`` is not a list, is returned fully decoded so it is
    reported exactly as for a normal read.
    """
    try:
        top = _TOP.decode(content)
    except msgspec.ValidationError:
        return msgspec.json.decode(content)
    body: dict[str, Any] = {}
    for key, raw in top.items():
        if key == "data":
            try:
                body[key] = _RAW_LIST.decode(raw)
                continue
            except msgspec.ValidationError:
                pass
        body[key] = msgspec.json.decode(raw)
    return body
