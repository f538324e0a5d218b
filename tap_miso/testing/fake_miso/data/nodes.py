"""Synthetic CPNode roster with quarterly model changes (Mar 1 / Jun 1 / Sep 1 / Dec 1).

The roster effective on `reference_date` has exactly `node_count` nodes, split like MISO's
2026 model (~1715 Gennode, ~437 Loadzone, ~414 Hub, ~46 Interface) and always containing the
8 trading hubs. Each quarter boundary away from the reference retires and adds a few
Gennodes, so rosters differ deterministically between model dates. A node's name alone fixes
its reserve zone, region and price factors, so values never depend on `node_count`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache

from tap_miso.testing.fake_miso.data.mixing import choice_index, seed_of, unit

TRADING_HUBS = (
    "ARKANSAS.HUB",
    "ILLINOIS.HUB",
    "INDIANA.HUB",
    "LOUISIANA.HUB",
    "MICHIGAN.HUB",
    "MINN.HUB",
    "MS.HUB",
    "TEXAS.HUB",
)
# Local balancing authority -> reserve zone (1..8). Zone 8 is MISO South.
LBA_ZONES: dict[str, int] = {
    "NSP": 1, "OTP": 1, "GRE": 1, "MP": 1, "MDU": 1, "SMP": 1,
    "WEC": 2, "WPS": 2, "ALTE": 2, "MGE": 2, "UPPC": 2, "MIUP": 2,
    "ALTW": 3, "MEC": 3, "MPW": 3,
    "AMIL": 4, "CWLP": 4, "SIPC": 4,
    "AMMO": 5, "CWLD": 5,
    "CIN": 6, "IPL": 6, "NIPS": 6, "SIGE": 6, "HE": 6, "BREC": 6,
    "CONS": 7, "DECO": 7,
    "EAI": 8, "EES": 8, "CLEC": 8, "LAFA": 8, "LAGN": 8, "LEPA": 8, "SME": 8,
}  # fmt: skip
LBAS = tuple(LBA_ZONES)
TRADING_HUB_ZONES = {
    "ARKANSAS.HUB": 8, "ILLINOIS.HUB": 4, "INDIANA.HUB": 6, "LOUISIANA.HUB": 8,
    "MICHIGAN.HUB": 7, "MINN.HUB": 1, "MS.HUB": 8, "TEXAS.HUB": 8,
}  # fmt: skip
EXTERNAL_BAS = (
    "AECI", "EEI", "GLHB", "LGEE", "MHEB", "ONT", "OVEC", "PJM", "SOCO", "SPA", "SWPP", "TVA",
    "WAUE", "SPC", "EDE", "KCPL", "OPPD", "NPPD", "DUK", "CPLE",
)  # fmt: skip
NODE_TYPES = ("Gennode", "Loadzone", "Hub", "Interface")
_FULL_MIX = {"Gennode": 1715, "Loadzone": 437, "Hub": 414, "Interface": 46}
_FULL_SIZE = 2612
_CONSONANTS = "BCDFGHJKLMNPRSTVW"
_VOWELS = "AEIOU"
MIN_NODE_COUNT = 12

Node = tuple[str, str]


def model_quarter(day: date) -> int:
    """Index of the node model in effect on `day` (models start Mar/Jun/Sep/Dec 1)."""
    return (day.year * 12 + day.month - 1 - 2) // 3


def model_start(quarter: int) -> date:
    """First day of the node model with index `quarter`."""
    months = quarter * 3 + 2
    return date(months // 12, months % 12 + 1, 1)


def type_counts(node_count: int) -> dict[str, int]:
    """Node-type split proportional to MISO's 2026 model, keeping the 8 trading hubs."""
    if node_count < MIN_NODE_COUNT:
        raise ValueError(f"node_count must be >= {MIN_NODE_COUNT}, got {node_count}")
    hub = max(len(TRADING_HUBS), round(node_count * _FULL_MIX["Hub"] / _FULL_SIZE))
    interface = max(1, round(node_count * _FULL_MIX["Interface"] / _FULL_SIZE))
    loadzone = max(1, round(node_count * _FULL_MIX["Loadzone"] / _FULL_SIZE))
    return {
        "Gennode": node_count - hub - interface - loadzone,
        "Loadzone": loadzone,
        "Hub": hub,
        "Interface": interface,
    }


def _stem(seed: int, length: int) -> str:
    letters = []
    for position in range(length):
        pool = _CONSONANTS if position % 2 == 0 else _VOWELS
        letters.append(pool[choice_index(seed, position, len(pool))])
    return "".join(letters)


def _gennode_name(namespace: str, index: int) -> str:
    seed = seed_of(namespace, index)
    lba = LBAS[choice_index(seed, 10, len(LBAS))]
    stem = _stem(seed, 3 + choice_index(seed, 11, 3))
    return f"{lba}.{stem}{1 + choice_index(seed, 12, 9)}"


def _loadzone_name(index: int) -> str:
    seed = seed_of("loadzone", index)
    lba = LBAS[choice_index(seed, 10, len(LBAS))]
    if index < 300:
        return f"{lba}.{LBAS[choice_index(seed, 11, len(LBAS))]}"
    return f"{lba}.{_stem(seed, 4)}"


def _hub_name(index: int) -> str:
    seed = seed_of("hub", index)
    return f"{LBAS[choice_index(seed, 10, len(LBAS))]}.{_stem(seed, 4)}.AH"


def _interface_name(index: int) -> str:
    if index < len(EXTERNAL_BAS):
        return EXTERNAL_BAS[index]
    seed = seed_of("interface", index)
    return f"{EXTERNAL_BAS[choice_index(seed, 10, len(EXTERNAL_BAS))]}.{_stem(seed, 3)}"


def _unique(maker: Callable[[int], str], count: int, taken: set[str]) -> list[str]:
    """First `count` names from maker(0), maker(1), ... not already taken."""
    names: list[str] = []
    index = 0
    while len(names) < count:
        name = maker(index)
        index += 1
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


@dataclass(frozen=True)
class NodeFactors:
    """Per-node price sensitivities (congestion shift factors and loss factor)."""

    shift_a: float
    shift_b: float
    loss: float
    jitter_seed: int


@lru_cache(maxsize=16384)
def node_factors(name: str, node_type: str) -> NodeFactors:
    """Price factors fixed by the node name (aggregates such as hubs get smaller factors)."""
    seed = seed_of("factors", name)
    scale = 0.35 if node_type in {"Hub", "Loadzone"} else 1.0
    return NodeFactors(
        shift_a=(unit(seed, 1) * 2.0 - 1.0) * scale,
        shift_b=(unit(seed, 2) * 2.0 - 1.0) * scale,
        loss=-0.04 + 0.11 * unit(seed, 3),
        jitter_seed=seed,
    )


def reserve_zone_of(name: str) -> int:
    """Reserve zone 1..8 of a node, from its LBA prefix (hash for external names)."""
    if name in TRADING_HUB_ZONES:
        return TRADING_HUB_ZONES[name]
    zone = LBA_ZONES.get(name.split(".", 1)[0])
    return zone if zone is not None else 1 + choice_index(seed_of("zone", name), 0, 8)


def region_of(name: str) -> str:
    """Public ConsolidatedTable region: `South` for reserve zone 8, else `Midwest`."""
    return "South" if reserve_zone_of(name) == 8 else "Midwest"


class NodeRoster:
    """Node lists per quarterly model, anchored on `reference_date`."""

    SPAN_QUARTERS = 40

    def __init__(self, node_count: int, reference_date: date) -> None:
        self.node_count = node_count
        self.reference_quarter = model_quarter(reference_date)
        self._counts = type_counts(node_count)

    @cached_property
    def _base(self) -> list[Node]:
        taken = set(TRADING_HUBS)
        counts = self._counts
        nodes: list[Node] = [(hub, "Hub") for hub in TRADING_HUBS]
        nodes += [(n, "Hub") for n in _unique(_hub_name, counts["Hub"] - 8, taken)]
        nodes += [(n, "Loadzone") for n in _unique(_loadzone_name, counts["Loadzone"], taken)]
        nodes += [(n, "Interface") for n in _unique(_interface_name, counts["Interface"], taken)]
        gen = _unique(lambda i: _gennode_name("gennode", i), counts["Gennode"], taken)
        nodes += [(n, "Gennode") for n in gen]
        return nodes

    @cached_property
    def _churn(self) -> int:
        return max(1, self.node_count // 500)

    @cached_property
    def _span(self) -> int:
        # Each quarter of churn consumes 2 * churn base gennodes; tiny rosters get no churn.
        return min(self.SPAN_QUARTERS, self._counts["Gennode"] // (4 * self._churn))

    @cached_property
    def _lifespans(self) -> dict[str, tuple[str, int, int]]:
        """node -> (type, first quarter alive, first quarter retired); +-10**6 = unbounded."""
        never = 10**6
        reference, churn, span = self.reference_quarter, self._churn, self._span
        spans = {name: (node_type, -never, never) for name, node_type in self._base}
        gennodes = [name for name, node_type in self._base if node_type == "Gennode"]
        ordered = sorted(gennodes, key=lambda name: seed_of("churn", name))
        cursor = 0
        for step in range(span):
            for _ in range(churn):  # born at reference - step (already in the base roster)
                name = ordered[cursor]
                cursor += 1
                spans[name] = ("Gennode", reference - step, never)
            for _ in range(churn):  # retire at reference + step + 1
                name = ordered[cursor]
                cursor += 1
                spans[name] = ("Gennode", -never, reference + step + 1)
        taken = set(spans)
        for step in range(span):
            born = _unique(lambda i, s=step: _gennode_name(f"future{s}", i), churn, taken)
            for name in born:
                spans[name] = ("Gennode", reference + step + 1, never)
            gone = _unique(lambda i, s=step: _gennode_name(f"past{s}", i), churn, taken)
            for name in gone:
                spans[name] = ("Gennode", -never, reference - step)
        return spans

    @lru_cache(maxsize=64)  # noqa: B019 - one roster object per server
    def nodes_in_quarter(self, quarter: int) -> list[Node]:
        """Sorted (name, type) list of the model with index `quarter`."""
        return sorted(
            (name, node_type)
            for name, (node_type, first, last) in self._lifespans.items()
            if first <= quarter < last
        )

    def nodes_on(self, day: date) -> list[Node]:
        """Sorted (name, type) list of the model in effect on `day`."""
        return self.nodes_in_quarter(model_quarter(day))

    @property
    def reference_nodes(self) -> list[Node]:
        """The roster of exactly `node_count` nodes effective on the reference date."""
        return self.nodes_in_quarter(self.reference_quarter)

    def node_type(self, name: str) -> str | None:
        """Type of any node ever in the roster, else None."""
        entry = self._lifespans.get(name)
        return entry[0] if entry else None
