"""Telegram's flood limits, enforced by the emulator on request (``Emulator(flood_limits=True)``).

Off by default. When on, every send (the methods :func:`actorbot.api._pacing.paced_priority`
paces: ``send*``, ``copyMessage``, ``forwardMessage``, edits, interactive answers) is
checked against token buckets on the emulator's clock, as Telegram does: per private chat
(1 a second, bursts of 3), per group (20 a minute), overall (30 a second; sends with
``allow_paid_broadcast``: 1,000 a second). A send over a limit is refused, with no effect,
with 429 ``Too Many Requests: retry after N`` and ``parameters.retry_after`` N, the whole
seconds until it would conform (at least 1), like Telegram.

:class:`ServerLimits` runs on the HTTP handler threads under its own lock.
"""

from __future__ import annotations

import math
import threading
from typing import Any

from ..api._pacing import PRIORITY_ANSWER, RateBucket, TelegramLimits, paced_priority

__all__ = ["ServerLimits", "EMULATOR_LIMITS"]

EMULATOR_LIMITS = TelegramLimits(overall_burst=30, chat_margin=0.0)
"""What the emulator enforces by default: Telegram's numbers, with a burst of 30 overall."""

_EPSILON = 1e-6  # clock arithmetic: a send exactly on its slot conforms


class ServerLimits:
    """Buckets per chat and overall; :meth:`check` answers whether a call conforms."""

    def __init__(self, limits: TelegramLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._chats: dict[str, RateBucket] = {}
        self._overall = limits.overall_bucket()
        self._paid = limits.paid_bucket()
        self.refused = 0

    def check(self, method: str, params: dict[str, Any], now: float) -> int | None:
        """None when the call conforms (and is counted), else the ``retry_after`` to answer."""
        priority = paced_priority(method, params)
        if priority is None:
            return None
        chat = params.get("chat_id")
        with self._lock:
            buckets = [self._paid if params.get("allow_paid_broadcast") else self._overall]
            if chat is not None and priority != PRIORITY_ANSWER:
                key = str(chat)
                bucket = self._chats.get(key)
                if bucket is None:
                    bucket = self._chats[key] = self.limits.chat_bucket(key)
                buckets.append(bucket)
            ready = max(b.ready_at(now) for b in buckets)
            if ready > now + _EPSILON:
                self.refused += 1
                return max(1, math.ceil(ready - now))
            for b in buckets:
                b.take(now)
            return None
