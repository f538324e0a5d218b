"""LMP and ancillary-service MCP generation, in integer cents.

System-wide series (energy price and two constraint shadow prices) are generated per market
date and price kind; a node's components are then
`mcc = shift_a*shadow_a + shift_b*shadow_b + jitter`, `mlc = loss*mec`, `lmp = mec + mcc + mlc`,
all rounded to cents first, so `lmp == mec + mcc + mlc` holds exactly at 2 decimals.
Hourly real-time series are the averages of the matching 5-minute series.
"""

from __future__ import annotations

import math
from datetime import date
from functools import lru_cache

from tap_miso.testing.fake_miso.data.mixing import between, seed_of, unit
from tap_miso.testing.fake_miso.data.nodes import NodeFactors

HOURLY_PRICE_TYPES = ("ex_ante", "ex_post", "preliminary", "final")
FIVE_MINUTE_KINDS = ("ex_ante", "preliminary", "final")
ASM_PRODUCTS = ("Regulation", "Spin", "Supplemental", "STR", "Ramp-up", "Ramp-down")

_SEASON_DOLLARS = (32, 30, 26, 24, 25, 30, 38, 36, 28, 25, 27, 31)
Series = tuple[list[int], list[int], list[int]]  # (mec, shadow_a, shadow_b) in cents


def _daily_shape(hour: float) -> float:
    if 6.0 <= hour <= 22.0:
        return 0.78 + 0.5 * math.sin(math.pi * (hour - 6.0) / 16.0)
    return 0.78


def _energy_cents(day: date, seed: int, index: int, hour: float, spike_rate: float) -> int:
    base = _SEASON_DOLLARS[day.month - 1] * _daily_shape(hour) * between(seed, index, 0.85, 1.15)
    roll = unit(seed, index + 100_000)
    if roll < spike_rate:
        base *= between(seed, index + 200_000, 3.0, 9.0)
    elif roll > 1.0 - spike_rate and hour < 6.0:
        base = -between(seed, index + 300_000, 3.0, 30.0)
    return round(base * 100)


def _shadow_cents(seed: int, index: int, calm: float, event: float, rate: float) -> int:
    value = between(seed, index, -calm, calm)
    if unit(seed, index + 400_000) < rate:
        value = math.copysign(between(seed, index + 500_000, event / 6, event), value)
    return round(value * 100)


@lru_cache(maxsize=256)
def five_minute_series(day: date, kind: str) -> Series:
    """System series for the 288 five-minute intervals of `day`."""
    base_seed = seed_of("rt5", day)
    mec = [_energy_cents(day, base_seed, i, i / 12.0, 0.004) for i in range(288)]
    shadow_a = [_shadow_cents(base_seed ^ 1, i, 4.0, 60.0, 0.06) for i in range(288)]
    shadow_b = [_shadow_cents(base_seed ^ 2, i, 2.0, 30.0, 0.03) for i in range(288)]
    if kind == "preliminary":
        return mec, shadow_a, shadow_b
    if kind == "final":
        seed = seed_of("rt5-final", day)
        revised = [
            m + (round(between(seed, i, -150, 150)) if unit(seed, i + 1000) < 0.03 else 0)
            for i, m in enumerate(mec)
        ]
        return revised, shadow_a, shadow_b
    if kind == "ex_ante":
        seed = seed_of("rt5-exante", day)
        forecast = [round(m * between(seed, i, 0.9, 1.1)) for i, m in enumerate(mec)]
        return forecast, [round(s * between(seed, i + 999, 0.7, 1.2)) for i, s in
                          enumerate(shadow_a)], shadow_b
    raise ValueError(f"unknown 5-minute price kind {kind!r}; expected {FIVE_MINUTE_KINDS}")


def _hourly_mean(values: list[int]) -> list[int]:
    return [round(sum(values[h * 12 : h * 12 + 12]) / 12) for h in range(24)]


@lru_cache(maxsize=256)
def hourly_series(day: date, price_type: str) -> Series:
    """System series for HE 1..24 (index 0..23) of `day`."""
    if price_type in {"preliminary", "final"}:
        mec, shadow_a, shadow_b = five_minute_series(day, price_type)
        return _hourly_mean(mec), _hourly_mean(shadow_a), _hourly_mean(shadow_b)
    seed = seed_of("da", day)
    mec = [_energy_cents(day, seed, h, h + 0.5, 0.015) for h in range(24)]
    shadow_a = [_shadow_cents(seed ^ 1, h, 3.0, 40.0, 0.08) for h in range(24)]
    shadow_b = [_shadow_cents(seed ^ 2, h, 1.5, 20.0, 0.04) for h in range(24)]
    if price_type == "ex_ante":
        return mec, shadow_a, shadow_b
    if price_type == "ex_post":
        post = seed_of("da-expost", day)
        adjusted = [s + (round(between(post, h, -80, 80)) if unit(post, h + 50) < 0.1 else 0)
                    for h, s in enumerate(shadow_a)]
        return mec, adjusted, shadow_b
    raise ValueError(f"unknown hourly price type {price_type!r}; expected {HOURLY_PRICE_TYPES}")


def node_cents(series: Series, index: int, factors: NodeFactors) -> tuple[int, int, int, int]:
    """(lmp, mec, mcc, mlc) in cents for one node at one series index."""
    mec = series[0][index]
    jitter = (((factors.jitter_seed + index * 40503) * 2654435761) >> 20) % 7 - 3
    mcc = round(factors.shift_a * series[1][index] + factors.shift_b * series[2][index]) + jitter
    mlc = round(factors.loss * mec)
    return mec + mcc + mlc, mec, mcc, mlc


_ASM_RANGES = {  # product -> (calm low $, calm high $)
    "Supplemental": (0.1, 2.5),
    "STR": (0.0, 1.5),
    "Ramp-up": (0.0, 1.2),
    "Ramp-down": (0.0, 0.3),
}


def _asm_system(seed: int, index: int, hour: float) -> dict[str, int]:
    peak = 1.0 + 0.6 * max(0.0, math.sin(math.pi * (hour - 6.0) / 16.0)) if hour >= 6 else 1.0
    supp = between(seed, index * 8 + 1, *_ASM_RANGES["Supplemental"]) * peak
    spin = supp + between(seed, index * 8 + 2, 0.3, 3.5) * peak
    reg = spin + between(seed, index * 8 + 3, 4.0, 10.0) * peak
    if unit(seed, index * 8 + 4) < 0.01:  # scarcity event
        bump = between(seed, index * 8 + 5, 50.0, 300.0)
        supp, spin, reg = supp + bump, spin + bump, reg + bump
    prices = {"Regulation": reg, "Spin": spin, "Supplemental": supp}
    for offset, product in enumerate(("STR", "Ramp-up", "Ramp-down")):
        low, high = _ASM_RANGES[product]
        prices[product] = min(supp, between(seed, index * 8 + 6 + offset * 100_000, low, high))
    return {product: round(value * 100) for product, value in prices.items()}


@lru_cache(maxsize=256)
def asm_series(day: date, resolution: str, kind: str
               ) -> tuple[list[dict[str, int]], list[list[int]]]:
    """(system MCP cents per index and product, zone adder cents per index and zone 1..8)."""
    count, per_hour = (24, 1) if resolution == "hourly" else (288, 12)
    seed = seed_of("asm", day, resolution, kind)
    system = [_asm_system(seed, i, i / per_hour + 0.5 / per_hour) for i in range(count)]
    adders = [
        [
            round(between(seed ^ zone, i, 0.5, 8.0) * 100)
            if unit(seed ^ (zone * 7919), i) < 0.07 else 0
            for zone in range(1, 9)
        ]
        for i in range(count)
    ]
    return system, adders


def zone_mcp_cents(day: date, resolution: str, kind: str, index: int, zone: int | None,
                   product: str) -> int:
    """MCP in cents for a zone (None = MISO-wide) and DX product name."""
    if product not in ASM_PRODUCTS:
        raise ValueError(f"unknown ASM product {product!r}; expected {ASM_PRODUCTS}")
    system, adders = asm_series(day, resolution, kind)
    value = system[index][product]
    if zone is None or product in {"Ramp-down"}:
        return value
    return value + adders[index][zone - 1]
