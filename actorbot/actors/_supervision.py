"""Supervision of conversations: the restart policy, per-conversation failure history, dead letters.

What OTP and Akka do for processes, for ``create_open`` conversations:

- A handler that raises (in ``open`` or ``on_message``) closes its conversation
  (``on_close(exc)`` runs) and the error is reported. The supervisor then **restarts**
  the conversation after a backoff (on the engine clock, so frozen-time tests drive it):
  a fresh handler receives **the update that failed** first, then the updates that
  arrived meanwhile, in order. A transient Bot API failure costs a delay, not a reply.
- An update that made the handler raise ``poison_after`` times in a row is a **poison
  update**: it moves to the dead letters and the conversation goes on with the next one.
- More than ``max_restarts`` failures ``within`` seconds **quarantine** the conversation:
  its updates go to the dead letters until the program retries them
  (:meth:`DeadLetters.retry`); ``on_error`` is told once. Other conversations are not
  affected.

:class:`RestartPolicy` is an immutable value. :class:`FailureHistory` lives in the
supervisor (its thread only). :class:`DeadLetters` is thread-safe: the supervisor adds,
the program reads, retries and discards.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .._reporting import ConversationId
from ..loop._backoff import Backoff

__all__ = ["RestartPolicy", "FailureHistory", "DeadLetter", "DeadLetters"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RestartPolicy:
    """How the supervisor treats a conversation whose handler raised.

    :param max_restarts: failures allowed within ``within`` seconds; one more quarantines
        the conversation. ``0`` quarantines at the first failure.
    :param within: the sliding window, in seconds of the engine clock.
    :param backoff: delay before the n-th restart within the window (exponential, bounded).
    :param poison_after: an update that failed this many times in a row goes to the dead
        letters and the conversation continues with the next update.

    Defaults: 3 failures a minute, first retry after 0.5 s, then 1 s and 2 s; an update
    is given up after 3 attempts. So a transient failure (a 5xx, a dropped connection)
    costs half a second, one bad update costs three attempts, and a handler that fails on
    everything is quarantined at its fourth failure within the minute instead of restarting
    forever. Pass per ``DelegatorBot(restart=...)``, or per delegation pattern with
    :func:`actorbot.delegate.supervised`.
    """

    max_restarts: int = 3
    within: float = 60.0
    backoff: Backoff = Backoff(initial=0.5, factor=2.0, maximum=30.0)
    poison_after: int = 3

    def __post_init__(self) -> None:
        if self.max_restarts < 0:
            raise ValueError("max_restarts must not be negative")
        if self.within <= 0:
            raise ValueError("within must be a positive number of seconds")
        if self.poison_after < 1:
            raise ValueError("poison_after must be at least 1")


@dataclass(eq=False)
class FailureHistory:
    """One conversation's recent failures (supervisor thread only)."""

    failures: deque[float] = field(default_factory=deque)
    last_failed: Any = None  # the update object that failed last (compared by identity)
    in_a_row: int = 0

    def note(self, update: Any, now: float, window: float) -> int:
        """Record a failure of ``update`` at ``now``; return the failures within the window."""
        if update is not None and update is self.last_failed:
            self.in_a_row += 1
        else:
            self.last_failed, self.in_a_row = update, 1
        self.failures.append(now)
        while self.failures and self.failures[0] <= now - window:
            self.failures.popleft()
        return len(self.failures)

    def forget_update(self) -> None:
        self.last_failed, self.in_a_row = None, 0


@dataclass(frozen=True, eq=False)
class DeadLetter:
    """An update the engine gave up on: why, for which conversation, and when (engine clock)."""

    update: Any  #: the message (or event) as the conversation would have received it
    error: BaseException  #: poison: the handler's last exception; quarantined: ConversationQuarantined
    conversation: ConversationId | None
    time: float  #: when it was given up (engine clock: ``time.time()``, frozen in tests)
    reason: str  #: "poison" or "quarantined"


class DeadLetters:
    """``bot.dead_letters``: updates the supervisor gave up on, oldest first.

    Iterate or call :meth:`snapshot` to inspect; :meth:`retry` hands letters back to the engine
    (lifting their conversations' quarantine); :meth:`discard` forgets them. Thread-safe.
    Keeps at most ``limit`` letters (the oldest are dropped with a warning).
    """

    def __init__(self, retry: Callable[[list[DeadLetter]], None], limit: int = 10_000) -> None:
        self._retry = retry
        self._limit = limit
        self._lock = threading.Lock()
        self._letters: list[DeadLetter] = []
        self.total = 0

    def add(self, letter: DeadLetter) -> None:
        with self._lock:
            self._letters.append(letter)
            self.total += 1
            if len(self._letters) > self._limit:
                dropped = self._letters.pop(0)
                logger.warning("dead letters full (%d): dropped the oldest (%s)", self._limit, dropped.conversation)

    def snapshot(self) -> list[DeadLetter]:
        """The letters now held, oldest first (a copy)."""
        with self._lock:
            return list(self._letters)

    def __iter__(self) -> Iterator[DeadLetter]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._letters)

    def _take(self, letters: list[DeadLetter] | None) -> list[DeadLetter]:
        with self._lock:
            if letters is None:
                taken, self._letters = self._letters, []
                return taken
            wanted = {id(letter) for letter in letters}
            taken = [letter for letter in self._letters if id(letter) in wanted]
            self._letters = [letter for letter in self._letters if id(letter) not in wanted]
            return taken

    def retry(self, letters: list[DeadLetter] | None = None) -> int:
        """Route ``letters`` (default: all) again, in order; their conversations leave quarantine.

        Returns how many were handed back.
        """
        taken = self._take(letters)
        if taken:
            self._retry(taken)
        return len(taken)

    def discard(self, letters: list[DeadLetter] | None = None) -> int:
        """Forget ``letters`` (default: all). Returns how many were dropped."""
        return len(self._take(letters))
