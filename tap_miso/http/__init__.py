"""Resilient HTTP layer: one client with MISO's HTTP meanings (docs/INTERNALS.md)."""

from __future__ import annotations

from tap_miso.http.client import HttpClient
from tap_miso.http.config import ClientSettings
from tap_miso.http.errors import (
    AuthError,
    BadPathError,
    CircuitOpenError,
    InvalidPayloadError,
    MisoHttpError,
    NoDataError,
    QuotaExhaustedError,
    RetriesExhaustedError,
)

__all__ = [
    "AuthError",
    "BadPathError",
    "CircuitOpenError",
    "ClientSettings",
    "HttpClient",
    "InvalidPayloadError",
    "MisoHttpError",
    "NoDataError",
    "QuotaExhaustedError",
    "RetriesExhaustedError",
]
