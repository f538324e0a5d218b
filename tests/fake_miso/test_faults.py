"""Fault injection: every kind, counting, sequences, and the request log."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile

import pytest
import requests

from .conftest import NODE_COUNT, D, dx_get, mr_get, public_get

DA = f"/pricing/v1/day-ahead/{D}/lmp-expost"
CSV_NAME = f"{D:%Y%m%d}_da_expost_lmp.csv"


def test_latency_then_normal(fake, http) -> None:
    fake.inject(r"/FuelMix$", "latency", seconds=0.3)
    started = time.monotonic()
    assert public_get(http, fake, "FuelMix").status_code == 200
    assert time.monotonic() - started >= 0.3
    assert fake.requests_for(r"/FuelMix$")[-1].fault == "latency"


def test_status_with_retry_after_and_default_bodies(fake, http) -> None:
    fake.inject(r"lmp-expost", "status", times=2, code=503, retry_after=3)
    first, second = dx_get(http, fake, DA, interval="1"), dx_get(http, fake, DA, interval="1")
    assert [first.status_code, second.status_code] == [503, 503]
    assert first.headers["Retry-After"] == "3"
    assert first.json() == {"statusCode": 503, "message": "Service unavailable"}
    assert dx_get(http, fake, DA, interval="1").status_code == 200
    date_header = "Wed, 21 Oct 2026 07:28:00 GMT"
    fake.inject(r"marketreports", "status", code=429, retry_after=date_header)
    limited = mr_get(http, fake, CSV_NAME)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == date_header
    fake.inject(r"lmp-expost", "status", code=403, body='{"statusCode": 403, "message": "x"}')
    assert dx_get(http, fake, DA).json() == {"statusCode": 403, "message": "x"}


def test_reset_aborts_the_connection(fake) -> None:
    fake.inject(r"lmp-expost", "reset")
    with pytest.raises(requests.ConnectionError):
        requests.get(fake.data_exchange_url + DA, headers={"Ocp-Apim-Subscription-Key": "pk-1"},
                     timeout=5)
    assert fake.requests_for("lmp-expost")[-1].status == 0


def test_truncate_sends_half_the_declared_body(fake) -> None:
    fake.inject(r"da_expost_lmp", "truncate")
    with pytest.raises((requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ConnectionError)):
        requests.get(f"{fake.market_reports_url}/{CSV_NAME}", timeout=5).content  # noqa: B018
    assert requests.get(f"{fake.market_reports_url}/{CSV_NAME}", timeout=5).status_code == 200


def test_malformed_json_and_binary(fake, http) -> None:
    fake.inject(r"lmp-expost", "malformed")
    broken = dx_get(http, fake, DA, interval="2")
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)
    fake.inject(r"5MIN_LMP", "malformed")
    garbage = mr_get(http, fake, "20260720_5MIN_LMP.zip")
    assert garbage.status_code == 200
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(garbage.content))
    fake.inject(r"da_expost_lmp", "malformed")
    assert b"Node,Type,Value" not in mr_get(http, fake, CSV_NAME).content


def test_rewrite_replaces_text_in_one_body(fake, http) -> None:
    clean = dx_get(http, fake, DA, interval="2").content
    assert clean.count(b'"lmp":') > 1
    fake.inject(r"lmp-expost", "rewrite", old='"lmp":', new='"lmp":1e999,"was":')
    rewritten = dx_get(http, fake, DA, interval="2").content
    assert rewritten == clean.replace(b'"lmp":', b'"lmp":1e999,"was":', 1)
    assert dx_get(http, fake, DA, interval="2").content == clean  # once by default
    with pytest.raises(ValueError, match="needs parameter"):
        fake.inject(r"lmp-expost", "rewrite", old="x")


def test_html200_and_error200(fake, http) -> None:
    fake.inject(r"/api/FuelMix", "html200")
    page = public_get(http, fake, "FuelMix")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.text.startswith("<!DOCTYPE html>")
    fake.inject(r"/api/FuelMix", "error200")
    empty = public_get(http, fake, "FuelMix")
    assert (empty.status_code, empty.json()) == (200, {"error": "no data"})


def test_not_published_uses_each_surface_body(fake, http) -> None:
    fake.inject(r".", "not_published", times=3)
    assert dx_get(http, fake, DA).json() == {"status": 404,
                                             "reason": "Empty data returned for date"}
    assert "<Code>BlobNotFound</Code>" in mr_get(http, fake, CSV_NAME).text
    public = public_get(http, fake, "FuelMix")
    assert public.status_code == 404
    assert public_get(http, fake, "FuelMix").status_code == 200


def test_drift_rename_add_drop_json(fake, http) -> None:
    fake.inject(r"lmp-expost", "drift", mode="rename", column="mcc")
    record = dx_get(http, fake, DA, interval="3").json()["data"][0]
    assert "mcc" not in record and "mcc_renamed" in record
    fake.inject(r"lmp-expost", "drift", mode="add", column="extra", value=1.5)
    record = dx_get(http, fake, DA, interval="3").json()["data"][0]
    assert record["extra"] == 1.5 and "extra" not in record["timeInterval"]
    fake.inject(r"Previous", "drift", mode="drop", column="MLC")
    body = public_get(http, fake, "MarketPricing/GetRealTimeFiveMinExPost/Previous").json()
    assert body["headers"] == ["INTERVAL", "CPNODE", "LMP", "MCC"]
    assert len(body["data"][0]) == 4
    clean = dx_get(http, fake, DA, interval="3").json()["data"][0]
    assert set(clean) == {"interval", "timeInterval", "node", "lmp", "mcc", "mec", "mlc"}


def test_drift_on_csv_and_xlsx(fake, http) -> None:
    fake.inject(r"da_expost_lmp", "drift", mode="drop", column="HE 24")
    rows = list(csv.reader(io.StringIO(mr_get(http, fake, CSV_NAME).text)))
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "Node")
    assert rows[header_at][-1] == "HE 23" and len(rows[header_at + 1]) == 26
    fake.inject(r"da_expost_lmp", "drift", mode="rename", column="Node", new_name="CPNode")
    rows = list(csv.reader(io.StringIO(mr_get(http, fake, CSV_NAME).text)))
    assert rows[4][:3] == ["CPNode", "Type", "Value"]
    fake.inject(r"cpnode_reszone", "drift", mode="add", column="Region", value="X")
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(mr_get(http, fake,
                                                    "20260714_cpnode_reszone.xlsx").content))
    rows = list(book.active.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r[0] == "CP Node Name")
    assert rows[header_at][:3] == ("CP Node Name", "Reserve Zone", "Region")
    assert rows[header_at + 1][2] == "X"
    assert len([r for r in rows if r[2] == "X"]) == NODE_COUNT


def test_sequence_times_forever_and_clear(fake, http) -> None:
    handle = fake.inject_sequence(r"/api/FuelMix$", [("status", {"code": 503}),
                                                    ("status", {"code": 500}), ("ok", {})])
    codes = [public_get(http, fake, "FuelMix").status_code for _ in range(4)]
    assert codes == [503, 500, 200, 200]
    assert handle.remaining == 0 and handle.hits == 3
    forever = fake.inject(r"/api/FuelMix$", "status", times=None, code=502)
    assert [public_get(http, fake, "FuelMix").status_code for _ in range(3)] == [502] * 3
    assert forever.remaining is None
    fake.clear_faults()
    assert public_get(http, fake, "FuelMix").status_code == 200
    first = fake.inject(r"FuelMix", "status", code=500)
    fake.inject(r"FuelMix", "status", code=501)
    assert public_get(http, fake, "FuelMix").status_code == 500  # first matching rule wins
    assert public_get(http, fake, "FuelMix").status_code == 501
    assert first.remaining == 0
    with pytest.raises(ValueError, match="unknown fault"):
        fake.inject(r".", "explode")


def test_request_log_records_everything(fake, http) -> None:
    fake.reset_log()
    dx_get(http, fake, DA, interval="5", node="MS.HUB")
    fake.inject(r"FuelMix", "status", code=500)
    public_get(http, fake, "FuelMix")
    dx_get(http, fake, DA, key="")
    first, second, third = fake.requests
    assert (first.method, first.path, first.query, first.status, first.key, first.fault) == (
        "GET", DA, {"interval": "5", "node": "MS.HUB"}, 200, "pk-1", None)
    assert first.duration >= 0 and first.wall.tzinfo is not None
    assert (second.path, second.status, second.key, second.fault) == (
        "/api/FuelMix", 500, None, "status")
    assert (third.status, third.key) == (401, None)
    assert second.time >= first.time
    assert [r.path for r in fake.requests_for(r"^/api/")] == ["/api/FuelMix"]


def test_http_control_endpoints(fake, http) -> None:
    created = http.post(f"{fake.base_url}/_fake/faults",
                        json={"path_regex": "FuelMix", "fault": "status", "times": 1,
                              "params": {"code": 418}})
    assert created.status_code == 201
    assert public_get(http, fake, "FuelMix").status_code == 418
    http.post(f"{fake.base_url}/_fake/faults",
              json={"path_regex": "FuelMix", "steps": [["status", {"code": 500}], ["ok", {}]]})
    assert http.delete(f"{fake.base_url}/_fake/faults").json() == {"cleared": True}
    assert public_get(http, fake, "FuelMix").status_code == 200
    log = http.get(f"{fake.base_url}/_fake/requests").json()
    assert [entry["status"] for entry in log][-2:] == [418, 200]
    assert all(not entry["path"].startswith("/_fake") for entry in log)
    clock = http.post(f"{fake.base_url}/_fake/clock", json={"now": "2026-07-25T12:00:00+00:00"})
    assert clock.json() == {"now": "2026-07-25T12:00:00+00:00"}
    assert http.post(f"{fake.base_url}/_fake/faults", json={"fault": "x"}).status_code == 400
