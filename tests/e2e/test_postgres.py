"""`meltano run tap-miso target-postgres` into a real PostgreSQL server: primary keys, upserts,
and the later revision winning (real-time hourly: preliminary first, final on the second run)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tap_miso.testing.fake_miso.clock import est_at
from tests.e2e.meltano import Meltano, fake_env

TODAY = timeutil.market_today()
D1, D2, D3, D4 = (TODAY - timedelta(days=n) for n in (14, 13, 12, 11))
SCHEMA = "miso_e2e"
RT = "lmp_real_time_hourly"
DA = "lmp_day_ahead_hourly"


@pytest.fixture(scope="module")
def fake():
    with FakeMisoServer(node_count=12) as server:
        yield server


@pytest.fixture(scope="module")
def meltano(meltano_installed, postgres, tmp_path_factory):
    return Meltano(tmp_path_factory.mktemp("pg"), postgres.env(SCHEMA))


@pytest.fixture(scope="module")
def catalog(meltano):
    res = meltano("invoke", "--dump=catalog", "tap-miso")
    assert res.returncode == 0, res.output[-3000:]
    body = res.output[res.output.index("{"):res.output.rindex("}") + 1]
    return {s["tap_stream_id"]: s for s in json.loads(body)["streams"]}


@pytest.fixture(scope="module")
def two_runs(fake, meltano, postgres):
    """Run 1 (D1..D3) while D1..D3 are only preliminary; run 2 (D2..D4) once final is out."""
    fake.now = est_at(D3, 12, days=2)  # D3 + 2 days: preliminary published, final not yet
    first = meltano("run", "tap-miso", "target-postgres", env=fake_env(fake, D1, D3))
    assert first.returncode == 0, first.output[-4000:]
    after_first = rt_rows(postgres)
    fake.now = None  # real time: every date is final now
    second = meltano("run", "tap-miso", "target-postgres",
                     env=fake_env(fake, D2, D4, select=[DA, RT]))
    assert second.returncode == 0, second.output[-4000:]
    return after_first, rt_rows(postgres)


def rt_rows(postgres) -> dict[tuple, dict]:
    rows = postgres.query(
        f"SELECT node, market_date::text AS market_date, hour_ending, revision, lmp, "
        f"record_hash FROM {SCHEMA}.{RT}")
    return {(r["node"], r["market_date"], int(r["hour_ending"])): r for r in rows}


def test_tables_exist_with_the_declared_primary_keys(two_runs, postgres, catalog):
    selected = ["lmp_day_ahead_hourly", RT, "ancillary_mcp_day_ahead_hourly", "nodes",
                "load_actual_hourly", "fuel_mix_hourly", "interchange_hourly"]
    rows = postgres.query(
        "SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc "
        "JOIN information_schema.key_column_usage kcu USING "
        "(constraint_schema, constraint_name, table_schema, table_name) "
        f"WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = '{SCHEMA}'")
    keys: dict[str, set[str]] = {}
    for row in rows:
        keys.setdefault(row["table_name"], set()).add(row["column_name"])
    for stream in selected:
        declared = set(catalog[stream]["key_properties"])
        assert declared, stream
        assert keys.get(stream) == declared, stream
        count = int(postgres.query(f"SELECT count(*) AS n FROM {SCHEMA}.{stream}")[0]["n"])
        assert count > 0, stream


def test_no_duplicate_keys_after_overlapping_runs(two_runs, postgres, catalog, fake):
    for stream in (DA, RT):
        key = ", ".join(catalog[stream]["key_properties"])
        dupes = postgres.query(
            f"SELECT {key}, count(*) AS n FROM {SCHEMA}.{stream} GROUP BY {key} "
            "HAVING count(*) > 1")
        assert dupes == [], stream
    data_days = (D1, D2, D3, D4)
    da_count = int(postgres.query(f"SELECT count(*) AS n FROM {SCHEMA}.{DA}")[0]["n"])
    assert da_count == sum(len(fake.data.nodes_on(d)) * 24 * 2 for d in data_days)
    rt_count = int(postgres.query(f"SELECT count(*) AS n FROM {SCHEMA}.{RT}")[0]["n"])
    assert rt_count == sum(len(fake.data.nodes_on(d)) * 24 for d in data_days)


def test_later_revision_wins(two_runs, fake):
    after_first, after_second = two_runs
    first_dates = {key[1] for key in after_first}
    assert first_dates == {str(D1), str(D2), str(D3)}
    assert {r["revision"] for r in after_first.values()} == {"preliminary"}
    changed = 0
    for key, row in after_second.items():
        node, market_date, hour_ending = key
        day = date.fromisoformat(market_date)
        if day in (D2, D3):  # overlap: preliminary in run 1, final in run 2
            assert row["revision"] == "final", row
            final = fake.data.lmp(day, hour_ending, node, "final").lmp
            assert float(row["lmp"]) == pytest.approx(final), row
            prelim = after_first[key]
            changed += float(prelim["lmp"]) != float(row["lmp"])
            assert prelim["record_hash"] != row["record_hash"] or (
                float(prelim["lmp"]) == float(row["lmp"]))
    assert changed > 0, "the fake's final prices must differ from preliminary somewhere"
    overlap = [k for k in after_second if k[1] in (str(D2), str(D3))]
    assert len(overlap) == sum(len(fake.data.nodes_on(d)) * 24 for d in (D2, D3))
