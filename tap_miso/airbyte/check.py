"""``check``: validate the settings, then make one cheap request to the first usable source."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from singer_sdk.exceptions import ConfigValidationError

from tap_miso import secrets, timeutil
from tap_miso.airbyte.errors import user_message
from tap_miso.http.errors import AuthError, MisoHttpError, NoDataError
from tap_miso.settings import Settings
from tap_miso.sources.base import DATA_EXCHANGE, MARKET_REPORT, PUBLIC_API
from tap_miso.tap import TapMiso

#: A check answers fast: at most one retry and a short read timeout, whatever the settings say.
CHECK_LIMITS = {"max_retries": 1, "request_timeout": 30}


def check_connection(config: dict[str, Any]) -> tuple[bool, str]:
    """``(succeeded, message)``; the message names the source and never holds a secret."""
    try:
        tap = TapMiso(config=_quick(config), validate_config=True, setup_mapper=False)
    except ConfigValidationError as exc:
        return False, user_message(exc)
    target = probe_target(tap.settings)
    if target is None:
        return False, (
            "no usable source: source_preference only lists data_exchange and no "
            "pricing_api_key or lgi_api_key is set"
        )
    source, url, product = target
    try:
        response = tap.client.get(url, source=source, product=product, stream=True)
        response.close()
    except NoDataError:
        pass  # a definite "no data for this date" answer: the source is up and accepts us
    except AuthError as exc:
        return False, secrets.redact(f"{source} rejected the {product} key: {exc}")
    except MisoHttpError as exc:
        return False, secrets.redact(f"{source} could not be reached: {exc}")
    finally:
        tap.client.close()
    return True, secrets.redact(f"settings are valid and {source} answered ({url})")


def probe_target(settings: Settings) -> tuple[str, str, str | None] | None:
    """``(source, url, product)`` of one small request to the first source that can be used.

    The Data Exchange is only probed when it comes first and has a key (its key is then
    checked too); without a key it is skipped, as the tap skips it. None: no usable source.
    """
    day = timeutil.market_today() - timedelta(days=1)
    for source in settings.source_preference:
        if source == DATA_EXCHANGE:
            if settings.pricing_api_keys:
                path = f"pricing/v1/day-ahead/{day.isoformat()}/asm-exante"
                return source, f"{settings.data_exchange_url}/{path}", "pricing"
            if settings.lgi_api_keys:
                path = f"lgi/v1/real-time/{day.isoformat()}/generation/fuel-type"
                return source, f"{settings.data_exchange_url}/{path}", "lgi"
        elif source == PUBLIC_API:
            return source, f"{settings.public_api_url}/FuelMix", None
        elif source == MARKET_REPORT:
            url = f"{settings.market_reports_url}/{day:%Y%m%d}_asm_exante_damcp.csv"
            return source, url, None
    return None


def _quick(config: dict[str, Any]) -> dict[str, Any]:
    quick = dict(config)
    for name, limit in CHECK_LIMITS.items():
        value = quick.get(name)
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if value is None or (is_number and value > limit):
            quick[name] = limit
    return quick
