"""The supervisor actor: seed tables, the capture index, routing, and the close protocol.

Everything here runs on the supervisor's own thread (a pykka actor), including the
user's seeders and delegators (telepot ran them on the thread calling ``handle``): keep
them cheap. The library's delegators run no user code here: ``create_open`` hands over a
factory that the delegate's actor calls on its own thread (its own thread, or a pool
worker under ``runtime="pool"``), ``create_run`` constructs on the run thread.

A ``create_open`` delegate is *constructing* until it tells :class:`Constructed`, which
carries the captures its constructor registered (one message per start): what is routed
to it meanwhile (by its seed) waits in its buffer, and is delivered, or given up as for a
built delegate, once its captures say whether they take it.

Routing one update (telepot's ``DelegatorBot.handle`` semantics, without the broadcast):

1. the capture index gives the live delegates whose patterns match the update;
2. each delegation pattern's seeder runs, in order: ``None`` does nothing; a hashable
   seed maps to at most one live delegate, started on demand; a non-hashable seed
   always starts a new delegate. A started delegate receives the update as its initial
   message (not again through its captures);
3. the update is delivered to every delegate found in 1 (and, for run-style delegates,
   to the holder of a matching seed: their ``listener.wait()`` filters, as in telepot).

A delegate that reported :class:`Closing` gets nothing more: what would go to it is
buffered until it has :class:`Drained`; then its entries are removed and the updates it
bounced, then the buffered ones, go (in order) to a fresh delegate for the same seed.

Units of work (:mod:`actorbot.actors._acks`): each delivery of an accepted update is a
:class:`Deliver` carrying its ``update_id``; the supervisor keeps that same object while
it buffers, bounces or redelivers it, and ends its unit itself only when it gives the
update up (a dead letter, no delegate for it) or hands it to a run-style delegate.

After a restart with a store, a stored event that comes due (:class:`RestoredEvent`)
and a callback query on a message a stored conversation captured start that
conversation, rebuilt from its record.

Unloading (``unload_after`` seconds, with a store): each ``create_open`` record notes when
it last got a delivery (engine clock). A sweep (an :class:`UnloadDue` timer, every
``unload_after / 2`` s while such conversations are live) tells :class:`Unload` to those
idle that long; each answers with :class:`Closing` (``unloaded``), and the close protocol
above takes over: its next update (or due event) rebuilds it from the store.

Chat migration: a message with ``migrate_to_chat_id`` routed to a live ``create_open``
conversation seeded by that chat makes the delegate move its record to the new chat id
and close (see ``_delegate``). Until it has drained, updates for the same pattern and the
new chat id are held on its record, then go to a delegate for the new id (which loads the
moved record), so none of them starts from an empty state.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pykka

from .._flavor import flavor as _flavor
from .._flavor import message_identifier
from .._reporting import ConversationId
from ..exception import ConversationQuarantined, PoisonUpdate
from . import _clock
from ._clock import Deadline, real_monotonic
from ._delegate import HandlerDelegate
from ._matching import Capture, CaptureIndex, _hashable
from ._memory import compacted
from ._messages import (
    AddCapture,
    AttachListener,
    Broadcast,
    Closing,
    Constructed,
    Deliver,
    Drain,
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
    Unload,
    UnloadDue,
)
from ._metrics import metric_flavor
from ._record import Record
from ._run import RunDelegate, RunPort
from ._supervision import DeadLetter, DeadLetters, FailureHistory, RestartPolicy

if TYPE_CHECKING:
    from .._reporting import ErrorReporter
    from ..store import Write
    from ._activity import Activity
    from ._memory import MemoryPolicy
    from ._persistence import Persistence

__all__ = ["ConversationInfo", "Kind", "SupervisorActor"]

logger = logging.getLogger(__name__)

SHUTDOWN_SENTINEL = object()

ORPHAN_HOLD_SECONDS = 10.0
"""How long a callback query that no conversation captures yet waits for one to capture it.

A handler captures a message's origin (``intercept_callback_query_origin``) only once
``sendMessage`` has returned to it, or once it handled the ``chosen_inline_result`` of
an inline message; a user (or a simulated one) can press a button before that. Such a
press is held here and delivered as soon as a matching capture is added."""

ORPHANS_KEPT = 1000
"""Put in a run-style listener's queue when the bot stops: ``wait()`` raises StopListening."""


class Kind(enum.Enum):
    ACTOR = "actor"  # a handler object run by a DelegateActor
    RUN = "run"  # a function on its own thread (RunDelegate)
    FOREIGN = "foreign"  # a user object with start()/is_alive()
    LISTENER = "listener"  # a listener created outside any delegate
    RESTARTING = "restarting"  # a failed conversation waiting out its backoff; buffers its updates
    QUARANTINED = "quarantined"  # a conversation that failed too often; its updates become dead letters


@dataclass(eq=False)
class _Record:
    """What the supervisor knows of one delegate, whatever its kind; as such, the placeholder
    of a conversation that is restarting or quarantined (it has no delegate)."""

    id: int
    pattern: int | None
    seed: Any
    key: tuple[int, Any] | None
    kind: Kind | None = None
    closing: bool = False
    buffer: list[Deliver] = field(default_factory=list)  # routed while closing (or restarting, constructing)
    failure: Failure | None = None  # what closed it, when its handler raised

    def depth(self) -> int:
        """Updates waiting for it in its mailbox or queues (``buffer`` aside)."""
        return 0

    @property
    def conversation(self) -> ConversationId | None:
        return ConversationId(self.pattern, self.seed) if self.pattern is not None else None

    def describe(self) -> str:
        return f"delegate {self.id} (pattern {self.pattern}, seed {self.seed!r})"


@dataclass(eq=False)
class _ActorRecord(_Record):
    """A ``create_open`` delegate: an actor running a handler object."""

    ref: pykka.ActorRef[Any] | None = None
    handler: Any = None  # the handler object, for conversations() (None until Constructed)
    handler_type: type | None = None  # its class, known before it is built
    constructing: bool = False  # building its handler: deliveries wait in `buffer`
    restored: list[RestoredEvent] = field(default_factory=list)  # stored events due while constructing
    active: float = 0.0  # when it last got a delivery (engine clock)
    unloaded: bool = False  # closed by an Unload (its record stays stored)
    moved_to: tuple[int, Any] | None = None  # its chat migrated: the new (pattern, seed)
    moved: list[Deliver] = field(default_factory=list)  # for moved_to, held until this one drained

    def depth(self) -> int:
        qsize = getattr(self.ref.actor_inbox, "qsize", None) if self.ref is not None else None
        return qsize() if qsize is not None else 0  # queue.Queue, or the pool's inbox


@dataclass(eq=False)
class _RunRecord(_Record):
    """A delegate fed through listener queues: a run-style function (``create_run``, ``call``),
    a foreign object with ``start()``/``is_alive()``, or the owner of listeners created outside
    any delegate."""

    runner: Any = None  # RunDelegate or the user's startable object
    listeners: list[Any] = field(default_factory=list)  # queue-based listeners
    pending: list[Any] = field(default_factory=list)  # for a run-style delegate without a listener yet

    def depth(self) -> int:
        queued = sum(inbox.qsize() for inbox in (listener.inbox for listener in tuple(self.listeners)) if inbox)
        return queued + len(self.pending)


_TypedRecord = TypeVar("_TypedRecord", bound=_Record)


STATE_VALUES_KEPT = 20
"""At most this many attributes of a handler are shown in :attr:`ConversationInfo.state`."""

STATE_VALUE_CHARS = 80
"""A state value's repr longer than this is cut (ending with an ellipsis)."""

_SIMPLE = (bool, int, float, str, type(None))


@dataclass(frozen=True)
class ConversationInfo:
    """One live conversation, as :meth:`actorbot.DelegatorBot.conversations` saw it.

    :ivar pattern: the index of its delegation pattern in the bot's list.
    :ivar seed: its seed (the chat id, with ``per_chat_id``).
    :ivar state: ``"live"``, ``"closing"`` (finishing its mailbox), ``"restarting"``
        (waiting out a backoff after a failure) or ``"quarantined"``.
    :ivar kind: how it runs: ``"actor"`` (``create_open``), ``"run"`` (a function on its
        own thread), ``"foreign"`` (an object with ``start()``), or ``"restarting"`` /
        ``"quarantined"`` for a placeholder.
    :ivar handler: the class name of its handler object (or the function's name).
    :ivar mailbox: updates waiting for it (its inbox, listener queues and buffer).
    :ivar values: for a ``create_open`` handler, its attributes holding simple values
        (``None``, booleans, numbers, strings, short lists/dicts of them) as
        ``(name, repr)`` pairs, each repr cut to ``STATE_VALUE_CHARS`` characters; never the bot
        token. The entries of ``self.state`` (and of ``chat_data``/``user_data``, once loaded)
        are given one by one: ``("state.count", "2")``. Read while the handler may be
        running: a moment's view.
    """

    pattern: int
    seed: Any
    state: str
    kind: str
    handler: str
    mailbox: int
    values: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (the seed as its repr unless it is a number or a string)."""
        seed = self.seed if isinstance(self.seed, (int, float, str)) else repr(self.seed)
        return {
            "pattern": self.pattern,
            "seed": seed,
            "state": self.state,
            "kind": self.kind,
            "handler": self.handler,
            "mailbox": self.mailbox,
            "values": dict(self.values),
        }


def _simple(value: Any, depth: int = 0) -> bool:
    if isinstance(value, _SIMPLE):
        return True
    if depth > 0 or not isinstance(value, (list, tuple, dict)) or len(value) > 10:
        return False
    if isinstance(value, dict):
        return all(isinstance(k, (str, int)) and _simple(v, depth + 1) for k, v in value.items())
    return all(_simple(v, depth + 1) for v in value)


def _flattened(attributes: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """The attributes, with a loaded ``Record`` (``self.state``...) given entry by entry as ``state.count``."""
    for name, value in attributes.items():
        if isinstance(value, Record):
            if value.loaded:
                for key, item in list(value.items()):
                    yield f"{name}.{key}", item
            continue
        yield name, value


def _state_values(handler: Any, token: str | None) -> tuple[tuple[str, str], ...]:
    """``handler``'s simple attributes as ``(name, short repr)`` pairs; see :class:`ConversationInfo`."""
    try:
        attributes = dict(vars(handler))
    except (TypeError, RuntimeError):  # no __dict__, or changed while copied
        return ()
    out: list[tuple[str, str]] = []
    for name, value in _flattened(attributes):
        if name.startswith("__") or "token" in name.lower() or not _simple(value):
            continue
        text = repr(value)
        if token and token in text:
            continue
        if len(text) > STATE_VALUE_CHARS:
            text = text[: STATE_VALUE_CHARS - 1] + "…"
        out.append((name, text))
        if len(out) >= STATE_VALUES_KEPT:
            break
    return tuple(out)


def _handler_name(rec: _Record) -> str:
    if isinstance(rec, _ActorRecord):
        return rec.handler_type.__name__ if rec.handler_type is not None else ""
    runner = rec.runner if isinstance(rec, _RunRecord) else None
    if isinstance(runner, RunDelegate):
        func = getattr(runner, "func", None) or getattr(runner, "_func", None)
        return str(getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or "function")
    return type(runner).__name__ if runner is not None else ""


def _startable(obj: Any) -> bool:
    return callable(getattr(obj, "start", None)) and callable(getattr(obj, "is_alive", None))


def _valid_call_tuple(obj: Any) -> bool:
    return (
        type(obj) is tuple
        and len(obj) == 3
        and callable(obj[0])
        and type(obj[1]) in (list, tuple)
        and type(obj[2]) is dict
    )


def _is_idle_event(update: Any) -> bool:
    return isinstance(update, dict) and len(update) == 1 and "_idle" in update


def _restored(event: Any) -> bool:
    """Whether ``event`` (a standard event) was kept in the store (or handed over at an unload):
    a restored idle timeout closes the conversation it reaches if that has had no message since."""
    body = next(iter(event.values()), None) if isinstance(event, dict) else None
    return isinstance(body, dict) and bool(body.get("restored"))


class SupervisorPort(RunPort, Protocol):
    """What the supervisor may do with the engine: its narrow interface (the engine is one).

    Also what it hands to the run-style delegates it starts (:class:`RunPort`)."""

    bot: Any  # given to the delegators, in the seed tuple
    kinds: dict[int, Kind]  # the supervisor writes each delegate's kind; listener bindings read it
    activity: Activity
    reporter: ErrorReporter
    persistence: Persistence
    dead_letters: DeadLetters
    memory: MemoryPolicy
    unload_after: float | None
    grace_over: threading.Event

    def supervisor_started(self, supervisor: SupervisorActor, thread: threading.Thread) -> None: ...

    def next_id(self) -> int: ...

    def start_delegate(self, delegate_id: int, conversation: ConversationId | None, delegate: HandlerDelegate,
                       stamp: Stamp | None = None, uid: int | None = None) -> pykka.ActorRef[Any]: ...

    def tell(self, ref: pykka.ActorRef[Any], message: Any) -> bool: ...

    def units_added(self, uid: int, units: int) -> None: ...

    def unit_ended(self, uid: int, writes: tuple[Write, ...] = ()) -> None: ...

    def schedule(self, when: float, message: RestartDue | UnloadDue) -> None: ...

    def mark_busy(self, owner: int) -> None: ...

    def forget_delegate(self, owner: int) -> None: ...

    def track_thread(self, thread: threading.Thread) -> None: ...

    def release_memory(self) -> None: ...

    def fault(self, exc: BaseException) -> None: ...


class SupervisorActor(pykka.ThreadingActor):
    """Owns the delegation patterns, the seed table, the records and the capture index."""

    use_daemon_thread = True  # never keeps the process alive: the bot's exit hook stops it

    def __init__(
        self,
        engine: SupervisorPort,
        patterns: list[tuple[Callable[[Any], Any], Callable[[Any], Any]]],
        policies: list[RestartPolicy],
    ) -> None:
        super().__init__()
        self._engine = engine
        self._patterns = list(patterns)
        self._policies = list(policies)
        self._histories: dict[tuple[int, Any], FailureHistory] = {}
        self._seeds: dict[tuple[int, Any], int] = {}
        self._records: dict[int, _Record] = {}
        self.index = CaptureIndex()
        self._orphans: deque[tuple[float, Deliver]] = deque()
        self._sweeping = False  # an UnloadDue is scheduled
        self._moving: dict[tuple[int, Any], int] = {}  # (pattern, new chat id) -> the migrating record
        self.unloaded = 0  # conversations unloaded so far (bot.metrics())
        self._closed_since_release = 0  # conversations forgotten since the tables were last compacted

    # -- pykka hooks ---------------------------------------------------------------------------
    def on_start(self) -> None:
        self._engine.supervisor_started(self, threading.current_thread())

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Inspect):  # asked from another thread; not an update: no activity count
            return self.conversations(message.token)
        try:
            if isinstance(message, Route):
                self._route(message)
            elif isinstance(message, RouteBatch):
                for route in message.routes:
                    self._route(route)
            elif isinstance(message, Constructed):
                self._on_constructed(message.delegate_id, message.handler, message.captures)
            elif isinstance(message, Closing):
                self._on_closing(message.delegate_id, message.failure, message.unloaded)
            elif isinstance(message, Drained):
                self._on_drained(message.delegate_id, message.bounced)
            elif isinstance(message, AddCapture):
                self.add_capture(message.capture)
            elif isinstance(message, RemoveCapture):
                self.remove_capture(message.capture)
            elif isinstance(message, AttachListener):
                self.attach_listener(message.delegate_id, message.listener)
            elif isinstance(message, Broadcast):
                for rid in self.index.matching_owners(message.update):
                    self._deliver(self._records[rid], Deliver(message.update))
            elif isinstance(message, RestartDue):
                self._restart_due(message.delegate_id)
            elif isinstance(message, RestoredEvent):
                self._restored_event(message)
            elif isinstance(message, UnloadDue):
                self._unload_due()
            elif isinstance(message, RetryLetters):
                self._retry_letters(message.letters)
            elif isinstance(message, Shutdown):
                self._shutdown(message.grace)
            else:
                logger.warning("supervisor: unexpected message %r", message)
        except Exception as exc:  # our own bug: user code is guarded where it is called
            self._engine.fault(exc)
        finally:
            self._engine.activity.end()

    # -- introspection (supervisor thread, or tests after settle) -------------------------------
    @property
    def live_count(self) -> int:
        return sum(1 for r in self._records.values() if r.kind is not Kind.LISTENER)

    def seed_table(self) -> dict[tuple[int, Any], int]:
        return dict(self._seeds)

    def census(self) -> dict[str, int]:
        """Conversations by state and mailbox depths, for ``bot.metrics()``. Any thread.

        Reads the records without the supervisor's help (a copy of the table taken in one
        step, then each delegate's inbox size), so a scrape never waits behind routing;
        the numbers are a moment's view, not a transaction.
        """
        records: tuple[_Record, ...] = ()
        for _ in range(3):
            try:
                records = tuple(self._records.values())
                break
            except RuntimeError:  # changed while copied (not in CPython, whose copy holds the GIL)
                continue
        live = restarting = quarantined = total = largest = 0
        for rec in records:
            kind = rec.kind
            if kind is Kind.RESTARTING:
                restarting += 1
                continue
            if kind is Kind.QUARANTINED:
                quarantined += 1
                continue
            if kind is Kind.LISTENER or kind is None:
                continue
            live += 1
            depth = rec.depth()
            total += depth
            largest = max(largest, depth)
        return {
            "conversations_live": live,
            "conversations_restarting": restarting,
            "conversations_quarantined": quarantined,
            "mailbox_total": total,
            "mailbox_largest": largest,
            "conversations_unloaded": self.unloaded,
        }

    def conversations(self, token: str | None = None) -> list[ConversationInfo]:
        """The live conversations (supervisor thread: ask it with :class:`Inspect`)."""
        out: list[ConversationInfo] = []
        for rec in self._records.values():
            kind = rec.kind
            if kind is None or kind is Kind.LISTENER or rec.pattern is None:
                continue
            if kind is Kind.RESTARTING or kind is Kind.QUARANTINED:
                state = kind.value
            else:
                state = "closing" if rec.closing else "live"
            out.append(
                ConversationInfo(
                    pattern=rec.pattern,
                    seed=rec.seed,
                    state=state,
                    kind=kind.value,
                    handler=_handler_name(rec),
                    mailbox=rec.depth() + len(rec.buffer),
                    values=_state_values(rec.handler, token)
                    if isinstance(rec, _ActorRecord) and rec.handler is not None else (),
                )
            )
        return out

    # -- routing ---------------------------------------------------------------------------------
    def _unit(self, route: Route) -> Deliver:
        """A delivery of ``route``'s update: one more unit of work for it (see ``_acks``)."""
        if route.uid is not None:
            self._engine.units_added(route.uid, 1)
        return Deliver(route.update, route.stamp, route.uid)

    def _end(self, delivery: Deliver) -> None:
        """``delivery``'s unit of work ended without a handler run (given up, or taken by a listener)."""
        if delivery.uid is not None:
            self._engine.unit_ended(delivery.uid)

    def _route(self, route: Route) -> None:
        update = route.update
        targets: dict[int, None] = dict.fromkeys(self.index.matching_owners(update))
        starts: list[tuple[int, Any]] = []
        migration = _migration(update)
        migrating: list[int] = []  # the patterns seeded by the chat that migrates
        for p, (seeder, _) in enumerate(self._patterns):
            try:
                seed = seeder(update)
            except Exception as exc:
                self._engine.reporter.report(exc, update, None)
                continue
            if seed is None:
                continue
            if not _hashable(seed):
                starts.append((p, seed))
                continue
            if migration is not None and seed == migration[0]:
                migrating.append(p)
            rid = self._seeds.get((p, seed))
            if rid is None and self._moving:
                holder = self._moving_holder((p, seed))
                if holder is not None:  # its chat's old conversation is moving its state here
                    holder.moved.append(self._unit(route))
                    continue
            if rid is not None:
                rec = self._records[rid]
                if isinstance(rec, _RunRecord) and rec.kind is Kind.FOREIGN and not self._foreign_alive(rec):
                    self._forget(rec)
                    rid = None
                elif rec.closing or not isinstance(rec, _ActorRecord) or rec.constructing:
                    targets[rid] = None  # buffered while closing or constructing; run-style listeners filter
            if rid is None:
                starts.append((p, seed))
        for rid in targets:
            target = self._records.get(rid)
            if target is not None:
                self._deliver(target, self._unit(route))
        for p, seed in starts:
            self._start(p, seed, self._unit(route))
        if migrating and migration is not None:
            self._note_migration(migrating, *migration)
        if not targets and not starts and _safe_flavor(update) == "callback_query":
            owner = self._stored_origin_owner(update)
            if owner is not None:  # a button of a conversation that lived before a restart
                self._start(owner[0], owner[1], self._unit(route))
            elif len(self._orphans) == ORPHANS_KEPT:
                logger.warning(
                    "%d callback queries already held for a conversation: the oldest is dropped", ORPHANS_KEPT
                )
                self._end(self._orphans.popleft()[1])
            if owner is None:
                self._orphans.append((real_monotonic() + ORPHAN_HOLD_SECONDS, self._unit(route)))
                logger.debug("a callback query matched no conversation yet: held for %gs", ORPHAN_HOLD_SECONDS)
        if route.uid is not None:
            self._engine.unit_ended(route.uid)  # its routing is done

    # -- chat migration ------------------------------------------------------------------------------
    def _note_migration(self, patterns: list[int], old: Any, new: Any) -> None:
        """An update just routed says chat ``old`` became ``new``: the live ``create_open``
        conversations of ``patterns`` seeded by ``old`` will move there; hold ``new``'s updates
        (for those patterns) until they have."""
        for p in patterns:
            rid = self._seeds.get((p, old))
            rec = self._records.get(rid) if rid is not None else None
            if isinstance(rec, _ActorRecord) and not rec.closing:
                rec.moved_to = (p, new)
                self._moving[(p, new)] = rec.id

    def _moving_holder(self, key: tuple[int, Any]) -> _ActorRecord | None:
        rid = self._moving.get(key)
        rec = self._records.get(rid) if rid is not None else None
        if not isinstance(rec, _ActorRecord):
            self._moving.pop(key, None)
            return None
        return rec

    def _release_moved(self, rec: _Record) -> None:
        """``rec`` (migrating) is gone: its held updates go to the conversation of the new chat id."""
        if not isinstance(rec, _ActorRecord) or rec.moved_to is None:
            return
        key = rec.moved_to
        if self._moving.get(key) == rec.id:
            del self._moving[key]
        moved, rec.moved = rec.moved, []
        for delivery in moved:
            rid = self._seeds.get(key)
            if rid is None:
                self._start(key[0], key[1], delivery)
            else:
                self._deliver(self._records[rid], delivery)

    # -- unloading idle conversations ------------------------------------------------------------------
    def _ensure_sweep(self) -> None:
        """Schedule the next unload sweep, unless one is scheduled (or unloading is off)."""
        after = self._engine.unload_after
        if after is None or self._sweeping:
            return
        self._sweeping = True
        self._engine.schedule(_clock.now() + after / 2, UnloadDue())

    def _unload_due(self) -> None:
        """Tell :class:`Unload` to every live ``create_open`` conversation idle for ``unload_after`` s."""
        self._sweeping = False
        after = self._engine.unload_after
        if after is None:
            return
        idle_since = _clock.now() - after
        busy = False
        for rec in list(self._records.values()):
            if not isinstance(rec, _ActorRecord) or rec.closing or rec.key is None or rec.ref is None:
                continue
            if rec.active <= idle_since and rec.moved_to is None:
                self._engine.tell(rec.ref, Unload())
            else:
                busy = True
        if busy:
            self._ensure_sweep()

    def _stored_origin_owner(self, query: Any) -> tuple[int, Any] | None:
        """The stored conversation whose captured message this callback query comes from."""
        persistence = self._engine.persistence
        if not persistence.origins:
            return None
        message = query.get("message")
        try:
            origin = message_identifier(message) if isinstance(message, dict) else (query["inline_message_id"],)
        except (KeyError, ValueError):
            return None
        owner = persistence.origin_owner(origin)
        if owner is None or not 0 <= owner[0] < len(self._patterns) or not _hashable(owner[1]):
            return None
        return owner

    def _deliver(self, rec: _Record, delivery: Deliver) -> None:
        if (rec.closing or rec.kind is None or rec.kind is Kind.RESTARTING
                or (isinstance(rec, _ActorRecord) and rec.constructing)):
            rec.buffer.append(delivery)  # kind None: its delegator is still running (a nested handle())
        elif rec.kind is Kind.QUARANTINED:
            assert rec.failure is not None
            self._dead_letter(delivery, rec.failure.error, rec, "quarantined")
        elif isinstance(rec, _ActorRecord):
            assert rec.ref is not None
            if self._engine.unload_after is not None:
                rec.active = _clock.now()
            if delivery.stamp is None:  # handed over again (after a restart, say): lag counts from now
                delivery = Deliver(delivery.update, (metric_flavor(delivery.update), real_monotonic()), delivery.uid)
            if not self._engine.tell(rec.ref, delivery):
                logger.warning("%s died outside the close protocol", rec.describe())
                self._finish(rec, [delivery])
        elif not isinstance(rec, _RunRecord):
            raise AssertionError(f"{rec.describe()} of kind {rec.kind} takes no delivery")
        elif rec.listeners:
            for listener in rec.listeners:
                self._engine.activity.begin()
                listener.open_inbox().put(delivery.update)
            self._end(delivery)
        else:
            rec.pending.append(delivery.update)
            self._engine.activity.begin()
            self._end(delivery)

    # -- starting delegates ------------------------------------------------------------------------
    def _start(self, p: int, seed: Any, first: Deliver, pending: list[Deliver] | None = None) -> _Record | None:
        """Start a delegate for ``(p, seed)`` with ``first`` as its first message, then ``pending``."""
        rid = self._engine.next_id()
        key = (p, seed) if _hashable(seed) else None
        rec = _Record(rid, p, seed, key)  # provisional: its kind is known once the delegator returned
        self._records[rid] = rec
        if key is not None:
            self._seeds[key] = rid
        engine = self._engine
        delegator = self._patterns[p][1]
        previous = getattr(engine.local, "delegate_id", None)
        engine.local.delegate_id = rid
        try:
            made = delegator((engine.bot, first.update, seed))
            rec = self._launch(rec, made, first)
        except Exception as exc:
            engine.reporter.report(exc, first.update, rec.conversation)
            self._forget(rec)
            if key is not None:  # a handler whose constructor raised fails like one whose open() did
                rec.failure = Failure(first.update, exc, first.uid)
                self._supervise(rec, list(pending or ()))
            else:
                for delivery in (first, *(pending or ())):
                    self._end(delivery)
            return None
        finally:
            engine.local.delegate_id = previous
        logger.debug("started %s as %s", rec.describe(), rec.kind.value if rec.kind else "?")
        if not isinstance(rec, _ActorRecord):  # routed to it while its delegator ran (a nested handle())
            early, rec.buffer = rec.buffer, []
            for delivery in early:
                self._deliver(rec, delivery)
        for later in pending or ():
            self._deliver(rec, later)
        return rec

    def _launch(self, provisional: _Record, made: Any, first: Deliver) -> _Record:
        """Start what the delegator ``made``; its record, of the kind that says, replaces ``provisional``."""
        engine = self._engine
        ids = (provisional.id, provisional.pattern, provisional.seed, provisional.key)
        if isinstance(made, HandlerDelegate):
            # handler: None until Constructed (create_open builds it on the actor's thread);
            # constructing until its captures are in the index
            rec = self._typed(provisional, _ActorRecord(*ids, handler=made.handler, handler_type=made.handler_type,
                                                        constructing=True), Kind.ACTOR)
            engine.activity.begin()  # released by the actor once it handled the initial message
            try:
                stamp = first.stamp
                if stamp is None:
                    stamp = (metric_flavor(made.initial_msg), real_monotonic())
                rec.ref = engine.start_delegate(rec.id, rec.conversation, made, stamp, first.uid)
            except BaseException:
                engine.activity.end()
                raise
            if engine.unload_after is not None:
                rec.active = _clock.now()
                self._ensure_sweep()
            return rec
        self._end(first)  # a run-style or foreign delegate takes its first update as it starts
        if _startable(made):
            foreign = self._typed(provisional, _RunRecord(*ids, runner=made), Kind.FOREIGN)
            made.start()
            return foreign
        if callable(made):
            runner = RunDelegate(engine, provisional.id, made)
        elif _valid_call_tuple(made):
            func, args, kwargs = made
            runner = RunDelegate(engine, provisional.id, func, tuple(args), kwargs)
        else:
            raise RuntimeError(
                "a delegator must return an object with start() and is_alive(), a function, "
                f"or a (function, args, kwargs) tuple, not {type(made).__name__}"
            )
        run = self._typed(provisional, _RunRecord(*ids, runner=runner), Kind.RUN)
        engine.mark_busy(run.id)  # busy until its first wait() or its end
        engine.track_thread(runner.thread)
        runner.start()
        return run

    def _typed(self, provisional: _Record, rec: _TypedRecord, kind: Kind) -> _TypedRecord:
        """``rec`` (of ``kind``) replaces ``provisional`` in the tables, with what was routed to it."""
        rec.buffer = provisional.buffer
        rec.kind = kind
        self._records[rec.id] = rec
        self._engine.kinds[rec.id] = kind
        return rec

    @staticmethod
    def _foreign_alive(rec: _RunRecord) -> bool:
        try:
            return bool(rec.runner.is_alive())
        except Exception:
            logger.exception("is_alive() of %s raised; taken as dead", rec.describe())
            return False

    # -- captures and listeners ------------------------------------------------------------------
    def add_capture(self, capture: Capture) -> None:
        if capture.owner in self._records:
            self.index.add(capture)
            if self._orphans:
                self._adopt_orphans()

    def _adopt_orphans(self) -> None:
        """Deliver held callback queries that a capture now matches; forget expired ones."""
        now = real_monotonic()
        kept: deque[tuple[float, Deliver]] = deque()
        for expires, held in self._orphans:
            owners = self.index.matching_owners(held.update)
            if owners:
                for rid in owners:
                    rec = self._records.get(rid)
                    if rec is not None:
                        self._deliver(rec, self._unit(Route(held.update, held.stamp, held.uid)))
                self._end(held)
            elif expires > now:
                kept.append((expires, held))
            else:
                logger.info("a callback query matched no conversation within %gs: dropped", ORPHAN_HOLD_SECONDS)
                self._end(held)
        self._orphans = kept

    def remove_capture(self, capture: Capture) -> None:
        self.index.remove(capture)

    def attach_listener(self, delegate_id: int, listener: Any) -> None:
        rec = self._records.get(delegate_id)
        if rec is None:
            if self._engine.kinds.get(delegate_id) is not Kind.LISTENER:
                return  # its delegate is gone already
            rec = _RunRecord(delegate_id, None, None, None, kind=Kind.LISTENER)
            self._records[delegate_id] = rec
        if not isinstance(rec, _RunRecord):
            return  # an actor delegate's listeners only carry its captures
        listener.open_inbox()
        rec.listeners.append(listener)
        inbox = listener.inbox
        if rec.pending and inbox is not None:
            pending, rec.pending = rec.pending, []
            for update in pending:
                inbox.put(update)  # already counted

    # -- the close protocol ------------------------------------------------------------------------
    def _on_closing(self, rid: int, failure: Failure | None, unloaded: bool = False) -> None:
        rec = self._records.get(rid)
        if rec is None or rec.closing:
            return
        rec.closing = True
        rec.failure = failure
        if isinstance(rec, _ActorRecord):
            if unloaded:
                rec.unloaded = True
                self.unloaded += 1
            assert rec.ref is not None
            self._engine.tell(rec.ref, Drain())
            return
        if not isinstance(rec, _RunRecord):
            self._finish(rec, [])
            return
        # A run-style delegate's thread has ended: take back what it did not consume.
        bounced: list[Any] = list(rec.pending)
        released = len(rec.pending)
        rec.pending = []
        seen = {id(item) for item in bounced}
        for listener in rec.listeners:
            q = listener.inbox
            while q is not None:
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    break
                if item is SHUTDOWN_SENTINEL:
                    continue
                released += 1
                if id(item) not in seen:  # the same update sits in each of its listeners' queues
                    seen.add(id(item))
                    bounced.append(item)
        self._finish(rec, [Deliver(update) for update in bounced])
        self._engine.activity.end(released)

    def _on_constructed(self, rid: int, handler: Any, captures: tuple[Capture, ...]) -> None:
        """Delegate ``rid`` built its handler: index the captures its constructor registered,
        then deliver what waited, as its captures say."""
        rec = self._records.get(rid)
        if not isinstance(rec, _ActorRecord) or not rec.constructing or rec.closing:
            return
        for capture in captures:
            self.add_capture(capture)
        rec.constructing = False
        rec.handler = handler
        waiting, rec.buffer = rec.buffer, []
        for delivery in waiting:
            if self.index.owner_matches(rid, delivery.update):
                self._deliver(rec, delivery)
            else:  # seeded to it, but not what its handler captures (as for a built one)
                self._end(delivery)
        restored, rec.restored = rec.restored, []
        for event in restored:
            self._restored_event(event)

    def _on_drained(self, rid: int, bounced: tuple[Deliver, ...]) -> None:
        rec = self._records.get(rid)
        if rec is None:
            return
        self._finish(rec, list(bounced))

    def _finish(self, rec: _Record, bounced: list[Deliver]) -> None:
        """Remove ``rec`` and hand what it did not handle to a fresh delegate for its seed."""
        buffered, rec.buffer = rec.buffer, []
        restored: list[RestoredEvent] = []
        if isinstance(rec, _ActorRecord):
            restored, rec.restored = rec.restored, []
        self._forget(rec)
        self._release_moved(rec)
        for event in restored:  # due while it was building its handler: for its successor
            self._restored_event(event)
        if rec.failure is not None and rec.key is not None and rec.kind is Kind.ACTOR:
            self._supervise(rec, bounced + buffered)
            return
        for delivery in bounced + buffered:
            self._redeliver(rec, delivery)

    # -- supervision (see _supervision.py) -------------------------------------------------------
    def _supervise(self, gone: _Record, pending: list[Deliver]) -> None:
        """``gone`` failed (``gone.failure``) and was forgotten: restart, give up an update, or quarantine."""
        assert gone.failure is not None and gone.key is not None and gone.pattern is not None
        policy = self._policies[gone.pattern]
        failure = gone.failure
        now = _clock.now()
        history = self._histories.setdefault(gone.key, FailureHistory())
        failures = history.note(failure.update, now, policy.within)
        failed = Deliver(failure.update, None, failure.uid)
        queue_ = [failed, *pending]
        if history.in_a_row >= policy.poison_after:
            history.forget_update()
            poison = PoisonUpdate(
                f"{gone.conversation}: this update failed {policy.poison_after} times in a row;"
                " it was moved to the dead letters and the conversation goes on",
                gone.conversation,
            )
            poison.__cause__ = failure.error
            self._engine.reporter.report(poison, failure.update, gone.conversation)
            self._dead_letter(failed, failure.error, gone, "poison")
            queue_ = list(pending)
        if failures > policy.max_restarts:
            self._quarantine(gone, queue_, failures, policy)
            return
        if not queue_:
            return  # its next update starts a fresh delegate
        delay = policy.backoff.delay(failures)
        placeholder = self._placeholder(gone, Kind.RESTARTING)
        placeholder.buffer = queue_
        placeholder.failure = failure
        logger.info(
            "%s restarts in %.2g s (failure %d of %d allowed within %g s)",
            gone.conversation,
            delay,
            failures,
            policy.max_restarts,
            policy.within,
        )
        self._engine.schedule(now + delay, RestartDue(placeholder.id))

    def _placeholder(self, gone: _Record, kind: Kind) -> _Record:
        assert gone.key is not None
        rec = _Record(self._engine.next_id(), gone.pattern, gone.seed, gone.key, kind=kind)
        self._records[rec.id] = rec
        self._seeds[gone.key] = rec.id
        return rec

    def _quarantine(self, gone: _Record, updates: list[Deliver], failures: int, policy: RestartPolicy) -> None:
        assert gone.failure is not None
        error = ConversationQuarantined(
            f"{gone.conversation} failed {failures} times within {policy.within:g} s; it is quarantined:"
            " its updates are kept in bot.dead_letters until retried",
            gone.conversation,
        )
        error.__cause__ = gone.failure.error
        placeholder = self._placeholder(gone, Kind.QUARANTINED)
        placeholder.failure = Failure(None, error)
        self._engine.reporter.report(error, updates[0].update if updates else None, gone.conversation)
        for delivery in updates:
            self._dead_letter(delivery, error, gone, "quarantined")

    def _dead_letter(self, delivery: Deliver, error: BaseException, rec: _Record, reason: str) -> None:
        """Keep ``delivery``'s update in ``bot.dead_letters`` (in memory); its unit of work ends."""
        self._end(delivery)
        if _is_idle_event(delivery.update):
            return  # a stale idle timeout: nothing to keep
        self._engine.dead_letters.add(DeadLetter(delivery.update, error, rec.conversation, _clock.now(), reason))

    def _restart_due(self, placeholder_id: int) -> None:
        rec = self._records.get(placeholder_id)
        if rec is None or rec.kind is not Kind.RESTARTING:
            return  # lifted, or the bot is stopping
        assert rec.pattern is not None
        self._forget(rec)
        updates = [d for d in rec.buffer if not _is_idle_event(d.update)]
        if updates:
            self._start(rec.pattern, rec.seed, updates[0], updates[1:])

    def _restored_event(self, restored: RestoredEvent) -> None:
        """A stored event of conversation ``(pattern, seed)`` is due: deliver it to the live
        conversation, or start the conversation (from its stored state) with it."""
        if not 0 <= restored.pattern < len(self._patterns) or not _hashable(restored.seed):
            logger.warning("a stored event for an unknown conversation (pattern %s) was dropped", restored.pattern)
            return
        rid = self._seeds.get((restored.pattern, restored.seed))
        rec = self._records.get(rid) if rid is not None else None
        if isinstance(rec, _ActorRecord) and rec.constructing and not rec.closing:
            rec.restored.append(restored)  # its event space is known once its handler is built
            return
        handler = rec.handler if isinstance(rec, _ActorRecord) else None
        space = getattr(getattr(handler, "scheduler", None), "event_space", None)
        body = {**restored.data, "source": {"space": space, "id": restored.seed}, "restored": True}
        delivery = Deliver({restored.flavor: body})
        if rec is not None:
            self._deliver(rec, delivery)
        else:
            self._start(restored.pattern, restored.seed, delivery)

    def _retry_letters(self, letters: tuple[Any, ...]) -> None:
        for letter in letters:
            conversation = letter.conversation
            if conversation is not None:
                key = (conversation.pattern, conversation.seed)
                rid = self._seeds.get(key)
                rec = self._records.get(rid) if rid is not None else None
                if rec is not None and rec.kind is Kind.QUARANTINED:
                    logger.info("%s leaves quarantine: its dead letters are retried", conversation)
                    self._forget(rec)
                self._histories.pop(key, None)
            self._route(Route(letter.update))

    def _forget(self, rec: _Record) -> None:
        self._records.pop(rec.id, None)
        self._engine.kinds.pop(rec.id, None)
        if rec.key is not None and self._seeds.get(rec.key) == rec.id:
            del self._seeds[rec.key]
        self.index.remove_owner(rec.id)
        self._engine.forget_delegate(rec.id)
        self._closed_since_release += 1
        every = self._engine.memory.release_after_closes
        if every is not None and self._closed_since_release >= every:
            self._release_memory()

    def _release_memory(self) -> None:
        """After many closes: rebuild the per-conversation tables at their size now (a dict keeps
        the table it grew to) and have the engine return the free heap. Supervisor thread."""
        self._closed_since_release = 0
        self._records = compacted(self._records)
        self._seeds = compacted(self._seeds)
        self._histories = compacted(self._histories)
        self._engine.kinds = compacted(self._engine.kinds)
        self.index.compact()
        self._engine.release_memory()

    def _redeliver(self, gone: _Record, delivery: Deliver) -> None:
        update = delivery.update
        if _is_idle_event(update) and not _restored(update):
            if not (isinstance(gone, _ActorRecord) and gone.unloaded):
                return  # a stale idle timeout of the delegate that closed
            # its timeout fired as it unloaded: it closes the rebuilt conversation unless a message came first
            update = {"_idle": {**update["_idle"], "restored": True}}
            delivery = Deliver(update, delivery.stamp, delivery.uid)
        if gone.pattern is None:
            logger.info("%s closed; an update it had not handled is dropped", gone.describe())
            self._end(delivery)
            return
        try:
            seed = self._patterns[gone.pattern][0](update)
        except Exception:
            logger.exception("seeder %d raised while redelivering", gone.pattern)
            seed = None
        if gone.key is not None:
            if seed is not None and _hashable(seed) and seed == gone.seed:
                rid = self._seeds.get(gone.key)
                if rid is None:
                    self._start(gone.pattern, gone.seed, delivery)
                else:
                    self._deliver(self._records[rid], delivery)
                return
            rid = self._seeds.get(gone.key)
            if rid is not None and self.index.owner_matches(rid, update):
                self._deliver(self._records[rid], delivery)
                return
        elif seed is not None and not _hashable(seed):
            self._start(gone.pattern, seed, delivery)
            return
        self._end(delivery)
        logger.info(
            "%s closed before handling a %s update; no delegate for it now",
            gone.describe(),
            _safe_flavor(update),
        )

    # -- shutdown --------------------------------------------------------------------------------------
    def _shutdown(self, grace: float) -> None:
        """Close every conversation: each handles what its mailbox holds, then ``on_close`` runs.

        Waits at most ``grace`` seconds (real time) in all; a delegate still busy then is
        abandoned with a warning naming its conversation: its thread is left to finish the
        handler run under way, and the updates still in its mailbox are not handled (they were
        not confirmed, or stay in the journal: the next run gets them).
        """
        engine = self._engine
        actors: list[tuple[_Record, pykka.ActorRef[Any]]] = []
        for rec in list(self._records.values()):
            if isinstance(rec, _ActorRecord) and rec.ref is not None:
                if engine.tell(rec.ref, Shutdown()):
                    actors.append((rec, rec.ref))
            elif rec.kind is Kind.RESTARTING and rec.buffer:
                logger.warning("%s was waiting to restart: %d update(s) not handled", rec.conversation, len(rec.buffer))
            elif isinstance(rec, _RunRecord):
                for listener in rec.listeners:
                    inbox = listener.inbox
                    if inbox is not None:
                        inbox.put(SHUTDOWN_SENTINEL)
        deadline = Deadline(grace)
        # The last told stops about last (the pool runs ready actors first come, first served): waiting
        # for it first, the others are then found stopped without a wait each (a thread hand-off each).
        abandoned = [rec for rec, ref in reversed(actors) if not ref.actor_stopped.wait(deadline.remaining())]
        for rec in reversed(abandoned):
            logger.warning(
                "%s was still handling when the grace period (%g s) ended: abandoned", rec.conversation, grace
            )
        engine.grace_over.set()  # an abandoned delegate handles nothing more from its mailbox
        self._records.clear()
        self._seeds.clear()
        self.index = CaptureIndex()


def _migration(update: Any) -> tuple[Any, Any] | None:
    """``(old chat id, new chat id)`` for a message saying its group became a supergroup."""
    if not isinstance(update, dict) or update.get("migrate_to_chat_id") is None:
        return None
    chat = update.get("chat")
    if not isinstance(chat, dict) or chat.get("id") is None:
        return None
    return chat["id"], update["migrate_to_chat_id"]


def _safe_flavor(update: Any) -> str:
    try:
        return _flavor(update)
    except Exception:
        return "unknown"
