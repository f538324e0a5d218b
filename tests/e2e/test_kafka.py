"""target-kafka: the configuration resolves and every stream maps to `aurum.iso.miso.<stream>.v1`.

No Kafka broker is part of the test setup: this proves what Meltano hands target-kafka and the
topic each of its sinks is created for (sinks are built from SCHEMA messages; the producer only
connects on the first RECORD, so none is sent). It does not prove delivery, serialization,
compression or partitioning against a broker.
"""

from __future__ import annotations

import json
import re
import subprocess

from tap_miso.streams import STREAM_TYPES
from tests.e2e.meltano import ROOT, Meltano

TOPIC = re.compile(r"Initialized KafkaSink for stream '([^']+)' .* topic '([^']+)'")


def test_config_resolves_with_topic_prefix_and_version_suffix(meltano_installed, tmp_path):
    meltano = Meltano(tmp_path)
    listed = meltano("config", "list", "target-kafka")
    assert listed.returncode == 0, listed.output[-3000:]
    assert "topic_prefix" in listed.output and "bootstrap_servers" in listed.output
    dumped = meltano("invoke", "--dump=config", "target-kafka")
    assert dumped.returncode == 0, dumped.output[-3000:]
    config = json.loads(dumped.output[dumped.output.index("{"):dumped.output.rindex("}") + 1])
    assert config["topic_prefix"] == "aurum.iso.miso."
    assert config["bootstrap_servers"]
    for stream in STREAM_TYPES:
        assert config["stream_maps"][stream.name] == {"__alias__": f"{stream.name}.v1"}


def test_every_stream_gets_its_topic(meltano_installed, tmp_path):
    meltano = Meltano(tmp_path)
    dumped = meltano("invoke", "--dump=catalog", "tap-miso")
    assert dumped.returncode == 0, dumped.output[-3000:]
    catalog = json.loads(dumped.output[dumped.output.index("{"):dumped.output.rindex("}") + 1])
    schemas = "".join(
        json.dumps({"type": "SCHEMA", "stream": s["tap_stream_id"], "schema": s["schema"],
                    "key_properties": s["key_properties"]}) + "\n"
        for s in catalog["streams"])
    proc = subprocess.run(meltano.command("invoke", "target-kafka"), input=schemas,
                          cwd=ROOT, env=meltano.env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    topics = dict(TOPIC.findall(proc.stdout + proc.stderr))
    expected = {f"{s.name}.v1": f"aurum.iso.miso.{s.name}.v1" for s in STREAM_TYPES}
    assert topics == expected

