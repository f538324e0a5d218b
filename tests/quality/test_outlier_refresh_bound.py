"""Five-minute detectors (statistics every ``refresh`` values) compute a window's statistics
only for a value not within threshold x floor of the window's extremes. The flags must be
those of computing them at every refresh, whatever the values (spikes, NaN, infinities, huge
numbers, non-numbers) and whichever of `observe` / `observe_many` is used."""

from __future__ import annotations

import math
import random

import pytest

from tap_miso.quality.outliers import OutlierDetector, ScaleFloor


class Eager:
    """The detector as it was: statistics computed at every refresh, over the ring buffer in
    its own order (sorting a window with a NaN depends on the order) (reference)."""

    def __init__(self, detector: OutlierDetector) -> None:
        self.d = detector
        self.series: dict = {}

    def observe(self, key, value) -> bool:
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            return False
        number, size = float(value), self.d.window
        ring = self.series.setdefault(key, {"values": [0.0] * size, "count": 0, "pos": 0,
                                            "stats": None, "stale": 0})
        flagged = False
        count = ring["count"]
        if count >= self.d.min_samples:
            if ring["stats"] is None or ring["stale"] >= self.d.refresh:
                window = ring["values"] if count == size else ring["values"][:count]
                ring["stats"] = self.d.stats(window)
                ring["stale"] = 0
            median, scale = ring["stats"]
            flagged = abs(number - median) / scale > self.d.threshold
        ring["values"][ring["pos"]] = number
        ring["pos"] = (ring["pos"] + 1) % size
        ring["count"] = min(size, count + 1)
        ring["stale"] += 1
        return flagged


def values_of(rnd: random.Random, kind: str, n: int) -> list:
    level, out = 30.0, []
    for i in range(n):
        level += rnd.gauss(0, 2)
        value: object = level
        roll = rnd.random()
        if kind == "spiky" and roll < 0.03:
            value = level + rnd.choice([700.0, -900.0, 2500.0, 601.0])
        elif kind == "odd" and roll < 0.05:
            value = rnd.choice([math.nan, math.inf, -math.inf, None, 7, True, "x", 1e305])
        elif kind == "huge":
            value = 1e308 if roll < 0.7 else level
        elif kind == "flat":
            value = 12.5 if i % 50 else 640.0
        elif kind == "wide" and i % 100 < 3:
            value = level + 5000.0  # a window whose range is beyond the bound
        out.append(value)
    return out


DETECTORS = {
    "lmp 5-minute": lambda: OutlierDetector.for_family("lmp", resolution=300),
    "mw 5-minute": lambda: OutlierDetector.for_family("mw", resolution=300),
    "mcp, small window": lambda: OutlierDetector(6.0, window=40, min_samples=10, refresh=5,
                                                  floor=ScaleFloor(40.0)),
    "no absolute floor": lambda: OutlierDetector(4.0, window=30, min_samples=8, refresh=4,
                                                  floor=ScaleFloor(0.0, 0.05)),
}


@pytest.mark.parametrize("name", DETECTORS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_flags_as_computing_at_every_refresh(name, seed):
    rnd = random.Random(seed)
    detector, reference = DETECTORS[name](), None
    reference = Eager(DETECTORS[name]())
    kinds = ["calm", "spiky", "odd", "huge", "flat", "wide"]
    series = {f"{kind}-{k}": values_of(rnd, kind, 700) for kind in kinds for k in range(2)}
    want, got = [], []
    for step in range(700):
        keys = list(series)
        rnd.shuffle(keys)
        values = [series[k][step] for k in keys]
        want.extend((step, k) for k, v in zip(keys, values, strict=True)
                    if reference.observe(k, v))
        if step % 3 == 0:  # one value at a time, as `check` does
            got.extend((step, k) for k, v in zip(keys, values, strict=True)
                       if detector.observe(k, v))
        else:  # a group at a time, as `check_many` does
            got.extend((step, keys[i]) for i in detector.observe_many(keys, values))
    assert got == want
    assert want  # the data has outliers to find
