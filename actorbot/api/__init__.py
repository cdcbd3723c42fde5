"""HTTP access to the Bot API: the client, the retry policy, request encoding, settings.

``set_proxy`` and ``set_api_url`` keep telepot's module-level configuration style;
they affect bots created afterwards.
"""

from __future__ import annotations

from ._cancel import CancelToken
from ._client import DEFAULT_POOL_SIZE, HttpClient
from ._encoding import Upload, encode_json, encode_multipart, jsonable, split_attachments, to_upload
from ._flood import FloodGate, FloodPolicy, FloodStats, Passage
from ._flood_clock import FloodClock, ManualClock, SystemClock, VirtualClock
from ._pacing import TelegramLimits
from ._redact import REDACTED, redact
from ._retry import NO_RETRY, RetryPolicy, WaitFunction
from ._settings import (
    API_URL_ENV,
    DEFAULT_API_URL,
    ProxySettings,
    current_proxy,
    resolve_api_url,
    set_api_url,
    set_proxy,
)

__all__ = [
    "HttpClient",
    "CancelToken",
    "DEFAULT_POOL_SIZE",
    "RetryPolicy",
    "FloodGate",
    "FloodPolicy",
    "FloodStats",
    "Passage",
    "FloodClock",
    "SystemClock",
    "ManualClock",
    "VirtualClock",
    "TelegramLimits",
    "NO_RETRY",
    "WaitFunction",
    "ProxySettings",
    "set_proxy",
    "set_api_url",
    "current_proxy",
    "resolve_api_url",
    "API_URL_ENV",
    "DEFAULT_API_URL",
    "Upload",
    "jsonable",
    "to_upload",
    "split_attachments",
    "encode_json",
    "encode_multipart",
    "redact",
    "REDACTED",
]
