# ruff: noqa: E501  (the vocabulary table below is copied into the README as is)
"""Canonical vocabularies of the grid streams (load, fuel mix, interchange, forecasts).

One spelling per concept whatever the source wrote (FORMATS.md §2.6, §7.11-13); records keep
the source's own spelling next to the canonical value (``*_raw`` fields).

| dimension | canonical values | source spellings mapped |
|---|---|---|
| region | ``NORTH``, ``CENTRAL``, ``SOUTH`` | DX fuel/MTLF ``NORTH``; DX actual load, MR ``North``; any case |
| MISO total | ``MISO`` | MR ``MISO``, sr_gfm ``Total``; derived (sum of regions) where absent |
| LRZ group | ``LRZ1``, ``LRZ2_7``, ``LRZ3_5``, ``LRZ4``, ``LRZ6``, ``LRZ8_9_10`` | DX ``localResourceZone``, df_al column prefixes |
| MTLF zone | ``Z1`` .. ``Z10`` (load forecast only; ``lrz`` names its group) | DX ``localResourceZone`` of ``forecast/{date}/load`` |
| area_level | ``region``, ``lrz``, ``zone``, ``total`` | — |
| fuel | ``coal``, ``gas``, ``nuclear``, ``hydro``, ``wind``, ``solar``, ``storage``, ``other``, ``imports`` | DX ``water`` → hydro; MR ``Hydro``; public ``Natural Gas`` → gas, ``Battery Storage`` → storage, ``Imports`` → imports |
| counterparty (BA) | ``AECI``, ``GLHB``, ``IESO``, ``LGEE``, ``MHEB``, ``OTHER``, ``PJM``, ``SOCO``, ``SPA``, ``SWPP``, ``TVA``, ``TOTAL`` | Ontario: DX NSI and public ``ONT``, DX NAI and MR ``IESO`` → ``IESO``; MR ``Other`` → OTHER; MR ``Total`` and public ``MISO`` → TOTAL (MISO's net interchange with all neighbours) |
| interchange kind | ``scheduled`` (NSI), ``actual`` (NAI) | — |
| sign | positive = flow into MISO (import) | see ``sign_convention`` on each record |

MTLF zone → LRZ group (FORMATS §2.6): Z1→LRZ1; Z2, Z7→LRZ2_7; Z3, Z5→LRZ3_5; Z4→LRZ4;
Z6→LRZ6; Z8, Z9, Z10→LRZ8_9_10.

Ontario is ``IESO`` (the balancing authority's own name, as EIA-930 writes it) rather than
``ONT`` (an interface name used by only some MISO endpoints).
"""

from __future__ import annotations

REGIONS = ("NORTH", "CENTRAL", "SOUTH")
MISO = "MISO"
LRZ_GROUPS = ("LRZ1", "LRZ2_7", "LRZ3_5", "LRZ4", "LRZ6", "LRZ8_9_10")
MTLF_ZONES = tuple(f"Z{i}" for i in range(1, 11))
ZONE_TO_LRZ = {
    "Z1": "LRZ1",
    "Z2": "LRZ2_7",
    "Z7": "LRZ2_7",
    "Z3": "LRZ3_5",
    "Z5": "LRZ3_5",
    "Z4": "LRZ4",
    "Z6": "LRZ6",
    "Z8": "LRZ8_9_10",
    "Z9": "LRZ8_9_10",
    "Z10": "LRZ8_9_10",
}

AREA_REGION = "region"
AREA_LRZ = "lrz"
AREA_ZONE = "zone"
AREA_TOTAL = "total"

FUELS = ("coal", "gas", "nuclear", "hydro", "wind", "solar", "storage", "other", "imports")
_FUEL_ALIASES = {
    "water": "hydro",
    "hydro": "hydro",
    "natural gas": "gas",
    "gas": "gas",
    "battery storage": "storage",
    "storage": "storage",
    "coal": "coal",
    "nuclear": "nuclear",
    "wind": "wind",
    "solar": "solar",
    "other": "other",
    "imports": "imports",
}

COUNTERPARTIES = (
    "AECI", "GLHB", "IESO", "LGEE", "MHEB", "OTHER", "PJM", "SOCO", "SPA", "SWPP", "TVA", "TOTAL",
)  # fmt: skip
TOTAL = "TOTAL"
_BA_ALIASES = {"ONT": "IESO", "ONTARIO": "IESO", "MISO": TOTAL, "TOTAL": TOTAL}

KIND_SCHEDULED = "scheduled"
KIND_ACTUAL = "actual"

#: ``sign_convention`` values: how the source signs its numbers (values are always converted
#: to positive = import into MISO).
SIGN_IMPORT_POSITIVE = "import_positive"
SIGN_IMPORT_NEGATIVE = "import_negative"


def _key(raw: object) -> str:
    return " ".join(str(raw).split()).strip() if raw is not None else ""


def region(raw: object) -> str | None:
    """``NORTH``/``CENTRAL``/``SOUTH``/``MISO`` from any case, ``Total`` → MISO; else None."""
    text = _key(raw).upper()
    if text in REGIONS or text == MISO:
        return text
    if text == "TOTAL":
        return MISO
    return None


def lrz_group(raw: object) -> str | None:
    """LRZ group (``LRZ3_5``) from a group name or an MTLF zone (``Z5``); else None."""
    text = _key(raw).upper().replace(" ", "")
    if text in LRZ_GROUPS:
        return text
    return ZONE_TO_LRZ.get(text)


def mtlf_zone(raw: object) -> str | None:
    """MTLF zone ``Z1``..``Z10`` (FORMATS §7.13); else None."""
    text = _key(raw).upper().replace(" ", "")
    return text if text in MTLF_ZONES else None


def fuel(raw: object) -> str | None:
    """Canonical fuel from a DX key, an MR column or a public category; else None."""
    return _FUEL_ALIASES.get(_key(raw).lower())


def counterparty(raw: object) -> str | None:
    """Canonical BA code: ``ONT``/``IESO`` → IESO (FORMATS §7.11), totals → TOTAL."""
    text = _key(raw).upper()
    if not text:
        return None
    return _BA_ALIASES.get(text, text)
