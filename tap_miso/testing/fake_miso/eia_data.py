"""The fake EIA's generator roster: a fixed set of units whose status follows the month.

Units are declared with absolute months, so any snapshot month has a deterministic roster:
operating (first operation reached, not retired, not canceled), planned (first operation in
the future), retired, canceled. A few units are outside MISO (other balancing authorities), so
the MISO filter is exercised; plant 50010 has generators ``1`` and ``01`` (distinct ids).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from tap_miso.testing.fake_miso.clock import est_today

FIRST_PERIOD = "2008-01"
#: Months from 2020-11 on have the header on row 3; older workbooks on row 2 (EIA.md).
HEADER_ROW3_FROM = "2020-11"


@dataclass
class EiaFakeSettings:
    """Knobs of the fake EIA: accepted keys, page cap, publication lag, old-style totals."""

    keys: set[str] = field(default_factory=lambda: {"fake-eia-key"})
    page_max: int = 5000
    lag_months: int = 2
    total_as_number: bool = False
    #: Annual EIA-860 years published: those up to (current year - this).
    annual_lag_years: int = 1


@dataclass(frozen=True)
class Unit:
    """One generator as the fake EIA knows it (months are ``YYYY-MM``)."""

    plant_id: str
    generator_id: str
    plant_name: str
    entity_id: str
    entity_name: str
    state: str
    county: str | None
    ba: str
    technology: str
    energy_source: str
    prime_mover: str
    status: str  # operable status once operating (OP, SB, OA, OS)
    nameplate: float
    summer: float | None
    winter: float | None
    operating: str
    latitude: float
    longitude: float
    retired: str | None = None
    planned_retirement: str | None = None
    derate: tuple[str, float] | None = None
    uprate: tuple[str, float] | None = None
    canceled: str | None = None  # month the project was canceled
    planned_status: str = "U"  # status while planned (P, L, T, U, V, TS)
    #: Node statement in the annual EIA-860: None blank, int = the n-th Gennode, str = literal.
    node: int | str | None = None


UNITS: tuple[Unit, ...] = (
    Unit("50010", "1", "Prairie Ridge", "9001", "Prairie Power Co", "IA", "Story", "MISO",
         "Conventional Steam Coal", "BIT", "ST", "OP", 650.4, 610.0, 615.5, "1978-06",
         41.99, -93.62, planned_retirement="2028-12", node=0),
    Unit("50010", "01", "Prairie Ridge", "9001", "Prairie Power Co", "IA", "Story", "MISO",
         "Natural Gas Fired Combustion Turbine", "NG", "GT", "SB", 85.0, 79.2, 88.1,
         "1999-05", 41.99, -93.62, node=1),
    Unit("50023", "WT1", "North Wind Farm", "9002", "Example Wind LLC", "MN", "Murray",
         "MISO", "Onshore Wind Turbine", "WND", "WT", "OP", 200.1, 198.0, 198.0, "2012-12",
         44.02, -95.76, uprate=("2027-03", 20.0), node="WINDY.NOTLISTED"),
    Unit("50023", "WT2", "North Wind Farm", "9002", "Example Wind LLC", "MN", "Murray",
         "MISO", "Onshore Wind Turbine", "WND", "WT", "OP", 150.0, 149.5, 149.5, "2026-03",
         44.02, -95.76, planned_status="V"),
    Unit("50031", "GT1", "Riverbend", "9003", "Delta Energy", "LA", None, "MISO",
         "Natural Gas Fired Combined Cycle", "NG", "CT", "OP", 245.3, 230.0, 240.2,
         "2003-07", 30.45, -91.19, derate=("2027-06", 12.5), node=2),
    Unit("50031", "ST1", "Riverbend", "9003", "Delta Energy", "LA", None, "MISO",
         "Natural Gas Fired Combined Cycle", "NG", "CA", "OA", 120.0, 115.0, 118.0, "2003-07",
         30.45, -91.19),
    Unit("50044", "PV1", "Sunfield Solar", "9004", "Sunfield LLC", "IN", "Jasper", "MISO",
         "Solar Photovoltaic", "SUN", "PV", "OP", 100.0, 100.0, None, "2021-10", 41.02,
         -87.12, node=3),
    Unit("50044", "BAT1", "Sunfield Solar", "9004", "Sunfield LLC", "IN", "Jasper", "MISO",
         "Batteries", "MWH", "BA", "OP", 50.0, 50.0, 50.0, "2027-09", 41.02, -87.12,
         planned_status="T"),
    Unit("50058", "3", "Lakeshore", "9005", "Great Lakes Gen", "MI", "Ottawa", "MISO",
         "Conventional Steam Coal", "SUB", "ST", "OP", 420.0, 400.0, 405.0, "1980-01", 43.07,
         -86.22, retired="2026-04", node=4),
    Unit("50058", "4", "Lakeshore", "9005", "Great Lakes Gen", "MI", "Ottawa", "MISO",
         "Conventional Steam Coal", "SUB", "ST", "OS", 420.0, 395.0, 398.0, "1981-01", 43.07,
         -86.22, retired="2019-05"),
    Unit("50062", "H1", "Falls Hydro", "9006", "Northern Hydro", "WI", "Marinette", "MISO",
         "Conventional Hydroelectric", "WAT", "HY", "OP", 12.6, 11.0, 12.0, "1925-08", 45.1,
         -87.63),
    Unit("50077", "CT9", "Bayou Peaker", "9003", "Delta Energy", "MS", "Hinds", "MISO",
         "Natural Gas Fired Combustion Turbine", "NG", "GT", "OP", 60.0, 55.0, 61.0,
         "2029-06", 32.3, -90.18, canceled="2025-11", planned_status="P"),
    Unit("60001", "1", "Plains Center", "9101", "Southwest Plains", "KS", "Ford", "SWPP",
         "Onshore Wind Turbine", "WND", "WT", "OP", 300.0, 298.0, 298.0, "2015-04", 37.7,
         -100.0),
    Unit("60002", "CC1", "Eastern Station", "9102", "Atlantic Gen", "OH", "Lucas", "PJM",
         "Natural Gas Fired Combined Cycle", "NG", "CT", "OP", 500.0, 480.0, 495.0, "2010-01",
         41.65, -83.54, retired="2026-02"),
)


def period_index(period: str) -> int:
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def period_at(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def newest_period(now: datetime | date, settings: EiaFakeSettings) -> str:
    """Newest published month: the current (EST, as the tap plans) month less the lag."""
    day = est_today(now) if isinstance(now, datetime) else now
    return period_at(day.year * 12 + day.month - 1 - settings.lag_months)


def is_published(period: str, now: datetime | date, settings: EiaFakeSettings) -> bool:
    return FIRST_PERIOD <= period <= newest_period(now, settings)


def category(unit: Unit, period: str) -> str:
    """operating, planned, retired or canceled in ``period``."""
    if unit.canceled and unit.canceled <= period:
        return "canceled"
    if unit.retired and unit.retired <= period:
        return "retired"
    return "operating" if unit.operating <= period else "planned"


def units_in(period: str, wanted: str) -> list[Unit]:
    """Units of one category in ``period`` (every balancing authority)."""
    return [u for u in UNITS if category(u, period) == wanted]


def summer_capacity(unit: Unit, period: str) -> float | None:
    """Net summer MW in ``period`` (an uprate or derate applies from its month)."""
    value = unit.summer
    if value is None:
        return None
    if unit.uprate and unit.uprate[0] <= period:
        value += unit.uprate[1]
    if unit.derate and unit.derate[0] <= period:
        value -= unit.derate[1]
    return round(value, 1)


def planned_retirement(unit: Unit) -> str | None:
    """Retirement month announced while the unit still operates (its actual one if known)."""
    return unit.retired or unit.planned_retirement


def actual_retirement(unit: Unit, period: str) -> str | None:
    """The month a unit retired, once it has (by ``period``)."""
    return unit.retired if unit.retired and unit.retired <= period else None


def gennodes(data: object, day: date) -> list[str]:
    """Gennodes of the MISO node model on ``day`` (the pool of stated node designations)."""
    return [name for name, kind in data.nodes_on(day) if kind == "Gennode"]  # type: ignore[attr-defined]


def node_designation(unit: Unit, pool: list[str]) -> str | None:
    """What the annual EIA-860 states as the unit's LMP node (None = blank)."""
    if unit.node is None:
        return None
    if isinstance(unit.node, str):
        return unit.node
    return pool[unit.node % len(pool)] if pool else None
