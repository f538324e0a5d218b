"""Write the Airbyte protocol's JSON Schema (from the protocol's pydantic models) for the tests.

Run in the PyAirbyte venv: ``.venv-airbyte/bin/python tests_envs/airbyte/dump_protocol_schema.py``.
The main test suite validates every message tap-miso-airbyte prints against this file, without
needing pydantic in the tap's venv; ``test_pyairbyte.py`` checks the file is still current.
"""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path

from airbyte_protocol.models import AirbyteMessage

TARGET = Path(__file__).resolve().parents[2] / "tests" / "airbyte" / "airbyte_protocol.schema.json"
PACKAGE = "airbyte-protocol-models-pdv2"


def protocol_schema() -> dict:
    """JSON Schema of AirbyteMessage, tagged with the models' version."""
    schema = AirbyteMessage.model_json_schema()
    schema["$comment"] = f"generated from {PACKAGE} {metadata.version(PACKAGE)}"
    return schema


def main() -> None:
    """Write the schema file (or the path given as the first argument)."""
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET
    target.write_text(json.dumps(protocol_schema(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
