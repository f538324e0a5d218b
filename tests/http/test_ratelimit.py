"""Adaptive rate limiter in virtual time: ceilings over every sliding window, adaptation."""

from __future__ import annotations

import bisect
import itertools
import random
import threading
import time

import pytest

from tap_miso.http import ClientSettings
from tap_miso.http.ratelimit import AdaptiveRateLimiter, RateLimiterRegistry

from .conftest import FakeClock, script


def max_in_window(grants: list[float], seconds: float) -> int:
    """Largest number of grants inside any half-open window [t, t + seconds)."""
    grants = sorted(grants)
    return max(bisect.bisect_left(grants, t + seconds) - i for i, t in enumerate(grants))


def test_burst_of_200_never_exceeds_per_minute_in_any_window(clock):
    limiter = AdaptiveRateLimiter(50, 3000, clock=clock, sleep=clock.sleep)
    grants = [limiter.acquire() for _ in range(200)]
    assert limiter.granted == 200
    assert max_in_window(grants, 60) == 50
    # Evenly paced, not 50 at once and then a pause: 1.2 s apart.
    assert {round(b - a, 9) for a, b in itertools.pairwise(grants)} == {1.2}


def test_window_checker_catches_a_violation():
    assert max_in_window([0.0] * 51 + [100.0], 60) == 51  # the test can fail


def test_ceiling_holds_under_random_adaptation_and_clock_jumps():
    rnd = random.Random(7)
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(30, 200, clock=clock, sleep=clock.sleep)
    grants = []
    for _ in range(1500):
        roll = rnd.random()
        if roll < 0.05:
            limiter.on_throttled()
        elif roll < 0.5:
            for _ in range(rnd.randint(1, 30)):
                limiter.on_success()
        elif roll < 0.55:
            clock.advance(rnd.uniform(0, 120))
        grants.append(limiter.acquire())
    assert max_in_window(grants, 60) <= 30
    assert max_in_window(grants, 3600) <= 200


def test_per_hour_limit(clock):
    limiter = AdaptiveRateLimiter(50, 100, clock=clock, sleep=clock.sleep)
    grants = [limiter.acquire() for _ in range(101)]
    assert grants[99] - grants[0] == pytest.approx(99 * 1.2)
    assert grants[100] == pytest.approx(grants[0] + 3600)
    assert max_in_window(grants, 3600) == 100


def test_per_day_limit(clock):
    limiter = AdaptiveRateLimiter(100, 10_000, 150, clock=clock, sleep=clock.sleep)
    grants = [limiter.acquire() for _ in range(151)]
    assert grants[150] == pytest.approx(grants[0] + 86400)
    assert max_in_window(grants, 86400) == 150


def test_data_exchange_is_clamped_to_miso_ceilings(clock):
    settings = ClientSettings(requests_per_minute=500, requests_per_hour=100_000,
                              requests_per_day=1_000_000, pricing_keys=("a1234", "b1234"))
    registry = RateLimiterRegistry(settings, clock=clock, sleep=clock.sleep)
    pricing = registry.get("apim.misoenergy.org", "pricing")
    assert pricing.configured_per_minute == 100
    assert pricing.limits == {60.0: 100, 3600.0: 100_000, 86400.0: 48_000}
    assert registry.get("apim.misoenergy.org", "lgi").limits[86400.0] == 24_000  # no key
    assert registry.get("apim.misoenergy.org", "lgi") is not pricing
    public = registry.get("public-api.misoenergy.org")
    assert public.configured_per_minute == 500
    assert public.limits == {60.0: 500, 3600.0: 100_000, 86400.0: 1_000_000}
    grants = [pricing.acquire() for _ in range(300)]
    assert max_in_window(grants, 60) == 100


def test_data_exchange_daily_default_is_24000_per_key(clock):
    registry = RateLimiterRegistry(ClientSettings(pricing_keys=("a1234",)), clock=clock,
                                   sleep=clock.sleep)
    assert registry.limits_for("pricing") == (50, 3000, 24_000)
    assert registry.limits_for(None) == (50, 3000, None)


def test_slow_down_after_429_and_gradual_recovery(clock):
    limiter = AdaptiveRateLimiter(60, clock=clock, sleep=clock.sleep)
    limiter.on_throttled()
    assert limiter.current_rate_per_minute == 30
    limiter.on_throttled()
    assert limiter.current_rate_per_minute == 15
    first = limiter.acquire()
    assert limiter.acquire() - first == pytest.approx(4.0)  # 60 / 15
    limiter.on_success()
    assert limiter.current_rate_per_minute == pytest.approx(18)  # +5% of 60
    for _ in range(100):
        limiter.on_success()
    assert limiter.current_rate_per_minute == 60  # never above the configured rate
    for _ in range(20):
        limiter.on_throttled()
    assert limiter.current_rate_per_minute == 1.0  # floor


def test_server_error_burst_and_latency_slow_down(clock):
    limiter = AdaptiveRateLimiter(100, clock=clock, sleep=clock.sleep)
    limiter.on_server_error()
    limiter.on_server_error()
    assert limiter.current_rate_per_minute == 100
    limiter.on_server_error()
    assert limiter.current_rate_per_minute == 75
    limiter.on_server_error()
    clock.advance(61)
    limiter.on_server_error()
    limiter.on_server_error()
    assert limiter.current_rate_per_minute == 75  # the first of the three is too old
    limiter.on_latency(3.0)
    assert limiter.current_rate_per_minute == 75
    limiter.on_latency(12.0)
    assert limiter.current_rate_per_minute == pytest.approx(67.5)


def test_client_feeds_429_to_the_limiter(httpserver, make_client):
    from werkzeug import Response

    script(httpserver, "/feed", Response("slow down", status=429), Response("ok"))
    client = make_client(requests_per_minute=40)
    client.get(httpserver.url_for("/feed"), source="public_api")
    host = httpserver.url_for("/").split("//")[1].rstrip("/")
    # halved by the 429, then +5% of 40 for the success
    assert client.limiter_rates() == {host: pytest.approx(22.0)}


def test_thread_safety_virtual_time():
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(50, 3000, clock=clock, sleep=clock.sleep)
    grants: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(25):
            t = limiter.acquire()
            with lock:
                grants.append(t)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(grants) == 200 == limiter.granted
    assert max_in_window(grants, 60) <= 50
    ordered = sorted(grants)
    assert min(b - a for a, b in itertools.pairwise(ordered)) >= 1.2 - 1e-9


def test_thread_safety_real_time():
    limiter = AdaptiveRateLimiter(60_000, None)  # 1 ms spacing, real clock and sleep
    grants: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(50):
            t = limiter.acquire()
            with lock:
                grants.append(t)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert limiter.granted == 200
    ordered = sorted(grants)
    assert min(b - a for a, b in itertools.pairwise(ordered)) >= 0.001 - 1e-9
    assert time.monotonic() - started >= 0.199
