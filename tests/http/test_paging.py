"""Data Exchange paging envelope walked through a real server (FORMATS.md §2.2)."""

from __future__ import annotations

import logging

import pytest
from werkzeug import Request, Response

from tap_miso.http import InvalidPayloadError, NoDataError
from tap_miso.http.paging import DataExchangePaginator, PagingMismatch

from .conftest import json_response, script

PATH = "day-ahead/2026-01-05/lmp-exante"
URL_PATH = f"/pricing/v1/{PATH}"


@pytest.fixture
def client(make_client):
    return make_client(pricing_keys=("KEY-PAGING-1",))


def envelope(records, number, total_elements, total_pages, last_page=None):
    if last_page is None:
        last_page = number >= total_pages
    return {"data": records, "page": {"pageNumber": number, "pageSize": 3,
                                      "totalElements": total_elements,
                                      "totalPages": total_pages, "lastPage": last_page}}


def paged(pages: dict[int, dict], seen: list[int]):
    """Serve `pages[pageNumber]`; record the pageNumber params."""
    def handler(request: Request) -> Response:
        number = int(request.args["pageNumber"])
        seen.append(number)
        return json_response(pages[number])
    return handler


def recs(*ids):
    return [{"node": f"N{i}", "lmp": float(i)} for i in ids]


def walk(client, params=None):
    return list(client.data_exchange_records("pricing", PATH, params))


def test_three_pages_walked_with_page_numbers(httpserver, client, caplog):
    seen: list[int] = []
    pages = {1: envelope(recs(1, 2, 3), 1, 7, 3), 2: envelope(recs(4, 5, 6), 2, 7, 3),
             3: envelope(recs(7), 3, 7, 3)}
    s = script(httpserver, URL_PATH, paged(pages, seen))
    caplog.set_level(logging.DEBUG, logger="tap_miso.http.paging")
    records = walk(client, {"interval": "14"})
    assert [r["node"] for r in records] == [f"N{i}" for i in range(1, 8)]
    assert seen == [1, 2, 3]
    assert all(r.args["interval"] == "14" for r in s.requests)
    assert sum("page.pageNumber=" in r.getMessage() for r in caplog.records) == 3


def test_last_page_flag_stops(httpserver, client):
    seen: list[int] = []
    pages = {1: envelope(recs(1, 2, 3), 1, 5, 5, False), 2: envelope(recs(4, 5), 2, 5, 5, True)}
    script(httpserver, URL_PATH, paged(pages, seen))
    assert len(walk(client)) == 5
    assert seen == [1, 2]


def test_empty_data_stops(httpserver, client):
    seen: list[int] = []
    pages = {1: envelope(recs(1, 2, 3), 1, 3, 4, False), 2: envelope([], 2, 3, 4, False)}
    script(httpserver, URL_PATH, paged(pages, seen))
    assert len(walk(client)) == 3
    assert seen == [1, 2]


def test_hard_cap_at_first_total_pages(httpserver, client):
    seen: list[int] = []

    def stuck(request: Request) -> Response:  # always echoes page 1, never lastPage
        seen.append(int(request.args["pageNumber"]))
        return json_response(envelope(recs(1, 2), 1, 4, 2, False))

    script(httpserver, URL_PATH, stuck)
    assert len(walk(client)) == 4
    assert seen == [1, 2]


def test_republish_mid_walk_is_rewalked_once(httpserver, client, caplog):
    seen: list[int] = []
    first = {1: envelope(recs(1, 2, 3), 1, 6, 2), 2: envelope(recs(4, 5, 6, 7), 2, 7, 2)}
    second = {1: envelope(recs(1, 2, 3), 1, 7, 3), 2: envelope(recs(4, 5, 6), 2, 7, 3),
              3: envelope(recs(7), 3, 7, 3)}

    def handler(request: Request) -> Response:
        number = int(request.args["pageNumber"])
        seen.append(number)
        return json_response((first if len(seen) <= 2 else second)[number])

    script(httpserver, URL_PATH, handler)
    records = walk(client)
    assert [r["node"] for r in records] == [f"N{i}" for i in range(1, 8)]  # no duplicates
    assert seen == [1, 2, 1, 2, 3]
    assert any("re-walking once" in r.getMessage() for r in caplog.records)


def test_second_mismatch_raises_invalid_payload_naming_path(httpserver, client):
    seen: list[int] = []
    short = {1: envelope(recs(1, 2, 3), 1, 9, 2), 2: envelope(recs(4, 5, 6), 2, 9, 2)}
    script(httpserver, URL_PATH, paged(short, seen))
    with pytest.raises(InvalidPayloadError) as info:
        walk(client)
    assert seen == [1, 2, 1, 2]
    assert URL_PATH in str(info.value)
    assert "received 6 records" in str(info.value)


def test_no_data_on_page_one_propagates(httpserver, client):
    s = script(httpserver, URL_PATH,
               json_response({"status": 404, "reason": "Empty data returned for date"}, 404))
    with pytest.raises(NoDataError):
        walk(client)
    assert s.count == 1


def test_unparseable_page_is_invalid_payload(httpserver, client):
    script(httpserver, URL_PATH, Response('{"data": [', content_type="application/json"))
    with pytest.raises(InvalidPayloadError) as info:
        walk(client)
    assert "unparseable" in str(info.value)


def test_paginator_counts_and_mismatch_unit():
    paginator = DataExchangePaginator(PATH)
    assert paginator.current_value == 1
    assert len(paginator.read(envelope(recs(1, 2), 1, 5, 2))) == 2
    assert paginator.total_elements == 5 and paginator.received == 2
    with pytest.raises(PagingMismatch):
        paginator.read(envelope(recs(3), 2, 6, 2))
    single = DataExchangePaginator()
    single.read({"data": recs(1)})  # no page object: one page
    single.check_complete()


def test_pages_yield_raw_bodies_of_a_consistent_walk(httpserver, client):
    import json

    seen: list[int] = []
    pages = {1: envelope(recs(1, 2, 3), 1, 4, 2), 2: envelope(recs(4), 2, 4, 2)}
    script(httpserver, URL_PATH, paged(pages, seen))
    bodies = list(client.data_exchange_pages("pricing", PATH))
    assert [json.loads(b) for b in bodies] == [pages[1], pages[2]]
    assert seen == [1, 2]
