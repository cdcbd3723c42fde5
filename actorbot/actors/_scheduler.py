"""The event scheduler: one pykka actor that sleeps until the next due event.

:class:`EventScheduler` is the object behind ``bot.scheduler`` (telepot's
``Bot.Scheduler`` interface: ``event_at``, ``event_later``, ``event_now``,
``cancel``, ``on_event``). Scheduling, cancelling and postponing are synchronous and run
on the caller's thread under the table's lock (so ``cancel`` can raise
:class:`~actorbot.exception.EventNotFound` at once, as telepot's did). ``postpone`` (what a
delegate's idle timer does on every message) only moves the event's time: the scheduler's
thread is not woken, and finds the event postponed when its old time comes. Firing runs on
the scheduler actor's thread: its inbox ``get()`` waits (in real time) exactly until the
next event is due, or until a :class:`~actorbot.actors._messages.Wake` arrives (a new
earliest event, or :meth:`EventScheduler.poke`). There is no polling loop.

Due-ness is judged with :func:`actorbot.actors._clock.now`, so under freezegun an event
is due once *frozen* time has reached it. Frozen time does not wake a sleeping thread:
after moving it, call :meth:`EventScheduler.poke` (``DelegatorBot.settle()`` and
``actorbot.testing`` do) to make the scheduler look again at once.

Each fired event's data is handed to the sink given at construction, on the
scheduler's thread: ``DelegatorBot`` passes a function that queues it to the
supervisor; a plain ``Bot`` passes its ``handle``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pykka

from ..exception import EventNotFound
from . import _clock
from ._activity import Activity
from ._messages import Shutdown, Wake

__all__ = ["Event", "EventScheduler"]

logger = logging.getLogger(__name__)


class Event:
    """A scheduled event: when (epoch seconds) and what (a dict, or a function returning one).

    Compared by identity: it is the handle :meth:`EventScheduler.cancel` takes.
    ``timestamp`` is when it fires; :meth:`EventScheduler.postpone` moves it (under the
    table's lock), the handle stays the same.
    """

    __slots__ = ("timestamp", "data")

    def __init__(self, timestamp: float, data: Any) -> None:
        self.timestamp = timestamp
        self.data = data

    def __repr__(self) -> str:
        return f"Event(timestamp={self.timestamp!r}, data={self.data!r})"


class _Tick:
    """What the timed inbox yields when the wait for the next due event ran out."""


@dataclass(frozen=True)
class _Envelope:
    # Duck-types pykka's envelope (``message``, ``reply_to``) for the synthetic tick.
    message: Any
    reply_to: Any = None


class _TimedInbox(queue.Queue):  # type: ignore[type-arg]
    """An actor inbox whose ``get()`` gives up when the next event is due."""

    def __init__(self, seconds_to_due: Callable[[], float | None]) -> None:
        super().__init__()
        self._seconds_to_due = seconds_to_due

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        if not block:
            return super().get(block=False)
        wait = self._seconds_to_due()
        if wait is not None and timeout is not None:
            wait = min(wait, timeout)
        elif wait is None:
            wait = timeout
        try:
            if wait is not None and wait <= 0:
                return super().get(block=False)
            return super().get(timeout=wait)  # queue waits in real time (never frozen)
        except queue.Empty:
            return _Envelope(_Tick())


class _EventTable:
    """Pending events ordered by time; lazy deletion for cancelled ones. Thread-safe.

    A heap entry ``(key, seq, event)`` is current when the event is live and ``key`` is its
    ``timestamp``. :meth:`postpone` only changes the timestamp (no heap work): an entry
    found at the top with a key below its event's timestamp is pushed again at that
    timestamp, and one above it is dropped (a later :meth:`postpone` to an earlier time
    pushed a current one). A live event always has an entry with a key at most its
    timestamp, so it fires on time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._heap: list[tuple[float, int, Event]] = []
        self._live: dict[int, Event] = {}
        self._seq = itertools.count()

    def insert(self, event: Event) -> bool:
        """Add ``event``; True if it became the earliest one."""
        with self._lock:
            heapq.heappush(self._heap, (event.timestamp, next(self._seq), event))
            self._live[id(event)] = event
            self._prune()
            return self._heap[0][2] is event

    def cancel(self, event: Event) -> None:
        with self._lock:
            if self._live.pop(id(event), None) is None:
                raise EventNotFound(event)
            self._prune()
            if len(self._heap) > 2 * len(self._live) + 64:  # many cancelled entries: compact
                self._heap = [entry for entry in self._heap if id(entry[2]) in self._live]
                heapq.heapify(self._heap)

    def postpone(self, event: Event, when: float) -> bool | None:
        """Make ``event`` fire at ``when`` instead: None (and nothing done) if it is not
        pending, else whether it became the earliest event (only ever when moved earlier)."""
        with self._lock:
            if id(event) not in self._live:
                return None
            earlier = when < event.timestamp
            event.timestamp = when
            if not earlier:
                return False
            heapq.heappush(self._heap, (when, next(self._seq), event))  # an entry of its own
            self._prune()
            return self._heap[0][2] is event

    def _prune(self) -> None:
        # Drop cancelled entries and stale ones; push postponed ones again at their time.
        heap = self._heap
        while heap:
            key, _, event = heap[0]
            if id(event) not in self._live or key > event.timestamp:
                heapq.heappop(heap)
            elif key < event.timestamp:
                heapq.heapreplace(heap, (event.timestamp, next(self._seq), event))
            else:
                return

    def next_due(self) -> float | None:
        with self._lock:
            self._prune()
            return self._heap[0][0] if self._heap else None

    def seconds_to_due(self) -> float | None:
        due = self.next_due()
        return None if due is None else due - _clock.now()

    def is_pending(self, event: Event) -> bool:
        with self._lock:
            return id(event) in self._live

    def pop_due(self, now: float) -> list[Event]:
        with self._lock:
            due: list[Event] = []
            self._prune()
            while self._heap and self._heap[0][0] <= now:
                _, _, event = heapq.heappop(self._heap)
                del self._live[id(event)]  # the top is current after a prune
                due.append(event)
                self._prune()
            return due

    def __len__(self) -> int:
        with self._lock:
            return len(self._live)


class _SchedulerActor(pykka.ThreadingActor):
    """Fires due events. Runs on its own thread; every message it receives was counted."""

    use_daemon_thread = True  # never keeps the process alive: the bot's exit hook stops it

    def __init__(self, table: _EventTable, activity: Activity, fire: Callable[[Any], None]) -> None:
        self._table = table
        self._activity = activity
        self._fire = fire
        super().__init__()

    def _create_actor_inbox(self) -> Any:  # type: ignore[override]
        return _TimedInbox(self._table.seconds_to_due)

    def on_receive(self, message: Any) -> Any:
        try:
            if isinstance(message, (Wake, _Tick)):
                self._fire_due()
            elif isinstance(message, Shutdown):
                self.stop()
        finally:
            if not isinstance(message, _Tick):
                self._activity.end()

    def _fire_due(self) -> None:
        for event in self._table.pop_due(_clock.now()):
            data = event.data
            try:
                if callable(data):
                    data = data()
                    if data is None:
                        continue
                self._fire(data)
            except Exception:
                logger.exception("delivering a scheduled event failed")


class EventScheduler:
    """``bot.scheduler``: schedule events (dicts) to be handled later, as telepot's ``Bot.Scheduler``.

    The actor thread starts with the first scheduled event and ends with :meth:`stop`.
    """

    def __init__(self, on_event: Callable[[Any], None] | None = None, *, activity: Activity | None = None) -> None:
        self._table = _EventTable()
        self._activity = activity if activity is not None else Activity()
        self._on_event = on_event
        self._lock = threading.Lock()
        self._ref: pykka.ActorRef[Any] | None = None
        self._stopped = False

    # -- telepot's interface ------------------------------------------------------------------
    def event_at(self, when: float, data: Any) -> Event:
        """Emit ``data`` at the absolute time ``when`` (epoch seconds). Returns the event."""
        event = Event(float(when), data)
        if self._table.insert(event):
            self._wake()
        else:
            self._ensure_started()
        return event

    def event_later(self, delay: float, data: Any) -> Event:
        """Emit ``data`` after ``delay`` seconds."""
        return self.event_at(_clock.now() + delay, data)

    def event_now(self, data: Any) -> Event:
        """Emit ``data`` as soon as possible."""
        return self.event_at(_clock.now(), data)

    def cancel(self, event: Event) -> None:
        """Cancel an event; :class:`~actorbot.exception.EventNotFound` if it fired or was cancelled.

        After :meth:`stop` nothing fires any more and this does nothing: the bot's stop closes
        every conversation, each cancelling its idle event, and 100,000 of them taking the
        table's lock in turn from the pool's workers cost seconds of hand-offs."""
        if self._stopped:
            return
        self._table.cancel(event)

    def is_pending(self, event: Event) -> bool:
        """Whether ``event`` is still to fire (not fired, not cancelled)."""
        return self._table.is_pending(event)

    def postpone(self, event: Event, when: float) -> bool:
        """Have ``event`` fire at ``when`` (epoch seconds) instead; the handle stays valid.

        Returns False, doing nothing, if it already fired or was cancelled. Cheaper than
        cancelling and scheduling again: moving it later touches no heap and wakes no thread
        (the scheduler finds it postponed when its old time comes, and waits on).
        """
        earliest = self._table.postpone(event, float(when))
        if earliest is None:
            return False
        if earliest:
            self._wake()
        return True

    def postpone_later(self, event: Event, delay: float) -> bool:
        """:meth:`postpone` ``event`` to ``delay`` seconds from now."""
        return self.postpone(event, _clock.now() + delay)

    def on_event(self, fn: Callable[[Any], None]) -> None:
        """Set the function that receives each fired event's data (on the scheduler's thread)."""
        self._on_event = fn

    def run_as_thread(self) -> None:
        """Start the scheduler's thread now (it otherwise starts with the first event)."""
        self._ensure_started()

    # -- engine interface ---------------------------------------------------------------------
    def poke(self) -> None:
        """Re-check due events now (after moving a frozen clock, say); returns at once."""
        if self._ref is not None or len(self._table):
            self._wake()

    def next_due(self) -> float | None:
        """Time (epoch seconds, engine clock) of the earliest pending event, or None."""
        return self._table.next_due()

    def has_due(self) -> bool:
        """Whether an event is due now by the engine clock and not yet fired."""
        due = self._table.next_due()
        return due is not None and due <= _clock.now()

    def settle(self, timeout: float = 5.0) -> None:
        """Poke, then return once no event is due and every fired one was handed to the sink.

        For a scheduler used on its own (a plain ``Bot``'s); ``DelegatorBot.settle()``
        covers its scheduler. Raises ``TimeoutError`` after ``timeout`` real seconds.
        """
        deadline = _clock.Deadline(timeout)
        while True:
            self.poke()
            if not self._activity.wait_idle(deadline):
                raise TimeoutError(f"the scheduler was still busy after {timeout} s")
            if not self.has_due() or not self.is_running:
                return
            if deadline.expired():
                raise TimeoutError(f"an event was still due after {timeout} s")

    def __len__(self) -> int:
        return len(self._table)

    @property
    def is_running(self) -> bool:
        return self._ref is not None and self._ref.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (pending events are dropped). Idempotent; returns once it ended."""
        with self._lock:
            self._stopped = True
            ref, self._ref = self._ref, None
            if ref is None:
                return
            self._activity.begin()
            try:
                ref.tell(Shutdown())
            except pykka.ActorDeadError:
                self._activity.end()
                return
        if not ref.actor_stopped.wait(timeout):
            logger.warning("the event scheduler did not stop within %s s", timeout)

    def _emit(self, data: Any) -> None:
        sink = self._on_event
        if sink is None:
            logger.warning("an event fired but the scheduler has no handler: %r", data)
            return
        sink(data)

    def _ensure_started(self) -> pykka.ActorRef[Any] | None:
        with self._lock:
            if self._ref is None and not self._stopped:
                self._ref = _SchedulerActor.start(self._table, self._activity, self._emit)
            return self._ref

    def _wake(self) -> None:
        with self._lock:
            if self._stopped:
                return
            if self._ref is None:
                self._ref = _SchedulerActor.start(self._table, self._activity, self._emit)
            self._activity.begin()
            try:
                self._ref.tell(Wake())
            except pykka.ActorDeadError:
                self._activity.end()
