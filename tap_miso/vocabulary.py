"""Canonical vocabularies: one spelling per MISO concept, whatever the source wrote.

See FORMATS.md §2.6.
"""

from __future__ import annotations

import re

NODE_TYPES = ("Hub", "Loadzone", "Gennode", "Interface")
TRADING_HUBS = frozenset(
    {
        "ARKANSAS.HUB",
        "ILLINOIS.HUB",
        "INDIANA.HUB",
        "LOUISIANA.HUB",
        "MICHIGAN.HUB",
        "MINN.HUB",
        "MS.HUB",
        "TEXAS.HUB",
    }
)

_NODE_TYPE_ALIASES = {t.lower(): t for t in NODE_TYPES} | {
    "hubs": "Hub",
    "loadzones": "Loadzone",
    "load zone": "Loadzone",
    "gennodes": "Gennode",
    "interfaces": "Interface",
    "lz": "Loadzone",
}


def node_type(raw: str | None) -> str | None:
    """``Hub``/``Loadzone``/``Gennode``/``Interface``; DX writes ``Hubs`` (FORMATS Q2).

    An unknown value passes through unchanged (stripped) so nothing is lost.
    """
    if raw is None or not raw.strip():
        return None
    return _NODE_TYPE_ALIASES.get(raw.strip().lower(), raw.strip())


_ZONE = re.compile(r"(?:reserve\s+)?zone\s*(\d)$", re.IGNORECASE)


def reserve_zone(raw: object) -> int | None:
    """Reserve zone 1..8 from ``Zone 3``, ``Reserve Zone 3``, ``"3"`` or ``3``."""
    if raw is None:
        return None
    text = str(raw).strip()
    match = _ZONE.match(text)
    digits = match.group(1) if match else text
    try:
        value = int(float(digits))
    except ValueError:
        return None
    return value if 1 <= value <= 8 else None
