"""The Grafana dashboard and Prometheus rules only use metric names the tap really exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from tap_miso.observability import metrics

ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_created")


def exported_names() -> set[str]:
    sources = [Path(metrics.__file__), *Path(metrics.__file__).parent.glob("*.py"),
               *(ROOT / "tap_miso" / "quality").glob("*.py")]
    names = set()
    for path in sources:
        names |= set(re.findall(r'"(tap_miso_[a-z_]+)"', path.read_text()))
    return names


def referenced(text: str) -> set[str]:
    found = set()
    for name in re.findall(r"tap_miso_[a-z_]+", text):
        for suffix in SUFFIXES:
            if name.endswith(suffix):
                name = name.removesuffix(suffix)
                break
        found.add(name)
    return found


def test_alert_rules_parse_and_use_exported_metrics():
    text = (ROOT / "deploy/prometheus/tap-miso-alerts.yml").read_text()
    rules = yaml.safe_load(text)["groups"][0]["rules"]
    assert len(rules) >= 6 and all("expr" in r and "alert" in r for r in rules)
    assert referenced(text) <= exported_names(), referenced(text) - exported_names()


def test_dashboard_parses_and_uses_exported_metrics():
    text = (ROOT / "deploy/grafana/tap-miso-dashboard.json").read_text()
    dashboard = json.loads(text)
    assert dashboard["panels"]
    assert referenced(text) <= exported_names(), referenced(text) - exported_names()
