"""``DelegatorBot``: a Bot that hands each update to delegates, one actor per conversation.

``handle(msg)`` gives the update to the engine's supervisor actor (see
:mod:`actorbot.actors._supervisor`) and returns once the supervisor has seeded and
routed it; delegates then handle it on their own actors (a thread each, or a shared
worker pool: see ``runtime``). See :mod:`actorbot.delegate` for the delegation patterns
and :mod:`actorbot.helper` for the handlers.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from ._bot import Bot
from .actors._acks import DEFAULT_HOLD
from .actors._engine import Engine, EngineIntake, EngineMicrophone, check_runtime
from .actors._memory import MemoryPolicy
from .actors._persistence import Persistence
from .actors._pool import DEFAULT_MAX_WORKERS
from .actors._scheduler import EventScheduler
from .actors._supervision import DeadLetters, RestartPolicy
from .actors._supervisor import ConversationInfo
from .exception import StoreError
from .helper._listener import Listener
from .store import Store, open_store

__all__ = ["DelegatorBot"]

log = logging.getLogger(__name__)

RUNTIME_ENV = "ACTORBOT_RUNTIME"
"""The environment variable giving ``DelegatorBot``'s runtime when none is passed."""


def _resolve_runtime(runtime: str | None) -> str:
    """The runtime to use: ``runtime``, else ``$ACTORBOT_RUNTIME``, else ``"pool"``; checked here
    (the one place), so a wrong name fails before anything is opened or started."""
    if runtime is not None:
        return check_runtime(runtime)
    # the one place the environment is read: a whole test suite can run on either runtime
    return check_runtime(os.environ.get(RUNTIME_ENV, "").strip() or "pool", RUNTIME_ENV)


class _OriginStore:
    """Callback-query origins captured per delegate id, kept across delegate restarts, and
    (with a store) across a restart of the bot: a new set starts with the stored origins."""

    def __init__(self, persistence: Persistence) -> None:
        self._lock = threading.Lock()
        self._sets: dict[Any, set[Any]] = {}
        self._persistence = persistence

    def setdefault_set(self, delegate_id: Any) -> set[Any]:
        with self._lock:
            origins = self._sets.get(delegate_id)
            if origins is None:
                origins = self._sets[delegate_id] = self._persistence.claim_origins(delegate_id)
            return origins


class DelegatorBot(Bot):
    """A :class:`~actorbot.Bot` that creates delegates by ``delegation_patterns``.

    :param delegation_patterns: a list of ``(seeder, delegator)`` pairs (see
        :mod:`actorbot.delegate`). For every update each seeder runs, in order: a
        hashable seed maps to at most one live delegate (started on demand, replaced
        when it has closed); a non-hashable seed always starts a new one; ``None`` does
        nothing. A delegator returns an object with ``start()`` and ``is_alive()``, a
        function, or a ``(function, args, kwargs)`` tuple; ``create_open`` handlers run
        as actors.

    :param runtime: how ``create_open`` delegates run. ``"pool"`` (the default): each is
        a :class:`~actorbot.actors.PooledActor`; delegates share an elastic set of worker
        threads, one per delegate busy at that moment (cheap with thousands of live
        delegates: no idle thread per conversation). ``"threads"``: each is a pykka
        ``ThreadingActor`` with a thread of its own. Default: the ``ACTORBOT_RUNTIME``
        environment variable, else ``"pool"``. Run-style delegates (``create_run``,
        ``call``) have a thread each under both.
    :param max_workers: a limit on the pool's threads (``runtime="pool"`` only); default 64,
        the Bot API client's connections per host. Below it a slow delegate never delays
        another. Once that many handlers block at once, other delegates with updates wait
        for a free worker (first come, first served): nothing is lost and each conversation
        keeps its order; when one waited over a second the pool logs a WARNING (at most once
        a minute). ``None`` means no limit (a thread per blocked handler).
    :param restart: the :class:`~actorbot.RestartPolicy` for conversations whose handler
        raises (default ``RestartPolicy()``); a pattern wrapped with
        :func:`actorbot.delegate.supervised` has its own.
    :param handler_timeout: seconds (off by default: ``None``). A handler (``open`` or
        ``on_message``) still running after that long is reported once to ``on_error``
        as :class:`~actorbot.exception.HandlerTimeout`, with its conversation and the
        stack of its thread. It is not interrupted; its conversation's later updates
        keep queueing in order. One watchdog thread per bot looks (every
        ``handler_timeout / 4`` s, at most 1 s) on the engine clock; ``bot.stop()`` ends it.
    :param store: where conversations and accepted updates are kept (see the durability
        guide): a path or ``"sqlite:///path"`` (SQLite, embedded), a ``"redis://host:port/db"``
        URL, or a :class:`~actorbot.store.Store`. With a store, each ``create_open``
        handler's ``self.state`` is loaded before ``open()`` and committed after every
        update together with that update's completion; updates are journaled before
        Telegram is told they arrived, and replayed after a crash. Without one (the
        default), ``self.state``, ``self.chat_data`` and ``self.user_data`` live in memory.
        A store this bot opened from a path or URL is closed by :meth:`stop`; a
        :class:`~actorbot.store.Store` object passed in stays open (its owner closes it).
    :param confirm_hold: without a store, how long (seconds, default 2) an update still
        being handled holds back the offset a polling loop confirms to Telegram. Past that
        (or once 50 later updates were accepted), it no longer does, so one slow
        conversation cannot stall the others; a crash would then lose it (a graceful stop
        still handles it). With a store, updates are journaled and confirmed at once.
    :param unload_after: seconds (off by default: ``None``). A ``create_open`` conversation
        that got no update or event for that long (engine clock) is unloaded from memory:
        its record is committed one last time and its actor stops, without ``on_close`` and
        without deleting the record (state, pending events, button origins stay stored);
        its next update, or its next event coming due, rebuilds it from the store, as after
        a restart. Memory then follows the busy conversations. A sweep looks every
        ``unload_after / 2`` s, so one is unloaded between ``unload_after`` and 1.5 times
        that after its last update. Needs ``store`` (``ValueError`` without one: the state
        would be lost). ``bot.metrics().conversations_unloaded`` counts them;
        :meth:`conversations` lists only the loaded ones.

    :param memory: when the memory of closed conversations is given back to the system (a
        :class:`~actorbot.MemoryPolicy`; default: after every 10,000 closes, and at :meth:`stop`).
        A closed conversation's objects are freed at once; this compacts the engine's tables
        and returns free heap pages (``malloc_trim`` on glibc) so the process's RSS drops too.

    Every other keyword argument is :class:`~actorbot.Bot`'s. Threads start with the
    first update; :meth:`stop` (or leaving a ``with`` block) ends all of them.
    """

    def __init__(
        self,
        token: str,
        delegation_patterns: list[tuple[Callable[[Any], Any], Callable[[Any], Any]]],
        *,
        runtime: str | None = None,
        max_workers: int | None = DEFAULT_MAX_WORKERS,
        restart: RestartPolicy | None = None,
        handler_timeout: float | None = None,
        store: Store | str | os.PathLike[str] | None = None,
        confirm_hold: float = DEFAULT_HOLD,
        unload_after: float | None = None,
        memory: MemoryPolicy | None = None,
        **kwargs: Any,
    ) -> None:
        runtime = _resolve_runtime(runtime)
        if unload_after is not None and store is None:
            raise ValueError("unload_after needs a store: an unloaded conversation is rebuilt from it")
        opened = open_store(store) if store is not None else None
        self._owns_store = opened is not None and not isinstance(store, Store)
        try:
            super().__init__(token, **kwargs)
        except BaseException:
            if self._owns_store and opened is not None:
                opened.close()
            raise
        patterns = list(delegation_patterns)
        default = restart if restart is not None else RestartPolicy()
        policies = [getattr(p, "restart", None) or default for p in patterns]
        self._engine = Engine(
            self,
            patterns,
            runtime=runtime,
            max_workers=max_workers,
            reporter=self.reporter,
            policies=policies,
            metrics=self._metrics,
            handler_timeout=handler_timeout,
            store=opened,
            confirm_hold=confirm_hold,
            unload_after=unload_after,
            memory=memory,
        )
        self._intake = EngineIntake(self._engine)
        self._mic = EngineMicrophone(self._engine)
        self._callback_origins = _OriginStore(self._engine.persistence)

    # -- telepot's interface ------------------------------------------------------------------
    @property
    def scheduler(self) -> EventScheduler:
        """The event scheduler; fired events are routed to delegates like updates."""
        return self._engine.scheduler

    @property
    def mic(self) -> EngineMicrophone:
        """``mic.send(msg)`` gives ``msg`` to every delegate capturing it (no seeding)."""
        return self._mic

    @property
    def store(self) -> Store:
        """The store: the one given as ``store=``, or (without) the in-memory one holding
        ``self.state``, ``chat_data`` and ``user_data``. A program (an admin command, a
        script) may read and change records: ``bot.store.get("chat", "123")``,
        ``bot.store.put("user", "42", {...})``. A live conversation keeps its state in
        memory and overwrites its record after its next update: change the state of
        conversations that are not live."""
        return self._engine.persistence.store

    @property
    def intake(self) -> EngineIntake:
        """Where this bot's loops give whole updates (see :class:`actorbot.loop.Intake`)."""
        return self._intake

    def _loop_started(self, loop: Any) -> None:
        super()._loop_started(loop)
        try:
            self._engine.start()  # with a store, what a crash left is replayed before anything new
        except StoreError as exc:  # the loop's first accept() tries again (and backs off)
            log.warning("the store could not be read to replay unhandled updates: %s", exc)
        except RuntimeError:  # stopped already
            pass

    def create_listener(self) -> Listener:
        """A :class:`~actorbot.helper.Listener` for the delegate the calling thread works for."""
        listener = Listener(self._mic, None)
        self._engine.bind_listener(listener)
        return listener

    def handle(self, msg: Any) -> None:
        """Give ``msg`` (an update's payload, or an event) to the supervisor.

        Returns once the supervisor has seeded and routed it (so a loop may then
        acknowledge the update). Raises ``RuntimeError`` after :meth:`stop`.
        """
        self._engine.route(msg)

    # -- engine primitives ---------------------------------------------------------------------
    def settle(self, timeout: float = 5.0) -> None:
        """Return once the engine is quiescent; raise ``TimeoutError`` after ``timeout`` s.

        Quiescent: no update being routed, every delegate's mailbox empty and no delegate
        (or inline-query answerer) working, no scheduled event due by the engine clock
        that has not fired, and no Bot API request in flight. The scheduler is poked
        first, so events made due by moving a frozen clock fire and are awaited.
        Bounded; waits on a condition, never sleeps. Call from a test's thread, not
        from a delegate.
        """
        self._engine.settle(timeout)

    @property
    def dead_letters(self) -> DeadLetters:
        """Updates the supervisor gave up on (poison updates, quarantined conversations).

        Inspect them, ``retry()`` them (their conversations leave quarantine) or ``discard()`` them.
        """
        return self._engine.dead_letters

    @property
    def fault(self) -> BaseException | None:
        """The internal engine error that stopped this bot, if one did (else None)."""
        return self._engine.fault_error

    @property
    def engine(self) -> Engine:
        """The engine (supervisor, scheduler, accounting); for tests and tools."""
        return self._engine

    def conversations(self, timeout: float = 2.0) -> list[ConversationInfo]:
        """The live conversations now: one :class:`~actorbot.ConversationInfo` each. Any thread.

        Each tells its delegation pattern's index, its seed, its state (``"live"``,
        ``"closing"``, ``"restarting"``, ``"quarantined"``), its handler's class name, how
        many updates wait in its mailbox and, for a ``create_open`` handler, the simple
        values among its attributes (short reprs; never the bot token), e.g.
        ``(("state.count", "2"),)`` for the counter example after two messages.

        The supervisor makes the list on its own thread, between two updates; this waits
        for it at most ``timeout`` seconds (``TimeoutError`` after). ``[]`` before the first
        update and after :meth:`stop`. The emulator's browser chat shows it (``Emulator.attach_bot``).
        """
        return self._engine.conversations(timeout, token=self._token)

    # -- metrics -------------------------------------------------------------------------------
    def _gauges(self) -> dict[str, Any]:
        gauges = super()._gauges()
        gauges.update(self._engine.gauges())
        return gauges

    def _metered_handler(self, handle: Callable[[Any], Any]) -> Callable[[Any], Any]:
        # The engine counts what reaches it (bot.handle); a loop's handler stays as it is.
        return handle

    # -- lifecycle -------------------------------------------------------------------------------
    def _shutdown(self, grace: float) -> None:
        """Stop gracefully: the loops this bot started (no more updates are fetched), then
        the answerers, then every conversation (each handles what it already accepted, then
        ``on_close`` runs), the scheduler and the supervisor, then each polling loop confirms to
        Telegram what was handled meanwhile (``MessageLoop.confirm``), then HTTP.

        ``grace`` (:meth:`stop`'s, default :attr:`stop_grace`, 10 s) bounds the wait for
        handlers; one still running then is abandoned with a warning naming its conversation.
        """
        loops = self._stop_loops(grace)
        self._stop_registered()  # the answerers: no computation answers for a stopping bot
        self._engine.stop(grace)
        self._confirm_loops(loops)  # what the handlers finished during the grace period
        super()._shutdown(grace)
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> DelegatorBot:
        return self
