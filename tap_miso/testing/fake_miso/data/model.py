"""`DataModel`: the deterministic values every fake surface serves.

Every surface formats the same numbers, so tests compare parsed records with these methods.
Dates are market dates (EST); `hour_ending` is 1..24; `interval_index` is 0..287 and names
the 5-minute interval starting at `00:00 + 5 min * index` EST.

Methods (all pure, cached, independent of `node_count` for a given node name):
    nodes -> list[(name, node_type)]          roster effective on `reference_date` (exact count)
    nodes_on(day) -> list[(name, node_type)]  roster of the quarterly model in effect on `day`
    model_date(day) -> date                   Mar 1 / Jun 1 / Sep 1 / Dec 1 model start
    trading_hubs -> tuple[str, ...]           the 8 trading hubs
    node_type(node) / reserve_zone(node) / node_region(node)
    lmp(day, hour_ending, node, price_type) -> Lmp(lmp, mec, mcc, mlc)
        price_type: 'ex_ante' | 'ex_post' (day-ahead), 'preliminary' | 'final' (RT hourly)
    lmp_5min(day, interval_index, node, kind) -> Lmp       kind: 'ex_ante' | 'preliminary' | 'final'
    asm_mcp(day, hour_ending, zone, product, price_type) -> float
        zone 1..8 or None (MISO-wide); product: Regulation, Spin, Supplemental, STR,
        Ramp-up, Ramp-down; price_type as for `lmp`
    asm_mcp_5min(day, interval_index, zone, product, kind) -> float
    actual_load(day, hour_ending, area) -> float   area: Z1..Z10, LRZ1, LRZ2_7, LRZ3_5, LRZ4,
        LRZ6, LRZ8_9_10, North/Central/South (any case), MISO
    load_forecast(vintage, day, hour_ending, area) -> int   MTLF (MW) issued on `vintage`
    load_5min(day, interval_index) -> int                   MISO total (MW)
    da_demand(day, hour_ending, region) -> DaDemand(fixed, price_sensitive, virtual)
    fuel_mix(day, hour_ending, region, fuel, market='rt') -> float   region NORTH/CENTRAL/
        SOUTH/MISO; fuel coal, gas, nuclear, water, wind, solar, other, storage; market rt|da
    fuel_mix_5min(day, interval_index, category) -> int    public FuelMix categories
    nsi(day, hour_ending, ba) -> float / nai(day, hour_ending, ba) -> float
        ba: MHEB, ONT (DX NAI and MR call it IESO), SWPP, TVA, AECI, SOCO, LGEE, PJM, OTHER,
        SPA, GLHB; + = import into MISO (public feeds publish the negated value)
    nsi_5min(day, interval_index, ba) -> int   ba as above or MISO (sum of the public BAs)
    nai_5min(day, interval_index) -> float     MISO total
    generation_forecast(fuel, vintage, day, hour_ending, region) -> float   fuel wind|solar,
        region North/Central/South/MISO
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from tap_miso.testing.fake_miso.data import grid, nodes, prices


class Lmp(NamedTuple):
    """LMP and its components, $/MWh at 2 decimals; lmp == mec + mcc + mlc."""

    lmp: float
    mec: float
    mcc: float
    mlc: float


class DaDemand(NamedTuple):
    """Day-ahead cleared demand of a region, MW."""

    fixed: float
    price_sensitive: float
    virtual: float


def _dollars(cents: tuple[int, int, int, int]) -> Lmp:
    return Lmp(cents[0] / 100, cents[1] / 100, cents[2] / 100, cents[3] / 100)


class DataModel:
    """Deterministic synthetic MISO market data (see module docstring for the methods)."""

    trading_hubs = nodes.TRADING_HUBS

    def __init__(self, node_count: int = 2612, reference_date: date | None = None) -> None:
        self.node_count = node_count
        self.reference_date = reference_date or date(2026, 7, 1)
        self.roster = nodes.NodeRoster(node_count, self.reference_date)
        self._factors: dict[str, nodes.NodeFactors] = {}

    # -- nodes -------------------------------------------------------------------------------
    @property
    def nodes(self) -> list[tuple[str, str]]:
        return self.roster.reference_nodes

    def nodes_on(self, day: date) -> list[tuple[str, str]]:
        return self.roster.nodes_on(day)

    def model_date(self, day: date) -> date:
        return nodes.model_start(nodes.model_quarter(day))

    def node_type(self, node: str) -> str | None:
        return self.roster.node_type(node)

    def reserve_zone(self, node: str) -> int:
        return nodes.reserve_zone_of(node)

    def node_region(self, node: str) -> str:
        return nodes.region_of(node)

    def factors(self, node: str) -> nodes.NodeFactors:
        found = self._factors.get(node)
        if found is None:
            found = nodes.node_factors(node, self.roster.node_type(node) or "Gennode")
            self._factors[node] = found
        return found

    # -- prices ------------------------------------------------------------------------------
    def lmp_cents(self, day: date, hour_ending: int, node: str, price_type: str
                  ) -> tuple[int, int, int, int]:
        series = prices.hourly_series(day, price_type)
        return prices.node_cents(series, hour_ending - 1, self.factors(node))

    def lmp(self, day: date, hour_ending: int, node: str, price_type: str) -> Lmp:
        return _dollars(self.lmp_cents(day, hour_ending, node, price_type))

    def lmp_5min_cents(self, day: date, interval_index: int, node: str, kind: str
                       ) -> tuple[int, int, int, int]:
        series = prices.five_minute_series(day, kind)
        return prices.node_cents(series, interval_index, self.factors(node))

    def lmp_5min(self, day: date, interval_index: int, node: str, kind: str) -> Lmp:
        return _dollars(self.lmp_5min_cents(day, interval_index, node, kind))

    def asm_mcp_cents(self, day: date, hour_ending: int, zone: int | None, product: str,
                      price_type: str) -> int:
        return prices.zone_mcp_cents(day, "hourly", price_type, hour_ending - 1, zone, product)

    def asm_mcp(self, day: date, hour_ending: int, zone: int | None, product: str,
                price_type: str) -> float:
        return self.asm_mcp_cents(day, hour_ending, zone, product, price_type) / 100

    def asm_mcp_5min_cents(self, day: date, interval_index: int, zone: int | None,
                           product: str, kind: str) -> int:
        return prices.zone_mcp_cents(day, "5min", kind, interval_index, zone, product)

    def asm_mcp_5min(self, day: date, interval_index: int, zone: int | None, product: str,
                     kind: str) -> float:
        return self.asm_mcp_5min_cents(day, interval_index, zone, product, kind) / 100

    # -- load --------------------------------------------------------------------------------
    def actual_load(self, day: date, hour_ending: int, area: str) -> float:
        return grid.actual_load_centi(day, hour_ending, area) / 100

    def load_forecast(self, vintage: date, day: date, hour_ending: int, area: str) -> int:
        return grid.load_forecast_mw(vintage, day, hour_ending, area)

    def load_5min(self, day: date, interval_index: int) -> int:
        return grid.load_5min_mw(day, interval_index)

    def da_demand(self, day: date, hour_ending: int, region: str) -> DaDemand:
        fixed, sensitive, virtual = grid.da_demand_centi(day, hour_ending, region)
        return DaDemand(fixed / 100, sensitive / 100, virtual / 100)

    # -- generation --------------------------------------------------------------------------
    def fuel_mix(self, day: date, hour_ending: int, region: str, fuel: str,
                 market: str = "rt") -> float:
        mix = grid.fuel_mix_centi(day, market)
        key = region.upper()
        regions = grid.REGIONS if key == "MISO" else (key,)
        return sum(mix[hour_ending, each][fuel] for each in regions) / 100

    def fuel_mix_5min(self, day: date, interval_index: int, category: str) -> int:
        return grid.fuel_mix_5min_mw(day, interval_index, category)

    def generation_forecast(self, fuel: str, vintage: date, day: date, hour_ending: int,
                            region: str) -> float:
        return grid.generation_forecast_centi(fuel, vintage, day, hour_ending, region) / 100

    # -- interchange -------------------------------------------------------------------------
    def nsi(self, day: date, hour_ending: int, ba: str) -> float:
        return grid.nsi_centi(day, hour_ending, _canonical_ba(ba)) / 100

    def nai(self, day: date, hour_ending: int, ba: str) -> float:
        return grid.nai_centi(day, hour_ending, _canonical_ba(ba)) / 100

    def nsi_5min(self, day: date, interval_index: int, ba: str) -> int:
        return grid.nsi_5min_mw(day, interval_index, _canonical_ba(ba))

    def nai_5min(self, day: date, interval_index: int) -> float:
        return grid.nai_5min_centi(day, interval_index) / 100


def _canonical_ba(ba: str) -> str:
    upper = ba.upper()
    return "ONT" if upper == "IESO" else upper
