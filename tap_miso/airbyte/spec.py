"""``spec``: the tap's settings JSON Schema as the Airbyte connection specification."""

from __future__ import annotations

import copy
from typing import Any

from tap_miso.settings import CONFIG_SCHEMA, SECRET_SETTINGS, SETTING_NAMES

DOCUMENTATION_URL = "https://pypi.org/project/tap-miso/"


def connection_specification() -> dict[str, Any]:
    """tap-miso's own settings (not the SDK's built-ins), secrets marked ``airbyte_secret``."""
    properties = {
        name: _clean(copy.deepcopy(CONFIG_SCHEMA["properties"][name])) for name in SETTING_NAMES
    }
    for name in SECRET_SETTINGS:
        if name in properties:
            properties[name]["airbyte_secret"] = True
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "tap-miso",
        "type": "object",
        "required": list(CONFIG_SCHEMA.get("required", [])),
        "additionalProperties": True,
        "properties": properties,
    }


def _clean(schema: Any) -> Any:
    """Valid JSON Schema: the SDK writes a nullable custom type as a bare ``"null"`` in anyOf."""
    if isinstance(schema, dict):
        cleaned = {key: _clean(value) for key, value in schema.items()}
        if isinstance(cleaned.get("anyOf"), list):
            cleaned["anyOf"] = [
                {"type": item} if isinstance(item, str) else item for item in cleaned["anyOf"]
            ]
        return cleaned
    if isinstance(schema, list):
        return [_clean(item) for item in schema]
    return schema
