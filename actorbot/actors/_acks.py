"""When an accepted update is done: :class:`Acks`, the engine's count of unfinished work per update.

An update accepted by the intake is one *unit* of work while the supervisor routes it;
routing adds a unit for each delegate it is delivered to, and each unit ends when that
delegate has handled it (and, with a store, committed what the handling changed), when
the update is given up (a dead letter, no delegate for it), or when it is handed to a
run-style delegate (whose listener takes it as it is). An update with no unit left is
*done*.

Without a store, :meth:`Acks.confirmable` is the offset a polling loop may send:
the first update not done, so a crash loses no update a handler had not finished. For
liveness, an unfinished update stops holding the offset back once it was accepted
``hold`` seconds ago, or once ``window`` later updates were accepted after it (Telegram
returns at most 100 updates from the offset, so holding it further would starve every
other chat); such an update is still handled (and a graceful stop waits for it), but a
crash would lose it. With a store every accepted update is journaled first, so the
offset moves at once (:attr:`Acks.journaled`).

Per chat: :meth:`Acks.accepted` may name each update's chat (see
:mod:`~actorbot.actors._chats`); :meth:`Acks.unfinished_in` and :meth:`Acks.busiest` then
tell a loop how many unfinished updates one chat holds (its per-conversation bound). A chat
whose updates are all done leaves no entry behind.

Thread-safe: the intake (the loop's thread), the supervisor and the delegates (or the
committer) call it; one lock, one condition for :meth:`wait_progress`.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping

from ._chats import ChatCounts
from ._clock import real_monotonic

__all__ = ["Acks", "DEFAULT_HOLD", "DEFAULT_WINDOW"]

DEFAULT_HOLD = 2.0
"""Seconds an unfinished update holds the polling offset back (without a store)."""

DEFAULT_WINDOW = 50
"""Accepted updates after an unfinished one past which it stops holding the offset back."""


class Acks:
    """Units of work outstanding per ``update_id``; which offset is safe to confirm."""

    def __init__(
        self,
        *,
        journaled: bool = False,
        hold: float = DEFAULT_HOLD,
        window: int = DEFAULT_WINDOW,
        clock: Callable[[], float] = real_monotonic,
    ) -> None:
        self.journaled = journaled
        self._hold = hold
        self._window = window
        self._clock = clock
        self._units: dict[int, int] = {}
        self._accepted_at: dict[int, float] = {}
        self._heap: list[int] = []  # accepted ids not yet done or let go (lazily cleaned)
        self._cond = threading.Condition()
        self._done_total = 0
        self._chat_of: dict[int, Hashable] = {}  # unfinished update -> its chat (when it has one)
        self._chats = ChatCounts()

    # -- counting (any thread) ---------------------------------------------------------------------
    def accepted(self, ids: Iterable[int], chats: Mapping[int, Hashable | None] | None = None) -> None:
        """Each of ``ids`` was accepted: one unit (its routing) is outstanding. ``chats``
        gives an update's chat (absent or None: it counts only towards :attr:`unfinished`)."""
        now = self._clock()
        with self._cond:
            for uid in ids:
                if uid in self._units:
                    continue
                self._units[uid] = 1
                self._accepted_at[uid] = now
                heapq.heappush(self._heap, uid)
                chat = chats.get(uid) if chats is not None else None
                if chat is not None:
                    self._chat_of[uid] = chat
                    self._chats.add(chat)

    def add(self, uid: int, units: int) -> None:
        """``units`` more units of ``uid`` are outstanding (it was delivered to that many delegates)."""
        if units <= 0:
            return
        with self._cond:
            if uid in self._units:
                self._units[uid] += units

    def finish(self, uid: int) -> bool:
        """One unit of ``uid`` ended; True if that made the update done."""
        with self._cond:
            left = self._units.get(uid)
            if left is None:
                return False
            if left > 1:
                self._units[uid] = left - 1
                return False
            del self._units[uid]
            self._accepted_at.pop(uid, None)
            chat = self._chat_of.pop(uid, None)
            if chat is not None:
                self._chats.remove(chat)
            self._done_total += 1
            self._cond.notify_all()
            return True

    def tracked(self, uid: int) -> bool:
        with self._cond:
            return uid in self._units

    # -- what a loop asks (its thread) ------------------------------------------------------------
    @property
    def unfinished(self) -> int:
        """Accepted updates not done yet."""
        with self._cond:
            return len(self._units)

    def unfinished_in(self, chat: Hashable | None) -> int:
        """Accepted updates of ``chat`` not done yet (0 for None)."""
        with self._cond:
            return self._chats.of(chat)

    @property
    def busiest(self) -> int:
        """The most accepted updates not done yet that one chat holds."""
        with self._cond:
            return self._chats.busiest

    def confirmable(self, next_offset: int) -> int:
        """The offset safe to confirm when every update below ``next_offset`` was accepted."""
        if self.journaled:
            return next_offset
        now = self._clock()
        with self._cond:
            heap = self._heap
            while heap:
                first = heap[0]
                accepted_at = self._accepted_at.get(first)
                if accepted_at is None:  # done
                    heapq.heappop(heap)
                    continue
                if now - accepted_at >= self._hold or next_offset - first > self._window:
                    heapq.heappop(heap)  # let go: it no longer holds the offset back
                    continue
                return min(first, next_offset)
            return next_offset

    def wait_progress(self, timeout: float) -> None:
        """Block until some update becomes done, or ``timeout`` seconds (real time) passed."""
        with self._cond:
            seen = self._done_total
            self._cond.wait_for(lambda: self._done_total != seen, timeout)

    def wait_all_done(self, timeout: float) -> bool:
        """Block until no accepted update is unfinished (True), or ``timeout`` s passed (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._units, timeout)
