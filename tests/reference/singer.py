"""Helpers for the reference-command tests: Singer lines and CSV reading."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

COMMAND = [sys.executable, "-m", "tap_miso.reference.cli"]


def node(name: str, node_type: str = "Gennode", **extra) -> dict:
    return {"node": name, "node_type": node_type, "is_trading_hub": False, "reserve_zone": 3,
            "first_seen": "2026-05-20", "last_seen": "2026-11-27",
            "first_model_date": "2026-03-01", "retired_model_date": None,
            "model_date": "2026-09-01", "retired": False, "source": "market_report", **extra}


def unit(plant: int, gen: str, period: str, **extra) -> dict:
    return {"plant_id": plant, "generator_id": gen, "period": period,
            "plant_name": f"Plant {plant}", "state": "IA",
            "technology": "Onshore Wind Turbine", "status": "OP",
            "nameplate_capacity_mw": 100.0, "source": "eia_api", "record_hash": f"h{period}",
            **extra}


def singer(streams: dict[str, list[dict]], state: bool = True) -> str:
    """SCHEMA + RECORD lines per stream, then a STATE message if ``state``."""
    lines = []
    for stream, records in streams.items():
        lines.append({"type": "SCHEMA", "stream": stream, "schema": {}, "key_properties": []})
        lines += [{"type": "RECORD", "stream": stream, "record": r} for r in records]
    if state:
        lines.append({"type": "STATE", "value": {"bookmarks": {}}})
    return "".join(json.dumps(line) + "\n" for line in lines)


def run(args: list[str], stdin: str | bytes = "", now: str | None = None
        ) -> subprocess.CompletedProcess:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    cmd = COMMAND + args + (["--now", now] if now else [])
    return subprocess.run(cmd, input=data, capture_output=True, timeout=60, check=False)


def rows(path: Path) -> dict[str, dict]:
    """CSV rows keyed by the first key column(s) joined with '/'."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        key = ["node"] if "node" in (reader.fieldnames or []) else ["plant_id", "generator_id"]
        return {"/".join(r[k] for k in key): r for r in reader}


def header(path: Path) -> list[str]:
    return next(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
