"""Telegram's sending limits as a policy value, and the rate buckets that pace to them.

:class:`TelegramLimits` is opt-in for a bot's normal traffic (``Bot(...,
flood_limits=TelegramLimits())``) and always used by broadcasts. The numbers are
Telegram's published guidance: about one message a second in a private chat (short
bursts tolerated), 20 a minute in a group, about 30 a second overall, and 1,000 a
second for sends with ``allow_paid_broadcast``.

A :class:`RateBucket` is a GCRA ("virtual scheduling") token bucket on a flood clock:
``rate`` sends a second on average, up to ``burst`` back to back. It holds two floats and
is not thread-safe: the :class:`~actorbot.api.FloodGate` uses it under its lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["TelegramLimits", "RateBucket", "paced_priority", "chat_kind"]

PRIORITY_ANSWER = 0
PRIORITY_EDIT = 1
PRIORITY_SEND = 2

_ANSWERS = frozenset({"answerCallbackQuery", "answerInlineQuery"})
_SEND_PREFIXES = ("send", "copyMessage", "forwardMessage", "edit", "stopPoll", "stopMessageLiveLocation")
_UNPACED = frozenset({"sendChatAction"})


@dataclass(frozen=True)
class TelegramLimits:
    """How fast sends may go (immutable). Rates are per second unless the name says otherwise.

    :param private_per_second: sends to one private chat (positive chat id).
    :param private_burst: sends to one private chat that may go back to back.
    :param group_per_minute: sends to one group, supergroup or channel (negative id or ``@name``).
    :param group_burst: sends to one group that may go back to back.
    :param overall_per_second: sends of the whole bot.
    :param overall_burst: sends of the whole bot that may go back to back.
    :param paid_per_second: sends with ``allow_paid_broadcast`` (they use this instead of
        ``overall_per_second``).
    :param chat_margin: seconds added to each chat's interval, so network jitter (a send
        that reaches Telegram a few ms early) does not earn a 429, whose ``retry_after``
        is at least a whole second. Per private chat: one send every 1.05 s.
    """

    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 3
    overall_per_second: float = 30.0
    overall_burst: int = 1
    paid_per_second: float = 1000.0
    chat_margin: float = 0.05

    def __post_init__(self) -> None:
        rates = (self.private_per_second, self.group_per_minute, self.overall_per_second, self.paid_per_second)
        if min(rates) <= 0:
            raise ValueError("rates must be > 0")
        if min(self.private_burst, self.group_burst, self.overall_burst) < 1:
            raise ValueError("bursts must be >= 1")

    def chat_bucket(self, chat: str) -> RateBucket:
        """A new bucket for one chat (``chat``: the lane key, ``str(chat_id)``)."""
        if chat_kind(chat) == "private":
            return RateBucket(self.private_per_second, self.private_burst, self.chat_margin)
        return RateBucket(self.group_per_minute / 60.0, self.group_burst, self.chat_margin)

    def overall_bucket(self) -> RateBucket:
        return RateBucket(self.overall_per_second, self.overall_burst)

    def paid_bucket(self) -> RateBucket:
        return RateBucket(self.paid_per_second, max(1, self.overall_burst))


def chat_kind(chat: str) -> str:
    """``"private"`` for a positive numeric id, else ``"group"`` (groups, channels, ``@names``)."""
    try:
        return "private" if int(chat) > 0 else "group"
    except ValueError:
        return "group"


def paced_priority(method: str, params: dict[str, Any] | None) -> int | None:
    """The pacing class of a call: 0 interactive answers, 1 edits, 2 sends; None: not paced."""
    if method in _ANSWERS:
        return PRIORITY_ANSWER
    if method in _UNPACED or not method.startswith(_SEND_PREFIXES):
        return None
    if method.startswith(("edit", "stop")):
        return PRIORITY_EDIT
    return PRIORITY_SEND


class RateBucket:
    """GCRA on a flood clock: ``rate`` a second, ``burst`` back to back. Not thread-safe.

    ``margin``: seconds added to each interval (a pacer's safety against jitter).
    """

    __slots__ = ("interval", "tolerance", "tat")

    def __init__(self, rate: float, burst: int = 1, margin: float = 0.0) -> None:
        self.interval = 1.0 / rate + margin
        self.tolerance = (burst - 1) * self.interval
        self.tat = float("-inf")  # theoretical arrival time of the next conforming send

    def ready_at(self, now: float) -> float:
        """The earliest clock time a send conforms (``now`` or earlier when it does now)."""
        return self.tat - self.tolerance

    def take(self, now: float) -> None:
        """Count one send at ``now`` (call only when :meth:`ready_at` <= ``now``)."""
        self.tat = max(self.tat, now) + self.interval

    def idle(self, now: float) -> bool:
        """True when the bucket is full again (it may be forgotten)."""
        return self.tat <= now
