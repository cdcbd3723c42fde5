"""The lifecycle every loop shares: run on the caller's thread or on a thread of its own, stop at once.

A loop object runs its ``_run`` on exactly one thread at a time: the thread
that called :meth:`run_forever`, or the daemon thread :meth:`run_as_thread`
started. :meth:`stop` may be called from any thread (including from inside the
handler); it wakes every wait of the loop and, unless called on the loop's own
thread, waits (bounded) until the loop has returned.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ._signals import SignalStop

__all__ = ["LoopRunner"]

log = logging.getLogger("actorbot.loop")


class LoopRunner:
    """Base class: ``run_forever``/``run_as_thread``/``stop``/``join`` around a ``_run`` method."""

    #: Name of the thread :meth:`run_as_thread` starts.
    thread_name = "actorbot-loop"

    def __init__(self) -> None:
        self._stop_requested = threading.Event()
        self._finished = threading.Event()
        self._finished.set()  # not running
        self._state_lock = threading.Lock()
        self._running_ident: int | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    # -- to override ---------------------------------------------------------------
    def _run(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    def _wake(self) -> None:
        """Wake every wait of the loop (called by :meth:`stop`, from any thread)."""

    # -- public lifecycle ----------------------------------------------------------
    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop_requested.is_set()

    @property
    def running(self) -> bool:
        """True while the loop runs on some thread."""
        return not self._finished.is_set()

    @property
    def error(self) -> BaseException | None:
        """The exception that ended the last run started by :meth:`run_as_thread`, if any."""
        return self._error

    @property
    def thread(self) -> threading.Thread | None:
        """The thread started by :meth:`run_as_thread`, if any."""
        return self._thread

    def run_forever(self, *args: Any, **kwargs: Any) -> None:
        """Run the loop on the calling thread until :meth:`stop` (or a fatal error, which is raised).

        Returns at once if the loop was already stopped. Raises RuntimeError if
        it is already running on another thread. Run from the main thread, the
        first SIGINT/SIGTERM stops the loop, then the bot (gracefully), and this
        returns; a second one exits at once (see :mod:`actorbot.loop._signals`).
        """
        with self._state_lock:
            if not self._finished.is_set():
                raise RuntimeError("this loop is already running")
            if self._stop_requested.is_set():
                return
            self._finished.clear()
        self._note_started()
        guard = SignalStop.install(self._signal_bot(), self, exit_main=False)
        try:
            self._run_claimed(*args, **kwargs)
        finally:
            if guard is not None:
                guard.finish()

    def run_as_thread(self, *args: Any, **kwargs: Any) -> threading.Thread:
        """Start :meth:`run_forever` on a new daemon thread and return that thread.

        An exception that ends the run is logged at ERROR and kept in :attr:`error`.
        Once the loop was stopped, the thread returns at once. Called from the main
        thread, the first SIGINT/SIGTERM stops the loop and raises ``SystemExit(0)``
        in the main thread; the bot then stops gracefully as the interpreter exits
        (see :mod:`actorbot.loop._signals`).
        """
        with self._state_lock:
            if not self._finished.is_set():
                raise RuntimeError("this loop is already running")
            self._finished.clear()  # claimed now, so join() and stop() see it running
            self._error = None
            thread = threading.Thread(
                target=self._thread_main, args=args, kwargs=kwargs, name=self.thread_name, daemon=True
            )
            self._thread = thread
        self._note_started()
        try:
            thread.start()
        except BaseException:
            self._finished.set()
            raise
        SignalStop.install(self._signal_bot(), self, exit_main=True)
        return thread

    def _signal_bot(self) -> Any:
        """The bot a signal stops (None: the loop has none, and signals are left alone)."""
        return getattr(self, "_bot", None)

    def _note_started(self) -> None:
        # Tell the bot a loop runs for it (its ``loop_alive``, the ``/healthz`` of actorbot.metrics).
        note = getattr(self._signal_bot(), "_loop_started", None)
        if note is not None:
            note(self)

    def _thread_main(self, *args: Any, **kwargs: Any) -> None:
        try:
            self._run_claimed(*args, **kwargs)
        except BaseException as exc:  # kept for the owner; the thread must end quietly
            self._error = exc
            log.error("%s ended with %s: %s", type(self).__name__, type(exc).__name__, exc)

    def _run_claimed(self, *args: Any, **kwargs: Any) -> None:
        self._running_ident = threading.get_ident()
        try:
            if not self._stop_requested.is_set():
                self._run(*args, **kwargs)
        finally:
            with self._state_lock:
                self._running_ident = None
                self._finished.set()

    def stop(self, timeout: float | None = 5.0) -> bool:
        """Ask the loop to stop, wake it, and wait up to ``timeout`` seconds for it to return.

        Idempotent; callable from any thread. Called from the loop's own thread
        (e.g. inside the handler) it only asks: the loop returns once the handler
        does. Returns True when the loop is no longer running.
        """
        self._stop_requested.set()
        self._wake()
        if self._running_ident == threading.get_ident():
            return False
        finished = self._finished.wait(timeout)
        thread = self._thread
        if finished and thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            return not thread.is_alive()
        return finished

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the loop is not running. Returns True if it is not."""
        return self._finished.wait(timeout)

    def _wait(self, seconds: float) -> bool:
        """Interruptible wait on the loop's thread. Returns True if a stop was requested."""
        if seconds > 0:
            return self._stop_requested.wait(seconds)
        return self._stop_requested.is_set()
