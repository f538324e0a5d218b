"""Settings of the resilient HTTP client (one frozen object shared by all streams)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tap_miso import __version__

PROJECT_URL = "https://github.com/tap-miso/tap-miso"
DEFAULT_DATA_EXCHANGE_URL = "https://apim.misoenergy.org"


def _default_user_agent() -> str:
    return f"tap-miso/{__version__} (+{PROJECT_URL})"


def _as_keys(value: object) -> tuple[str, ...]:
    """Accept one key, a comma-separated string, or a list of keys (DESIGN.md §6)."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    return tuple(str(item).strip() for item in items if str(item).strip())


@dataclass(frozen=True)
class ClientSettings:
    """Timeouts, retry, rate-limit, breaker and key settings of `HttpClient`."""

    connect_timeout: float = 10
    read_timeout: float = 60
    max_retries: int = 5
    backoff_base: float = 2.0
    backoff_max: float = 60.0
    max_retry_after: float = 300.0
    requests_per_minute: float = 50
    requests_per_hour: float = 3000
    requests_per_day: float | None = None
    max_concurrent_requests: int = 4
    breaker_failure_threshold: int = 5
    breaker_reset_seconds: float = 60
    pricing_keys: tuple[str, ...] = field(default=(), repr=False)
    lgi_keys: tuple[str, ...] = field(default=(), repr=False)
    data_exchange_url: str = DEFAULT_DATA_EXCHANGE_URL
    ca_bundle: str | None = None
    user_agent: str = field(default_factory=_default_user_agent)

    def __post_init__(self) -> None:
        """Reject values that would disable a safeguard, naming the field."""
        positive = {
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
            "requests_per_minute": self.requests_per_minute,
            "requests_per_hour": self.requests_per_hour,
            "max_concurrent_requests": self.max_concurrent_requests,
            "breaker_failure_threshold": self.breaker_failure_threshold,
        }
        if self.requests_per_day is not None:
            positive["requests_per_day"] = self.requests_per_day
        for name, value in positive.items():
            if not value > 0:
                msg = f"ClientSettings.{name} must be > 0, got {value!r}"
                raise ValueError(msg)
        for name in ("max_retries", "backoff_base", "backoff_max", "max_retry_after",
                     "breaker_reset_seconds"):
            if getattr(self, name) < 0:
                msg = f"ClientSettings.{name} must be >= 0, got {getattr(self, name)!r}"
                raise ValueError(msg)
        # Lists arrive from JSON config; keep the dataclass hashable and immutable.
        object.__setattr__(self, "pricing_keys", _as_keys(self.pricing_keys))
        object.__setattr__(self, "lgi_keys", _as_keys(self.lgi_keys))
        object.__setattr__(self, "data_exchange_url", self.data_exchange_url.rstrip("/"))

    def keys_for(self, product: str) -> tuple[str, ...]:
        """Return the subscription keys of a Data Exchange product (`pricing` or `lgi`)."""
        if product == "pricing":
            return self.pricing_keys
        if product == "lgi":
            return self.lgi_keys
        msg = f"unknown Data Exchange product {product!r} (expected 'pricing' or 'lgi')"
        raise ValueError(msg)

    @classmethod
    def from_tap_config(cls, config: Mapping[str, Any]) -> ClientSettings:
        """Build settings from the tap's config, using the setting names of DESIGN.md §6.

        Args:
            config: The tap config; missing or null settings keep their defaults.

        Returns:
            The client settings.
        """
        mapping = {
            "request_timeout": "read_timeout",
            "max_retries": "max_retries",
            "requests_per_minute": "requests_per_minute",
            "requests_per_hour": "requests_per_hour",
            "requests_per_day": "requests_per_day",
            "max_concurrent_requests": "max_concurrent_requests",
            "circuit_breaker_failure_threshold": "breaker_failure_threshold",
            "circuit_breaker_reset_seconds": "breaker_reset_seconds",
            "pricing_api_key": "pricing_keys",
            "lgi_api_key": "lgi_keys",
            "data_exchange_url": "data_exchange_url",
            "ca_bundle": "ca_bundle",
        }
        kwargs = {attr: config[key] for key, attr in mapping.items()
                  if config.get(key) is not None}
        return cls(**kwargs)
