"""Load, load forecast, fuel mix, interchange and wind/solar forecast series.

Quantities are integer centi-MW internally (two decimals exact). Hourly load is generated
per MTLF zone Z1..Z10; LRZ groups, regions and the MISO total are exact sums of zones.
Interchange uses the DX sign convention: positive = import into MISO.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import lru_cache

from tap_miso.testing.fake_miso.data.mixing import between, seed_of

ZONES = tuple(f"Z{i}" for i in range(1, 11))
ZONE_SHARES = (0.12, 0.10, 0.07, 0.08, 0.06, 0.14, 0.17, 0.06, 0.17, 0.03)
LRZ_GROUPS: dict[str, tuple[str, ...]] = {
    "LRZ1": ("Z1",),
    "LRZ2_7": ("Z2", "Z7"),
    "LRZ3_5": ("Z3", "Z5"),
    "LRZ4": ("Z4",),
    "LRZ6": ("Z6",),
    "LRZ8_9_10": ("Z8", "Z9", "Z10"),
}
REGION_ZONES: dict[str, tuple[str, ...]] = {
    "NORTH": ("Z1", "Z2", "Z3"),
    "CENTRAL": ("Z4", "Z5", "Z6", "Z7"),
    "SOUTH": ("Z8", "Z9", "Z10"),
}
REGIONS = tuple(REGION_ZONES)
FUELS = ("coal", "gas", "nuclear", "water", "wind", "solar", "other", "storage")
PUBLIC_FUEL_CATEGORIES = (
    "Battery Storage", "Coal", "Imports", "Natural Gas", "Nuclear", "Other", "Solar", "Wind",
)  # fmt: skip
INTERCHANGE_BAS = (
    "MHEB", "ONT", "SWPP", "TVA", "AECI", "SOCO", "LGEE", "PJM", "OTHER", "SPA", "GLHB",
)  # fmt: skip
_ONE_DAY = timedelta(days=1)
PUBLIC_NSI_BAS = ("AECI", "LGEE", "MHEB", "ONT", "PJM", "SOCO", "SPA", "SWPP", "TVA")

_MONTHLY_MW = (82000, 80000, 72000, 68000, 70000, 82000, 92000, 90000, 78000, 70000, 73000,
               80000)
_DISPATCHABLE_SHARES = {
    "NORTH": {"coal": .42, "gas": .25, "nuclear": .20, "water": .05, "other": .05, "storage": .03},
    "CENTRAL": {"coal": .44, "gas": .35, "nuclear": .16, "water": .01, "other": .03,
                "storage": .01},
    "SOUTH": {"coal": .13, "gas": .64, "nuclear": .20, "water": .01, "other": .02, "storage": 0},
}
_WIND_MW = {"NORTH": 21000, "CENTRAL": 9000, "SOUTH": 600}
_SOLAR_MW = {"NORTH": 3000, "CENTRAL": 5500, "SOUTH": 3500}
_NSI_MEAN_MW = {"MHEB": 1800, "ONT": 300, "SWPP": -400, "TVA": 600, "AECI": -150, "SOCO": 200,
                "LGEE": 350, "PJM": 1500, "OTHER": 50, "SPA": -80, "GLHB": 40}


def _load_shape(hour_ending: int) -> float:
    hour = hour_ending - 0.5
    return 0.80 + 0.32 * max(0.0, math.sin(math.pi * (hour - 5.0) / 18.0))


@lru_cache(maxsize=512)
def actual_load_zones(day: date) -> list[list[int]]:
    """Actual hourly load [HE-1][zone index] in centi-MW."""
    seed = seed_of("load", day)
    weekend = 0.93 if day.weekday() >= 5 else 1.0
    total = _MONTHLY_MW[day.month - 1] * weekend
    return [
        [
            round(total * share * _load_shape(he) * between(seed, he * 16 + z, 0.96, 1.04) * 100)
            for z, share in enumerate(ZONE_SHARES)
        ]
        for he in range(1, 25)
    ]


def zones_of(area: str) -> tuple[str, ...]:
    """Zones composing an area: Z1..Z10, an LRZ group, a region, or MISO."""
    key = area.upper()
    if key in ZONES or area in ZONES:
        return (key,)
    if key in LRZ_GROUPS:
        return LRZ_GROUPS[key]
    if key in REGION_ZONES:
        return REGION_ZONES[key]
    if key == "MISO":
        return ZONES
    raise ValueError(f"unknown load area {area!r}")


def actual_load_centi(day: date, hour_ending: int, area: str) -> int:
    """Actual load of an area for one hour, centi-MW."""
    row = actual_load_zones(day)[hour_ending - 1]
    return sum(row[ZONES.index(zone)] for zone in zones_of(area))


def load_forecast_mw(vintage: date, day: date, hour_ending: int, area: str) -> int:
    """MTLF of vintage `vintage` for an area and hour, whole MW (sum of zone forecasts)."""
    horizon = abs((day - vintage).days)
    total = 0
    for zone in zones_of(area):
        actual = actual_load_zones(day)[hour_ending - 1][ZONES.index(zone)] / 100
        seed = seed_of("mtlf", vintage, day, zone)
        error = between(seed, hour_ending, -1.0, 1.0) * (0.01 + 0.006 * horizon)
        total += round(actual * (1 + error))
    return total


def load_5min_mw(day: date, interval_index: int) -> int:
    """MISO total 5-minute load, whole MW."""
    hourly = actual_load_centi(day, interval_index // 12 + 1, "MISO") / 100
    return round(hourly * between(seed_of("load5", day), interval_index, 0.985, 1.015))


def da_demand_centi(day: date, hour_ending: int, region: str) -> tuple[int, int, int]:
    """DA cleared (fixed, price-sensitive, virtual) demand of a region, centi-MW."""
    forecast = load_forecast_mw(day - _ONE_DAY, day, hour_ending, region)
    seed = seed_of("da-demand", day, region.upper())
    fixed = round(forecast * between(seed, hour_ending, 0.93, 0.96) * 100)
    price_sensitive = round(forecast * between(seed, hour_ending + 50, 0.02, 0.04) * 100)
    virtual = round(forecast * between(seed, hour_ending + 100, 0.01, 0.05) * 100)
    return fixed, price_sensitive, virtual


def _wind_factor(day: date, hour_ending: int, region: str) -> float:
    seed = seed_of("wind", day, region)
    daily = between(seed, 0, 0.15, 0.75)
    return max(0.02, min(0.95, daily + between(seed, hour_ending, -0.1, 0.1)))


def _solar_factor(day: date, hour_ending: int, region: str) -> float:
    hour = hour_ending - 0.5
    if not 6.0 < hour < 20.0:
        return 0.0
    sun = math.sin(math.pi * (hour - 6.0) / 14.0)
    return sun * between(seed_of("solar", day, region), hour_ending, 0.55, 0.95)


@lru_cache(maxsize=512)
def fuel_mix_centi(day: date, market: str) -> dict[tuple[int, str], dict[str, int]]:
    """(HE, region) -> fuel -> generation centi-MW for `market` 'rt' or 'da'."""
    seed = seed_of("fuel", day, market)
    mix: dict[tuple[int, str], dict[str, int]] = {}
    for he in range(1, 25):
        for region in REGIONS:
            load = actual_load_centi(day, he, region) / 100
            wind = _WIND_MW[region] * _wind_factor(day, he, region)
            solar = _SOLAR_MW[region] * _solar_factor(day, he, region)
            rest = max(0.0, load * 0.97 - wind - solar)
            values = {"wind": wind, "solar": solar}
            for position, (fuel, share) in enumerate(_DISPATCHABLE_SHARES[region].items()):
                values[fuel] = rest * share * between(seed, he * 64 + position, 0.95, 1.05)
            mix[he, region] = {fuel: round(values[fuel] * 100) for fuel in FUELS}
    return mix


def nsi_centi(day: date, hour_ending: int, ba: str) -> int:
    """Hourly net scheduled interchange with a neighbour BA, centi-MW (+ = import)."""
    mean = _NSI_MEAN_MW[ba]
    seed = seed_of("nsi", day, ba)
    swing = 0.4 * abs(mean) + 100
    return round((mean + between(seed, hour_ending, -swing, swing)) * 100)


def nai_centi(day: date, hour_ending: int, ba: str) -> int:
    """Hourly net actual interchange with a neighbour BA, centi-MW (+ = import)."""
    scheduled = nsi_centi(day, hour_ending, ba)
    return scheduled + round(between(seed_of("nai", day, ba), hour_ending, -0.03, 0.03) *
                             (abs(scheduled) + 2000))


def nsi_5min_mw(day: date, interval_index: int, ba: str) -> int:
    """5-minute NSI, whole MW (+ = import); `MISO` = sum of the public BAs."""
    if ba == "MISO":
        return sum(nsi_5min_mw(day, interval_index, each) for each in PUBLIC_NSI_BAS)
    hourly = nsi_centi(day, interval_index // 12 + 1, ba) / 100
    return round(hourly * between(seed_of("nsi5", day, ba), interval_index, 0.97, 1.03))


def nai_5min_centi(day: date, interval_index: int) -> int:
    """5-minute MISO-total NAI, centi-MW (+ = import)."""
    scheduled = nsi_5min_mw(day, interval_index, "MISO")
    return round(scheduled * 100 + between(seed_of("nai5", day), interval_index, -5000, 5000))


def fuel_mix_5min_mw(day: date, interval_index: int, category: str) -> int:
    """Public FuelMix 5-minute MISO-wide generation by display category, whole MW."""
    he = interval_index // 12 + 1
    mix = fuel_mix_centi(day, "rt")
    totals = {fuel: sum(mix[he, region][fuel] for region in REGIONS) / 100 for fuel in FUELS}
    by_category = {
        "Battery Storage": totals["storage"],
        "Coal": totals["coal"],
        "Imports": max(0.0, sum(nsi_centi(day, he, ba) for ba in PUBLIC_NSI_BAS) / 100),
        "Natural Gas": totals["gas"],
        "Nuclear": totals["nuclear"],
        "Other": totals["other"] + totals["water"],
        "Solar": totals["solar"],
        "Wind": totals["wind"],
    }
    if category not in by_category:
        raise ValueError(f"unknown fuel category {category!r}; expected {PUBLIC_FUEL_CATEGORIES}")
    jitter = between(seed_of("fuel5", day, category), interval_index, 0.99, 1.01)
    return round(by_category[category] * jitter)


def generation_forecast_centi(fuel: str, vintage: date, day: date, hour_ending: int,
                              region: str) -> int:
    """Wind or solar forecast of vintage `vintage`, centi-MW; region `MISO` = sum of regions."""
    key = region.upper()
    if key == "MISO":
        return sum(generation_forecast_centi(fuel, vintage, day, hour_ending, each)
                   for each in REGIONS)
    if fuel == "wind":
        truth = _WIND_MW[key] * _wind_factor(day, hour_ending, key)
    elif fuel == "solar":
        truth = _SOLAR_MW[key] * _solar_factor(day, hour_ending, key)
    else:
        raise ValueError(f"fuel must be 'wind' or 'solar', got {fuel!r}")
    horizon = abs((day - vintage).days)
    error = between(seed_of("gen-fc", fuel, vintage, day, key), hour_ending, -1, 1) * (
        0.03 + 0.04 * horizon
    )
    return round(max(0.0, truth * (1 + error)) * 100)
