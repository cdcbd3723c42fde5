"""Which conversation an update belongs to, for backpressure: :func:`chat_of`, :class:`ChatCounts`.

A loop bounds the updates accepted but not handled per conversation (see
``max_unfinished_per_chat`` of :class:`~actorbot.loop.MessageLoop` and
:class:`~actorbot.loop.Webhook`). The engine cannot know, when it accepts an update,
which delegates the seeders will route it to, so the bound counts by *chat*: the chat
the update comes from (a message, an edited message, a button pressed under a message),
else the user who sent it (an inline query, a callback from an inline message; a user's
id is also the id of their private chat with the bot), else nothing (a poll's update,
which then counts only towards the overall bound). That is the same key Telegram uses
to deliver one chat's webhook updates one at a time, in order.

Pure functions and a counter; thread-safety is the caller's (:class:`~actorbot.actors._acks.Acks`
holds its lock around :class:`ChatCounts`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from typing import Any

__all__ = ["ChatCounts", "chat_of", "chat_of_message"]


def _id(obj: Any) -> int | None:
    if isinstance(obj, dict):
        value = obj.get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def chat_of_message(message: Any) -> Hashable | None:
    """The chat (else the user) of an update's payload, or None; never raises."""
    if not isinstance(message, dict):
        return None
    chat = _id(message.get("chat"))
    if chat is not None:
        return chat
    inner = message.get("message")  # a callback query under a message
    if isinstance(inner, dict):
        chat = _id(inner.get("chat"))
        if chat is not None:
            return chat
    return _id(message.get("from")) or _id(message.get("user"))


def chat_of(update: Any) -> Hashable | None:
    """The chat (else the user) a raw update (``{"update_id": ..., kind: payload}``) belongs to."""
    if not isinstance(update, dict):
        return None
    for key, payload in update.items():
        if key != "update_id" and isinstance(payload, dict):
            return chat_of_message(payload)
    return None


class ChatCounts:
    """Unfinished updates per chat, with the largest count in O(1) (:attr:`busiest`)."""

    __slots__ = ("_counts", "_having", "busiest")

    def __init__(self) -> None:
        self._counts: dict[Hashable, int] = {}
        self._having: Counter[int] = Counter()  # count -> how many chats have that count
        self.busiest = 0
        """The most unfinished updates one chat holds now."""

    def __len__(self) -> int:
        """Chats with at least one unfinished update."""
        return len(self._counts)

    def of(self, chat: Hashable | None) -> int:
        return 0 if chat is None else self._counts.get(chat, 0)

    def add(self, chat: Hashable) -> None:
        count = self._counts.get(chat, 0)
        self._counts[chat] = count + 1
        self._move(count, count + 1)
        if count + 1 > self.busiest:
            self.busiest = count + 1

    def remove(self, chat: Hashable) -> None:
        count = self._counts.get(chat)
        if count is None:
            return
        if count == 1:
            del self._counts[chat]  # an idle chat leaves no entry behind
        else:
            self._counts[chat] = count - 1
        self._move(count, count - 1)
        if count == self.busiest and not self._having.get(count):
            self.busiest = count - 1  # this chat now has count - 1, so some chat does

    def _move(self, old: int, new: int) -> None:
        if old:
            left = self._having[old] - 1
            if left:
                self._having[old] = left
            else:
                del self._having[old]
        if new:
            self._having[new] += 1
