"""Loops fed by a web application: :class:`Webhook` and :class:`OrderedWebhook`.

Threads: ``feed`` runs on the caller's thread (typically a web server's request
thread) and only decodes the update and queues it. The loop's own thread
(:meth:`run_forever`, or the one :meth:`run_as_thread` started) calls ``handle``
for each update, one at a time, and resolves the :class:`Delivery` that ``feed``
returned, so the request thread can answer Telegram only once the update was
accepted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from ._handling import Handler, decode_update, dispatch, reporter_of, resolve_handler, update_id_of
from ._ordering import DEFAULT_IDLE_RESET, Reorderer
from ._outcome import Delivery, Outcome
from ._runner import LoopRunner

__all__ = ["Webhook", "OrderedWebhook"]

log = logging.getLogger("actorbot.loop")

Clock = Callable[[], float]


class _Entry:
    """One fed update and the deliveries waiting for it (a duplicate adds one)."""

    __slots__ = ("update", "update_id", "deliveries")

    def __init__(self, update: dict[str, Any], delivery: Delivery) -> None:
        self.update = update
        self.update_id = update_id_of(update)
        self.deliveries = [delivery]

    def resolve(self, outcome: Outcome) -> None:
        for delivery in self.deliveries:
            delivery.resolve(outcome)


class Webhook(LoopRunner):
    """Hands updates fed by a web application to ``handle`` in arrival order.

    :param bot: the bot whose ``handle`` is used when ``handle`` is None.
    :param handle: a function taking one message, a routing table by flavor
        (a dict, see :func:`actorbot.flavor_router`), or None for ``bot.handle``.

    Call :meth:`run_forever` (blocks) or :meth:`run_as_thread`, then :meth:`feed`
    every update the web application receives. An exception raised by ``handle``
    is logged with its traceback and the loop goes on.
    """

    thread_name = "actorbot-webhook"

    def __init__(self, bot: Any, handle: Handler | Mapping[str, Handler] | None = None) -> None:
        super().__init__()
        self._bot = bot
        self._handle = resolve_handler(bot, handle)
        self._report = reporter_of(bot)
        self._cond = threading.Condition()
        self._inbox: deque[_Entry] = deque()

    def feed(self, data: str | bytes | bytearray | Mapping[str, Any]) -> Delivery:
        """Queue one update; callable from any thread. Returns at once.

        :param data: a JSON-serialized Update (``str``, or ``bytes`` in UTF-8),
            or an Update as a ``dict``.
        :returns: a :class:`Delivery`; ``delivery.wait(timeout)`` blocks until
            the loop handled (or skipped) the update and returns its
            :class:`Outcome`. Once the loop was stopped it is ``STOPPED`` at once.
        :raises actorbot.exception.BadUpdate: ``data`` is not a JSON object.
        """
        update = decode_update(data)
        entry = _Entry(update, Delivery(update_id_of(update)))
        with self._cond:
            if self.stopping:
                entry.resolve(Outcome.STOPPED)
            else:
                self._inbox.append(entry)
                self._cond.notify_all()
        return entry.deliveries[0]

    def run_forever(self) -> None:  # type: ignore[override]
        """Handle fed updates on the calling thread until :meth:`stop`. Blocks."""
        super().run_forever()

    def run_as_thread(self) -> threading.Thread:  # type: ignore[override]
        """Run :meth:`run_forever` on a new daemon thread and return it."""
        return super().run_as_thread()

    # -- the loop thread -----------------------------------------------------------
    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._inbox and not self.stopping:
                        self._cond.wait()
                    if self.stopping:
                        return
                    entry = self._inbox.popleft()
                self._deliver(entry)
        finally:
            self._abandon_all()

    def _deliver(self, entry: _Entry) -> None:
        try:
            outcome = dispatch(entry.update, self._handle, self._report)
        except BaseException:
            entry.resolve(Outcome.STOPPED)  # not handled: KeyboardInterrupt, SystemExit...
            raise
        entry.resolve(outcome)

    def _abandon_all(self) -> None:
        """Resolve every queued update as STOPPED (they were not handled)."""
        with self._cond:
            pending = list(self._inbox)
            self._inbox.clear()
        for entry in pending:
            entry.resolve(Outcome.STOPPED)

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()
        if not self.running:
            self._abandon_all()


class OrderedWebhook(Webhook):
    """Like :class:`Webhook`, but hands updates to ``handle`` in ``update_id`` order.

    An update that arrives before a smaller ``update_id`` is held until the
    missing ones arrive, at most ``maxhold`` seconds (a :meth:`run_forever`
    argument); then it is handled anyway, and the missing updates, should they
    arrive later, are skipped (logged). Duplicates are skipped too.

    :param clock: returns the current time in seconds. The default is the real
        ``time.monotonic`` (bound when this module was imported, so freezegun does
        not freeze it: ``maxhold`` is a real wait). Tests may pass a fake clock and
        call :meth:`wake` after moving it.
    :param idle_reset: after this many seconds without any update the next one
        starts a new sequence (the Bot API may pick a random ``update_id`` after
        a week without updates).
    """

    thread_name = "actorbot-ordered-webhook"

    def __init__(
        self,
        bot: Any,
        handle: Handler | Mapping[str, Handler] | None = None,
        *,
        clock: Clock = time.monotonic,
        idle_reset: float = DEFAULT_IDLE_RESET,
    ) -> None:
        super().__init__(bot, handle)
        self._clock = clock
        self._idle_reset = idle_reset
        self._reorderer: Reorderer[_Entry] | None = None

    def run_forever(self, maxhold: float = 3) -> None:  # type: ignore[override]
        """Handle fed updates in order on the calling thread until :meth:`stop`. Blocks.

        :param maxhold: the most seconds an update is held waiting for a smaller
            ``update_id`` that has not arrived.
        """
        LoopRunner.run_forever(self, maxhold)

    def run_as_thread(self, maxhold: float = 3) -> threading.Thread:  # type: ignore[override]
        """Run :meth:`run_forever` on a new daemon thread and return it."""
        return LoopRunner.run_as_thread(self, maxhold)

    def wake(self) -> None:
        """Make the loop re-read the clock now (after a test moved a fake clock)."""
        with self._cond:
            self._cond.notify_all()

    def _run(self, maxhold: float = 3) -> None:  # type: ignore[override]
        reorderer: Reorderer[_Entry] = Reorderer(maxhold, idle_reset=self._idle_reset)
        self._reorderer = reorderer
        ready: deque[_Entry] = deque()
        try:
            while True:
                with self._cond:
                    if not self._inbox and not self.stopping:
                        deadline = reorderer.next_deadline()
                        if deadline is None:
                            self._cond.wait()
                        else:
                            remaining = deadline - self._clock()
                            if remaining > 0:
                                self._cond.wait(remaining)
                    if self.stopping:
                        return
                    arrived = list(self._inbox)
                    self._inbox.clear()
                now = self._clock()
                for entry in arrived:
                    ready.extend(self._order(reorderer, entry, now))
                ready.extend(reorderer.release(now))
                while ready and not self.stopping:
                    self._deliver(ready.popleft())
        finally:
            for entry in ready:
                entry.resolve(Outcome.STOPPED)
            for entry in reorderer.drain():
                entry.resolve(Outcome.STOPPED)
            self._abandon_all()

    def _order(self, reorderer: Reorderer[_Entry], entry: _Entry, now: float) -> tuple[_Entry, ...]:
        update_id = entry.update_id
        if update_id is None:
            log.warning("skipping an update without an integer update_id: it cannot be ordered")
            entry.resolve(Outcome.SKIPPED)
            return ()
        held = reorderer.held(update_id)
        if held is not None:
            held.deliveries.extend(entry.deliveries)  # a re-sent duplicate shares the outcome
            return ()
        result = reorderer.push(update_id, entry, now)
        if result.rejected is not None:
            log.info("skipping update %d: it is a duplicate or came after its turn was given up", update_id)
            entry.resolve(Outcome.SKIPPED)
        return result.ready
