"""SIGINT and SIGTERM for a bot run as a service: :class:`SignalStop`.

A loop started from the main thread (``run_forever``, ``run_as_thread``, and so
``Bot.message_loop``) installs a :class:`SignalStop` when its bot has
``handle_signals`` on (the default) and the signal's handler is still Python's
default. Then:

- **the first** SIGINT or SIGTERM stops fetching at once (the loop is stopped, a
  webhook answers 503) and the bot stops gracefully: handlers in progress get the
  bot's ``stop_grace``, every live conversation's ``on_close`` runs, the handled
  offset is confirmed, and the process exits with status 0;
- **a second** signal exits at once with status ``128 + signum`` (130 for Ctrl-C).

How the stop is finished depends on what the main thread is doing:

- it runs the loop itself (``MessageLoop(bot).run_forever()``): the loop returns,
  then ``run_forever`` stops the bot on the main thread and returns normally;
- it started the loop on a thread and does something else (``run_as_thread()``
  followed by telepot's ``while 1: time.sleep(10)``, or ``message_loop(run_forever=True)``
  waiting for it): the handler raises ``SystemExit(0)`` in the main thread, and the
  bot's exit hook stops it while the interpreter exits (every engine thread is a
  daemon thread, so nothing keeps the process alive before that hook runs).

Threads: the handler runs on the main thread (Python runs signal handlers there);
installing and restoring handlers happens on the main thread only.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["SignalStop"]

log = logging.getLogger("actorbot.loop")

_Handler = Callable[[int, FrameType | None], Any] | int | None

#: The signals a service is stopped with.
SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)


def _is_default(handler: _Handler) -> bool:
    return handler in (signal.SIG_DFL, signal.default_int_handler)


class SignalStop:
    """Owns the SIGINT/SIGTERM handlers while loops of one or more bots run.

    Use :meth:`install`; a second loop started while one is installed joins it.
    """

    def __init__(self, *, exit_main: bool) -> None:
        self._exit_main = exit_main
        self._targets: list[tuple[Any, Any]] = []  # (bot, loop)
        self._previous: dict[int, _Handler] = {}
        self.signalled: int | None = None

    # -- installing (main thread) -------------------------------------------------------
    @classmethod
    def install(cls, bot: Any, loop: Any, *, exit_main: bool) -> SignalStop | None:
        """Take SIGINT/SIGTERM for ``bot`` and ``loop`` if that is allowed; None if not.

        Allowed when ``bot.handle_signals`` is true, this is the main thread, and a
        signal's handler is Python's default (or another :class:`SignalStop`, which
        this one then joins). ``exit_main``: raise ``SystemExit(0)`` in the main thread
        on the first signal (the loop runs on another thread).
        """
        if not getattr(bot, "handle_signals", False):
            return None
        if threading.current_thread() is not threading.main_thread():
            return None
        guard: SignalStop | None = None
        taken: dict[int, _Handler] = {}
        for signum in SIGNALS:
            current = signal.getsignal(signum)
            owner = getattr(current, "__self__", None)
            if isinstance(owner, SignalStop):
                owner._targets.append((bot, loop))
                owner._exit_main = owner._exit_main or exit_main
                return owner
            if _is_default(current):
                taken[signum] = current
        if not taken:
            return None
        guard = cls(exit_main=exit_main)
        guard._targets.append((bot, loop))
        guard._previous = taken
        for number in taken:
            signal.signal(number, guard._handle)
        return guard

    def restore(self) -> None:
        """Put the previous handlers back (main thread), unless a signal arrived:
        then they stay, so a second signal still exits at once."""
        if self.signalled is not None:
            return
        if threading.current_thread() is not threading.main_thread():
            return
        for signum, previous in self._previous.items():
            if signal.getsignal(signum) == self._handle:
                signal.signal(signum, previous)
        self._previous = {}

    def finish(self) -> None:
        """After a loop run on the main thread returned: stop the bots if a signal asked
        for it (gracefully, on this thread), then restore the handlers otherwise."""
        if self.signalled is not None:
            for bot, _loop in self._targets:
                bot.stop()
        else:
            self.restore()

    # -- the handler (main thread) --------------------------------------------------------
    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.signalled is not None:
            log.warning("%s received again: exiting now, without waiting for handlers", name)
            os._exit(128 + signum)
        live = [(bot, loop) for bot, loop in self._targets if getattr(bot, "accepting", True)]
        if not live:
            self._default(signum, frame)
            return
        self.signalled = signum
        grace = max((getattr(bot, "stop_grace", 0.0) for bot, _loop in live), default=0.0)
        log.warning(
            "%s received: stopping gracefully (handlers get up to %g s); send it again to stop at once", name, grace
        )
        for bot, loop in live:
            begin = getattr(bot, "begin_stop", None)
            if begin is not None:
                begin()
            loop.stop(timeout=0)
        if self._exit_main:
            raise SystemExit(0)

    def _default(self, signum: int, frame: FrameType | None) -> None:
        """Every bot here has stopped: behave as if this handler were not installed."""
        previous = self._previous.get(signum, signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
            return
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
