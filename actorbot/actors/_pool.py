"""A pykka runtime that multiplexes many actors onto a small, elastic set of worker threads.

pykka's :class:`~pykka.ThreadingActor` gives every actor its own OS thread. That is
simple, but with thousands of live actors the threads themselves (memory, the OS
scheduler) dominate the cost of a message. A :class:`PooledActor` is a real pykka
actor (``ActorRef``, ``tell``, ``ask``, ``stop``, proxies, ``ActorRegistry`` and
:class:`~pykka.ThreadingFuture` all work as usual) that owns no thread: when a message
arrives and the actor is not already scheduled, its inbox hands the actor to a shared
:class:`WorkerPool`; a worker then runs the actor's messages one at a time, in order.

Threads:

- ``tell``/``ask``/``stop`` run on the caller's thread; they only enqueue (and, for an
  actor that was idle, append it to the pool's ready queue).
- ``on_start``, ``on_receive`` (and proxy calls), ``on_stop`` and ``on_failure`` run on
  one of the pool's worker threads -- not always the same one, but never on two at once
  for one actor, and ``on_start`` always before the first message.
- A worker runs at most :attr:`PooledActor.batch_size` messages of one actor before
  putting it back at the end of the ready queue, so a busy actor does not starve the
  others.

pykka's per-message semantics are kept: an exception while handling a ``tell`` goes
through pykka's failure path (logged, the actor stops, ``on_failure`` runs); an
exception while handling an ``ask`` goes to the caller's future and the actor goes on;
``stop()`` is queued behind earlier messages and runs ``on_stop``; asks still queued
when an actor stops fail with :class:`~pykka.ActorDeadError`; ``actor_stopped`` is set.
Two deliberate differences: a ``BaseException`` in a handler stops every registered actor with
``ActorRegistry.stop_all(block=False)`` (a blocking stop-all on a shared worker could
wait for itself; a subclass may keep its actors out of the registry:
:attr:`PooledActor.registered`), and a message that races in after the actor stopped is
failed at once (``ActorDeadError``) instead of being left unanswered in a dead inbox.
``actor_stopped`` is a flag that makes a ``threading.Event`` only when someone waits on it.

Blocking: a handler that blocks (HTTP, ``Future.get()``, ``time.sleep``) holds its
worker for that long. Other actors are not delayed while the pool can start another
worker, up to ``max_workers`` (default :data:`DEFAULT_MAX_WORKERS`, 64). The first
``core_workers`` (default :data:`DEFAULT_CORE_WORKERS`, 8) start as soon as a task finds
no idle worker; beyond them the pool grows only while its workers are *blocked*, not
while they compete for the interpreter (see :class:`WorkerPool`): more threads than the
GIL can run only add switching (measured end to end: 8 workers used about 20% less CPU
per message than 64 on 2 cores, while with a 50 ms Bot API a thousand messages a second
need about 50 blocked at once). Once every worker is blocked, further ready actors wait in the ready queue (first
in, first out) for one to come free: nothing is lost and each actor's messages keep their
order, they are only late; when one waited over a second the pool logs a WARNING, at
most once per ``saturation_interval`` (60 s), with how many did and the longest wait. Actors that
block waiting *for each other* can deadlock at that limit. ``max_workers=None`` removes
the bound (a thread per blocked actor, as many as there are).
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar

import pykka
from pykka import ActorDeadError, ActorRegistry

from ._clock import Deadline, real_monotonic

__all__ = ["DEFAULT_CORE_WORKERS", "DEFAULT_MAX_WORKERS", "PoolClosed", "PooledActor", "WorkerPool"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_WORKERS = 64
"""The pool's default bound on threads. It matches the Bot API client's connection pool
(``actorbot.api`` keeps 64 connections per host and queues callers beyond): more handlers
blocked in Bot API calls at once would wait for a connection anyway. A blocked worker
costs about 16 KiB of RSS (measured: 1,000 blocked threads, +16.2 MiB) and 8 MiB of
reserved, mostly untouched, stack address space."""

DEFAULT_CORE_WORKERS = 8
"""Workers a pool starts at once, as tasks arrive; more only while these are blocked."""

GROWTH_TICK = 0.02
"""Seconds between two looks of the pool's grower at its workers (real time), while tasks wait."""

BUSY_CPU = 0.8
"""Process CPU, in cores, from which the workers count as busy rather than blocked: the
interpreter runs Python on about one core at a time, so a process using less than this
while tasks wait has workers waiting on something else (the network, a lock, a sleep)."""

SATURATION_INTERVAL = 60.0
"""Seconds between two warnings that the pool was saturated (every worker busy)."""

SATURATION_WARN_AFTER = 1.0
"""A task that waited this long for a free worker is worth a warning (a busy pool working
through a backlog is not: only handlers blocked that long are)."""


def machine_steal() -> tuple[int, int]:
    """``(steal, total)`` CPU ticks of the whole machine so far, from ``/proc/stat``: the
    time a hypervisor gave this virtual machine's CPUs to others. ``(0, 0)`` where the file
    does not exist or says nothing of it (not Linux, a container hiding it)."""
    try:
        with open("/proc/stat", "rb") as stat:
            fields = stat.readline().split()[1:9]
        ticks = [int(x) for x in fields]
    except (OSError, ValueError):
        return 0, 0
    return (ticks[7] if len(ticks) > 7 else 0), sum(ticks)


class _Stamped:
    """A task queued while every worker was busy, with when it was queued."""

    __slots__ = ("task", "queued", "waited")

    def __init__(self, task: Callable[[], None], queued: float, waited: Callable[[float], None]) -> None:
        self.task = task
        self.queued = queued
        self.waited = waited

    def __call__(self) -> None:
        self.waited(real_monotonic() - self.queued)
        self.task()


class PoolClosed(RuntimeError):
    """Raised by :meth:`WorkerPool.submit` after :meth:`WorkerPool.shutdown` began."""


class WorkerPool:
    """Elastic worker threads that run submitted tasks (callables taking no argument).

    ``on_worker_exit`` runs on each worker thread as it ends.

    A task is started on an idle worker if there is one; otherwise a new worker thread
    starts at once while fewer than ``core_workers`` exist (default 8). Beyond that, up to
    ``max_workers`` (default 64; ``None``: no limit), the pool's *grower* decides: a thread
    that wakes every ``growth_tick`` seconds (0.02, real time) while tasks wait for a
    worker, and ends when none do. It adds workers (a quarter more each tick) when the
    workers are blocked: the process used less than ``busy_cpu`` cores (0.8) of CPU
    since its last look (``cpu_clock``, default ``time.process_time``), or no task started
    meanwhile. On a virtual machine whose hypervisor gave a share of the CPU time to
    others meanwhile (``steal_ticks``, default :func:`machine_steal`), ``busy_cpu`` is
    lowered by that share: busy workers there use less than a core. When they are busy instead (the
    CPU is used) and more than ``core_workers`` exist, it retires one worker per tick
    (the worker ends after its current task), so a pool that grew for slow handlers
    shrinks back when the work turns CPU-bound. ``core_workers=None`` starts every worker
    at once, up to ``max_workers``. So a blocked task delays the others by at most about
    a tick while the pool can grow. Otherwise the task waits in the ready
    queue (first in, first out) for a worker to come free, and the pool is *saturated*
    (:attr:`saturated_total` counts such tasks). When a task waited over
    ``saturation_warn_after`` seconds (1) for its worker, a WARNING says so, at most once
    per ``saturation_interval`` seconds (60), with how many did since the last one and the
    longest wait. A worker that
    found nothing to do for ``idle_timeout`` seconds (real time) ends. Workers are daemon
    threads, like the engine's actor threads, so they never keep the process alive;
    :meth:`shutdown` ends them (the bot's :meth:`~actorbot.Bot.stop` does, also at exit).

    Thread-safe: any thread may submit. Tasks run on the worker threads; a task that
    raises is logged and the worker goes on.
    """

    def __init__(self, max_workers: int | None = DEFAULT_MAX_WORKERS, *, idle_timeout: float = 2.0,
                 name: str = "actorbot-pool", saturation_interval: float = SATURATION_INTERVAL,
                 saturation_warn_after: float = SATURATION_WARN_AFTER,
                 on_worker_exit: Callable[[], None] | None = None,
                 core_workers: int | None = DEFAULT_CORE_WORKERS, growth_tick: float = GROWTH_TICK,
                 busy_cpu: float = BUSY_CPU, cpu_clock: Callable[[], float] = time.process_time,
                 steal_ticks: Callable[[], tuple[int, int]] = machine_steal) -> None:
        if max_workers is not None and max_workers < 1:
            raise ValueError("max_workers must be at least 1 (or None: no limit)")
        if idle_timeout <= 0:
            raise ValueError("idle_timeout must be positive")
        if core_workers is not None and core_workers < 1:
            raise ValueError("core_workers must be at least 1 (or None: every worker at once)")
        if growth_tick <= 0:
            raise ValueError("growth_tick must be positive")
        self.max_workers = max_workers
        self.core_workers = core_workers
        # workers started at once; beyond them (up to max_workers) only the grower starts any
        self._at_once = max_workers if core_workers is None else (
            core_workers if max_workers is None else min(core_workers, max_workers))
        self.growth_tick = growth_tick
        self.busy_cpu = busy_cpu
        self._cpu_clock = cpu_clock  # CPU seconds of the process (tests pass their own)
        self._steal_ticks = steal_ticks  # (steal, total) CPU ticks of the machine
        self._grower: threading.Thread | None = None
        self._grower_stop = threading.Event()
        self._started_tasks = 0  # tasks taken by workers (the grower sees progress by it)
        self._retiring = 0  # workers asked to end after their current task
        self.idle_timeout = idle_timeout
        self.name = name
        self._cond = threading.Condition(threading.Lock())
        self._ready: deque[Callable[[], None]] = deque()
        self._workers: set[threading.Thread] = set()
        self._idle = 0  # workers waiting for a task
        self._closing = False
        self._numbers = itertools.count(1)
        self.saturation_interval = saturation_interval
        self._on_worker_exit = on_worker_exit
        self.saturation_warn_after = saturation_warn_after
        self.saturated_total = 0
        """Tasks that found every worker busy and the pool at ``max_workers`` (they waited)."""
        self._late_unreported = 0
        self._late_longest = 0.0
        self._next_saturation_warning: float | None = None

    def __repr__(self) -> str:
        return f"WorkerPool({self.name!r}, workers={len(self._workers)}/{self.max_workers})"

    # -- any thread --------------------------------------------------------------------------
    @property
    def worker_count(self) -> int:
        """Worker threads alive now (busy or idle)."""
        with self._cond:
            return len(self._workers)

    def occupancy(self) -> tuple[int, int]:
        """``(busy, total)``: workers running a task now, and workers alive."""
        with self._cond:
            total = len(self._workers)
            return max(total - self._idle, 0), total

    @property
    def closed(self) -> bool:
        return self._closing

    def submit(self, task: Callable[[], None]) -> None:
        """Queue ``task`` to run on a worker; start a worker if none is idle and the limit allows.

        Raises :class:`PoolClosed` once :meth:`shutdown` has begun.
        """
        with self._cond:
            if self._closing:
                raise PoolClosed(f"{self.name} is shut down")
            if (len(self._ready) >= self._idle and self.max_workers is not None
                    and len(self._workers) >= self.max_workers):
                self.saturated_total += 1  # it waits for a worker: note when, to tell how long
                task = _Stamped(task, real_monotonic(), self._waited)
            self._ready.append(task)
            if self._idle:
                self._cond.notify()
            # A notified worker still counts as idle until it wakes: start another one
            # when more tasks wait than idle workers could take.
            if len(self._ready) > self._idle:
                workers = len(self._workers)
                if self._at_once is None or workers < self._at_once:
                    self._spawn_locked()
                elif self._grower is None and (self.max_workers is None or workers < self.max_workers):
                    self._start_grower_locked()

    def _waited(self, seconds: float) -> None:
        """A task that found every worker busy starts after ``seconds`` (its worker's thread)."""
        if seconds < self.saturation_warn_after:
            return
        with self._cond:
            self._late_unreported += 1
            self._late_longest = max(self._late_longest, seconds)
            now = real_monotonic()
            if self._next_saturation_warning is not None and now < self._next_saturation_warning:
                return
            self._next_saturation_warning = now + self.saturation_interval
            count, longest = self._late_unreported, self._late_longest
            self._late_unreported, self._late_longest = 0, 0.0
        logger.warning(
            "%s: all %d workers busy; %d task(s) waited over %g s for a free worker (the longest %.1f s;"
            " nothing is lost, each conversation keeps its order; at most one such line per %g s; raise"
            " max_workers if handlers block this long)",
            self.name, self.max_workers, count, self.saturation_warn_after, longest, self.saturation_interval,
        )

    def shutdown(self, timeout: float | None = 5.0) -> bool:
        """Stop accepting tasks, let the workers finish what is queued, and join them.

        Waits at most ``timeout`` seconds in all (real time). Returns True if every worker
        ended; False (and logs a warning) if some were still busy. Idempotent.
        """
        deadline = Deadline(timeout)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            workers = list(self._workers)
            grower = self._grower
        self._grower_stop.set()
        if grower is not None:
            workers.append(grower)
        current = threading.current_thread()
        for thread in workers:
            if thread is not current:
                thread.join(deadline.remaining())
        alive = [t.name for t in workers if t.is_alive() and t is not current]
        if alive:
            logger.warning("%s: %d worker(s) still busy after %s s: %s", self.name, len(alive), timeout, alive)
        return not alive

    # -- internals -------------------------------------------------------------------------------
    def _spawn_locked(self) -> None:
        # Caller holds self._cond. Starting under the lock keeps shutdown() from missing a
        # worker; Thread.start() only waits for the new thread to boot, not for this lock.
        thread = threading.Thread(target=self._work, name=f"{self.name}-{next(self._numbers)}", daemon=True)
        self._workers.add(thread)
        try:
            thread.start()
        except RuntimeError:  # the OS refused a thread: the existing workers carry on
            self._workers.discard(thread)
            logger.exception("%s: could not start a worker (%d running)", self.name, len(self._workers))
            if not self._workers:
                raise

    def _start_grower_locked(self) -> None:
        # Caller holds self._cond (so only one grower runs, and shutdown sees it).
        grower = threading.Thread(target=self._grow, name=f"{self.name}-grower", daemon=True)
        self._grower = grower
        try:
            grower.start()
        except RuntimeError:  # no thread to be had: the existing workers carry on
            self._grower = None
            logger.exception("%s: could not start its grower", self.name)

    def _grow(self) -> None:
        """The grower's thread: while tasks wait for a worker, add workers when they are
        blocked and retire the extra ones when they are busy (see the class docstring)."""
        cpu, wall = self._cpu_clock(), real_monotonic()
        steal, total = self._steal_ticks()
        with self._cond:
            started = self._started_tasks
        while not self._grower_stop.wait(self.growth_tick):
            cpu_now, wall_now = self._cpu_clock(), real_monotonic()
            used = (cpu_now - cpu) / max(wall_now - wall, 1e-9)  # cores, since the last look
            cpu, wall = cpu_now, wall_now
            steal_now, total_now = self._steal_ticks()
            # the CPU a hypervisor gave to others was not ours to use: busy means less then
            stolen = (steal_now - steal) / (total_now - total) if total_now > total else 0.0
            steal, total = steal_now, total_now
            busy = self.busy_cpu * (1.0 - min(max(stolen, 0.0), 1.0))
            with self._cond:
                waiting = len(self._ready) - self._idle
                if self._closing or waiting <= 0:
                    self._grower = None
                    return
                workers = len(self._workers) - self._retiring
                progressed, started = self._started_tasks != started, self._started_tasks
                if used < busy or not progressed:
                    room = waiting if self.max_workers is None else self.max_workers - len(self._workers)
                    for _ in range(min(waiting, room, max(1, workers // 4))):
                        self._spawn_locked()
                elif self._at_once is not None and workers > self._at_once:
                    self._retiring += 1

    def _work(self) -> None:
        """A worker thread: take tasks until idle for ``idle_timeout`` or shut down, then run
        ``on_worker_exit`` (on this thread; e.g. the metrics retire its shard)."""
        try:
            self._take_tasks()
        finally:
            if self._on_worker_exit is not None:
                try:
                    self._on_worker_exit()
                except Exception:
                    logger.exception("%s: on_worker_exit raised", self.name)

    def _take_tasks(self) -> None:
        cond = self._cond
        ready = self._ready
        while True:
            with cond:
                if self._retiring:  # the grower retires a worker: this one
                    self._retiring -= 1
                    self._workers.discard(threading.current_thread())
                    return
                if not ready:
                    idle_until = real_monotonic() + self.idle_timeout
                    while not ready:
                        remaining = idle_until - real_monotonic()
                        if self._closing or remaining <= 0:
                            self._workers.discard(threading.current_thread())
                            return
                        self._idle += 1
                        try:
                            cond.wait(remaining)  # real time, even under freezegun
                        finally:
                            self._idle -= 1
                task = ready.popleft()
                self._started_tasks += 1
            try:
                task()
            except Exception:
                logger.exception("%s: a task raised", self.name)


class _StopFlag:
    """A pooled actor's ``actor_stopped``: ``is_set``/``set``/``wait`` as a ``threading.Event``,
    but no Condition, lock or deque until someone waits (most pooled actors are never waited on:
    a ``threading.Event`` costs about 1 KiB per live conversation and a tenth of its start).

    ``set`` runs on the worker stopping the actor; ``wait`` on any thread (the supervisor's at
    shutdown). The waiter publishes its event before reading the flag again, and ``set`` raises
    the flag before reading the event, so one of the two always sees the other (each step is
    atomic under the GIL). ``lock`` (the pool's) only serialises waiters creating the event.
    """

    __slots__ = ("_flag", "_event", "_lock")

    def __init__(self, lock: Any) -> None:
        self._flag = False
        self._event: threading.Event | None = None
        self._lock = lock

    def is_set(self) -> bool:
        return self._flag

    isSet = is_set  # threading.Event's old name

    def set(self) -> None:
        self._flag = True
        event = self._event
        if event is not None:
            event.set()

    def wait(self, timeout: float | None = None) -> bool:
        if self._flag:
            return True
        event = self._event
        if event is None:
            with self._lock:
                event = self._event
                if event is None:
                    event = self._event = threading.Event()
        if self._flag:  # set before the event was published: set() may not have seen it
            return True
        return event.wait(timeout)


class _PooledInbox:
    """A :class:`PooledActor`'s mailbox: a FIFO plus the "scheduled on the pool" flag.

    Invariant: ``_scheduled`` is true exactly while the actor sits in the pool's ready
    queue or runs on a worker, so at most one worker ever runs the actor. ``put`` runs on
    the sender's thread; ``take``/``release`` on the worker running the actor.
    """

    __slots__ = ("_actor", "_dead", "_items", "_lock", "_scheduled", "_started")

    def __init__(self, actor: PooledActor) -> None:
        self._actor = actor
        self._lock = threading.Lock()
        # None while empty: an empty deque costs 760 bytes (its first block), and most of the
        # time most conversations have nothing queued
        self._items: deque[Any] | None = None
        self._scheduled = False
        self._started = False
        self._dead = False

    # pykka's ActorInbox protocol ---------------------------------------------------------------
    def put(self, envelope: Any, /) -> None:
        with self._lock:
            if not self._dead:
                items = self._items
                if items is None:
                    items = self._items = deque()
                items.append(envelope)
                if self._scheduled or not self._started:
                    return
                self._scheduled = True
                schedule = True
            else:
                schedule = False
        if schedule:
            self._actor._schedule()
            return
        # The actor stopped after the sender checked is_alive(): answer now, as pykka
        # would have had the message arrived a moment later.
        error = ActorDeadError(f"{self._actor.actor_ref} stopped before handling the message")
        if envelope.reply_to is None:
            raise error
        envelope.reply_to.set_exception(exc_info=(ActorDeadError, error, None))

    def get(self) -> Any:
        """Next envelope, without blocking (pykka's teardown calls it only when not empty)."""
        with self._lock:
            items = self._items
            if items is None:
                raise IndexError("the inbox is empty")
            envelope = items.popleft()
            if not items:
                self._items = None
            return envelope

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        items = self._items
        return len(items) if items is not None else 0

    # the runtime -----------------------------------------------------------------------------------
    def start(self) -> bool:
        """Mark the actor started and scheduled (for ``on_start``); False if already started."""
        with self._lock:
            if self._started:
                return False
            self._started = True
            self._scheduled = True
            return True

    def take(self) -> Any:
        """The next envelope, or None -- and then the actor is no longer scheduled."""
        with self._lock:
            items = self._items
            if items:
                envelope = items.popleft()
                if not items:
                    self._items = None
                return envelope
            self._scheduled = False
            return None

    def keep(self) -> bool:
        """After a full batch: True (stay scheduled) if messages remain, else unschedule."""
        with self._lock:
            if self._items:
                return True
            self._scheduled = False
            return False

    def close(self) -> None:
        """The actor stopped: later puts fail at once; what is queued stays for teardown."""
        with self._lock:
            self._dead = True
            self._scheduled = False


class PooledActor(pykka.Actor):
    """A pykka actor run on a shared :class:`WorkerPool` instead of a thread of its own.

    Subclass it like :class:`pykka.ThreadingActor`; pass the pool to the constructor::

        class Greeter(PooledActor):
            def __init__(self, pool: WorkerPool, greeting: str) -> None:
                super().__init__(pool=pool)
                self.greeting = greeting

            def on_receive(self, message):
                return f"{self.greeting}, {message}"

        ref = Greeter.start(pool, "hello")

    ``__init__`` runs on the thread calling ``start()``; every hook and handler runs on
    a pool worker, one message at a time, in arrival order (see the module docstring).
    """

    batch_size: ClassVar[int] = 32
    """Messages one worker handles for this actor before re-queueing it behind the others."""

    registered: ClassVar[bool] = True
    """Whether ``start()`` lists the actor in pykka's ``ActorRegistry`` (as every pykka actor).
    A subclass whose actors something else owns and stops may say False: the registry is one
    list, and removing an actor from it costs time in proportion to its length (stopping
    100,000 registered actors moves gigabytes)."""

    @classmethod
    def start(cls, *args: Any, **kwargs: Any) -> pykka.ActorRef[Any]:  # type: ignore[override]
        """Construct the actor (on the calling thread), register it unless :attr:`registered`
        is False, and queue its ``on_start`` on the pool; returns its ref."""
        if cls.registered:
            return super().start(*args, **kwargs)
        obj = cls(*args, **kwargs)
        obj._start_actor_loop()
        return obj.actor_ref

    _pool: WorkerPool
    _mailbox: _PooledInbox

    def __init__(self, *args: Any, pool: WorkerPool, **kwargs: Any) -> None:
        self._pool = pool
        self._set_up = False
        # pykka.Actor.__init__'s fields, with a stop flag instead of a threading.Event (see
        # _StopFlag): pykka's __init__ is not called, it would build the Event first.
        self.actor_urn = uuid.uuid4().urn
        self.actor_inbox = self._create_actor_inbox()
        self.actor_stopped = _StopFlag(pool._cond)  # type: ignore[assignment]
        self._actor_ref = pykka.ActorRef(self)

    # -- pykka's runtime hooks ---------------------------------------------------------------------
    def _create_actor_inbox(self) -> _PooledInbox:  # type: ignore[override]
        self._mailbox = _PooledInbox(self)
        return self._mailbox

    @staticmethod
    def _create_future() -> pykka.Future[Any]:
        return pykka.ThreadingFuture()

    def _start_actor_loop(self) -> None:
        # Caller's thread (Actor.start): no thread is started; the first slice runs on_start
        # and then whatever was told before start() returned.
        if self._mailbox.start():
            self._schedule()

    # -- scheduling (any thread) -----------------------------------------------------------------------
    def _schedule(self) -> None:
        """Put this actor (already marked scheduled) in the pool's ready queue."""
        try:
            self._pool.submit(self._run_slice)
        except PoolClosed:
            self._abandon()

    def _abandon(self) -> None:
        # The pool is gone, so no worker will ever run this actor (it is marked scheduled,
        # so none runs it now). Stop it where we are: on_stop cannot run on its runtime.
        logger.warning("%s: its worker pool is shut down; stopped without on_stop", self)
        ActorRegistry.unregister(self.actor_ref)
        self.actor_stopped.set()
        self._mailbox.close()
        self._actor_loop_teardown()

    # -- a worker's turn (one worker thread at a time) -------------------------------------------------
    def _run_slice(self) -> None:
        """Run ``on_start`` if not done yet, then up to :attr:`batch_size` messages."""
        mailbox = self._mailbox
        if not self._set_up:
            self._set_up = True
            self._actor_loop_setup()  # pykka's: on_start, a failure stops the actor
        handled = 0
        stopped = self.actor_stopped
        while not stopped.is_set():
            if handled >= self.batch_size:
                if mailbox.keep():
                    self._schedule()  # fairness: back of the ready queue
                return
            pending = self._not_ready()
            if pending is not None:
                # With messages queued: suspended, still marked scheduled (so a put does not
                # schedule it again), and the callback puts it back in the ready queue. With
                # none: unscheduled as usual (the next put schedules it, and it checks again).
                # No worker waits either way.
                if mailbox.keep():
                    pending.when_set(self._schedule)
                return
            envelope = mailbox.take()
            if envelope is None:
                return
            self._handle_envelope(envelope)
            handled += 1
        mailbox.close()
        self._actor_loop_teardown()  # pykka's: fail the asks still queued

    def _not_ready(self) -> Any:
        """Something the actor must wait for before its next message (an object with
        ``when_set(callback)``), or None. Subclasses override it; a worker never blocks on it."""
        return None

    def _handle_envelope(self, envelope: Any) -> None:
        """One message, with the outcomes of pykka's ``_actor_loop_running``."""
        try:
            response = self._handle_receive(envelope.message)
            if envelope.reply_to is not None:
                envelope.reply_to.set(response)
        except Exception:
            if envelope.reply_to is not None:
                logger.info("Exception returned from %s to caller:", self, exc_info=sys.exc_info())
                envelope.reply_to.set_exception()
            else:
                self._handle_failure(*sys.exc_info())
                try:
                    self.on_failure(*sys.exc_info())
                except Exception:
                    self._handle_failure(*sys.exc_info())
        except BaseException:
            logger.debug("%r in %s. Stopping all actors.", sys.exc_info()[1], self)
            self._stop()
            ActorRegistry.stop_all(block=False)
