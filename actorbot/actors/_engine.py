"""The engine behind a ``DelegatorBot``: supervisor, scheduler, work accounting, lifecycle.

One :class:`Engine` per bot. Its methods are called from many threads (the loop's
thread calls :meth:`route`; delegates call :meth:`tell_supervisor`; tests call
:meth:`settle`); each says what it touches. The supervisor actor and the event
scheduler start lazily, with the first update, listener or event, so a bot that
never runs leaves no thread behind.

Runtimes: with ``runtime="threads"`` every ``create_open`` delegate is a
:class:`~actorbot.actors._delegate.DelegateActor` on its own thread; with
``runtime="pool"`` it is a :class:`~actorbot.actors._delegate.PooledDelegateActor` run by
the engine's :class:`~actorbot.actors._pool.WorkerPool` (one per engine, shut down by
:meth:`Engine.stop` after the delegates). The supervisor and the scheduler are
``ThreadingActor`` s under both; run-style delegates always get a thread of their own.

Durability: :meth:`Engine.accept` (``bot.intake``, called on a loop's thread) journals a
batch of updates in the store, drops those accepted before, and routes the rest in one
:class:`RouteBatch`; :class:`~actorbot.actors._acks.Acks` counts each update's units of
work until it is done (which offset a loop may confirm without a store);
:class:`~actorbot.actors._persistence.Persistence` owns the records and the committer
thread. With a store, the supervisor's start first schedules the stored events again and
replays the journal's unfinished updates (:meth:`Engine._replay`).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

import pykka

from .._flavor import extract_message
from .._reporting import ConversationId, ErrorReporter
from ..exception import BadUpdate, EngineFault, EventNotFound
from ..store import Store, Write
from . import _clock
from ._acks import DEFAULT_HOLD, Acks
from ._activity import Activity
from ._chats import chat_of
from ._clock import real_monotonic
from ._delegate import DelegateActor, HandlerDelegate, PooledDelegateActor
from ._matching import Capture
from ._memory import MemoryPolicy, return_free_memory
from ._messages import (
    AddCapture,
    AttachListener,
    Broadcast,
    Closing,
    Constructed,
    Drained,
    Failure,
    Inspect,
    RemoveCapture,
    RestartDue,
    RestoredEvent,
    RetryLetters,
    Route,
    RouteBatch,
    Shutdown,
    Stamp,
    UnloadDue,
)
from ._metrics import MetricsRecorder, metric_flavor
from ._persistence import CONVERSATIONS, Durable, Finish, Persistence
from ._pool import DEFAULT_MAX_WORKERS, WorkerPool
from ._record import parse_conversation_key, seed_text
from ._scheduler import EventScheduler
from ._supervision import DeadLetter, DeadLetters, RestartPolicy
from ._supervisor import SHUTDOWN_SENTINEL, ConversationInfo, Kind, SupervisorActor, SupervisorPort
from ._watchdog import Watchdog

__all__ = ["Engine", "EngineIntake", "ListenerBinding", "EngineMicrophone", "RUNTIMES"]

RUNTIMES = ("threads", "pool")


def check_runtime(runtime: str, source: str = "runtime") -> str:
    """``runtime`` if it is one of :data:`RUNTIMES`; else ``ValueError`` naming ``source``."""
    if runtime not in RUNTIMES:
        raise ValueError(f"{source} must be one of {RUNTIMES}, not {runtime!r}")
    return runtime
"""How ``create_open`` delegates run: a thread each, or multiplexed on a worker pool."""

logger = logging.getLogger(__name__)

DONE_KEPT = 10_000
"""With a store, done journal entries this far below the newest accepted ``update_id`` are kept,
so a delivery Telegram repeats (a webhook whose 200 was lost) is still recognised."""

PRUNE_EVERY = 1_000
"""Done journal entries are pruned each time the newest ``update_id`` grew this much."""


class Engine:
    """Owns one supervisor actor and one event scheduler for ``bot``."""

    def __init__(
        self,
        bot: Any,
        patterns: list[tuple[Callable[[Any], Any], Callable[[Any], Any]]],
        *,
        stop_timeout: float = 5.0,
        runtime: str = "threads",
        max_workers: int | None = DEFAULT_MAX_WORKERS,
        reporter: ErrorReporter | None = None,
        policies: list[RestartPolicy] | None = None,
        metrics: MetricsRecorder | None = None,
        handler_timeout: float | None = None,
        store: Store | None = None,
        confirm_hold: float = DEFAULT_HOLD,
        unload_after: float | None = None,
        memory: MemoryPolicy | None = None,
    ) -> None:
        check_runtime(runtime)
        if unload_after is not None and (store is None or not unload_after > 0):
            raise ValueError("unload_after needs a store (the conversation is rebuilt from it) and seconds > 0")
        self.unload_after = unload_after
        """Seconds without a delivery after which a ``create_open`` conversation is unloaded (None: never)."""
        self._handed_idle: dict[tuple[int, Any], Any] = {}  # an unloaded conversation's idle timeout, rescheduled
        self.bot = bot
        self.runtime = runtime
        self.stop_timeout = stop_timeout
        self.activity = Activity()
        self.local = threading.local()  # .delegate_id: the delegate a thread works for
        self.kinds: dict[int, Kind] = {}  # written by the supervisor, read by listener bindings
        self.scheduler = EventScheduler(self._on_event, activity=self.activity)
        self.reporter = reporter if reporter is not None else ErrorReporter()
        self.metrics = metrics if metrics is not None else MetricsRecorder()
        self.memory = memory if memory is not None else MemoryPolicy()
        self._trim_when_idle = False  # a release ran: trim again once the pool's workers have ended
        self.pool: WorkerPool | None = (
            WorkerPool(max_workers, name=f"actorbot-pool-{id(self):x}", on_worker_exit=self._worker_ended)
            if runtime == "pool"
            else None
        )
        self.watchdog: Watchdog | None = (
            Watchdog(handler_timeout, self.reporter.report, on_timeout=self.metrics.handler_timeout,
                     name=f"actorbot-watchdog-{id(self):x}")
            if handler_timeout is not None
            else None
        )
        self.dead_letters = DeadLetters(self._retry_letters)
        self.acks = Acks(journaled=store is not None, hold=confirm_hold)
        self.persistence = Persistence(store, self.acks, self.fault, self.activity)
        self.fault_error: EngineFault | None = None
        self.grace_over = threading.Event()  # set by the supervisor when stop()'s grace period ended
        self._patterns = list(patterns)
        self._policies = list(policies) if policies is not None else [RestartPolicy()] * len(self._patterns)
        if len(self._policies) != len(self._patterns):
            raise ValueError("one restart policy per delegation pattern")
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._state = "new"
        self._ref: pykka.ActorRef[Any] | None = None
        self._supervisor: SupervisorActor | None = None
        self._supervisor_thread: threading.Thread | None = None
        self._replayed = False
        self._next_prune = 0  # the update_id from which done journal entries are pruned again
        self._busy: set[int] = set()
        self._busy_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        # captures registered while a delegate builds its handler, by delegate id: they go to the
        # supervisor with its Constructed message (one message per start, not one per capture)
        self._held_captures: dict[int, list[Capture]] = {}

    # -- state ---------------------------------------------------------------------------------
    @property
    def stopped(self) -> bool:
        return self._state == "stopped"

    @property
    def supervisor(self) -> SupervisorActor | None:
        """The supervisor object (read its tables only from its thread, or after ``settle()``)."""
        return self._supervisor

    def next_id(self) -> int:
        return next(self._ids)

    @property
    def delegate_class(self) -> type[DelegateActor] | type[PooledDelegateActor]:
        """The actor class running ``create_open`` handlers on this engine's runtime."""
        return PooledDelegateActor if self.pool is not None else DelegateActor

    def start_delegate(
        self,
        delegate_id: int,
        conversation: ConversationId | None,
        delegate: HandlerDelegate,
        stamp: Stamp | None = None,
        uid: int | None = None,
    ) -> pykka.ActorRef[Any]:
        """Start the actor running ``delegate`` on this engine's runtime (supervisor thread).

        ``stamp`` is the initial message's (flavor, arrival) for the metrics, ``uid`` its
        ``update_id`` (when the intake accepted it).
        """
        if self._handed_idle and conversation is not None:
            self._drop_handed_idle((conversation.pattern, conversation.seed))
        port = _DelegatePort(self, delegate_id, conversation, stamp, uid)
        if self.pool is not None:
            return PooledDelegateActor.start(port, delegate, pool=self.pool)
        return DelegateActor.start(port, delegate)

    def _drop_handed_idle(self, conversation: tuple[int, Any]) -> None:
        try:
            handle = self._handed_idle.pop(conversation, None)
        except TypeError:  # an unhashable seed: never unloaded
            return
        if handle is not None:
            try:
                self.scheduler.cancel(handle)
            except EventNotFound:  # it fired: it is what rebuilds the conversation
                pass

    def supervisor_started(self, supervisor: SupervisorActor, thread: threading.Thread) -> None:
        """Called by the supervisor on its own thread as it starts."""
        self._supervisor = supervisor
        self._supervisor_thread = thread

    def on_supervisor_thread(self) -> bool:
        return threading.current_thread() is self._supervisor_thread

    def _ensure_started(self) -> pykka.ActorRef[Any]:
        # Caller holds self._lock.
        if self._state == "stopped":
            raise RuntimeError("the bot has been stopped")
        if self._ref is None:
            port: SupervisorPort = self  # the supervisor's narrow view of the engine (checked here)
            self._ref = SupervisorActor.start(port, self._patterns, self._policies)
            self._state = "running"
        if not self._replayed:
            self._replay(self._ref)  # a StoreError leaves it to the next call
            self._replayed = True
        return self._ref

    def _replay(self, ref: pykka.ActorRef[Any]) -> None:
        """With a store: schedule the stored conversations' events again, then route the updates
        accepted before a crash but never done, before anything else."""
        if not self.persistence.durable:
            return
        store = self.persistence.store
        restored = 0
        origins: dict[tuple[Any, ...], tuple[int, Any]] = {}
        for key, record in store.items(CONVERSATIONS):  # StoreError: the bot cannot start with its store
            conversation = parse_conversation_key(key)
            if conversation is None:
                continue
            for origin in record.get("origins") or ():
                if isinstance(origin, list) and origin:
                    origins[tuple(origin)] = conversation
            restored += self.restore_events(conversation, record.get("events") or ())
        if restored:
            logger.info("%d stored event(s) scheduled again", restored)
        self.persistence.origins = origins
        pending = store.pending()
        if not pending:
            return
        logger.info("replaying %d update(s) accepted before the last stop but not handled", len(pending))
        self.persistence.replayed = frozenset(uid for uid, _ in pending)
        routes = self._routes(pending)
        if routes:
            self.tell(ref, RouteBatch(tuple(routes)))

    def restore_events(self, conversation: tuple[int, Any], events: Any, *, unloaded: bool = False) -> int:
        """Schedule a conversation's stored ``events`` (``{"at", "flavor", "data"}`` dicts) as
        :class:`RestoredEvent` s; returns how many. Any thread (the scheduler is thread-safe).

        ``unloaded``: handed over by the conversation as it unloaded. Its idle timeout is then
        remembered, and cancelled when the conversation is rebuilt (:meth:`start_delegate`):
        the rebuilt handler runs an idle timer of its own."""
        scheduled = 0
        for event in events:
            try:
                when = float(event["at"])
                message = RestoredEvent(conversation[0], conversation[1], str(event["flavor"]),
                                        dict(event.get("data") or {}))
            except (KeyError, TypeError, ValueError, AttributeError):
                logger.warning("stored conversation %s has an event that cannot be read: %r", conversation, event)
                continue
            handle = self.scheduler.event_at(when, message)
            if unloaded and message.flavor == "_idle":
                self._handed_idle[conversation] = handle
            scheduled += 1
        return scheduled

    def start(self) -> None:
        """Start the supervisor now (a loop starting): with a store, replays what a crash left."""
        with self._lock:
            self._ensure_started()

    # -- the intake's side (the loop's thread) -------------------------------------------------------
    def _routes(self, updates: list[tuple[int, Any]]) -> list[Route]:
        """Count ``(update_id, raw update)`` pairs as accepted and make their routes; an update
        whose message cannot be read is logged, and done at once."""
        self.acks.accepted((uid for uid, _ in updates), {uid: chat_of(update) for uid, update in updates})
        routes = []
        for uid, update in updates:
            try:
                _key, message = extract_message(update)
            except BadUpdate as exc:
                logger.warning("skipping unreadable update %s: %s", uid, exc.reason)
                self.unit_ended(uid)
                continue
            routes.append(Route(message, self._stamp(message), uid))
        return routes

    def accept(self, updates: list[tuple[int, Any]]) -> int:
        """Take ``(update_id, raw update)`` pairs (in order) for handling: journal them (with a
        store), drop those accepted before, route the rest in one supervisor message.

        Returns how many were new. Raises ``StoreError`` (nothing accepted) or, after
        :meth:`stop`, ``RuntimeError``. Runs on the caller's thread (a loop's); returns once
        the supervisor has taken them into its tables.
        """
        with self._lock:
            ref = self._ensure_started()  # replays first
        if self.persistence.durable:
            store = self.persistence.store
            new = set(store.accept(updates))
            fresh = [(uid, u) for uid, u in updates if uid in new]
            newest = max((uid for uid, _ in updates), default=None)
            if newest is not None and newest >= self._next_prune:
                store.forget_done(below=newest - DONE_KEPT)
                self._next_prune = newest + PRUNE_EVERY
        else:
            fresh = [(uid, u) for uid, u in updates if not self.acks.tracked(uid)]
        routes = self._routes(fresh)
        if routes:
            with self._lock:
                if self._state == "stopped":
                    raise RuntimeError("the bot has been stopped")
                self.activity.begin()
                future = ref.ask(RouteBatch(tuple(routes)), block=False)
            future.get()
        return len(fresh)

    # -- units of work per update (see _acks) ------------------------------------------------------
    def units_added(self, uid: int, units: int) -> None:
        self.acks.add(uid, units)

    def unit_ended(self, uid: int, writes: tuple[Write, ...] = ()) -> None:
        self.persistence.finish(Finish(uid, writes))

    # -- entry points ------------------------------------------------------------------------------
    def _stamp(self, update: Any) -> Stamp:
        """Count ``update`` as received (metrics) and note when it arrived."""
        flavor = metric_flavor(update)
        self.metrics.received(flavor)
        return (flavor, real_monotonic())

    def route(self, update: Any) -> None:
        """Hand ``update`` to the supervisor; return once it has been seeded and routed.

        Runs on the caller's thread (a loop's, usually) and blocks until the supervisor
        has taken the update into its tables. Raises ``RuntimeError`` after :meth:`stop`.
        """
        if self.on_supervisor_thread():  # a seeder or delegator calling bot.handle()
            assert self._supervisor is not None
            self.activity.begin()
            self._supervisor.on_receive(Route(update, self._stamp(update)))
            return
        with self._lock:
            ref = self._ensure_started()
            self.activity.begin()
            future = ref.ask(Route(update, self._stamp(update)), block=False)
        future.get()  # the supervisor always answers (pykka fails the future if it dies)

    def broadcast(self, update: Any) -> None:
        """Deliver ``update`` to every delegate whose captures match (no seeding)."""
        self.tell_supervisor(Broadcast(update))  # counted per delegate as it is delivered

    def _on_event(self, data: Any) -> None:
        # Scheduler thread: a fired event is routed like an update; the engine's own timers
        # (a restart's backoff, a restored event) go to the supervisor as they are.
        if isinstance(data, (RestartDue, RestoredEvent, UnloadDue)):
            self.tell_supervisor(data)
        else:
            self.tell_supervisor(Route(data, self._stamp(data)))

    def schedule(self, when: float, message: RestartDue | UnloadDue) -> None:
        """Have ``message`` told to the supervisor at ``when`` (engine clock)."""
        self.scheduler.event_at(when, message)

    def _retry_letters(self, letters: list[DeadLetter]) -> None:
        self.tell_supervisor(RetryLetters(tuple(letters)))

    def fault(self, exc: BaseException) -> None:
        """An internal error of the engine (never user code): report it and stop the bot.

        Called on the thread that found it; the stop runs on a thread of its own, so the
        caller (the supervisor, say) is free to be stopped.
        """
        if self.fault_error is not None:
            return
        error = EngineFault(f"internal engine error ({type(exc).__name__}: {exc}); the bot stops")
        error.__cause__ = exc
        self.fault_error = error
        self.reporter.report(error, None, None)
        stop = getattr(self.bot, "stop", None)
        if stop is not None:
            threading.Thread(target=stop, name="actorbot-fault-stop", daemon=True).start()

    def tell(self, ref: pykka.ActorRef[Any], message: Any) -> bool:
        """Tell an engine actor ``message``, counting it as work. False if the actor is dead."""
        self.activity.begin()
        try:
            ref.tell(message)
        except pykka.ActorDeadError:
            self.activity.end()
            return False
        return True

    def tell_supervisor(self, message: Any) -> bool:
        with self._lock:
            if self._state == "stopped":
                return False
            ref = self._ensure_started()
            return self.tell(ref, message)

    # -- captures and listeners (any thread) ---------------------------------------------------
    def add_capture(self, capture: Capture) -> None:
        """Register ``capture`` with the supervisor (told: it applies in mailbox order), or,
        while its delegate builds its handler, with that delegate's Constructed message."""
        held = self._held_captures.get(capture.owner)
        if held is not None:
            held.append(capture)
            return
        self.tell_supervisor(AddCapture(capture))

    def remove_capture(self, capture: Capture) -> None:
        held = self._held_captures.get(capture.owner)
        if held is not None and capture in held:
            held.remove(capture)
            return
        self.tell_supervisor(RemoveCapture(capture))

    def hold_captures(self, owner: int) -> None:
        """Delegate ``owner`` starts building its handler: hold the captures it registers."""
        self._held_captures[owner] = []

    def release_captures(self, owner: int) -> tuple[Capture, ...]:
        """The captures held for ``owner`` since :meth:`hold_captures` (now registered directly)."""
        return tuple(self._held_captures.pop(owner, ()))

    def bind_listener(self, listener: Any) -> None:
        """Attach a new listener to the delegate the calling thread works for (or a new owner)."""
        owner = getattr(self.local, "delegate_id", None)
        if owner is None:
            owner = self.next_id()
            self.kinds[owner] = Kind.LISTENER
        kind = self.kinds.get(owner)
        listener.attach(ListenerBinding(self, owner))
        if kind is Kind.ACTOR:
            return  # an actor delegate's listener only carries its captures: the supervisor keeps none
        if kind is not None:
            listener.open_inbox()
        self.tell_supervisor(AttachListener(owner, listener))

    # -- busy accounting for run-style delegates (their threads) -----------------------------------
    def mark_busy(self, owner: int) -> None:
        with self._busy_lock:
            if owner in self._busy:
                return
            self._busy.add(owner)
        self.activity.begin()

    def release_busy(self, owner: int) -> None:
        with self._busy_lock:
            if owner not in self._busy:
                return
            self._busy.discard(owner)
        self.activity.end()

    def take_item(self, owner: int) -> None:
        """A queued item (one counted unit) was taken for handling: it becomes the busy unit."""
        with self._busy_lock:
            if owner not in self._busy:
                self._busy.add(owner)
                return
        self.activity.end()

    def forget_delegate(self, owner: int) -> None:
        self.release_busy(owner)

    def track_thread(self, thread: threading.Thread) -> None:
        self._threads = [t for t in self._threads if t.is_alive() or not t.ident]
        self._threads.append(thread)


    # -- metrics (any thread) -----------------------------------------------------------------------
    def gauges(self) -> dict[str, int]:
        """The engine's fields of ``bot.metrics()``: conversations, mailboxes, dead letters, pool."""
        supervisor = self._supervisor
        out: dict[str, int] = dict(supervisor.census()) if supervisor is not None and not self.stopped else {}
        out["dead_letters"] = len(self.dead_letters)
        out["dead_letters_total"] = self.dead_letters.total
        if self.pool is not None:
            busy, total = self.pool.occupancy()
            out["pool_workers_busy"] = busy
            out["pool_workers_total"] = total
        return out

    def conversations(self, timeout: float = 2.0, token: str | None = None) -> list[ConversationInfo]:
        """A snapshot of the live conversations, made by the supervisor on its own thread.

        Asks it (a bounded wait: ``TimeoutError`` if it does not answer within ``timeout``
        seconds, when it is busy routing, say); ``[]`` before the first update and after :meth:`stop`.
        """
        if self.on_supervisor_thread():
            assert self._supervisor is not None
            return self._supervisor.conversations(token)
        with self._lock:
            ref = self._ref
            if ref is None or self.stopped:
                return []
            future = ref.ask(Inspect(token), block=False)
        try:
            return list(future.get(timeout=timeout))
        except pykka.ActorDeadError:
            return []
        except pykka.Timeout as exc:
            raise TimeoutError(f"the supervisor did not answer within {timeout} s") from exc

    # -- quiescence ------------------------------------------------------------------------------
    def settle(self, timeout: float = 5.0) -> None:
        """Return once the engine is quiescent; ``TimeoutError`` if it is not within ``timeout`` s.

        Quiescent: no update in flight at the supervisor, every delegate's mailbox empty
        and no delegate handling, no event due (by the engine clock, frozen or not) that
        has not fired, and ``bot.requests_in_flight == 0``. First pokes the scheduler,
        so after moving a frozen clock the events now due fire and their handling is
        awaited too. Waits on a condition (real time); never sleeps.
        """
        deadline = _clock.Deadline(timeout)
        while not self.stopped:
            self.scheduler.poke()
            if not self.activity.wait_idle(deadline):
                raise TimeoutError(f"the engine was still busy after {timeout} s ({self.activity.pending} pending)")
            if self.scheduler.has_due():
                if deadline.expired():
                    raise TimeoutError(f"an event was still due after {timeout} s")
                continue
            in_flight = getattr(self.bot, "requests_in_flight", 0)
            if not in_flight and self.activity.pending == 0:
                return
            if deadline.expired():
                raise TimeoutError(f"{in_flight} request(s) still in flight after {timeout} s")
            # A request made outside the engine's accounting (another thread of the
            # program): re-check when work ends, at most every 10 ms, within the bound.
            remaining = deadline.remaining()
            self.activity.wait_change(0.01 if remaining is None else min(0.01, remaining))

    # -- lifecycle ------------------------------------------------------------------------------------
    def stop(self, grace: float = 10.0) -> None:
        """Stop the scheduler, answerers, every delegate (``on_close`` runs), the supervisor,
        then the worker pool (``runtime="pool"``).

        Each delegate first handles what its mailbox holds. Waits at most ``grace`` seconds
        for them; a handler still running then is abandoned with a warning naming its
        conversation, so this never hangs. Idempotent. Call it from outside the engine
        (a handler calling ``bot.stop()`` waits out the grace period for itself).
        """
        with self._lock:
            if self._state == "stopped":
                return
            self._state = "stopped"
            ref = self._ref
        self.scheduler.stop(self.stop_timeout)
        if self.watchdog is not None:
            self.watchdog.stop(self.stop_timeout)
        # The supervisor spends at most ``grace`` closing conversations; what is still busy
        # after that was abandoned (with a warning), so the threads and the pool get only
        # what is left of it, and a moment for idle threads to end.
        deadline = _clock.Deadline(grace)
        if ref is not None:
            self.activity.begin()
            try:
                ref.ask(Shutdown(grace), block=False).get(timeout=grace + self.stop_timeout)
            except pykka.ActorDeadError:
                pass
            except pykka.Timeout:
                logger.warning("the supervisor did not finish closing conversations in time")
            ref.stop(block=False)
            if not ref.actor_stopped.wait(self.stop_timeout):
                logger.warning("the supervisor did not stop within %s s", self.stop_timeout)
        for thread in self._threads:
            if thread.ident is not None:
                thread.join(_leftover(deadline))
                if thread.is_alive():
                    logger.warning("thread %s did not end within the grace period", thread.name)
        self._threads = []
        if self.pool is not None:
            self.pool.shutdown(_leftover(deadline))
        self.persistence.flush(max(_leftover(deadline), self.stop_timeout))
        self.activity.reset()
        if self.memory.at_stop:
            self.release_memory()

    def release_memory(self) -> None:
        """Give back what closed conversations left: the metrics of threads that ended, and the
        free heap (see :mod:`~actorbot.actors._memory`). Any thread; the supervisor calls it
        after compacting its tables (``MemoryPolicy.release_after_closes``), :meth:`stop` at the end."""
        self.metrics.retire_ended()
        started = real_monotonic()
        returned = return_free_memory()
        logger.debug("memory released (malloc_trim: %s, %.1f ms)", returned, (real_monotonic() - started) * 1000)
        # The workers that ran the closing conversations end a little later (idle timeout):
        # what their ending frees is returned when the last one ends.
        self._trim_when_idle = self.pool is not None and not self.stopped

    def _worker_ended(self) -> None:
        """A pool worker ends (on its thread): retire its metrics; the last one after a release trims."""
        self.metrics.thread_ended()
        if self._trim_when_idle and self.pool is not None and self.pool.worker_count == 0:
            self._trim_when_idle = False
            return_free_memory()


def _leftover(deadline: _clock.Deadline) -> float:
    """What is left of ``deadline``, but at least a moment (for threads that are idle)."""
    return max(deadline.remaining() or 0.0, 0.2)


class _DelegatePort:
    """A delegate actor's narrow interface to the engine (see ``DelegatePort`` in ``_delegate``)."""

    __slots__ = (
        "_engine", "_metrics", "_watchdog", "_persistence", "delegate_id", "conversation", "initial_stamp",
        "initial_uid", "conversation_key", "durable",
    )

    def __init__(
        self,
        engine: Engine,
        delegate_id: int,
        conversation: ConversationId | None,
        stamp: Stamp | None = None,
        uid: int | None = None,
    ) -> None:
        self._engine = engine
        self._metrics = engine.metrics
        self._watchdog = engine.watchdog
        self._persistence = engine.persistence
        self.delegate_id = delegate_id
        self.conversation = conversation
        self.initial_stamp = stamp
        self.initial_uid = uid
        self.conversation_key = (
            f"{conversation.pattern}:{seed_text(conversation.seed)}" if conversation is not None else None
        )
        self.durable = engine.persistence.durable

    def load(self, namespace: str, key: str) -> dict[str, Any] | None:
        return self._persistence.get(namespace, key)

    def finish(self, uid: int | None, writes: tuple[Write, ...]) -> Durable | None:
        if uid is None and not writes:
            return None
        return self._persistence.finish(Finish(uid, writes))

    def fault(self, exc: BaseException) -> None:
        self._engine.fault(exc)

    def replayed(self, uid: int) -> bool:
        return uid in self._persistence.replayed

    def abandoned(self) -> bool:
        return self._engine.grace_over.is_set()

    def begin_handling(self, update: Any) -> float:
        if self._watchdog is not None:
            self._watchdog.begin(self.delegate_id, self.conversation, update)
        return real_monotonic()

    def end_handling(self, stamp: Stamp | None, ok: bool, started: float) -> None:
        if self._watchdog is not None:
            self._watchdog.end(self.delegate_id)
        if stamp is None:
            self._metrics.finished("unknown", ok, started, None)
        else:
            self._metrics.finished(stamp[0], ok, started, stamp[1])

    def enter(self) -> None:
        self._engine.local.delegate_id = self.delegate_id

    def work_done(self) -> None:
        self._engine.activity.end()

    def building(self) -> None:
        self._engine.hold_captures(self.delegate_id)

    def constructed(self, handler: Any) -> None:
        captures = self._engine.release_captures(self.delegate_id)
        self._engine.tell_supervisor(Constructed(self.delegate_id, handler, captures))

    def not_constructed(self) -> None:
        self._engine.release_captures(self.delegate_id)

    def closing(self, failure: Failure | None) -> None:
        self._engine.tell_supervisor(Closing(self.delegate_id, failure))

    def drained(self, bounced: tuple[Any, ...]) -> None:  # Deliver messages
        self._engine.tell_supervisor(Drained(self.delegate_id, bounced))

    def unloaded(self, events: tuple[dict[str, Any], ...], origins: tuple[list[Any], ...]) -> None:
        if self.conversation is not None:
            conversation = (self.conversation.pattern, self.conversation.seed)
            self._engine.restore_events(conversation, events, unloaded=True)
            if origins:
                self._persistence.keep_origins(conversation, origins)
        self._engine.tell_supervisor(Closing(self.delegate_id, None, unloaded=True))

    def report(self, exc: BaseException, update: Any) -> None:
        self._engine.reporter.report(exc, update, self.conversation)


class EngineIntake:
    """``bot.intake`` of a DelegatorBot: what its loops give whole updates to (see
    :class:`actorbot.loop.Intake`). Called on a loop's thread."""

    __slots__ = ("_engine",)

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def accept(self, updates: Any) -> int:
        return self._engine.accept([(u["update_id"], u) for u in updates])

    def confirmable(self, next_offset: int) -> int:
        return self._engine.acks.confirmable(next_offset)

    def wait_progress(self, timeout: float) -> None:
        self._engine.acks.wait_progress(timeout)

    def unfinished(self) -> int:
        return self._engine.acks.unfinished

    def chat_of(self, update: Any) -> Any:
        return chat_of(update)

    def unfinished_in(self, chat: Any) -> int:
        return self._engine.acks.unfinished_in(chat)

    def busiest(self) -> int:
        return self._engine.acks.busiest


class ListenerBinding:
    """Connects a :class:`~actorbot.helper.Listener` to the engine (captures, waits)."""

    __slots__ = ("engine", "owner")

    def __init__(self, engine: Engine, owner: int) -> None:
        self.engine = engine
        self.owner = owner

    def capture(self, pattern: Any) -> Capture:
        capture = Capture.of(self.owner, pattern)
        self.engine.add_capture(capture)
        return capture

    def uncapture(self, capture: Capture) -> None:
        self.engine.remove_capture(capture)

    def wait(self, listener: Any, matches: Callable[[Any], bool]) -> Any:
        """Block (the run-style delegate's thread) until a matching message arrives."""
        from ..exception import StopListening

        q = listener.inbox
        if q is None:
            raise RuntimeError(
                "listener.wait() is for run-style delegates (create_run, call); "
                "a handler run by create_open receives its messages in on_message()"
            )
        engine = self.engine
        engine.release_busy(self.owner)
        while True:
            item = q.get()
            if item is SHUTDOWN_SENTINEL:
                q.put(item)
                raise StopListening("the bot is stopping")
            try:
                matched = matches(item)
            except BaseException:
                engine.take_item(self.owner)
                raise
            if matched:
                engine.take_item(self.owner)
                return item
            engine.activity.end()


class EngineMicrophone:
    """``bot.mic`` of a DelegatorBot: ``send(msg)`` delivers to every delegate capturing ``msg``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def send(self, msg: Any) -> None:
        self._engine.broadcast(msg)

    def add(self, q: Any) -> None:  # telepot's Microphone interface; queues are engine-managed
        pass

    def remove(self, q: Any) -> None:
        pass
