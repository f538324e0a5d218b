"""`HttpClient.data_exchange_spool`: a consistent walk whose raw pages go to a spool."""

from __future__ import annotations

import json

import pytest
from werkzeug import Response

from tap_miso.http import InvalidPayloadError
from tap_miso.http.page_spool import PageSpool

from .conftest import json_response, script
from .test_paging import PATH, URL_PATH, envelope, paged, recs


@pytest.fixture
def client(make_client):
    return make_client(pricing_keys=("KEY-SPOOL-1",))


def test_spool_holds_every_raw_page_of_the_walk(httpserver, client):
    seen: list[int] = []
    pages = {1: envelope(recs(1, 2, 3), 1, 4, 2), 2: envelope(recs(4), 2, 4, 2)}
    script(httpserver, URL_PATH, paged(pages, seen))
    spool = client.data_exchange_spool("pricing", PATH)
    assert isinstance(spool, PageSpool)
    assert [json.loads(b) for b in spool] == [pages[1], pages[2]]
    assert seen == [1, 2]


def test_spool_walk_is_redone_when_total_changes_and_keeps_only_the_second_walk(
    httpserver, client
):
    calls = {"n": 0}

    def handler(request):
        calls["n"] += 1
        number = int(request.args["pageNumber"])
        total = 4 if calls["n"] <= 1 else 5  # republished after page 1 of the first walk
        data = recs(1, 2, 3) if number == 1 else recs(*range(4, total + 1))
        return json_response(envelope(data, number, total, 2))

    script(httpserver, URL_PATH, handler)
    spool = client.data_exchange_spool("pricing", PATH)
    nodes = [r["node"] for body in spool for r in json.loads(body)["data"]]
    assert nodes == ["N1", "N2", "N3", "N4", "N5"]
    assert len(spool) == 2


@pytest.mark.parametrize("body", [b'{"data": [1, 2,], "page": {}}', b'{"page": {}}', b"[1]"])
def test_bad_page_is_an_invalid_payload_naming_the_page(httpserver, client, body):
    script(httpserver, URL_PATH,
           lambda request: Response(body, status=200, content_type="application/json"))
    with pytest.raises(InvalidPayloadError, match="unparseable Data Exchange page 1"):
        client.data_exchange_spool("pricing", PATH)
