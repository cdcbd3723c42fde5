"""What a loop hands whole updates to when the bot takes them itself: the :class:`Intake` protocol.

A ``DelegatorBot`` (``bot.intake``) journals updates in its store, drops duplicates,
routes them to its conversations and knows when each is done; a loop with no ``handle``
of its own gives it the raw updates (with ``update_id``) and asks it which offset is safe
to confirm to Telegram. A plain :class:`~actorbot.Bot` has no intake (``bot.intake`` is
None): the loop calls ``handle`` for each message and an update is done when it returned.

Every method is called on the loop's thread, except :meth:`Intake.confirmable`, which a
bot also calls while it stops.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Protocol

__all__ = ["Intake"]


class Intake(Protocol):
    def accept(self, updates: Sequence[dict[str, Any]]) -> int:
        """Take ``updates`` (raw updates with integer ``update_id`` s, in order) for handling.

        On return they are safe to confirm to Telegram as *accepted*: with a store they are
        journaled (durable); without one they are in memory and :meth:`confirmable` says when
        their offset may move. An update accepted before (in this run, or with a store in an
        earlier one) is dropped. Returns how many were new.

        :raises actorbot.exception.StoreError: they could not be stored; none was accepted
            (the loop retries later and confirms nothing meanwhile).
        :raises RuntimeError: the bot has stopped.
        """

    def confirmable(self, next_offset: int) -> int:
        """The ``getUpdates`` offset that is safe to send, given that every update below
        ``next_offset`` was accepted: ``next_offset`` with a store; without one, the first
        update not yet done (see the bot's documentation for when it lets an unfinished
        update go)."""

    def wait_progress(self, timeout: float) -> None:
        """Block until an accepted update becomes done, or ``timeout`` seconds passed."""

    def unfinished(self) -> int:
        """How many accepted updates are not done yet (a polling loop's backpressure)."""

    def chat_of(self, update: dict[str, Any]) -> Hashable | None:
        """The conversation a raw update counts towards for the per-chat bound: its chat,
        else its sender, else None (it counts only towards :meth:`unfinished`)."""

    def unfinished_in(self, chat: Hashable | None) -> int:
        """How many accepted updates of ``chat`` (a :meth:`chat_of` value) are not done yet."""

    def busiest(self) -> int:
        """The most accepted updates not done yet that one chat holds."""
