"""Unit tests of the sources' shared machinery: FetchContext.once and SourceSpec.parts."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

import pytest

from tap_miso.http.errors import NoDataError, RetriesExhaustedError
from tap_miso.parsers.errors import PayloadError
from tap_miso.sources.base import FetchContext, SourceSpec


def ctx() -> FetchContext:
    return FetchContext(
        stream="s",
        client=None,  # type: ignore[arg-type]
        settings=None,  # type: ignore[arg-type]
        logger=logging.getLogger("test"),
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_once_computes_once_across_threads():
    context, calls = ctx(), []

    def produce():
        calls.append(1)
        time.sleep(0.05)
        return "payload"

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(context.once(("k",), produce)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["payload"] * 8
    assert len(calls) == 1


@pytest.mark.parametrize(
    "error", [NoDataError("none", source="x", url="u"), PayloadError("fmt", "empty payload")]
)
def test_once_caches_no_data_and_payload_errors(error):
    context, calls = ctx(), []

    def produce():
        calls.append(1)
        raise error

    for _ in range(3):
        with pytest.raises(type(error)):
            context.once(("k",), produce)
    assert len(calls) == 1


def test_once_does_not_cache_transient_failures_and_forget_recomputes():
    context, calls = ctx(), []

    def failing():
        calls.append(1)
        raise RetriesExhaustedError("boom", source="x", url="u", attempts=2)

    for _ in range(2):
        with pytest.raises(RetriesExhaustedError):
            context.once(("k",), failing)
    assert len(calls) == 2
    assert context.once(("k",), lambda: 1) == 1
    assert context.once(("k",), lambda: 2) == 1
    context.forget(("k",))
    assert context.once(("k",), lambda: 2) == 2


def test_source_spec_parts():
    every = SourceSpec(source="market_report", load=lambda *a: None, parse=lambda *a: iter(()))
    one = SourceSpec(
        source="market_report", load=lambda *a: None, parse=lambda *a: iter(()), parts=("a",)
    )
    assert every.serves_part("a") and every.serves_part("b")
    assert one.serves_part("a") and not one.serves_part("b")
