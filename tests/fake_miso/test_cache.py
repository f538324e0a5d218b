"""The fake's payload cache, and streamed bodies cached only when the server is asked to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.fake_miso.cache import LruCache
from tap_miso.testing.fake_miso.surfaces.market_reports import five_minute
from tests.fake_miso.conftest import NOW

XLSX = "20260714_5min_exante_lmp.xlsx"


def test_tee_caches_a_body_sent_whole_only() -> None:
    cache = LruCache(max_bytes=10)
    assert list(cache.tee("whole", [b"ab", b"cd"])) == [b"ab", b"cd"]
    assert cache.get("whole") == b"abcd"
    cut = cache.tee("cut", [b"ab", b"cd"])
    assert next(cut) == b"ab"
    cut.close()  # the client hung up after the first chunk
    assert cache.get("cut") is None
    assert list(cache.tee("big", [b"123456", b"789012"])) == [b"123456", b"789012"]
    assert cache.get("big") is None  # larger than max_bytes
    assert cache.get("whole") == b"abcd"


def test_put_evicts_least_recently_used() -> None:
    cache = LruCache(max_entries=2, max_bytes=100)
    cache.put("a", b"1")
    cache.put("b", b"2")
    assert cache.get("a") == b"1"  # "b" is now the oldest
    cache.put("c", b"3")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"1", None, b"3")


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Every workbook streams (no row threshold); counts how often its rows are generated."""
    calls: list[int] = []
    rows = five_minute._exante_rows

    def counted(ctx, day):  # type: ignore[no-untyped-def]
        calls.append(1)
        return rows(ctx, day)

    monkeypatch.setattr(five_minute, "STREAM_ABOVE_ROWS", 0)
    monkeypatch.setattr(five_minute, "_exante_rows", counted)
    yield calls


@pytest.mark.parametrize("cache_streamed, builds", [(False, 2), (True, 1)])
def test_streamed_workbook_cached_only_when_asked(
    built: list[int], cache_streamed: bool, builds: int
) -> None:
    with FakeMisoServer(node_count=20, now=NOW, cache_streamed=cache_streamed) as fake:
        url = f"{fake.market_reports_url}/{XLSX}"
        first = requests.get(url, timeout=30)
        second = requests.get(url, timeout=30)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first.content.startswith(b"PK")
    assert len(built) == builds
