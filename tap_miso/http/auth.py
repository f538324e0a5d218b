"""Data Exchange subscription keys: one list per product, rotated per request.

FORMATS.md §2.1: one key per product (a Pricing key does not work for LGI), sent in the
`Ocp-Apim-Subscription-Key` header, with `Cache-Control: no-cache` as MISO's own client does.
§2.3/§7.7: 403 means the key's 24k/day quota is spent, so that key is parked and the next
one is used. The reset time is unknown (§8 Q7), so a parked key is re-tried after
`reprobe_seconds` (hourly by default) instead of being lost for the whole run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import requests
from singer_sdk.authenticators import APIKeyAuthenticator

from tap_miso.http.errors import QuotaExhaustedError
from tap_miso.secrets import register_secret

KEY_HEADER = "Ocp-Apim-Subscription-Key"
DEFAULT_REPROBE_SECONDS = 3600.0


class DataExchangeAuthenticator(APIKeyAuthenticator):
    """Header-key authenticator with round-robin rotation over the non-parked keys.

    Thread-safe. Usable as `requests` auth (`session.get(url, auth=authenticator)`); the key
    used is read back from `response.request.headers[KEY_HEADER]` to park it on 403.
    """

    def __init__(
        self,
        product: str,
        keys: Sequence[str],
        *,
        reprobe_seconds: float = DEFAULT_REPROBE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create the authenticator.

        Args:
            product: `pricing` or `lgi`.
            keys: The product's subscription keys (may be empty).
            reprobe_seconds: How long a parked key rests before it is tried again.
            clock: Monotonic clock (virtual in tests).
        """
        self.product = product
        self._keys = [k.strip() for k in keys if k and k.strip()]
        for key in self._keys:
            register_secret(key)
        super().__init__(key=KEY_HEADER, value="", location="header")
        # The key is set per request, never in the shared dict (threads would race on it).
        self.auth_headers = {"Cache-Control": "no-cache"}
        self._reprobe = reprobe_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._next = 0
        self._parked: dict[str, float] = {}

    @property
    def configured(self) -> bool:
        """True when at least one key was configured (parked or not)."""
        return bool(self._keys)

    @property
    def has_keys(self) -> bool:
        """True when at least one key is usable now."""
        with self._lock:
            return bool(self._usable_locked())

    def _usable_locked(self) -> list[str]:
        now = self._clock()
        for key, parked_at in list(self._parked.items()):
            if now - parked_at >= self._reprobe:
                del self._parked[key]
        return [k for k in self._keys if k not in self._parked]

    def next_key(self, url: str = "") -> str:
        """Return the next usable key, round robin.

        Args:
            url: The request URL, for the error message.

        Raises:
            QuotaExhaustedError: No usable key is left.
        """
        with self._lock:
            usable = self._usable_locked()
            if not usable:
                raise self.exhausted_error(url)
            # Round robin over the configured order, skipping parked keys.
            for _ in range(len(self._keys)):
                key = self._keys[self._next % len(self._keys)]
                self._next += 1
                if key in usable:
                    return key
            return usable[0]  # unreachable: usable is non-empty

    def park(self, key: str) -> None:
        """Park `key` (its daily quota is spent) until `reprobe_seconds` have passed."""
        with self._lock:
            if key in self._keys:
                self._parked[key] = self._clock()

    def exhausted_error(self, url: str) -> QuotaExhaustedError:
        """The error for "no key left": names the product, never a key."""
        detail = (f"Data Exchange {self.product} daily quota exhausted on all "
                  f"{len(self._keys)} key(s) (403); retry after the quota resets or add keys")
        return QuotaExhaustedError(detail, source="data_exchange", url=url,
                                   product=self.product)

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add the next key and `Cache-Control: no-cache` to `request`."""
        key = self.next_key(request.url or "")
        request.headers.update(self.auth_headers)
        request.headers[KEY_HEADER] = key
        return request
