"""TapMiso: the Singer tap, its settings and its streams."""

from __future__ import annotations

import sys
import threading
import time
from datetime import datetime
from functools import cached_property
from typing import Any

from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError

from tap_miso import secrets
from tap_miso.http.client import HttpClient
from tap_miso.http.config import ClientSettings
from tap_miso.http.errors import MisoHttpError
from tap_miso.memory import limit_malloc_arenas
from tap_miso.observability.metrics import MetricsExporter, RecordCounter, RunCollector
from tap_miso.observability.summary import RunSummary
from tap_miso.parsers.errors import PayloadError
from tap_miso.quality import RunMonitor
from tap_miso.settings import CONFIG_SCHEMA, SECRET_SETTINGS, Settings, SettingsError, load_settings
from tap_miso.streams import STREAM_TYPES
from tap_miso.streams.base import SourceChainError, utc_now


class TapMiso(Tap):
    """Extract MISO (Midcontinent Independent System Operator) electricity-market data.

    tap-miso reads MISO's keyed Data Exchange API, its anonymous public API and its Market
    Reports files, falling back from one to the next when a source fails or has no key, and
    emits prices (day-ahead and real-time LMP, ancillary-service MCPs), load, forecasts, fuel
    mix and interchange as Singer records. Every record carries UTC interval start and end
    (MISO market time is EST, fixed UTC-5 all year), its market date, source time zone, source,
    a deterministic record hash and quality flags. Streams are incremental on
    ``interval_start_utc`` with a per-stream lookback for revised data; requests go through a
    rate-limited, retrying client with a circuit breaker per source.
    """

    name = "tap-miso"
    config_jsonschema = CONFIG_SCHEMA
    #: msgspec serialises a record about 5x faster than the SDK's default simplejson writer;
    #: records are JSON-native already (ISO strings, floats, ints, bools, lists).
    message_writer_class = MsgSpecWriter
    #: The source failure that ended the last sync (read by the Airbyte entry point).
    failure: BaseException | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        limit_malloc_arenas()  # before any download thread exists: keeps long backfills flat
        secrets.install_redaction()
        self._register_secrets(kwargs.get("config"))
        super().__init__(*args, **kwargs)
        self._register_secrets(self.config)
        secrets.install_redaction()  # again: the SDK attaches its handlers during __init__
        self.summary = RunSummary(logger=self.logger)
        self.records = RecordCounter()
        self.shared_cache: dict = {}
        self.shared_lock = threading.Lock()

    @staticmethod
    def _register_secrets(config: Any) -> None:
        if not isinstance(config, dict):
            return
        for name in SECRET_SETTINGS:
            value = config.get(name)
            for key in [value] if isinstance(value, str) else (value or []):
                if isinstance(key, str) and key:
                    secrets.register_secret(key)

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Validate beyond JSON Schema first, so messages name the setting and hide secrets."""
        try:
            self.__dict__["settings"] = load_settings(self.config)
        except SettingsError as exc:
            if raise_errors:
                raise ConfigValidationError(
                    "Config validation failed", errors=exc.problems, schema=None
                ) from None
            return exc.problems
        return super()._validate_config(raise_errors=raise_errors)

    @cached_property
    def settings(self) -> Settings:
        """Validated settings (validated once, on first use when not at start-up)."""
        return load_settings(self.config)

    @cached_property
    def monitor(self) -> RunMonitor:
        """Quality checks, health, alerts and the end-of-run report (created on first use)."""
        monitor = RunMonitor.from_settings(self.settings, logger=self.logger)
        self.summary.alerts = monitor.alerts  # gaps and schema drift become alerts
        return monitor

    @cached_property
    def client(self) -> HttpClient:
        """The HTTP client shared by every stream."""
        s = self.settings
        client = HttpClient(
            ClientSettings(
                read_timeout=s.request_timeout,
                max_retries=s.max_retries,
                max_retry_after=s.max_retry_after_seconds,
                requests_per_minute=s.requests_per_minute,
                requests_per_hour=s.requests_per_hour,
                requests_per_day=s.requests_per_day,
                max_concurrent_requests=s.max_concurrent_requests,
                breaker_failure_threshold=s.circuit_breaker_failure_threshold,
                breaker_reset_seconds=s.circuit_breaker_reset_seconds,
                pricing_keys=s.pricing_api_keys,
                lgi_keys=s.lgi_api_keys,
                data_exchange_url=s.data_exchange_url,
                ca_bundle=s.ca_bundle,
            )
        )
        self.monitor.attach(client)  # health per source, request latency
        return client

    def now(self) -> datetime:
        """Current time (UTC); one seam for tests."""
        return utc_now()

    def discover_streams(self) -> list:
        """One stream per MISO dataset."""
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]

    def sync_all(self) -> None:
        """Sync, then log the run summary; a source failure ends the run with one clear line."""
        _ = self.monitor  # alerts are on from the first record
        exporter = self._metrics_exporter()
        exporter.start()
        succeeded = False
        try:
            super().sync_all()
            succeeded = True
        except (SourceChainError, MisoHttpError, PayloadError) as exc:
            self.failure = exc
            self.logger.error("Run failed: %s", secrets.redact(str(exc)))
            sys.exit(1)
        finally:
            self.monitor.finish(
                summary=self.summary,
                records=self.records,
                client=self.__dict__.get("client"),
                succeeded=succeeded,
            )
            exporter.finish(succeeded=succeeded)
            if "client" in self.__dict__:
                self.client.close()

    def _metrics_exporter(self) -> MetricsExporter:
        s = self.settings
        collector = RunCollector(
            self.summary,
            self.records,
            lambda: self.__dict__.get("client"),
            time.time(),
            monitor=self.monitor,
        )
        return MetricsExporter(
            collector,
            textfile=s.metrics_textfile,
            port=s.metrics_port,
            pushgateway_url=s.metrics_pushgateway_url,
        )


if __name__ == "__main__":
    TapMiso.cli()
