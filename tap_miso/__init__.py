"""tap-miso: Singer source connector for MISO electricity-market data."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tap-miso")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+local"
