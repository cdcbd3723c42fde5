"""Loops fed by a web application: :class:`Webhook` and :class:`OrderedWebhook`.

Threads: ``feed`` runs on the caller's thread (typically a web server's request
thread) and only decodes the update and queues it. The loop's own thread
(:meth:`run_forever`, or the one :meth:`run_as_thread` started) calls ``handle``
for each update, one at a time (or gives the queued updates to the bot's intake,
several in one call), and resolves the :class:`Delivery` that ``feed`` returned,
so the request thread can answer Telegram only once the update was accepted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from typing import Any

from ..exception import StoreError
from ._handling import Handler, decode_update, dispatch, reporter_of, resolve_handler, update_id_of
from ._intake import Intake
from ._ordering import DEFAULT_IDLE_RESET, DEFAULT_MAX_GAP, Reorderer
from ._outcome import Delivery, Outcome
from ._polling import DEFAULT_MAX_UNFINISHED, DEFAULT_MAX_UNFINISHED_PER_CHAT
from ._refusals import RefusalLog
from ._runner import LoopRunner

__all__ = ["Webhook", "OrderedWebhook", "DEFAULT_MAX_PENDING", "DEFAULT_DEDUP_MEMORY"]

log = logging.getLogger(__name__)

Clock = Callable[[], float]

#: Default bound of updates fed but not yet handled (answered BUSY beyond).
DEFAULT_MAX_PENDING = 1_000
#: How many handled ``update_id`` values are remembered to drop re-sent duplicates.
DEFAULT_DEDUP_MEMORY = 10_000


class _Entry:
    """One fed update and the deliveries waiting for it (a duplicate adds one)."""

    __slots__ = ("update", "update_id", "deliveries", "outcome", "chat", "_lock", "_done")

    def __init__(
        self,
        update: dict[str, Any],
        delivery: Delivery,
        lock: threading.Condition,
        done: Callable[[_Entry, int, Outcome], None],
    ) -> None:
        self.update = update
        self.update_id = update_id_of(update)
        self.deliveries = [delivery]  # appended to with ``lock`` held, while ``outcome`` is None
        self.outcome: Outcome | None = None
        self.chat: Any = None  # its chat, counted in the webhook's pending per chat (with an intake)
        self._lock = lock
        self._done = done

    def resolve(self, outcome: Outcome) -> None:
        with self._lock:
            if self.outcome is not None:
                return
            self.outcome = outcome
            deliveries = list(self.deliveries)
        resolved = sum(1 for delivery in deliveries if delivery.resolve(outcome))
        if resolved:
            self._done(self, resolved, outcome)


_FULL = object()  # Webhook._over_bound: refuse the update


class Webhook(LoopRunner):
    """Hands updates fed by a web application to ``handle`` in arrival order.

    :param bot: the bot whose ``handle`` is used when ``handle`` is None.
    :param handle: a function taking one message, a routing table by flavor
        (a dict, see :func:`actorbot.flavor_router`), or None for ``bot.handle``.

    :param max_pending: the most updates fed but not yet handled (queued, held
        or being handled); beyond it :meth:`feed` refuses at once with
        ``Outcome.BUSY`` (:class:`WebhookApp` answers 503 and Telegram delivers
        again later), so a burst cannot make the loop hold without bound.
    :param dedup_memory: how many handled ``update_id`` values are remembered: a
        re-sent update (Telegram retrying, or a forged copy) is skipped, and one
        fed while the first copy is still pending shares its outcome.
    :param max_unfinished: with the bot's intake, the most updates accepted but not
        handled (plus those fed and not yet accepted) before :meth:`feed` refuses every
        update as ``BUSY`` (default 1,000; None: no bound), as
        :class:`~actorbot.loop.MessageLoop` pauses polling.
    :param max_unfinished_per_chat: with the bot's intake, the most such updates of one
        chat (the intake's ``chat_of``) before :meth:`feed` refuses *that chat's* updates
        as ``BUSY`` (default 100; None: no bound). :class:`WebhookApp` answers 503 with
        ``Retry-After``; Telegram delivers one chat's updates one at a time, in order, and
        retries a refused one before that chat's later ones, so nothing is lost, the
        chat's order holds, and every other chat goes on meanwhile. (``OrderedWebhook``
        does not wait ``maxhold`` for an update it refused: its copy delivered later is
        handed over as it comes.)

    Call :meth:`run_forever` (blocks) or :meth:`run_as_thread`, then :meth:`feed`
    every update the web application receives. An exception raised by ``handle``
    is logged with its traceback and the loop goes on.

    **With the bot's intake** (``handle`` is None and ``bot.intake`` is not None, as
    for a :class:`~actorbot.DelegatorBot`): the loop gives whole updates to
    ``intake.accept`` instead of calling ``handle``, every update queued at that moment
    in one call, in the order it would have handled them (a group commit: one journal
    transaction for a burst). Their outcome: ``ACCEPTED`` when the call took new
    updates, ``SKIPPED`` when it took none (they were accepted before: duplicates, still
    acknowledged); ``BUSY`` when it raised :class:`~actorbot.exception.StoreError`
    (:class:`WebhookApp` answers 503 with ``Retry-After``; the update is not remembered
    as a duplicate, so Telegram's next delivery is accepted); ``STOPPED`` when it raised
    ``RuntimeError`` (the bot stopped; the loop stops too). An update without an integer
    ``update_id`` cannot be journaled: it is refused (``SKIPPED``, logged), as
    :class:`OrderedWebhook` always does.
    """

    thread_name = "actorbot-webhook"
    _orders = False  # whether the loop waits for missing update_ids (OrderedWebhook)

    def __init__(
        self,
        bot: Any,
        handle: Handler | Mapping[str, Handler] | None = None,
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
        dedup_memory: int = DEFAULT_DEDUP_MEMORY,
        max_unfinished: int | None = DEFAULT_MAX_UNFINISHED,
        max_unfinished_per_chat: int | None = DEFAULT_MAX_UNFINISHED_PER_CHAT,
    ) -> None:
        super().__init__()
        if max_pending < 1 or dedup_memory < 0:
            raise ValueError("max_pending must be positive and dedup_memory not negative")
        if (max_unfinished is not None and max_unfinished < 1) or (
            max_unfinished_per_chat is not None and max_unfinished_per_chat < 1
        ):
            raise ValueError("max_unfinished and max_unfinished_per_chat must be positive (or None: no bound)")
        self.max_unfinished = max_unfinished
        self.max_unfinished_per_chat = max_unfinished_per_chat
        self._bot = bot
        self._handle = resolve_handler(bot, handle)
        self._intake: Intake | None = getattr(bot, "intake", None) if handle is None else None
        self._store_failing = False  # the last accept raised StoreError (warned once per streak)
        self._report = reporter_of(bot)
        self._cond = threading.Condition()
        self._inbox: deque[_Entry] = deque()
        self.max_pending = max_pending
        self._pending = 0
        self._inflight: dict[int, _Entry] = {}
        self._handled: OrderedDict[int, None] = OrderedDict()
        self._dedup_memory = dedup_memory
        self._pending_in: dict[Any, int] = {}  # chat -> updates of it fed and not yet resolved
        self._refused_ids: list[int] = []  # refused for a bound: the loop stops waiting for them
        self.skipped = RefusalLog(log, "webhook updates skipped or refused")

    @property
    def bot(self) -> Any:
        """The bot given at construction."""
        return self._bot

    @property
    def pending(self) -> int:
        """Updates fed but not yet handled."""
        with self._cond:
            return self._pending

    def wait_for_room(self, timeout: float | None = None) -> bool:
        """Block until :meth:`feed` would not be refused as BUSY (or the loop stops); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending < self.max_pending or self.stopping, timeout)

    def _entry_done(self, entry: _Entry, count: int, outcome: Outcome) -> None:
        with self._cond:
            self._pending -= count
            if entry.chat is not None:
                left = self._pending_in.get(entry.chat, 0) - 1
                if left > 0:
                    self._pending_in[entry.chat] = left
                else:
                    self._pending_in.pop(entry.chat, None)
            if entry.update_id is not None and self._inflight.get(entry.update_id) is entry:
                del self._inflight[entry.update_id]
                if outcome.acknowledged and self._dedup_memory:
                    self._handled[entry.update_id] = None
                    if len(self._handled) > self._dedup_memory:
                        self._handled.popitem(last=False)
            self._cond.notify_all()

    def feed(self, data: str | bytes | bytearray | Mapping[str, Any]) -> Delivery:
        """Queue one update; callable from any thread. Returns at once.

        :param data: a JSON-serialized Update (``str``, or ``bytes`` in UTF-8),
            or an Update as a ``dict``.
        :returns: a :class:`Delivery`; ``delivery.wait(timeout)`` blocks until
            the loop handled (or skipped) the update and returns its
            :class:`Outcome`. Once the loop was stopped it is ``STOPPED`` at once;
            with ``max_pending`` updates pending it is ``BUSY`` at once (with the
            bot's intake, also when the store failed: see the class docstring).
        :raises actorbot.exception.BadUpdate: ``data`` is not a JSON object.
        """
        update = decode_update(data)
        update_id = update_id_of(update)
        delivery = Delivery(update_id)
        with self._cond:
            if self.stopping:
                delivery.resolve(Outcome.STOPPED)
                return delivery
            if self._pending >= self.max_pending:
                delivery.resolve(Outcome.BUSY)
                self.skipped.refused("refused as busy (max_pending reached)")
                return delivery
            if update_id is not None:
                if update_id in self._handled:
                    delivery.resolve(Outcome.SKIPPED)
                    self.skipped.refused("duplicate")
                    return delivery
                first = self._inflight.get(update_id)
                if first is not None:  # a copy of an update still pending shares its outcome
                    if first.outcome is not None:
                        delivery.resolve(first.outcome)
                    else:
                        first.deliveries.append(delivery)
                        self._pending += 1
                    return delivery
            chat = self._over_bound(update)
            if chat is _FULL:
                delivery.resolve(Outcome.BUSY)
                if update_id is not None and self._orders:
                    self._refused_ids.append(update_id)  # the loop must not wait maxhold for it
                    self._cond.notify_all()
                return delivery
            entry = _Entry(update, delivery, self._cond, self._entry_done)
            if chat is not None:
                entry.chat = chat
                self._pending_in[chat] = self._pending_in.get(chat, 0) + 1
            if update_id is not None:
                self._inflight[update_id] = entry
            self._pending += 1
            self._inbox.append(entry)
            self._cond.notify_all()
        return delivery

    def _over_bound(self, update: dict[str, Any]) -> Any:
        """With an intake: ``_FULL`` (counted) when ``update`` must be refused for a bound,
        else its chat (None without one). Caller holds ``self._cond``."""
        intake = self._intake
        if intake is None or (self.max_unfinished is None and self.max_unfinished_per_chat is None):
            return None
        unfinished = getattr(intake, "unfinished", None)  # an intake may not count (the protocol's later additions)
        if self.max_unfinished is not None and unfinished is not None:
            if unfinished() + self._pending >= self.max_unfinished:
                self.skipped.refused(f"refused as busy (max_unfinished={self.max_unfinished} reached, 503)")
                return _FULL
        chat_of = getattr(intake, "chat_of", None)
        unfinished_in = getattr(intake, "unfinished_in", None)
        if chat_of is None or unfinished_in is None:
            return None
        chat = chat_of(update)
        if chat is None or self.max_unfinished_per_chat is None:
            return chat
        if unfinished_in(chat) + self._pending_in.get(chat, 0) >= self.max_unfinished_per_chat:
            self.skipped.refused(
                f"refused as busy (a chat at max_unfinished_per_chat={self.max_unfinished_per_chat}, 503)"
            )
            return _FULL
        return chat

    def _take_refused(self) -> list[int]:
        """The ids refused for a bound since the last call. Caller holds ``self._cond``."""
        refused, self._refused_ids = self._refused_ids, []
        return refused

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
                    if self._intake is None:
                        entries = [self._inbox.popleft()]
                    else:  # a group commit: everything queued now
                        entries = list(self._inbox)
                        self._inbox.clear()
                self._hand_over(entries)
        finally:
            self._abandon_all()
            self.skipped.flush()

    def _hand_over(self, entries: list[_Entry]) -> None:
        """Hand a run of updates over in order: to the intake in one call, else to ``handle``
        one by one (what is left when the loop stops is abandoned as ``STOPPED``)."""
        if self._intake is not None:
            self._accept(self._intake, entries)
            return
        done = 0
        try:
            for entry in entries:
                if self.stopping:
                    break
                self._deliver(entry)
                done += 1
        finally:
            for rest in entries[done:]:
                rest.resolve(Outcome.STOPPED)  # not handled (a no-op for one already resolved)

    def _accept(self, intake: Intake, entries: list[_Entry]) -> None:
        """Give ``entries`` to ``intake.accept`` in one call and resolve each (see the class doc)."""
        taken: list[_Entry] = []
        for entry in entries:
            if entry.update_id is None:
                self.skipped.refused("without an integer update_id (cannot be journaled)")
                entry.resolve(Outcome.SKIPPED)
            else:
                taken.append(entry)
        if not taken:
            return
        if self.stopping:
            outcome = Outcome.STOPPED
        else:
            try:
                new = intake.accept([entry.update for entry in taken])
            except StoreError as exc:
                outcome = Outcome.BUSY
                self._store_failed(exc, len(taken))
            except RuntimeError as exc:
                outcome = Outcome.STOPPED
                log.info("the bot no longer accepts updates (%s): the webhook loop stops", exc)
                self.stop(timeout=0)  # on the loop's own thread: only asks
            except BaseException:
                for entry in taken:
                    entry.resolve(Outcome.STOPPED)  # not accepted: KeyboardInterrupt, a bug in the intake...
                raise
            else:
                outcome = Outcome.ACCEPTED if new else Outcome.SKIPPED
                if self._store_failing:
                    self._store_failing = False
                    log.info("the store takes updates again")
        if outcome is Outcome.BUSY:
            for entry in taken:
                self._forget(entry)  # Telegram delivers it again: that copy must not look like a duplicate
        for entry in taken:
            entry.resolve(outcome)

    def _store_failed(self, exc: StoreError, count: int) -> None:
        self.skipped.refused("refused as busy: the store failed (503)", count)
        if not self._store_failing:
            self._store_failing = True
            log.warning(
                "updates could not be stored (%s: %s): answering 503 until the store works again (Telegram"
                " delivers them again)",
                type(exc).__name__,
                exc,
            )

    def _forget(self, entry: _Entry) -> None:
        """Forget that ``entry`` was taken in (it was refused as busy). Loop thread."""

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
    :param max_gap: an ``update_id`` farther than this from the sequence is
        implausible (forged or corrupt): logged (in aggregate) and skipped, so one
        bogus id cannot switch ordering off; see :class:`~actorbot.loop.Reorderer`.
    :param max_pending: see :class:`Webhook`; counts held updates too.
    :param max_unfinished: see :class:`Webhook`.
    :param max_unfinished_per_chat: see :class:`Webhook`.
    """

    thread_name = "actorbot-ordered-webhook"
    _orders = True

    def __init__(
        self,
        bot: Any,
        handle: Handler | Mapping[str, Handler] | None = None,
        *,
        clock: Clock = time.monotonic,
        idle_reset: float = DEFAULT_IDLE_RESET,
        max_gap: int = DEFAULT_MAX_GAP,
        max_pending: int = DEFAULT_MAX_PENDING,
        dedup_memory: int = DEFAULT_DEDUP_MEMORY,
        max_unfinished: int | None = DEFAULT_MAX_UNFINISHED,
        max_unfinished_per_chat: int | None = DEFAULT_MAX_UNFINISHED_PER_CHAT,
    ) -> None:
        super().__init__(bot, handle, max_pending=max_pending, dedup_memory=dedup_memory,
                         max_unfinished=max_unfinished, max_unfinished_per_chat=max_unfinished_per_chat)
        self._clock = clock
        self._idle_reset = idle_reset
        self._max_gap = max_gap
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
        reorderer: Reorderer[_Entry] = Reorderer(maxhold, idle_reset=self._idle_reset, max_gap=self._max_gap)
        self._reorderer = reorderer
        ready: deque[_Entry] = deque()
        try:
            while True:
                with self._cond:
                    if not self._inbox and not self._refused_ids and not self.stopping:
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
                    refused = self._take_refused()
                now = self._clock()
                for update_id in refused:
                    ready.extend(reorderer.skip(update_id, now))
                for entry in arrived:
                    ready.extend(self._order(reorderer, entry, now))
                ready.extend(reorderer.release(now))
                if ready and not self.stopping:
                    run = list(ready)
                    ready.clear()
                    self._hand_over(run)
        finally:
            for entry in ready:
                entry.resolve(Outcome.STOPPED)
            for entry in reorderer.drain():
                entry.resolve(Outcome.STOPPED)
            self._abandon_all()
            reorderer.late.flush()
            self.skipped.flush()

    def _forget(self, entry: _Entry) -> None:
        if self._reorderer is not None and entry.update_id is not None:
            self._reorderer.forget(entry.update_id)

    def _order(self, reorderer: Reorderer[_Entry], entry: _Entry, now: float) -> tuple[_Entry, ...]:
        update_id = entry.update_id
        if update_id is None:
            self.skipped.refused("without an integer update_id (cannot be ordered)")
            entry.resolve(Outcome.SKIPPED)
            return ()
        result = reorderer.push(update_id, entry, now)
        if result.rejected is not None:
            if result.reason == "implausible":
                self.skipped.refused(f"with an implausible update_id (over {self._max_gap} from the sequence)")
            else:
                self.skipped.refused("duplicate")
            entry.resolve(Outcome.SKIPPED)
        return result.ready
