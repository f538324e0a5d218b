"""The resilient HTTP client (`tap_miso.http`) against the project's fake MISO server.

Real sockets on 127.0.0.1; every count and timing is read from the fake's request log.
Tests that measure waits use the real clock with small backoffs (each wait <= ~2 s); the
others inject a virtual clock so the Data Exchange pacing (100/min = one call per 0.6 s)
costs no wall time.

Timing notes (from `http/client.py` and `http/ratelimit.py`):
* a retry waits `rng() * min(backoff_max, backoff_base * 2**n)` (rng fixed at 1.0 here) or
  the capped `Retry-After`, and then acquires the limiter again, so the gap between two
  attempts on the wire is `max(backoff_n, 60 / current_rate)`;
* the limiter paces grants at least `60 / current_rate` seconds apart; a 429 halves the
  rate, 3 x 5xx within 60 s multiply it by 0.75, each success adds back 5 % of the
  configured rate; Data Exchange limiters are clamped to 100/min whatever the settings.
"""

from __future__ import annotations

import email.utils
import itertools
import logging
import math
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

from tap_miso.http import (
    AuthError,
    BadPathError,
    CircuitOpenError,
    ClientSettings,
    HttpClient,
    InvalidPayloadError,
    NoDataError,
    QuotaExhaustedError,
    RetriesExhaustedError,
)
from tap_miso.secrets import install_redaction
from tap_miso.testing.fake_miso import FakeMisoServer, RequestRecord

NOW = datetime(2026, 7, 20, 17, 0, tzinfo=UTC)  # Monday 12:00 EST in the fake
D = date(2026, 7, 14)  # published on every surface at NOW
PRICING_KEY = "pk-integration-1"
LGI_KEY = "lk-integration-1"

DA_PATH = f"day-ahead/{D}/lmp-exante"  # relative to /pricing/v1/
DA_RE = rf"^/pricing/v1/day-ahead/{D}/lmp-exante$"
MR_FILE = f"{D:%Y%m%d}_da_expost_lmp.csv"
MR_RE = rf"^/marketreports/{MR_FILE}$"
PUBLIC_FEED = "FuelMix"
PUBLIC_RE = r"^/api/FuelMix$"

WIRE_JITTER = 0.05  # grant -> server receipt latency spread on loopback (seen up to 25 ms)
OVERSHOOT = 0.25  # upper tolerance on a wait: sleep overshoot + one response time (s)


# -- fixtures and helpers -------------------------------------------------------------------


class VirtualClock:
    """Virtual monotonic time: `sleep(d)` records `d` and advances the clock. Thread-safe."""

    def __init__(self, start: float = 1000.0,
                 on_sleep: Callable[[float], None] | None = None) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)


@pytest.fixture
def make_fake() -> Iterator[Callable[..., FakeMisoServer]]:
    fakes: list[FakeMisoServer] = []

    def factory(**kwargs: Any) -> FakeMisoServer:
        kwargs.setdefault("node_count", 20)
        kwargs.setdefault("now", NOW)
        kwargs.setdefault("dx_keys", {"pricing": [PRICING_KEY], "lgi": [LGI_KEY]})
        fake = FakeMisoServer(**kwargs).start()
        fakes.append(fake)
        return fake

    yield factory
    for fake in fakes:
        fake.stop()


@pytest.fixture(scope="module")
def shared_fake() -> Iterator[FakeMisoServer]:
    """One default fake for the module (stopping a fake costs ~0.5 s of shutdown polling)."""
    with FakeMisoServer(node_count=20, now=NOW,
                        dx_keys={"pricing": [PRICING_KEY], "lgi": [LGI_KEY]}) as server:
        yield server


@pytest.fixture
def fake(shared_fake: FakeMisoServer) -> Iterator[FakeMisoServer]:
    """The shared fake, clean: no faults, empty log, fresh DX rate/quota counters."""
    shared_fake.clear_faults()
    shared_fake.reset_log()
    shared_fake.reset_limits()
    shared_fake.missing_dates.clear()
    shared_fake.now = NOW
    yield shared_fake
    shared_fake.clear_faults()


@pytest.fixture
def make_client() -> Iterator[Callable[..., HttpClient]]:
    """`factory(fake, clock=None, **settings)`: real time unless a `VirtualClock` is given."""
    clients: list[HttpClient] = []

    def factory(fake: FakeMisoServer, clock: VirtualClock | None = None,
                **overrides: Any) -> HttpClient:
        values: dict[str, Any] = {
            "max_retries": 3,
            "backoff_base": 0.05,
            "backoff_max": 5.0,
            "requests_per_minute": 6000,  # non-DX pacing 10 ms; DX is clamped to 100/min
            "requests_per_hour": 1_000_000,
            "connect_timeout": 2,
            "read_timeout": 10,
            "pricing_keys": (PRICING_KEY,),
            "lgi_keys": (LGI_KEY,),
            "data_exchange_url": fake.data_exchange_url,
        }
        values.update(overrides)
        settings = ClientSettings(**values)
        if clock is None:
            client = HttpClient(settings, sleep=time.sleep, rng=lambda: 1.0)
        else:
            client = HttpClient(settings, clock=clock, sleep=clock.sleep, rng=lambda: 1.0)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


def dx_url(fake: FakeMisoServer, path: str = DA_PATH, product: str = "pricing") -> str:
    return f"{fake.data_exchange_url}/{product}/v1/{path}"


def mr_url(fake: FakeMisoServer, name: str = MR_FILE) -> str:
    return f"{fake.market_reports_url}/{name}"


def public_url(fake: FakeMisoServer, feed: str = PUBLIC_FEED) -> str:
    return f"{fake.public_api_url}/{feed}"


def dx_get(client: HttpClient, fake: FakeMisoServer, path: str = DA_PATH,
           product: str = "pricing", **params: str) -> requests.Response:
    return client.get(dx_url(fake, path, product), source="data_exchange", product=product,
                      params=params or {"interval": "14"})


def statuses(log: list[RequestRecord]) -> list[int]:
    return [record.status for record in log]


def gaps(log: list[RequestRecord]) -> list[float]:
    return gaps_of([record.time for record in log])


def gaps_of(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def wait_for_log(fake: FakeMisoServer, regex: str, count: int,
                 timeout: float = 2.0) -> list[RequestRecord]:
    """The fake logs a request just before its body is written, so a client that only read
    the headers (stream=True) can get ahead of the log by a moment: wait for it."""
    deadline = time.monotonic() + timeout
    while len(fake.requests_for(regex)) < count and time.monotonic() < deadline:
        time.sleep(0.005)
    return fake.requests_for(regex)


def max_in_window(times: list[float], width: float) -> int:
    """Most timestamps inside any half-open window [t, t + width)."""
    times = sorted(times)
    best, j = 0, 0
    for i, start in enumerate(times):
        j = max(j, i)
        while j < len(times) and times[j] < start + width:
            j += 1
        best = max(best, j - i)
    return best


def raw_dx_walk(fake: FakeMisoServer, path: str, key: str, **params: str
                ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Walk a DX endpoint with plain `requests` (independent of the client)."""
    records: list[dict[str, Any]] = []
    number, first_page = 1, None
    with requests.Session() as http:
        while True:
            response = http.get(dx_url(fake, path), params={**params, "pageNumber": number},
                                headers={"Ocp-Apim-Subscription-Key": key}, timeout=10)
            assert response.status_code == 200, response.text
            body = response.json()
            first_page = first_page or body["page"]
            records += body["data"]
            if body["page"]["lastPage"]:
                return records, first_page
            number += 1


# -- 1. retry count and backoff ------------------------------------------------------------


def test_dx_three_503_then_success_gaps_follow_backoff_and_pacing(fake, make_client):
    fake.inject(DA_RE, "status", times=3, code=503)
    client = make_client(fake, max_retries=5, backoff_base=0.35)
    records = list(client.data_exchange_records("pricing", DA_PATH, {"interval": "14"}))
    assert len(records) == 20 and {r["interval"] for r in records} == {"14"}
    log = fake.requests_for(DA_RE)
    assert statuses(log) == [503, 503, 503, 200]
    assert [r.fault for r in log] == ["status", "status", "status", None]
    # Backoff (rng=1.0): 0.35, 0.70, 1.40 s. DX pacing: 60/100 = 0.6 s, then 60/75 = 0.8 s
    # once the third 5xx within 60 s slowed the limiter by a quarter. Gap = the larger.
    # A backoff wait starts after the previous response arrived, so it bounds the wire gap
    # exactly; a pacing wait is between grants, so allow the grant -> receipt spread.
    expected = [max(0.35, 0.6), max(0.70, 0.6), max(1.40, 0.8)]
    lower = [0.6 - WIRE_JITTER, 0.70, 1.40]
    measured = gaps(log)
    for gap, low, want in zip(measured, lower, expected, strict=True):
        assert low <= gap < want + OVERSHOOT, (measured, expected)
    assert client.stats.retries["data_exchange"] == 3
    # 3 x 503 in 60 s: 100 * 0.75 = 75, then one success: +5 % of 100.
    assert client.limiter_rates()[f"127.0.0.1:{fake.port}/pricing"] == pytest.approx(80.0)


def test_public_three_503_then_success_gaps_equal_pure_backoff(fake, make_client):
    fake.inject(PUBLIC_RE, "status", times=3, code=503)
    client = make_client(fake, max_retries=5, backoff_base=0.1)
    response = client.get(public_url(fake), source="public_api")
    assert response.status_code == 200 and response.json()
    log = fake.requests_for(PUBLIC_RE)
    assert statuses(log) == [503, 503, 503, 200]
    measured = gaps(log)
    for gap, want in zip(measured, [0.1, 0.2, 0.4], strict=True):
        assert want <= gap < want + OVERSHOOT, measured


def test_dx_retries_exhausted_after_exactly_max_retries_plus_one(fake, make_client):
    fake.inject(DA_RE, "status", times=None, code=503)
    client = make_client(fake, max_retries=2, backoff_base=0.01)
    with pytest.raises(RetriesExhaustedError) as info:
        dx_get(client, fake)
    assert statuses(fake.requests_for(DA_RE)) == [503, 503, 503]
    assert info.value.attempts == 3
    assert info.value.status == 503
    assert str(info.value).startswith(
        f"data_exchange /pricing/v1/{DA_PATH}?interval=14: gave up after 3 attempts")


# -- 2. Retry-After ------------------------------------------------------------------------
# On the public API (limiter at 6000/min) so the wait can only come from Retry-After; a
# large backoff_base proves the backoff is *replaced*, not added.


def test_retry_after_seconds_is_honoured(fake, make_client):
    fake.inject(PUBLIC_RE, "status", code=429, retry_after=1)
    client = make_client(fake, backoff_base=5.0)
    assert client.get(public_url(fake), source="public_api").status_code == 200
    log = fake.requests_for(PUBLIC_RE)
    assert statuses(log) == [429, 200]
    assert 1.0 <= gaps(log)[0] < 1.0 + OVERSHOOT


def test_retry_after_http_date_is_honoured(fake, make_client):
    client = make_client(fake, backoff_base=5.0)
    target = math.floor(time.time()) + 2  # HTTP-dates have 1-s resolution: wait in (1, 2] s
    fake.inject(PUBLIC_RE, "status", code=429,
                retry_after=email.utils.formatdate(target, usegmt=True))
    assert client.get(public_url(fake), source="public_api").status_code == 200
    log = fake.requests_for(PUBLIC_RE)
    assert statuses(log) == [429, 200]
    assert log[1].wall >= datetime.fromtimestamp(target, UTC) - timedelta(milliseconds=10)
    assert gaps(log)[0] < 2.0 + OVERSHOOT


def test_huge_retry_after_is_capped_by_max_retry_after(fake, make_client):
    fake.inject(PUBLIC_RE, "status", code=503, retry_after=3600)
    client = make_client(fake, backoff_base=5.0, max_retry_after=0.3)
    assert client.get(public_url(fake), source="public_api").status_code == 200
    log = fake.requests_for(PUBLIC_RE)
    assert statuses(log) == [503, 200]
    assert 0.3 <= gaps(log)[0] < 0.3 + OVERSHOOT


# -- 3. circuit breaker --------------------------------------------------------------------


def test_breaker_opens_fails_fast_probes_once_and_recovers(fake, make_client):
    client = make_client(fake, max_retries=1, backoff_base=0.01,
                         breaker_failure_threshold=2, breaker_reset_seconds=0.5)

    def get() -> requests.Response:
        return client.get(mr_url(fake), source="market_report")

    def count() -> int:
        return len(fake.requests_for(MR_RE))

    down = fake.inject(MR_RE, "status", times=None, code=503)
    for _ in range(2):  # two calls, each 1 + 1 retry, both exhausted -> 2 failures
        with pytest.raises(RetriesExhaustedError):
            get()
    assert count() == 4
    assert client.breakers.states()["market_report"] == "open"
    with pytest.raises(CircuitOpenError):
        get()
    assert count() == 4  # no request while open
    assert client.stats.circuit_rejections["market_report"] == 1

    time.sleep(0.55)  # half-open: the probe goes through, fails (with its retry), re-opens
    with pytest.raises(RetriesExhaustedError):
        get()
    assert count() == 6
    assert client.breakers.states()["market_report"] == "open"
    with pytest.raises(CircuitOpenError):
        get()
    assert count() == 6

    down.cancel()
    time.sleep(0.55)
    fake.inject(MR_RE, "latency", seconds=0.4)  # keep the probe in flight while others arrive
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def racer() -> None:
        barrier.wait()
        try:
            get()
            outcomes.append("ok")
        except CircuitOpenError:
            outcomes.append("open")

    threads = [threading.Thread(target=racer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == ["ok", "open", "open", "open"]
    assert count() == 7  # exactly one half-open probe reached the server
    assert client.breakers.states()["market_report"] == "closed"
    for _ in range(3):
        assert get().status_code == 200
    assert count() == 10
    assert client.stats.breaker_opens["market_report"] == 2


def test_no_data_404_never_opens_the_breaker(fake, make_client):
    clock = VirtualClock()
    client = make_client(fake, clock, breaker_failure_threshold=1, max_retries=0)
    future = "day-ahead/2030-01-15/lmp-exante"
    for _ in range(3):
        with pytest.raises(NoDataError):
            dx_get(client, fake, future)
        with pytest.raises(NoDataError):
            client.get(mr_url(fake, "20300115_da_expost_lmp.csv"), source="market_report")
    assert statuses(fake.requests_for("2030-01-15")) == [404] * 3
    assert statuses(fake.requests_for("20300115")) == [404] * 3
    assert client.breakers.states() == {"data_exchange:pricing": "closed",
                                        "market_report": "closed"}
    # ...while one real failure does open it at this threshold (the test can fail).
    fake.inject(MR_RE, "status", code=503)
    with pytest.raises(RetriesExhaustedError):
        client.get(mr_url(fake), source="market_report")
    assert client.breakers.states()["market_report"] == "open"


# -- 4. limiter over a burst ---------------------------------------------------------------


def test_limiter_never_exceeds_its_rate_over_200_threaded_calls(fake, make_client):
    """1200/min = one grant per 0.05 s (pacing); ceiling 1200 per sliding 60 s.

    `AdaptiveRateLimiter` guarantees consecutive grants >= 60/rate apart, so any half-open
    window [t, t+W) holds at most ceil(W / 0.05) grants: 20 per 1 s, 120 per 6 s. That is
    asserted exactly on the limiter's grant times. On the wire (server receipt times) one
    extra call per window is allowed: grant -> receipt latency varies by a few ms between
    calls, which can pull the 21st grant (exactly 1.0 s after the 1st) inside the window.
    """
    client = make_client(fake, requests_per_minute=1200, max_concurrent_requests=4)
    limiter = client.limiters.get(f"127.0.0.1:{fake.port}")
    grants: list[float] = []
    original = limiter.acquire

    def recording_acquire() -> float:
        granted = original()
        grants.append(granted)
        return granted

    limiter.acquire = recording_acquire  # type: ignore[method-assign]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(
            lambda _: client.get(mr_url(fake), source="market_report").status_code,
            range(200)))
    elapsed = time.monotonic() - started
    assert results == [200] * 200
    log = fake.requests_for(MR_RE)
    assert len(log) == 200 and len(grants) == 200

    grants.sort()
    assert min(gaps_of(grants)) >= 0.05 - 1e-9
    assert max_in_window(grants, 1.0) <= 20
    assert max_in_window(grants, 6.0) <= 120

    times = sorted(record.time for record in log)
    assert max_in_window(times, 1.0) <= 21
    assert max_in_window(times, 6.0) <= 121
    assert times[-1] - times[0] >= 199 * 0.05 - WIRE_JITTER
    assert elapsed < 199 * 0.05 + 3.0  # the limiter paces, it does not stall


def test_hourly_ceiling_is_a_hard_sliding_window(fake, make_client):
    """The sliding-window log refuses the (limit+1)-th grant inside any window (virtual time)."""
    clock = VirtualClock()
    client = make_client(fake, clock, requests_per_minute=6000, requests_per_hour=3)
    limiter = client.limiters.get(f"127.0.0.1:{fake.port}")
    grants: list[float] = []
    original = limiter.acquire

    def recording_acquire() -> float:
        granted = original()
        grants.append(granted)
        return granted

    limiter.acquire = recording_acquire  # type: ignore[method-assign]
    for _ in range(7):
        assert client.get(mr_url(fake), source="market_report").status_code == 200
    assert len(fake.requests_for(MR_RE)) == 7
    assert max_in_window(grants, 3600.0) == 3
    # grants 4 and 7 wait for grants 1 and 4 to leave the hour
    assert grants[3] - grants[0] == pytest.approx(3600.0)
    assert grants[6] - grants[3] == pytest.approx(3600.0)


# -- 5. Data Exchange ceiling --------------------------------------------------------------


def test_dx_rate_is_clamped_to_100_per_minute(make_fake, make_client):
    fake = make_fake(dx_rate_per_minute=100)
    client = make_client(fake, requests_per_minute=500, max_concurrent_requests=4)
    host = f"127.0.0.1:{fake.port}"
    assert client.limiters.get(host, "pricing").limits[60.0] == 100
    assert client.limiters.get(host, "lgi").limits[60.0] == 100
    assert client.limiters.get(host).limits[60.0] == 500  # other sources keep the setting

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(lambda _: dx_get(client, fake).status_code, range(5)))
    assert codes == [200] * 5
    log = fake.requests_for(DA_RE)
    assert 429 not in statuses(log)
    # 60/100 = 0.6 s between DX grants (500/min unclamped would be 0.12 s).
    assert min(gaps(log)) >= 0.6 - WIRE_JITTER
    assert client.limiter_rates()[f"{host}/pricing"] == 100.0
    # pricing and lgi have separate buckets: an lgi call right after is not paced.
    before = time.monotonic()
    client.get(dx_url(fake, f"real-time/{D}/demand/actual", "lgi"), source="data_exchange",
               product="lgi")
    assert time.monotonic() - before < 0.5


# -- 6. slow-down after 429 and recovery ---------------------------------------------------


def test_429_halves_the_dx_rate_then_it_recovers_gradually(fake, make_client):
    seen: list[float] = []
    clock = VirtualClock()
    client = make_client(fake, clock)
    name = f"127.0.0.1:{fake.port}/pricing"

    def record_rate(_seconds: float) -> None:
        rate = client.limiter_rates().get(name)
        if rate is not None and (not seen or seen[-1] != rate):
            seen.append(rate)

    clock.on_sleep = record_rate
    client.get(mr_url(fake), source="market_report")  # creates the non-DX bucket
    fake.inject(DA_RE, "status", times=2, code=429)
    dx_get(client, fake)
    assert statuses(fake.requests_for(DA_RE)) == [429, 429, 200]
    assert seen == [50.0, 25.0]  # halved by each 429, observed during the retry waits
    rates = [client.limiter_rates()[name]]
    for _ in range(15):
        dx_get(client, fake)
        rates.append(client.limiter_rates()[name])
    # +5 % of the configured 100/min per success, never above it
    assert rates == [pytest.approx(r) for r in [*range(30, 101, 5), 100]]
    assert statuses(fake.requests_for(DA_RE))[3:] == [200] * 15
    assert client.limiter_rates()[f"127.0.0.1:{fake.port}"] == 6000.0  # other bucket untouched


# -- 7. key rotation on 403 ----------------------------------------------------------------


def test_quota_403_rotates_keys_then_exhausts(make_fake, make_client):
    key_a, key_b = "KEY-ALPHA-7731", "KEY-BRAVO-8842"
    fake = make_fake(dx_keys={"pricing": [key_a, key_b], "lgi": [LGI_KEY]}, dx_daily_quota=3)
    client = make_client(fake, VirtualClock(), pricing_keys=(key_a, key_b))

    dx_get(client, fake)
    dx_get(client, fake)
    assert [(r.status, r.key) for r in fake.requests_for(DA_RE)] == [(200, key_a), (200, key_b)]

    with requests.Session() as http:  # spend key A's remaining quota outside the client
        for _ in range(2):
            spent = http.get(dx_url(fake), headers={"Ocp-Apim-Subscription-Key": key_a},
                             timeout=10)
            assert spent.status_code == 200
    assert fake.dx_calls_today(key_a) == 3
    fake.reset_log()

    dx_get(client, fake)  # A's turn: 403, then the same call succeeds with B
    assert [(r.status, r.key) for r in fake.requests_for(DA_RE)] == [(403, key_a), (200, key_b)]
    dx_get(client, fake)  # A is parked: B again (its third call)
    assert fake.requests_for(DA_RE)[-1].status == 200
    assert fake.requests_for(DA_RE)[-1].key == key_b

    with pytest.raises(QuotaExhaustedError) as info:
        dx_get(client, fake)
    log = fake.requests_for(DA_RE)
    assert [(r.status, r.key) for r in log[3:]] == [(403, key_b)]
    assert info.value.product == "pricing"
    for error_text in (str(info.value), repr(info.value), info.value.url):
        assert key_a not in error_text and key_b not in error_text
    assert "pricing" in str(info.value)
    with pytest.raises(QuotaExhaustedError):
        dx_get(client, fake)
    assert len(fake.requests_for(DA_RE)) == 4  # no request once every key is parked
    assert client.stats.keys_parked["pricing"] == 2


# -- 8. 401 --------------------------------------------------------------------------------


def test_wrong_key_and_lgi_key_on_pricing_are_auth_errors(fake, make_client):
    wrong = make_client(fake, VirtualClock(), pricing_keys=("not-a-real-key",))
    with pytest.raises(AuthError) as info:
        dx_get(wrong, fake)
    assert info.value.status == 401
    crossed = make_client(fake, VirtualClock(), pricing_keys=(LGI_KEY,))
    with pytest.raises(AuthError):
        dx_get(crossed, fake)
    log = fake.requests_for(DA_RE)
    assert [(r.status, r.key) for r in log] == [(401, "not-a-real-key"), (401, LGI_KEY)]
    unconfigured = make_client(fake, VirtualClock(), pricing_keys=())
    with pytest.raises(AuthError):
        dx_get(unconfigured, fake)
    assert len(fake.requests_for(DA_RE)) == 2  # no key: refused before any request


# -- 9. 404 meanings -----------------------------------------------------------------------


def test_404_meanings(fake, make_client):
    client = make_client(fake, VirtualClock())
    # DX backend `{"status":404,"reason":"Empty data returned for date"}`: not published yet.
    with pytest.raises(NoDataError):
        list(client.data_exchange_records("pricing", "day-ahead/2030-01-15/lmp-exante"))
    # DX gateway `{"statusCode":404,"message":"Resource not found"}`: typo / wrong product.
    with pytest.raises(BadPathError):
        dx_get(client, fake, f"day-ahead/{D}/lmp-typo")
    with pytest.raises(BadPathError):
        dx_get(client, fake, DA_PATH, product="lgi")
    # MR Azure `BlobNotFound`: not published yet / outside retention.
    with pytest.raises(NoDataError):
        client.get(mr_url(fake, "20260725_da_expost_lmp.csv"), source="market_report")
    # MISO's trap (FORMATS.md §2.3, §7.5): a zero-padded HE `interval=01` answers the *same*
    # backend "Empty data returned for date" 404 as a genuinely empty day, i.e. a silent gap;
    # the unpadded `interval=1` has data. The client cannot tell them apart: callers must
    # never pad the hour ending.
    with pytest.raises(NoDataError):
        dx_get(client, fake, interval="01")
    assert dx_get(client, fake, interval="1").json()["page"]["totalElements"] == 20
    assert [(r.path, r.status) for r in fake.requests] == [
        ("/pricing/v1/day-ahead/2030-01-15/lmp-exante", 404),
        (f"/pricing/v1/day-ahead/{D}/lmp-typo", 404),
        (f"/lgi/v1/{DA_PATH}", 404),
        ("/marketreports/20260725_da_expost_lmp.csv", 404),
        (f"/pricing/v1/{DA_PATH}", 404),
        (f"/pricing/v1/{DA_PATH}", 200),
    ]  # one request each: none of these is retried


# -- 10. 200 with an HTML page or an error object ------------------------------------------


@pytest.mark.parametrize("fault", ["html200", "error200"])
def test_invalid_200_payloads_raise_without_retry(fake, make_client, fault):
    client = make_client(fake, VirtualClock())
    calls: list[tuple[str, Callable[[], object]]] = [
        (DA_RE, lambda: list(client.data_exchange_records("pricing", DA_PATH,
                                                           {"interval": "14"}))),
        (DA_RE, lambda: dx_get(client, fake)),
        (PUBLIC_RE, lambda: client.get(public_url(fake), source="public_api")),
        (MR_RE, lambda: client.get(mr_url(fake), source="market_report")),
    ]
    for regex, call in calls:
        fake.inject(regex, fault)
        before = len(fake.requests_for(regex))
        with pytest.raises(InvalidPayloadError):
            call()
        after = fake.requests_for(regex)
        assert len(after) == before + 1 and after[-1].fault == fault
    assert client.stats.total_requests() == 4
    assert sum(client.stats.retries.values()) == 0


def test_html200_detected_on_streamed_market_report(fake, make_client):
    client = make_client(fake, VirtualClock())
    fake.inject(MR_RE, "html200")
    with pytest.raises(InvalidPayloadError):
        client.get(mr_url(fake), source="market_report", stream=True)
    log = wait_for_log(fake, MR_RE, 1)
    time.sleep(0.05)
    assert fake.requests_for(MR_RE) == log and [r.fault for r in log] == ["html200"]


# -- 11. connection reset, truncated and malformed bodies ----------------------------------


def test_connection_reset_is_retried_once(fake, make_client):
    client = make_client(fake, VirtualClock())
    fake.inject(DA_RE, "reset")
    assert len(list(client.data_exchange_records("pricing", DA_PATH, {"interval": "14"}))) == 20
    fake.inject(MR_RE, "reset")
    assert client.get(mr_url(fake), source="market_report").content.startswith(b"Day Ahead")
    assert [(r.status, r.fault) for r in fake.requests_for(DA_RE)] == [(0, "reset"), (200, None)]
    assert [(r.status, r.fault) for r in fake.requests_for(MR_RE)] == [(0, "reset"), (200, None)]


def test_truncated_dx_page_is_retried_mid_walk(make_fake, make_client):
    """Design: a short body is a transport error (ChunkedEncodingError) -> retried."""
    fake = make_fake(node_count=100, dx_page_size=7)
    expected, _ = raw_dx_walk(fake, DA_PATH, PRICING_KEY, interval="14")
    fake.reset_log()
    fake.reset_limits()
    client = make_client(fake, VirtualClock())
    fake.inject_sequence(DA_RE, [("ok", {}), ("ok", {}), ("truncate", {})])
    records = list(client.data_exchange_records("pricing", DA_PATH, {"interval": "14"}))
    assert records == expected
    log = fake.requests_for(DA_RE)
    assert [int(r.query["pageNumber"]) for r in log] == [1, 2, 3, *range(3, 16)]
    assert log[2].fault == "truncate"
    assert client.stats.retries["data_exchange"] == 1


def test_malformed_dx_page_is_a_clear_error_not_retried(fake, make_client):
    """Design: a complete 200 whose JSON does not parse is InvalidPayloadError at once."""
    client = make_client(fake, VirtualClock())
    fake.inject(DA_RE, "malformed")
    with pytest.raises(InvalidPayloadError, match="unparseable Data Exchange page 1"):
        list(client.data_exchange_records("pricing", DA_PATH, {"interval": "14"}))
    assert [(r.status, r.fault) for r in fake.requests_for(DA_RE)] == [(200, "malformed")]


# -- 12. paging ----------------------------------------------------------------------------


def test_paging_walks_every_page_in_order(make_fake, make_client):
    fake = make_fake(node_count=100, dx_page_size=7)
    expected, first_page = raw_dx_walk(fake, DA_PATH, PRICING_KEY, interval="14")
    total = first_page["totalElements"]
    pages = math.ceil(total / 7)
    assert total == len(expected) and pages == first_page["totalPages"] and pages > 10
    fake.reset_log()
    fake.reset_limits()
    client = make_client(fake, VirtualClock())
    records = list(client.data_exchange_records("pricing", DA_PATH, {"interval": "14"}))
    assert len(records) == total
    assert records == expected
    log = fake.requests_for(DA_RE)
    assert [int(r.query["pageNumber"]) for r in log] == list(range(1, pages + 1))
    assert all(r.query["interval"] == "14" and r.status == 200 for r in log)


def test_page_vanishing_mid_walk_rewalks_once_then_raises(make_fake, make_client):
    """FORMATS.md §2.2: a count that differs from totalElements -> re-walk once, then fail."""
    fake = make_fake(node_count=30, dx_page_size=7)
    expected, first_page = raw_dx_walk(fake, DA_PATH, PRICING_KEY, interval="14")
    pages = first_page["totalPages"]
    assert pages == 5
    fake.reset_log()
    fake.reset_limits()
    client = make_client(fake, VirtualClock())
    fake.inject_sequence(DA_RE, [("ok", {}), ("not_published", {})])
    assert list(client.data_exchange_records("pricing", DA_PATH, {"interval": "14"})) == expected
    log = fake.requests_for(DA_RE)
    assert [(int(r.query["pageNumber"]), r.status) for r in log] == [
        (1, 200), (2, 404), *((n, 200) for n in range(1, pages + 1))]
    fake.reset_log()
    fake.inject_sequence(DA_RE, [("ok", {}), ("not_published", {})] * 2)
    with pytest.raises(InvalidPayloadError, match="paging inconsistent on two walks"):
        list(client.data_exchange_records("pricing", DA_PATH, {"interval": "14"}))
    assert [int(r.query["pageNumber"]) for r in fake.requests_for(DA_RE)] == [1, 2, 1, 2]


# -- 13. secrets ---------------------------------------------------------------------------


def test_key_never_appears_in_logs_errors_or_stats(make_fake, make_client, caplog):
    secret = "RECOGNISABLE-KEY-ZZ9"
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests", "tap_miso", "pybreaker", "singer_sdk"):
        caplog.set_level(logging.DEBUG, logger=name)
    fake = make_fake(dx_keys={"pricing": [secret], "lgi": [LGI_KEY]}, dx_page_size=7)
    client = make_client(fake, VirtualClock(), pricing_keys=(secret,), max_retries=2,
                         breaker_failure_threshold=100)
    errors: list[BaseException] = []

    def expect(error: type[BaseException], call: Callable[[], object]) -> None:
        with pytest.raises(error) as info:
            call()
        errors.append(info.value)

    def walk() -> list[dict[str, Any]]:
        return list(client.data_exchange_records("pricing", DA_PATH, {"interval": "14"}))

    assert len(walk()) == 20
    fake.inject(DA_RE, "reset")
    fake.inject(DA_RE, "truncate")
    assert len(walk()) == 20  # both retried
    down = fake.inject(DA_RE, "status", times=None, code=503)
    expect(RetriesExhaustedError, walk)
    down.cancel()
    fake.inject(DA_RE, "reset", times=3)
    expect(RetriesExhaustedError, walk)
    fake.inject(DA_RE, "status", code=401)
    expect(AuthError, walk)
    fake.inject(DA_RE, "html200")
    expect(InvalidPayloadError, walk)
    expect(BadPathError, lambda: dx_get(client, fake, f"day-ahead/{D}/lmp-typo"))
    expect(NoDataError, lambda: dx_get(client, fake, interval="01"))
    fake.inject(DA_RE, "status", times=None, code=403)
    expect(QuotaExhaustedError, walk)
    expect(QuotaExhaustedError, walk)

    log = fake.requests_for("/pricing/")
    assert {r.key for r in log} == {secret}  # the key really was sent, in the header
    assert not any("subscription-key" in r.query for r in log)
    assert len(errors) == 8
    texts = [caplog.text]
    for record in caplog.records:
        texts += [record.getMessage(), str(record.args), record.exc_text or ""]
    for error in errors:
        texts += [str(error), repr(error), *traceback.format_exception(error),
                  repr(vars(error))]
    texts += [repr(client.stats.snapshot()), repr(vars(client.stats)),
              repr(client.limiter_rates()), repr(client.breakers.states())]
    assert any("urllib3" in record.name for record in caplog.records)  # DEBUG was captured
    leaks = [text for text in texts if secret in text]
    assert leaks == []


def test_query_form_key_is_redacted_once_the_tap_filter_is_installed(make_fake, make_client,
                                                                     caplog):
    """A URL pasted from a browser may carry `?subscription-key=` (FORMATS.md §2.1).

    urllib3 logs request lines (with the query) at DEBUG, so this relies on the tap's
    redacting filter (`tap_miso.secrets.install_redaction`, installed by the tap at start).
    """
    secret = "RECOGNISABLE-KEY-ZZ9"
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests", "tap_miso", "pybreaker"):
        caplog.set_level(logging.DEBUG, logger=name)
    install_redaction()
    fake = make_fake(dx_keys={"pricing": [secret], "lgi": [LGI_KEY]})
    client = make_client(fake, VirtualClock(), pricing_keys=(secret,), max_retries=1)
    errors: list[BaseException] = []
    fake.inject(DA_RE, "status", times=None, code=503)
    with pytest.raises(RetriesExhaustedError) as info:
        client.get(dx_url(fake), source="data_exchange", product="pricing",
                   params={"subscription-key": secret, "interval": "14"})
    errors.append(info.value)
    fake.inject(MR_RE, "reset", times=2)
    with pytest.raises(RetriesExhaustedError) as info:
        client.get(mr_url(fake) + f"?subscription-key={secret}", source="market_report")
    errors.append(info.value)
    assert len(fake.requests_for(DA_RE)) == 2 and len(fake.requests_for(MR_RE)) == 2
    assert any(secret in r.query.get("subscription-key", "") for r in fake.requests)
    texts = [caplog.text, *(record.getMessage() for record in caplog.records)]
    for error in errors:
        texts += [str(error), repr(error), *traceback.format_exception(error)]
    assert any("subscription-key=***" in text for text in texts)
    assert [text for text in texts if secret in text] == []
