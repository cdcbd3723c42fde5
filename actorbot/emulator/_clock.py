"""Time for the emulator: an injectable wall clock for dates, real monotonic time for waits.

Message dates are stamped from the wall clock: by default actorbot's one clock path
(:func:`actorbot.actors.now`, frozen under freezegun on every thread, so a bot and
the emulator it talks to agree on the date), or a callable given to the emulator.
Long polls, slow answers and webhook retries wait on real time
(:func:`actorbot.actors.real_monotonic` and ``Condition.wait``), so a frozen clock
never hangs the server.
"""

from __future__ import annotations

from collections.abc import Callable

from ..actors._clock import now, real_monotonic

__all__ = ["Clock", "real_monotonic"]


class Clock:
    """Reads the wall clock through ``now`` (a callable returning epoch seconds)."""

    def __init__(self, now: Callable[[], float] | None = None) -> None:
        self._now = now

    def time(self) -> float:
        """Epoch seconds from the injected callable, or actorbot's clock."""
        return self._now() if self._now is not None else now()

    def date(self) -> int:
        """Whole epoch seconds, as Telegram stamps ``date`` fields."""
        return int(self.time())
