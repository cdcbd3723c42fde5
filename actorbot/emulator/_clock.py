"""Time for the emulator: an injectable wall clock for dates, real monotonic time for waits.

Message dates are stamped from the wall clock (by default ``time.time`` looked up
at each call, so freezegun's frozen time is honoured). Long polls, slow answers and
webhook retries wait on real time: ``time.clock_gettime(CLOCK_MONOTONIC)`` is not
replaced by freezegun and ``threading.Condition.wait`` uses real timeouts, so a frozen
clock never hangs the server.
"""

from __future__ import annotations

import time
from typing import Callable

__all__ = ["Clock", "real_monotonic"]


def real_monotonic() -> float:
    """Seconds of a monotonic clock that freezegun does not freeze."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


class Clock:
    """Reads the wall clock through ``now`` (a callable returning epoch seconds)."""

    def __init__(self, now: Callable[[], float] | None = None) -> None:
        self._now = now

    def time(self) -> float:
        """Epoch seconds from the injected callable, or ``time.time()``."""
        return self._now() if self._now is not None else time.time()

    def date(self) -> int:
        """Whole epoch seconds, as Telegram stamps ``date`` fields."""
        return int(self.time())
