"""`scripts/reference.sh`: Meltano extraction merged into the reference CSVs, with saved state."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
from datetime import date

from tap_miso import timeutil
from tap_miso.testing.fake_miso import FakeMisoServer
from tests.e2e.meltano import ENVIRONMENT, ROOT, fake_env

MONTHS = {name: n for n, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"), start=1)}
WORKBOOK = re.compile(r"/eia860m/(?:archive/)?xls/([a-z]+)_generator(\d{4})\.xlsx$")


def months_asked(fake: FakeMisoServer) -> set[str]:
    out = set()
    for request in fake.requests_for(r"_generator\d{4}\.xlsx$"):
        name, year = WORKBOOK.search(request.path).groups()
        out.add(f"{year}-{MONTHS[name]:02d}")
    return out


def script_env(fake: FakeMisoServer, start: date, tmp_path) -> dict[str, str]:
    return {
        **os.environ,
        **fake_env(fake, start),
        "MELTANO_ENVIRONMENT": ENVIRONMENT,
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "TAP_MISO_REFERENCE_STATE": str(tmp_path / "ref" / "state.json"),
    }


def refresh(fake: FakeMisoServer, start: date, tmp_path,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = env or script_env(fake, start, tmp_path)
    return subprocess.run(
        ["bash", "scripts/reference.sh", str(tmp_path / "ref" / "iso_nodes.csv"),
         str(tmp_path / "ref" / "generators.csv")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )


def rows(path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_second_refresh_starts_from_the_saved_state(meltano_installed, tmp_path):
    today = timeutil.market_today()
    start = date(today.year - 1, today.month, 1)  # a year: several node models, 12+ months
    with FakeMisoServer(node_count=12) as fake:
        first = refresh(fake, start, tmp_path)
        assert first.returncode == 0, first.stderr[-4000:]
        nodes = rows(tmp_path / "ref/iso_nodes.csv")
        generators = rows(tmp_path / "ref/generators.csv")
        assert {r["node"] for r in nodes} >= {n for n, _ in fake.data.nodes_on(today)}
        assert generators and all(r["plant_id"] and r["generator_id"] for r in generators)
        state = json.loads((tmp_path / "ref/state.json").read_text())
        assert {"nodes", "generators"} <= set(state["bookmarks"])
        first_months = months_asked(fake)
        assert min(first_months) <= f"{start.year}-{start.month:02d}"

        fake.reset_log()
        second = refresh(fake, start, tmp_path)
        assert second.returncode == 0, second.stderr[-4000:]
        second_months = months_asked(fake)
        bookmark = state["bookmarks"]["generators"]["replication_key_value"]
        year, month = int(bookmark[:4]), int(bookmark[5:7])
        index = year * 12 + month - 1 - 3  # eia_lookback_months default
        floor = f"{index // 12:04d}-{index % 12 + 1:02d}"
        assert second_months and min(second_months) >= floor, (floor, sorted(second_months))
        assert len(second_months) < len(first_months)
        # Nothing was lost or marked removed by the shorter refresh.
        again = rows(tmp_path / "ref/iso_nodes.csv")
        assert {r["node"] for r in again} == {r["node"] for r in nodes}
        assert len(rows(tmp_path / "ref/generators.csv")) == len(generators)


def test_a_failed_extraction_merges_nothing_and_keeps_the_state(meltano_installed, tmp_path):
    today = timeutil.market_today()
    start = date(today.year, today.month, 1)
    with FakeMisoServer(node_count=12) as fake:
        env = script_env(fake, start, tmp_path)
        ok = refresh(fake, start, tmp_path, env)
        assert ok.returncode == 0, ok.stderr[-4000:]
        before = {name: (tmp_path / "ref" / name).read_bytes()
                  for name in ("iso_nodes.csv", "generators.csv", "state.json")}
    # The server is gone: the extractor fails, and no file may change.
    failed = refresh(fake, start, tmp_path, env)
    assert failed.returncode != 0
    for name, content in before.items():
        assert (tmp_path / "ref" / name).read_bytes() == content, name
