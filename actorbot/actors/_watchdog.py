"""``handler_timeout``: one watchdog thread per engine noticing handlers that run too long.

A delegate marks each handler run (``open``/``on_message``) with :meth:`Watchdog.begin`
and :meth:`Watchdog.end` on its own thread: a dict assignment and a pop, no lock. The
watchdog thread (started with the first handler run, stopped by ``Engine.stop``) looks
at the runs under way every ``interval`` real seconds, or at once after :meth:`poke`,
and measures them on the engine clock (:func:`actorbot.actors.now`, so frozen time
drives it in tests). A run that has lasted ``timeout`` seconds is reported once to the
bot's ``on_error`` as :class:`~actorbot.exception.HandlerTimeout`, with its
conversation and the stack of the handler's thread (``sys._current_frames``). The
handler is not interrupted: its conversation's later updates wait in its mailbox, in
order, and are handled when it returns.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

from .._reporting import ConversationId
from ..exception import HandlerTimeout
from . import _clock

__all__ = ["Watchdog"]

logger = logging.getLogger(__name__)


class _Run:
    __slots__ = ("started", "thread_id", "conversation", "update", "reported")

    def __init__(self, started: float, thread_id: int, conversation: ConversationId | None, update: Any) -> None:
        self.started = started
        self.thread_id = thread_id
        self.conversation = conversation
        self.update = update
        self.reported = False


class Watchdog:
    """Reports handler runs longer than ``timeout`` seconds through ``report(exc, update, conversation)``.

    :param interval: real seconds between looks (default: a quarter of ``timeout``,
        between 10 ms and 1 s), so a run is reported within ``timeout + interval``.
    :param on_timeout: called (no argument) for each reported run (the metrics count).
    """

    def __init__(
        self,
        timeout: float,
        report: Callable[[BaseException, Any, ConversationId | None], None],
        *,
        interval: float | None = None,
        on_timeout: Callable[[], None] | None = None,
        name: str = "actorbot-watchdog",
    ) -> None:
        if timeout <= 0:
            raise ValueError("handler_timeout must be a positive number of seconds")
        self.timeout = timeout
        self.interval = interval if interval is not None else min(max(timeout / 4, 0.01), 1.0)
        self._report = report
        self._on_timeout = on_timeout
        self._name = name
        self._runs: dict[int, _Run] = {}  # delegate id -> the run under way (one at a time per delegate)
        self._lock = threading.Lock()
        self._check_lock = threading.Lock()  # one check at a time: each run is reported once
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None

    # -- delegates' threads --------------------------------------------------------------------
    def begin(self, key: int, conversation: ConversationId | None, update: Any) -> None:
        """The delegate ``key`` starts handling ``update`` on the calling thread."""
        self._runs[key] = _Run(_clock.now(), threading.get_ident(), conversation, update)
        if self._thread is None:
            self._start()

    def end(self, key: int) -> None:
        self._runs.pop(key, None)

    # -- any thread ----------------------------------------------------------------------------------
    def poke(self) -> None:
        """Look at the runs under way now (after moving a frozen clock, say)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """End the watchdog thread (idempotent); nothing is reported after this returns."""
        with self._lock:
            self._stopped = True
            thread = self._thread
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("the handler watchdog did not stop within %s s", timeout)
        self._runs.clear()

    def check(self) -> int:
        """Report every run that has reached the timeout and was not reported yet; how many were.

        The watchdog thread calls it; a test may too (after moving a frozen clock).
        """
        with self._check_lock:
            return self._check()

    def _check(self) -> int:
        now = _clock.now()
        frames: dict[int, Any] | None = None
        reported = 0
        for run in tuple(self._runs.values()):
            if run.reported or now - run.started < self.timeout:
                continue
            run.reported = True
            if frames is None:
                frames = sys._current_frames()
            frame = frames.get(run.thread_id)
            stack = "".join(traceback.format_stack(frame)) if frame is not None else ""
            seconds = now - run.started
            error = HandlerTimeout(
                f"{run.conversation or 'a handler'}: still handling after {seconds:.1f} s"
                f" (handler_timeout {self.timeout:g} s); its later updates wait in order."
                + (f"\nIts thread is at:\n{stack}" if stack else ""),
                run.conversation,
                stack=stack,
                seconds=seconds,
            )
            if self._on_timeout is not None:
                self._on_timeout()
            self._report(error, run.update, run.conversation)
            reported += 1
        return reported

    # -- the watchdog thread ---------------------------------------------------------------------------
    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._stopped:
                return
            self._thread = threading.Thread(target=self._watch, name=self._name, daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        while True:
            self._wake.wait(self.interval)  # real time, so a frozen clock cannot stall it
            self._wake.clear()
            if self._stopped:
                return
            try:
                self.check()
            except Exception:  # never let the watchdog die: it would silently stop watching
                logger.exception("the handler watchdog failed to check")
