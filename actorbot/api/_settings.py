"""The compatibility setters :func:`set_proxy` and :func:`set_api_url`.

telepot configured its HTTP layer through module functions; actorbot keeps them
for bots created *afterwards*. Their values live in the one settings object below,
the only module-level mutable state of the HTTP layer. A bot reads them once, when
it is constructed (on the constructing thread); later changes do not affect it.

Base URL precedence: ``Bot(token, api_url=...)`` > ``$ACTORBOT_API_URL`` >
:func:`set_api_url` > ``https://api.telegram.org``.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

__all__ = [
    "DEFAULT_API_URL",
    "API_URL_ENV",
    "ProxySettings",
    "set_proxy",
    "set_api_url",
    "current_proxy",
    "resolve_api_url",
]

DEFAULT_API_URL = "https://api.telegram.org"
API_URL_ENV = "ACTORBOT_API_URL"


@dataclass(frozen=True)
class ProxySettings:
    """A proxy URL and optional ``(username, password)`` for proxy basic authentication."""

    url: str
    basic_auth: tuple[str, str] | None = None

    def __repr__(self) -> str:  # never show the password
        auth = ", basic_auth=(..., '***')" if self.basic_auth else ""
        return f"ProxySettings({self.url!r}{auth})"


class _Settings:
    """Process-wide defaults for bots created later; guarded by a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proxy: ProxySettings | None = None
        self._api_url: str | None = None

    def set_proxy(self, proxy: ProxySettings | None) -> None:
        with self._lock:
            self._proxy = proxy

    def set_api_url(self, url: str | None) -> None:
        with self._lock:
            self._api_url = url

    def snapshot(self) -> tuple[ProxySettings | None, str | None]:
        with self._lock:
            return self._proxy, self._api_url


_SETTINGS = _Settings()


def set_proxy(url: str | None, basic_auth: tuple[str, str] | None = None) -> None:
    """Send the Bot API traffic of bots created afterwards through a proxy.

    :param url: the proxy URL, e.g. ``"http://proxy.example:3128"``; a false value
        removes the proxy.
    :param basic_auth: ``("username", "password")`` for proxy basic authentication.
    """
    if not url:
        _SETTINGS.set_proxy(None)
        return
    if basic_auth is not None:
        basic_auth = (str(basic_auth[0]), str(basic_auth[1]))
    _SETTINGS.set_proxy(ProxySettings(url, basic_auth))


def set_api_url(url: str | None) -> None:
    """Use another Bot API server (e.g. a local one) for bots created afterwards.

    ``$ACTORBOT_API_URL`` and ``Bot(api_url=...)`` take precedence. A false value
    restores the default.
    """
    _SETTINGS.set_api_url(url.rstrip("/") if url else None)


def current_proxy() -> ProxySettings | None:
    """The proxy :func:`set_proxy` configured, if any."""
    return _SETTINGS.snapshot()[0]


def resolve_api_url(explicit: str | None = None) -> str:
    """The base URL a bot created now uses (see the module docstring for the order)."""
    if explicit:
        return explicit.rstrip("/")
    env = os.environ.get(API_URL_ENV)
    if env:
        return env.rstrip("/")
    configured = _SETTINGS.snapshot()[1]
    return configured or DEFAULT_API_URL
