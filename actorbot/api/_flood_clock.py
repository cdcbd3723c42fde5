"""The time flood control runs on: a :class:`FloodClock` reads it and sleeps on it.

The :class:`~actorbot.api.FloodGate` never reads ``time`` itself: deadlines (a 429's
``retry_after``) and pacing slots are points on its clock, and waits go through the
clock's :meth:`~FloodClock.sleep`, so tests drive flood control without sleeping.

- :class:`SystemClock` (the default): :func:`actorbot.actors.now`, so freezegun's frozen
  time applies on every thread; it sleeps in real time, in slices of at most ``poll``
  seconds, so a frozen clock that a test moves is noticed within a slice.
- :class:`ManualClock`: time moves only when a test calls :meth:`ManualClock.advance`;
  sleepers wake at once.
- :class:`VirtualClock`: every sleep moves the clock forward to its end, at once
  (a simulation: a broadcast of 1,000 chats at 30/s "takes" 33 s in no real time). With
  ``wait`` (a :data:`~actorbot.api.WaitFunction`, e.g. ``RetryPolicy.wait``), each sleep
  is also handed to it, which is how a bot with a recording retry wait stays sleepless.

All three are thread-safe; ``sleep`` runs on the caller's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from ..actors._clock import now as engine_now

__all__ = ["FloodClock", "SystemClock", "ManualClock", "VirtualClock"]


class FloodClock(Protocol):
    """What flood control needs of a clock."""

    def now(self) -> float:
        """Seconds on this clock (any origin; only differences matter)."""
        ...  # pragma: no cover

    def sleep(self, seconds: float, interrupt: threading.Event) -> bool:
        """Block for up to ``seconds`` of this clock (it may return earlier: callers re-check).

        Returns True when ``interrupt`` is set (at once if it already is).
        """
        ...  # pragma: no cover


class SystemClock:
    """The engine's wall clock (frozen under freezegun); real sleeps of at most ``poll`` seconds."""

    def __init__(self, now: Callable[[], float] = engine_now, poll: float = 0.05) -> None:
        self._now = now
        self._poll = poll

    def now(self) -> float:
        return self._now()

    def sleep(self, seconds: float, interrupt: threading.Event) -> bool:
        return interrupt.wait(max(0.0, min(seconds, self._poll)))

    def __repr__(self) -> str:
        return f"SystemClock(poll={self._poll})"


class ManualClock:
    """A clock that stands still until :meth:`advance`; for tests. ``start``: its first reading."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self._cond = threading.Condition()
        self._t = start

    def now(self) -> float:
        with self._cond:
            return self._t

    def advance(self, seconds: float) -> None:
        """Move the clock forward (from any thread) and wake every sleeper."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        with self._cond:
            self._t += seconds
            self._cond.notify_all()

    def sleep(self, seconds: float, interrupt: threading.Event) -> bool:
        if interrupt.is_set():
            return True
        with self._cond:
            target = self._t + seconds
            # bounded real slices: an interrupt (an Event) cannot notify this condition
            self._cond.wait_for(lambda: self._t >= target, timeout=0.02)
        return interrupt.is_set()

    def __repr__(self) -> str:
        return f"ManualClock({self.now():.3f})"


class VirtualClock:
    """Simulated time: each sleep moves the clock forward by the seconds asked, at once.

    ``wait``: also called with each sleep's seconds (True from it means interrupted).
    """

    def __init__(self, start: float = 1_000_000.0, wait: Callable[[float], bool] | None = None) -> None:
        self._lock = threading.Lock()
        self._t = start
        self._wait = wait

    def now(self) -> float:
        with self._lock:
            return self._t

    def advance(self, seconds: float) -> None:
        """Move the clock forward without sleeping."""
        with self._lock:
            self._t += max(0.0, seconds)

    def sleep(self, seconds: float, interrupt: threading.Event) -> bool:
        if interrupt.is_set():
            return True
        seconds = max(0.0, seconds)
        with self._lock:
            target = self._t + seconds
        if self._wait is not None and self._wait(seconds):
            return True
        with self._lock:
            self._t = max(self._t, target)  # sleepers of one slot wake together, not one after another
        return interrupt.is_set()

    def __repr__(self) -> str:
        return f"VirtualClock({self.now():.3f})"
