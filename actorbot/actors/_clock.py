"""The engine's one clock path.

Every engine component reads time through this module: :func:`now` is the wall
clock the event scheduler uses (``time.time``, the base of telepot's ``event_at``
timestamps), :func:`real_monotonic` measures real waits (deadlines of bounded
waits such as ``settle()``).

Behaviour under freezegun (tested in ``tests/engine/test_clock.py``):

- :func:`now` returns freezegun's *frozen* time on every thread, actor threads
  included. freezegun decides between frozen and real time by looking at the 5
  frames above the caller of ``time.time``; if one of them belongs to an ignored
  module (``threading``, ``queue``...) it returns real time. A read made directly in
  an actor's ``on_receive`` would therefore see real time. :func:`now` calls
  ``time.time`` through :data:`_SHIELD_DEPTH` frames of this module, so the frames
  freezegun inspects are always ours, whichever thread calls.
- :func:`real_monotonic` is never frozen: it reads ``CLOCK_MONOTONIC`` through
  ``time.clock_gettime``, which freezegun does not replace (or, where that clock does
  not exist, the ``time.monotonic`` captured when this module was imported). Bounded
  waits use it, so a frozen clock can never turn a bounded wait into a hang.

This module has no state; it runs on the caller's thread.
"""

from __future__ import annotations

import time
import types
from collections.abc import Callable

__all__ = ["now", "real_monotonic", "Deadline"]

_SHIELD_DEPTH = 6
"""Frames of this module between a caller and ``time.time`` (freezegun inspects 5)."""


def _through(read: Callable[[], float], depth: int) -> float:
    # Recursion keeps every frame between the caller and ``read`` in this module.
    if depth <= 0:
        return read()
    return _through(read, depth - 1)


_BUILTIN_TIME: tuple[Callable[[], float] | None] = (
    time.time if isinstance(time.time, types.BuiltinFunctionType) else None,
)
"""The interpreter's own ``time.time`` (None if this module was imported under freezegun),
in a tuple: freezegun replaces every module attribute that *is* ``time.time``."""


def now() -> float:
    """Seconds since the epoch, as ``time.time()``; frozen time under freezegun, on any thread.

    While ``time.time`` is the interpreter's own (no freezegun active) it is called
    directly; only a replaced one is called through the shielding frames."""
    read = time.time
    if read is _BUILTIN_TIME[0]:
        return read()
    return _through(_wall, _SHIELD_DEPTH)


def _wall() -> float:
    return time.time()  # looked up at each call so freezegun's replacement is honoured


def _make_real_monotonic() -> Callable[[], float]:
    if hasattr(time, "clock_gettime") and hasattr(time, "CLOCK_MONOTONIC"):
        clock_id = time.CLOCK_MONOTONIC
        gettime = time.clock_gettime

        def read() -> float:
            return gettime(clock_id)

        return read
    captured = time.monotonic  # held in a closure: freezegun only rewrites module attributes

    def fallback() -> float:
        return captured()

    return fallback


real_monotonic: Callable[[], float] = _make_real_monotonic()
"""Seconds of a monotonic clock that freezegun never freezes (for bounded real waits)."""


class Deadline:
    """A point in real (never frozen) time, ``seconds`` from now; ``None`` means never."""

    __slots__ = ("_at",)

    def __init__(self, seconds: float | None) -> None:
        self._at = None if seconds is None else real_monotonic() + seconds

    def remaining(self) -> float | None:
        """Seconds left (never negative), or ``None`` for a deadline that never comes."""
        if self._at is None:
            return None
        return max(0.0, self._at - real_monotonic())

    def expired(self) -> bool:
        return self._at is not None and real_monotonic() >= self._at
