"""Deterministic synthetic MISO data (no I/O, no global random state)."""

from tap_miso.testing.fake_miso.data.model import DaDemand, DataModel, Lmp

__all__ = ["DaDemand", "DataModel", "Lmp"]
