"""Number text styles used by MISO files and feeds."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=200_000)
def mr_cents(cents: int) -> str:
    """Market Reports CSV style: 2 decimals, no leading zero (`25.00`, `.92`, `-.03`)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole if whole else ''}.{frac:02d}"


def fixed2(cents: int) -> str:
    """Plain 2-decimal text (`25.00`, `0.50`, `-0.03`) as the public API writes prices."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def thousands(value: int) -> str:
    """`20,000` style used in public FUEL_CATEGORY display labels."""
    return f"{value:,}"
