"""Counting the engine's outstanding work, so a caller can wait until it is all done.

Every message told to an engine actor, every update queued for a run-style delegate,
and every run-style delegate that is busy (between taking a message and asking for
the next one) counts as one unit. The sender counts a unit *before* it enqueues; the
receiver releases it only after it has finished, including enqueueing any follow-up
work (which is counted first). So the count reaches zero only when the engine is
quiescent. ``settle()`` waits for that.

Thread-safe; any thread may count or wait.
"""

from __future__ import annotations

import threading

from ._clock import Deadline

__all__ = ["Activity"]


class Activity:
    """A counter of outstanding work with a condition to wait for zero."""

    __slots__ = ("_cond", "_pending")

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._pending = 0

    @property
    def pending(self) -> int:
        return self._pending

    def begin(self, n: int = 1) -> None:
        with self._cond:
            self._pending += n

    def end(self, n: int = 1) -> None:
        with self._cond:
            self._pending -= n
            if self._pending <= 0:
                self._pending = max(self._pending, 0)
                self._cond.notify_all()

    def reset(self) -> None:
        """Forget every unit (after the engine stopped: leftovers will never be released)."""
        with self._cond:
            self._pending = 0
            self._cond.notify_all()

    def wait_idle(self, deadline: Deadline) -> bool:
        """Block until nothing is outstanding (True) or the deadline passed (False)."""
        with self._cond:
            while self._pending > 0:
                remaining = deadline.remaining()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def wait_change(self, seconds: float) -> None:
        """Block at most ``seconds`` (real time) or until the count reaches zero again."""
        with self._cond:
            self._cond.wait(seconds)
