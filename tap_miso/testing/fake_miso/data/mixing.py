"""Deterministic pseudo-random numbers derived from keys (no global random state).

`seed_of(*parts)` hashes a key with blake2b once; `unit(seed, i)` and friends then use a
cheap splitmix64 integer mix, so per-value generation stays fast.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


@lru_cache(maxsize=65536)
def seed_of(*parts: object) -> int:
    """64-bit seed for a key made of printable parts."""
    key = "\x1f".join(str(part) for part in parts).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def mix64(value: int) -> int:
    """splitmix64 finalizer: a well-distributed 64-bit hash of an integer."""
    z = (value + _GOLDEN) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def unit(seed: int, index: int = 0) -> float:
    """Uniform float in [0, 1) for (seed, index)."""
    return mix64(seed ^ ((index * _GOLDEN) & MASK64)) / 18446744073709551616.0


def between(seed: int, index: int, low: float, high: float) -> float:
    """Uniform float in [low, high) for (seed, index)."""
    return low + (high - low) * unit(seed, index)


def choice_index(seed: int, index: int, size: int) -> int:
    """Uniform integer in [0, size) for (seed, index)."""
    return mix64(seed ^ ((index * _GOLDEN) & MASK64)) % size
