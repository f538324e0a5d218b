"""Pooled, always-verifying HTTPS sessions.

FORMATS.md §2.3, §7.26: MISO's chain has been incomplete and its CA changed, which broke
clients that pinned a bundle. So verification uses the OS trust store (`truststore`), or,
when `ca_bundle` is set, that bundle plus the default store. It is never turned off:
a per-request request to skip verification (or a REQUESTS_CA_BUNDLE from the environment)
cannot reach the adapter.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

import requests
import truststore
from requests.adapters import HTTPAdapter

from tap_miso.http.config import ClientSettings


def make_ssl_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """Return a verifying client context: OS trust store, or `ca_bundle` + defaults."""
    if ca_bundle:
        context = ssl.create_default_context(cafile=ca_bundle)
        context.load_default_certs()
    else:
        context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


class VerifyingAdapter(HTTPAdapter):
    """`HTTPAdapter` whose pools use one verifying SSL context and never skip verification."""

    def __init__(self, *, ca_bundle: str | None = None, pool_maxsize: int = 4) -> None:
        """Create the adapter.

        Args:
            ca_bundle: Optional CA bundle path (added to the default store).
            pool_maxsize: Connections kept per host (= max concurrent requests).
        """
        self.ssl_context = make_ssl_context(ca_bundle)
        super().__init__(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: Any) -> None:
        """Create the pool manager with the verifying context."""
        pool_kwargs["ssl_context"] = self.ssl_context
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """Proxy pools use the verifying context too."""
        proxy_kwargs["ssl_context"] = self.ssl_context
        return super().proxy_manager_for(proxy, **proxy_kwargs)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send with verification forced on; trust comes from `ssl_context` alone."""
        return super().send(request, stream=stream, timeout=timeout, verify=True, cert=cert,
                            proxies=proxies)


def make_session(settings: ClientSettings) -> requests.Session:
    """A session for one host: verifying adapter, pool sized to the concurrency, User-Agent."""
    session = requests.Session()
    adapter = VerifyingAdapter(ca_bundle=settings.ca_bundle,
                               pool_maxsize=settings.max_concurrent_requests)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = settings.user_agent
    return session
