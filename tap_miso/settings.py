"""tap-miso settings: the JSON Schema the SDK publishes, and validation beyond JSON Schema.

Setting names are a contract (DESIGN.md §6). Every problem is reported as one line naming the
setting and what is wrong, and never echoes a secret's value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from singer_sdk import typing as th

from tap_miso.quality.rules import FAMILIES, STREAM_SERIES
from tap_miso.timeutil import market_date_of

SOURCES = ("data_exchange", "market_report", "public_api")
#: The generators stream's sources (EIA); allowed in source_preference, not in its default.
EIA_SOURCES = ("eia_api", "eia_workbook")
ON_INVALID = ("flag", "drop", "fail")
DEFAULT_DATA_EXCHANGE_URL = "https://apim.misoenergy.org"
DEFAULT_PUBLIC_API_URL = "https://public-api.misoenergy.org/api"
DEFAULT_MARKET_REPORTS_URL = "https://docs.misoenergy.org/marketreports"
SECRET_SETTINGS = ("pricing_api_key", "lgi_api_key", "eia_api_key")
DEFAULT_EIA_API_URL = "https://api.eia.gov/v2"
DEFAULT_EIA_WORKBOOK_URL = "https://www.eia.gov/electricity/data/eia860m"
DEFAULT_EIA860_URL = "https://www.eia.gov/electricity/data/eia860"

_KEY_TYPE = th.CustomType(
    {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
)

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "start_date",
        th.StringType,
        required=True,
        title="Start date",
        description="First MISO market date to extract: YYYY-MM-DD (EST market day) or an ISO "
        "datetime (its EST market date is used).",
    ),
    th.Property(
        "end_date",
        th.StringType,
        title="End date",
        description="Last market date to extract, inclusive (YYYY-MM-DD or ISO datetime). "
        "Default: the latest published data.",
    ),
    th.Property(
        "lookback_days",
        th.IntegerType,
        title="Lookback days",
        description="Days re-read before each stream's bookmark so late and revised data "
        "(preliminary to final, interchange revisions) is picked up. Default per stream "
        "(day-ahead 1, real-time 7). 0 is valid.",
    ),
    th.Property(
        "pricing_api_key",
        _KEY_TYPE,
        secret=True,
        title="Data Exchange Pricing API key(s)",
        description="Subscription key(s) for the MISO Data Exchange Pricing product; one key or "
        "a list rotated per request. Without a key the Data Exchange is skipped.",
    ),
    th.Property(
        "lgi_api_key",
        _KEY_TYPE,
        secret=True,
        title="Data Exchange LGI API key(s)",
        description="Subscription key(s) for the Load, Generation and Interchange product; one "
        "key or a list.",
    ),
    th.Property(
        "data_exchange_url",
        th.StringType,
        default=DEFAULT_DATA_EXCHANGE_URL,
        description="Base URL of the MISO Data Exchange (products are appended: /pricing/v1, "
        "/lgi/v1).",
    ),
    th.Property(
        "public_api_url",
        th.StringType,
        default=DEFAULT_PUBLIC_API_URL,
        description="Base URL of MISO's anonymous public API.",
    ),
    th.Property(
        "market_reports_url",
        th.StringType,
        default=DEFAULT_MARKET_REPORTS_URL,
        description="Base URL of MISO's Market Reports files.",
    ),
    th.Property(
        "source_preference",
        th.ArrayType(th.StringType),
        description="Order in which sources are tried for every stream; sources left out are "
        "not used. Values: data_exchange, market_report, public_api (and eia_api, "
        "eia_workbook for the generators stream, which uses both in that order when neither "
        "is listed). Default: the three MISO sources in that order (each stream keeps only "
        "the sources it has).",
    ),
    th.Property(
        "eia_api_key",
        th.StringType,
        secret=True,
        title="EIA Open Data API key",
        description="Free key of the U.S. EIA Open Data API (generators stream). Without it "
        "the generators stream reads the keyless EIA-860M workbooks.",
    ),
    th.Property(
        "eia_api_url",
        th.StringType,
        default=DEFAULT_EIA_API_URL,
        description="Base URL of the EIA Open Data API v2.",
    ),
    th.Property(
        "eia_workbook_url",
        th.StringType,
        default=DEFAULT_EIA_WORKBOOK_URL,
        description="Base URL of the EIA-860M monthly workbooks (newest under /xls, older "
        "under /archive/xls).",
    ),
    th.Property(
        "eia860_url",
        th.StringType,
        default=DEFAULT_EIA860_URL,
        description="Base URL of the annual EIA-860 files (/xls/eia860YYYY.zip), read for "
        "the self-reported MISO pricing node of each generator.",
    ),
    th.Property(
        "eia_lookback_months",
        th.IntegerType,
        default=3,
        description="Months re-read before the generators bookmark, for EIA revisions.",
    ),
    th.Property(
        "requests_per_minute",
        th.NumberType,
        default=50,
        description="Client-side request rate limit per host and API product. The Data "
        "Exchange's own ceiling (100/min per key) is never exceeded whatever this says.",
    ),
    th.Property(
        "requests_per_hour",
        th.NumberType,
        default=3000,
        description="Request limit per hour per host and API product.",
    ),
    th.Property(
        "requests_per_day",
        th.NumberType,
        description="Request limit per day per host and API product (Data Exchange ceiling: "
        "24,000 per key).",
    ),
    th.Property(
        "max_concurrent_requests",
        th.IntegerType,
        default=4,
        description="Requests in flight at once per host (prefetch of upcoming dates/pages).",
    ),
    th.Property(
        "request_timeout",
        th.NumberType,
        default=120,
        description="Read timeout in seconds for one HTTP request (connect timeout is 10 s).",
    ),
    th.Property(
        "max_retries",
        th.IntegerType,
        default=5,
        description="Retries after a connection error, timeout, 429 or 5xx before a source is "
        "given up for that request.",
    ),
    th.Property(
        "max_retry_after_seconds",
        th.NumberType,
        default=300,
        description="Longest Retry-After wait honoured; longer waits are capped to this.",
    ),
    th.Property(
        "circuit_breaker_failure_threshold",
        th.IntegerType,
        default=5,
        description="Consecutive failed requests that open a source's circuit breaker.",
    ),
    th.Property(
        "circuit_breaker_reset_seconds",
        th.NumberType,
        default=60,
        description="Seconds an open breaker waits before a half-open probe request.",
    ),
    th.Property(
        "ca_bundle",
        th.StringType,
        description="Optional extra CA bundle (PEM path); the OS trust store is used otherwise. "
        "TLS verification can never be switched off.",
    ),
    th.Property(
        "nodes",
        th.ArrayType(th.StringType),
        description="Only emit price records for these pricing nodes (CPNode names); passed to "
        "the Data Exchange `node` filter when that saves calls.",
    ),
    th.Property(
        "on_invalid_record",
        th.StringType,
        default="flag",
        allowed_values=list(ON_INVALID),
        description="What to do with a record that fails a quality rule: flag (keep it, with "
        "quality_flags), drop (count it, do not emit), fail (stop the run naming the rule).",
    ),
    th.Property(
        "quality_checks",
        th.BooleanType,
        default=True,
        description="Run the quality rules, outlier and completeness checks on every record. "
        "When false, quality_flags holds only the parsers' invalid_<field> flags (which "
        "on_invalid_record still acts on) and no quality score or alert is computed.",
    ),
    th.Property(
        "parallel_parsing",
        th.BooleanType,
        default=True,
        description="Parse the largest Market Reports files (the 5-minute LMP workbook and "
        "weekly zip, ~750,000 rows a day each) in a child Python process, so a second CPU "
        "core parses while the tap's own process builds, checks and writes records. Same "
        "records either way; false parses in the tap's process.",
    ),
    th.Property(
        "metrics_textfile",
        th.StringType,
        description="Write Prometheus metrics to this file (node_exporter textfile format).",
    ),
    th.Property(
        "metrics_port",
        th.IntegerType,
        description="Serve Prometheus metrics on this local port while the tap runs.",
    ),
    th.Property(
        "metrics_pushgateway_url",
        th.StringType,
        description="Push Prometheus metrics to this Pushgateway at the end of the run.",
    ),
    th.Property(
        "quality_alert_threshold",
        th.NumberType,
        default=0.95,
        description="A stream whose quality score (share of records without error flags, "
        "0..1) ends below this raises a quality alert.",
    ),
    th.Property(
        "outlier_threshold",
        th.NumberType,
        default=12,
        description="Robust z-score (|value - median| / scaled MAD over a trailing window per "
        "series) above which a value is flagged 'outlier'. Never alters or drops it.",
    ),
    th.Property(
        "quality_ranges",
        th.CustomType({"type": "object"}),
        description="Override plausible value ranges: keys are a family (lmp, mcp, mw) or a "
        "stream name, values {\"min\": n, \"max\": n}. Defaults: lmp -1000..10000 $/MWh, "
        "mcp 0..10000 $/MW, mw -10000..100000 MW.",
    ),
    th.Property(
        "health_warning_failures",
        th.IntegerType,
        default=3,
        description="Consecutive failed calls after which a source's health is 'warning'.",
    ),
    th.Property(
        "health_critical_failures",
        th.IntegerType,
        default=10,
        description="Consecutive failed calls after which a source is 'critical' (an open "
        "breaker is critical too).",
    ),
    th.Property(
        "collection_time_alert_seconds",
        th.NumberType,
        default=1800,
        description="Alert when collecting one market date of a stream takes longer than this.",
    ),
    th.Property(
        "run_summary_file",
        th.StringType,
        description="Write the end-of-run summary (records, quality, gaps, requests, health, "
        "alerts) as JSON to this file.",
    ),
).to_dict()


#: tap-miso's own setting names (the SDK adds its built-in ones to the schema in place later).
SETTING_NAMES = tuple(CONFIG_SCHEMA["properties"])


class SettingsError(ValueError):
    """One or more settings are invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Settings:
    """Validated, typed settings."""

    start_date: date
    end_date: date | None = None
    lookback_days: int | None = None
    pricing_api_keys: tuple[str, ...] = ()
    lgi_api_keys: tuple[str, ...] = ()
    data_exchange_url: str = DEFAULT_DATA_EXCHANGE_URL
    public_api_url: str = DEFAULT_PUBLIC_API_URL
    market_reports_url: str = DEFAULT_MARKET_REPORTS_URL
    eia_api_key: str | None = field(default=None, repr=False)
    eia_api_url: str = DEFAULT_EIA_API_URL
    eia_workbook_url: str = DEFAULT_EIA_WORKBOOK_URL
    eia860_url: str = DEFAULT_EIA860_URL
    eia_lookback_months: int = 3
    source_preference: tuple[str, ...] = SOURCES
    requests_per_minute: float = 50
    requests_per_hour: float = 3000
    requests_per_day: float | None = None
    max_concurrent_requests: int = 4
    request_timeout: float = 120
    max_retries: int = 5
    max_retry_after_seconds: float = 300
    circuit_breaker_failure_threshold: int = 5
    circuit_breaker_reset_seconds: float = 60
    ca_bundle: str | None = None
    nodes: frozenset[str] = field(default_factory=frozenset)
    on_invalid_record: str = "flag"
    quality_checks: bool = True
    parallel_parsing: bool = True
    metrics_textfile: str | None = None
    metrics_port: int | None = None
    metrics_pushgateway_url: str | None = None
    quality_alert_threshold: float = 0.95
    outlier_threshold: float = 12.0
    quality_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    health_warning_failures: int = 3
    health_critical_failures: int = 10
    collection_time_alert_seconds: float = 1800.0
    run_summary_file: str | None = None


def parse_market_date(text: str) -> date:
    """``YYYY-MM-DD`` as a market date, or an ISO datetime reduced to its EST market date."""
    text = text.strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:  # a naive datetime is read as MISO market time
        return instant.date()
    return market_date_of(instant)


class _Checker:
    """Collects one-line problems while reading raw config values."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.problems: list[str] = []

    def fail(self, name: str, problem: str) -> None:
        self.problems.append(f"Invalid setting '{name}': {problem}")

    def date(self, name: str, *, required: bool = False) -> date | None:
        value = self.config.get(name)
        if value in (None, ""):
            if required:
                self.fail(name, "is required (YYYY-MM-DD market date or ISO datetime)")
            return None
        if not isinstance(value, str):
            self.fail(name, "must be a date string like 2026-01-31")
            return None
        try:
            return parse_market_date(value)
        except ValueError:
            self.fail(name, f"'{value}' is not a date (use YYYY-MM-DD or an ISO datetime)")
            return None

    def number(
        self,
        name: str,
        default: float | None,
        *,
        integer: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
        exclusive_minimum: bool = False,
    ) -> Any:
        value = self.config.get(name)
        if value is None:
            return default
        kind = "an integer" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            self.fail(name, f"must be {kind}, got {type(value).__name__}")
            return default
        # The SDK reads config JSON numbers with a fraction as Decimal.
        value = float(value) if isinstance(value, Decimal) else value
        if integer and not float(value).is_integer():
            self.fail(name, f"must be {kind}, got {value}")
            return default
        if not math.isfinite(value):
            self.fail(name, f"must be a finite number, got {value}")
            return default
        if minimum is not None and (value <= minimum if exclusive_minimum else value < minimum):
            relation = "greater than" if exclusive_minimum else "at least"
            self.fail(name, f"must be {relation} {minimum:g}, got {value}")
            return default
        if maximum is not None and value > maximum:
            self.fail(name, f"must be at most {maximum:g}, got {value}")
            return default
        return int(value) if integer else float(value)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.config.get(name)
        if value is None:
            return default
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"  # Meltano env values arrive as text
        if not isinstance(value, bool):
            self.fail(name, f"must be true or false, got {value!r}")
            return default
        return value

    def keys(self, name: str) -> tuple[str, ...]:
        value = self.config.get(name)
        if value in (None, "", []):
            return ()
        # Meltano passes a password setting as one string: allow "key1,key2" for a key list.
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(k, str) for k in items):
            self.fail(name, "must be a key string or a list of key strings")
            return ()
        keys = tuple(k.strip() for k in items)
        if any(not k for k in keys):
            self.fail(name, "contains an empty key")
            return ()
        if not isinstance(value, str) and any(k != raw for k, raw in zip(keys, items, strict=True)):
            self.fail(name, "a key has leading or trailing whitespace (check how it was pasted)")
            return ()
        return keys

    def url(self, name: str, default: str) -> str:
        value = self.config.get(name)
        if value is None:
            return default
        if not isinstance(value, str):
            self.fail(name, "must be a URL string")
            return default
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
            self.fail(name, f"'{value}' is not a well-formed http(s) URL")
            return default
        if parts.query or parts.fragment:
            self.fail(name, "must be a base URL without query string or fragment")
            return default
        if "MISORTWD" in value.upper():
            # FORMATS.md §5: the legacy RT Data Broker answers 200 {"error":"no data"} forever.
            self.fail(
                name,
                "points at MISO's retired RT Data Broker (MISORTWD...); use the "
                "public API URL instead",
            )
            return default
        return value.rstrip("/")

    def optional_url(self, name: str) -> str | None:
        if self.config.get(name) in (None, ""):
            return None
        return self.url(name, "")

    def string_list(self, name: str) -> list[str] | None:
        value = self.config.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(name, "must be a list of non-empty strings")
            return None
        return [v.strip() for v in value]

    def choice(self, name: str, allowed: Sequence[str], default: str) -> str:
        value = self.config.get(name, default)
        if value not in allowed:
            self.fail(name, f"'{value}' is not one of {', '.join(allowed)}")
            return default
        return value

    def ranges(self, name: str) -> dict[str, tuple[float, float]]:
        value = self.config.get(name)
        if value in (None, {}):
            return {}
        known = set(FAMILIES) | set(STREAM_SERIES)
        if not isinstance(value, dict):
            self.fail(name, 'must be an object like {"mcp": {"min": 0, "max": 5000}}')
            return {}
        ranges: dict[str, tuple[float, float]] = {}
        for key, bounds in value.items():
            if key not in known:
                self.fail(name, f"unknown key '{key}'; use lmp, mcp, mw or a time-series stream")
                continue
            low = bounds.get("min") if isinstance(bounds, dict) else None
            high = bounds.get("max") if isinstance(bounds, dict) else None
            numbers = all(
                isinstance(v, int | float | Decimal) and not isinstance(v, bool)
                and math.isfinite(v)
                for v in (low, high)
            )
            if not numbers or low >= high:  # type: ignore[operator]
                self.fail(name, f"'{key}' must be {{\"min\": number, \"max\": number}} "
                                "with min < max")
                continue
            ranges[key] = (float(low), float(high))  # type: ignore[arg-type]
        return ranges

    def path(self, name: str, *, must_exist: bool = False) -> str | None:
        value = self.config.get(name)
        if value in (None, ""):
            return None
        if not isinstance(value, str):
            self.fail(name, "must be a file path string")
            return None
        target = Path(value).expanduser()
        if must_exist and not target.is_file():
            self.fail(name, f"file '{value}' does not exist")
            return None
        if not must_exist and not target.parent.is_dir():
            self.fail(name, f"directory of '{value}' does not exist")
            return None
        return str(target)


def load_settings(config: Mapping[str, Any], *, today: date | None = None) -> Settings:
    """Validate raw config and return typed settings, or raise :class:`SettingsError`."""
    check = _Checker(config)
    start = check.date("start_date", required=True)
    end = check.date("end_date")
    latest_allowed = (today or datetime.now(UTC).date()) + timedelta(days=2)
    if start and start > latest_allowed:
        check.fail(
            "start_date", f"{start} is in the future; MISO publishes at most one market day ahead"
        )
    if start and end and end < start:
        check.fail("end_date", f"{end} is before start_date {start}")

    sources = check.string_list("source_preference")
    if sources is not None:
        unknown = [s for s in sources if s not in SOURCES + EIA_SOURCES]
        if unknown:
            check.fail(
                "source_preference",
                f"unknown source(s) {', '.join(unknown)}; use "
                f"{', '.join(SOURCES + EIA_SOURCES)}",
            )
        elif len(set(sources)) != len(sources):
            check.fail("source_preference", "lists a source twice")
        elif not sources:
            check.fail("source_preference", "must name at least one source")

    nodes = check.string_list("nodes")
    eia_keys = check.keys("eia_api_key")
    if len(eia_keys) > 1:
        check.fail("eia_api_key", "takes one key, not a list")
    metrics_port = check.number("metrics_port", None, integer=True, minimum=1, maximum=65535)
    settings = Settings(
        start_date=start or date.min,
        end_date=end,
        lookback_days=check.number("lookback_days", None, integer=True, minimum=0, maximum=366),
        pricing_api_keys=check.keys("pricing_api_key"),
        lgi_api_keys=check.keys("lgi_api_key"),
        data_exchange_url=check.url("data_exchange_url", DEFAULT_DATA_EXCHANGE_URL),
        public_api_url=check.url("public_api_url", DEFAULT_PUBLIC_API_URL),
        market_reports_url=check.url("market_reports_url", DEFAULT_MARKET_REPORTS_URL),
        eia_api_key=eia_keys[0] if len(eia_keys) == 1 else None,
        eia_api_url=check.url("eia_api_url", DEFAULT_EIA_API_URL),
        eia_workbook_url=check.url("eia_workbook_url", DEFAULT_EIA_WORKBOOK_URL),
        eia860_url=check.url("eia860_url", DEFAULT_EIA860_URL),
        eia_lookback_months=check.number(
            "eia_lookback_months", 3, integer=True, minimum=0, maximum=240
        ),
        source_preference=tuple(sources) if sources else SOURCES,
        requests_per_minute=check.number(
            "requests_per_minute", 50, minimum=0, exclusive_minimum=True
        ),
        requests_per_hour=check.number(
            "requests_per_hour", 3000, minimum=0, exclusive_minimum=True
        ),
        requests_per_day=check.number("requests_per_day", None, minimum=0, exclusive_minimum=True),
        max_concurrent_requests=check.number(
            "max_concurrent_requests", 4, integer=True, minimum=1, maximum=64
        ),
        request_timeout=check.number(
            "request_timeout", 120, minimum=0, exclusive_minimum=True, maximum=3600
        ),
        max_retries=check.number("max_retries", 5, integer=True, minimum=0, maximum=50),
        max_retry_after_seconds=check.number(
            "max_retry_after_seconds", 300, minimum=0, maximum=86400
        ),
        circuit_breaker_failure_threshold=check.number(
            "circuit_breaker_failure_threshold", 5, integer=True, minimum=1, maximum=1000
        ),
        circuit_breaker_reset_seconds=check.number(
            "circuit_breaker_reset_seconds", 60, minimum=0, exclusive_minimum=True, maximum=86400
        ),
        ca_bundle=check.path("ca_bundle", must_exist=True),
        nodes=frozenset(nodes or ()),
        on_invalid_record=check.choice("on_invalid_record", ON_INVALID, "flag"),
        quality_checks=check.boolean("quality_checks", True),
        parallel_parsing=check.boolean("parallel_parsing", True),
        metrics_textfile=check.path("metrics_textfile"),
        metrics_port=metrics_port,
        metrics_pushgateway_url=check.optional_url("metrics_pushgateway_url"),
        quality_alert_threshold=check.number(
            "quality_alert_threshold", 0.95, minimum=0, maximum=1
        ),
        outlier_threshold=check.number(
            "outlier_threshold", 12.0, minimum=0, exclusive_minimum=True, maximum=1e6
        ),
        quality_ranges=check.ranges("quality_ranges"),
        health_warning_failures=check.number(
            "health_warning_failures", 3, integer=True, minimum=1, maximum=10000
        ),
        health_critical_failures=check.number(
            "health_critical_failures", 10, integer=True, minimum=1, maximum=10000
        ),
        collection_time_alert_seconds=check.number(
            "collection_time_alert_seconds", 1800.0, minimum=0, exclusive_minimum=True,
            maximum=7 * 86400,
        ),
        run_summary_file=check.path("run_summary_file"),
    )
    if (
        settings.requests_per_day is not None
        and settings.requests_per_day < settings.requests_per_hour
        and "requests_per_day" not in " ".join(check.problems)
    ):
        check.fail(
            "requests_per_day",
            f"{settings.requests_per_day:g} is below "
            f"requests_per_hour {settings.requests_per_hour:g}",
        )
    if settings.requests_per_hour < settings.requests_per_minute:
        check.fail(
            "requests_per_hour",
            f"{settings.requests_per_hour:g} is below "
            f"requests_per_minute {settings.requests_per_minute:g}",
        )
    if settings.health_critical_failures < settings.health_warning_failures:
        check.fail(
            "health_critical_failures",
            f"{settings.health_critical_failures} is below "
            f"health_warning_failures {settings.health_warning_failures}",
        )
    if check.problems:
        raise SettingsError(check.problems)
    return settings
