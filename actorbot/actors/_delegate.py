"""Delegate actors: a user's handler object (``ChatHandler`` and friends) run by a pykka actor.

A delegate actor owns one handler object. When it starts, its actor builds the handler
(``create_open`` passes a factory: the constructor runs here, not on the supervisor's
thread; a constructor that raises fails the conversation as ``open()`` would), tells the
supervisor :class:`~actorbot.actors._messages.Constructed`, then runs
``handler.open(initial_msg, seed)`` (then ``on_message(initial_msg)`` unless ``open``
returned a true value); ``handler.on_message(msg)`` for each
:class:`~actorbot.actors._messages.Deliver`, in arrival order, and ``handler.on_close(ex)``
exactly once when it closes. It never blocks waiting for its next message, so it can run
on either runtime:

- :class:`DelegateActor` (``runtime="threads"``): a :class:`pykka.ThreadingActor`; all of
  the above runs on the actor's own thread.
- :class:`PooledDelegateActor` (``runtime="pool"``): a
  :class:`~actorbot.actors._pool.PooledActor`; all of the above runs on one of the
  engine's pool workers at a time (one message at a time, in order; not always the same
  worker thread).

Closing (idle timeout, :class:`~actorbot.exception.StopListening`, any other exception):
the actor runs ``on_close(ex)``, marks itself closed and tells the supervisor
:class:`Closing`; an exception from the handler is first reported to the bot's
``on_error`` (on this thread) and travels with :class:`Closing` as a
:class:`~actorbot.actors._messages.Failure`, so the supervisor can restart the
conversation with the update that failed (:mod:`actorbot.actors._supervision`). Updates
that still arrive are kept, not handled. The supervisor, once
it has stopped routing to this delegate, sends :class:`Drain`; the actor answers
:class:`Drained` with the kept updates and stops. The supervisor hands those to a fresh
delegate, so nothing routed here is lost. The actor never stops itself otherwise (pykka
drops whatever is still in a stopping actor's inbox).

State (:mod:`actorbot.actors._persistence`): before ``open()`` the actor loads its
conversation's stored record and gives the handler ``self.state`` (migrated when the
handler declares a newer ``state_version``); before each run it gives ``self.chat_data``
and ``self.user_data`` (loaded on first use); after each run it hands what changed, with
the update's id, to the port (``finish``), and before the next run waits until that is
durable, so a crash repeats at most one handled update of this conversation. A
conversation that *ends* (idle, ``close()``) deletes its record; one that fails or is
stopped with the bot keeps it. A replayed update whose effect the stored state already
has (``applied``) is skipped.

Unloading (``DelegatorBot(unload_after=...)``): told :class:`Unload` by the supervisor's
sweep, a conversation that is not closed commits its record one last time, cancels its
pending events and hands them to its port (which schedules them again for the conversation,
as after a restart), marks itself closed and tells :class:`Closing` with ``unloaded``:
``on_close`` does not run and the record stays in the store; the close protocol above
then hands whatever came meanwhile to a fresh delegate, rebuilt from that record.

Chat migration: after a successful run on a message with ``migrate_to_chat_id`` in this
conversation's chat (its seed is the chat id: a group became a supergroup), the run's
commit moves the conversation's record and the chat's ``chat_data`` to the new chat id
and the delegate closes without ``on_close``; the supergroup's next update rebuilds the
conversation from the moved record (the supervisor holds that update until this delegate
has drained: see ``SupervisorActor``).

A delegate talks to the engine only through its :class:`DelegatePort`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

import pykka

from .._reporting import ConversationId
from ..exception import EventNotFound, IdleTerminate, StopListening, StoreError
from ..store import Write
from ._messages import Deliver, Drain, Failure, Shutdown, Stamp, Unload
from ._persistence import CONVERSATIONS, Durable
from ._pool import PooledActor, WorkerPool
from ._record import Record, encode, seed_text
from ._scopes import CHATS, chat_and_user, data_writes

__all__ = ["HandlerDelegate", "DelegatePort", "DelegateActor", "PooledDelegateActor"]

logger = logging.getLogger(__name__)

COMMIT_WAIT = 30.0
"""Seconds a conversation waits for its last update's commit before its next handler run.

(The committer gives up sooner: after its retries the engine stops with the store's error.)"""


class HandlerDelegate:
    """What ``create_open``'s delegator returns: a handler for the engine to run as an actor.

    Either a handler object already built, or (``create_open``) a ``factory`` that builds
    it: the actor calls it on its own thread before ``open()``, so a slow constructor
    delays its own conversation only, never the supervisor's routing. It has ``start()``
    and ``is_alive()`` like any telepot delegate; only a ``DelegatorBot`` starts it (as a
    :class:`DelegateActor`).
    """

    __slots__ = ("handler", "factory", "handler_type", "initial_msg", "seed")

    def __init__(
        self,
        handler: Any,
        initial_msg: Any,
        seed: Any,
        *,
        factory: Callable[[], Any] | None = None,
        handler_type: type | None = None,
    ) -> None:
        if (handler is None) == (factory is None):
            raise TypeError("a HandlerDelegate takes a handler object or a factory, one of the two")
        self.handler = handler
        self.factory = factory
        self.handler_type: type = handler_type or type(handler)
        self.initial_msg = initial_msg
        self.seed = seed

    def start(self) -> None:
        raise RuntimeError("a handler delegate is started by the DelegatorBot that created it")

    def is_alive(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"HandlerDelegate({self.handler_type.__name__}, seed={self.seed!r})"


class DelegatePort(Protocol):
    """What a delegate actor may do with the engine: its narrow interface (see ``Engine.port_for``)."""

    delegate_id: int
    conversation: ConversationId | None
    initial_stamp: Stamp | None
    """The initial message's (flavor, arrival), for the metrics."""

    def begin_handling(self, update: Any) -> float:
        """A handler run starts on the calling thread (``handler_timeout`` watches it); returns its start."""

    def end_handling(self, stamp: Stamp | None, ok: bool, started: float) -> None:
        """The handler run that began at ``started`` ended (``ok``: it did not raise); counts it."""

    def enter(self) -> None:
        """Mark the calling thread as working for this delegate (listeners bind to it)."""

    def work_done(self) -> None:
        """One counted unit of work (a message this delegate received) is finished."""

    def building(self) -> None:
        """This delegate starts building its handler: hold the captures it registers meanwhile."""

    def constructed(self, handler: Any) -> None:
        """Tell the supervisor this delegate's handler is built, with the captures it registered."""

    def not_constructed(self) -> None:
        """Building the handler failed: drop the captures held for it."""

    def closing(self, failure: Failure | None) -> None:
        """Tell the supervisor this delegate closed (with the failure that closed it, if any)."""

    def drained(self, bounced: tuple[Any, ...]) -> None:
        """Hand the supervisor the updates received after closing."""

    def unloaded(self, events: tuple[dict[str, Any], ...], origins: tuple[list[Any], ...]) -> None:
        """This delegate unloaded: schedule its cancelled ``events`` (as stored: ``at``,
        ``flavor``, ``data``) again for its conversation, route callback queries from its
        captured ``origins`` to it, and tell the supervisor it closed."""

    def report(self, exc: BaseException, update: Any) -> None:
        """Report an error of this conversation to the bot's ``on_error``."""

    initial_uid: int | None
    """The ``update_id`` of the initial message (None for an event or a direct ``handle``)."""

    conversation_key: str | None
    """This conversation's key among the stored conversations (None: nothing is stored)."""

    durable: bool
    """Whether records go to a durable store (then the conversation's pending events are kept too)."""

    def load(self, namespace: str, key: str) -> dict[str, Any] | None:
        """A stored record (including writes not yet committed). May raise ``StoreError``."""

    def finish(self, uid: int | None, writes: tuple[Write, ...]) -> Durable | None:
        """A handler run for update ``uid`` (None: an event) ended with ``writes`` to commit;
        returns what to wait on before the next run (set once they are durable), if anything."""

    def fault(self, exc: BaseException) -> None:
        """The store failed under this delegate: the engine stops with ``exc``."""

    def replayed(self, uid: int) -> bool:
        """Whether update ``uid`` was replayed from the journal at this start (accepted before a crash)."""

    def abandoned(self) -> bool:
        """Whether the bot stopped and its grace period ended: handle nothing more."""


class _DelegateBehaviour(pykka.Actor):
    """Runs one handler object. Every message it receives was counted by its sender.

    The runtime-independent part; combined with a pykka runtime below. ``runtime_kwargs``
    go to that runtime's constructor.
    """

    def __init__(self, port: DelegatePort, delegate: HandlerDelegate, **runtime_kwargs: Any) -> None:
        super().__init__(**runtime_kwargs)
        self._port = port
        self._id = port.delegate_id
        self._handler = delegate.handler  # None until on_start() built it with delegate.factory
        self._factory = delegate.factory
        self._handler_type = delegate.handler_type
        self._initial = delegate.initial_msg
        self._seed = delegate.seed
        self._closed = False
        self._bounced: tuple[Deliver, ...] = ()  # updates that came after closing (rare: no list each)
        self._state: Record | None = None
        self._applied: int | None = None  # the last update this conversation's stored state includes
        self._version = 0  # the handler's state_version, once it is built
        self._scopes: tuple[Record | None, Record | None] = (None, None)
        self._events_text = "[]"  # the pending events last written
        self._committing: Durable | None = None  # the last run's writes, until durable
        self._origins_text = "[]"  # the captured callback-query origins last written

    def __str__(self) -> str:
        return f"delegate {self._id} ({self._handler_type.__name__}, seed {self._seed!r})"

    # -- actor hooks (the actor's thread, or the pool worker running it) --------------------
    def on_start(self) -> None:
        port = self._port
        port.enter()
        try:
            initial, self._initial = self._initial, None
            uid = port.initial_uid
            if not self._build(initial, uid):
                return
            try:
                self._load_state()
            except StoreError as exc:  # the store failed: the bot stops; the update stays in the journal
                self._closed = True
                port.fault(exc)
                return
            except Exception as exc:  # a migrate_state() that raised: fails like open() would
                port.report(exc, initial)
                self._close(exc, failure=Failure(initial, exc, uid))
                return
            if self._already_applied(uid):
                # replayed after a crash, but its effect is in the stored state: open without it
                self._guarded(lambda msg: self._open(msg, skip_message=True), initial, port.initial_stamp, uid)
            else:
                self._guarded(self._open, initial, port.initial_stamp, uid)
        finally:
            port.work_done()

    def on_receive(self, message: Any) -> Any:
        self._port.enter()  # a pool worker serves many delegates
        try:
            if isinstance(message, Deliver):
                if self._closed or self._port.abandoned():
                    self._bounced = (*self._bounced, message)
                elif self._already_applied(message.uid):
                    logger.debug("%s: update %s already applied before a restart: skipped", self, message.uid)
                    self._port.finish(message.uid, ())
                else:
                    self._guarded(self._handler.on_message, message.update, message.stamp, message.uid)
            elif isinstance(message, Unload):
                self._unload()
            elif isinstance(message, Drain):
                self._port.drained(self._bounced)
                self._bounced = ()
                self.stop()
            elif isinstance(message, Shutdown):
                if not self._closed:
                    self._close(StopListening("the bot is stopping"), notify=False)
                if self._bounced:
                    logger.info("%s: %d update(s) not handled: the bot stopped", self, len(self._bounced))
                self.stop()
        except Exception:  # our own bug: never let pykka stop the actor behind the protocol
            logger.exception("%s: internal error", self)
        finally:
            self._port.work_done()

    def _build(self, initial: Any, uid: int | None) -> bool:
        """Build the handler (``create_open``'s constructor runs here, on this delegate's
        thread, not the supervisor's), then tell the supervisor. False if the constructor
        raised: the conversation fails as if ``open()`` had raised (and is restarted)."""
        factory, self._factory = self._factory, None
        if factory is not None:
            self._port.building()
            try:
                self._handler = factory()
            except Exception as exc:
                self._port.not_constructed()
                self._port.report(exc, initial)
                self._closed = True
                self._port.closing(Failure(initial, exc, uid))
                return False
        self._version = int(getattr(self._handler, "state_version", 0) or 0)
        self._port.constructed(self._handler)
        return True

    # -- state ---------------------------------------------------------------------------------
    def _load_state(self) -> None:
        """Give the handler ``self.state``: its stored state (migrated), or a fresh one."""
        port = self._port
        stored = port.load(CONVERSATIONS, port.conversation_key) if port.conversation_key is not None else None
        state: dict[str, Any] = {}
        if stored is not None:
            state = dict(stored.get("state") or {})
            applied = stored.get("applied")
            self._applied = applied if isinstance(applied, int) else None
            version = stored.get("version", 0)
            if version != self._version:
                migrate = getattr(self._handler, "migrate_state", None)
                if migrate is not None:
                    state = dict(migrate(state, version))
                else:
                    logger.info("%s: stored state version %s, handler's %s; no migrate_state(): kept as is",
                                self, version, self._version)
        self._state = Record("state", data=state)
        self._handler.state = self._state

    def _already_applied(self, uid: int | None) -> bool:
        """A replayed update (journaled before a crash) whose effect the stored state already has.

        Only replayed updates are compared: ``update_id`` s grow, except that Telegram
        picks a random next one after a week without updates, so a new update's id may be
        lower than an old one's."""
        return (uid is not None and self._applied is not None and uid <= self._applied
                and self._port.replayed(uid))

    def _writes(self, uid: int | None, *, closed: bool = False) -> tuple[Write, ...]:
        """What this run changed (raises ``StateNotSerializable``): the conversation's record
        (deleted when it closed), then the chat's and user's data."""
        writes = data_writes(self._scopes)
        key = self._port.conversation_key
        if key is None or self._state is None:
            return writes
        if closed:
            return (Write(CONVERSATIONS, key, None), *writes)
        changed = self._state.changes()
        events, events_text = self._pending_events()
        origins, origins_text = self._origins()
        if (changed is None and (uid is None or not self._port.durable)  # no journal: ``applied`` is never read
                and events_text == self._events_text and origins_text == self._origins_text):
            return writes
        if uid is not None:
            self._applied = uid
        value: dict[str, Any] = {"state": self._state.to_json(), "applied": self._applied, "version": self._version}
        if events:
            value["events"] = events
        if origins:
            value["origins"] = origins
        if changed is not None:
            self._state.mark_written(changed)
        self._events_text = events_text
        self._origins_text = origins_text
        return (Write(CONVERSATIONS, key, value), *writes)

    def _origins(self) -> tuple[list[list[Any]], str]:
        """With a durable store: the messages whose callback queries this conversation captures."""
        coordinator = getattr(self._handler, "callback_query_coordinator", None)
        if not self._port.durable or coordinator is None:
            return [], "[]"
        origins = sorted((list(origin) for origin in coordinator.origin_set), key=repr)
        return origins, encode(origins)

    def _pending_events(self) -> tuple[list[dict[str, Any]], str]:
        """With a durable store: the handler's events still to fire, as stored (and their encoding)."""
        pending = getattr(getattr(self._handler, "scheduler", None), "pending_events", None)
        if not self._port.durable or pending is None:
            return [], "[]"
        events = [stored for stored in map(self._stored_event, pending()) if stored is not None]
        return events, encode(events)

    def _stored_event(self, event: Any) -> dict[str, Any] | None:
        """A scheduled standard event as the store keeps it (None: not a standard event, or not JSON)."""
        data = event.data
        if not isinstance(data, dict) or len(data) != 1:
            return None
        [(flavor, body)] = data.items()
        if not isinstance(body, dict):
            return None
        stored = {"at": event.timestamp, "flavor": flavor,
                  "data": {k: v for k, v in body.items() if k not in ("source", "restored")}}
        try:
            encode(stored)
        except (TypeError, ValueError):
            logger.warning("%s: event %s carries data JSON cannot hold: not kept across a restart", self, flavor)
            return None
        return stored

    # -- unloading and migrating (see the module's docstring) ----------------------------------------
    def _unload(self) -> None:
        """Told :class:`Unload`: keep this conversation in the store only (no ``on_close``)."""
        port = self._port
        if self._closed or port.abandoned() or port.conversation_key is None:
            return  # closing already (its Closing is on the way), or nothing to rebuild it from
        try:
            writes = self._writes(None)  # nothing, unless something changed since the last commit
        except Exception as exc:  # a value JSON cannot hold: stay loaded, and say why
            port.report(exc, None)
            return
        port.finish(None, writes)
        events = self._cancel_events()
        origins, _ = self._origins()
        self._closed = True
        logger.debug("%s unloaded (%d pending event(s) handed over)", self, len(events))
        port.unloaded(tuple(events), tuple(origins))

    def _cancel_events(self) -> list[dict[str, Any]]:
        """Cancel the handler's pending events; return them as stored. One that fired meanwhile
        is not returned: it was routed as an update, and reaches the rebuilt conversation."""
        scheduler: Any = getattr(self._handler, "scheduler", None)
        pending = getattr(scheduler, "pending_events", None)
        if pending is None or not self._port.durable:
            return []
        kept = []
        for event in pending():
            stored = self._stored_event(event)
            try:
                scheduler.cancel(event)
            except EventNotFound:
                continue
            if stored is not None:
                kept.append(stored)
        return kept

    def _migrated_to(self, msg: Any) -> Any:
        """The supergroup id, if ``msg`` says this conversation's chat (its seed) migrated to one."""
        if not isinstance(msg, dict) or self._port.conversation_key is None or self._state is None:
            return None
        new = msg.get("migrate_to_chat_id")
        chat = msg.get("chat")
        if new is None or not isinstance(chat, dict) or chat.get("id") != self._seed:
            return None
        return new

    def _migrate(self, new_chat: Any, uid: int | None, writes: tuple[Write, ...]) -> None:
        """Commit ``writes`` with this conversation's record and the chat's data moved to
        ``new_chat`` (the old ones deleted), in one commit; then close without ``on_close``."""
        port = self._port
        assert port.conversation is not None and port.conversation_key is not None and self._state is not None
        old_key, old_chat, new_chat_key = port.conversation_key, str(self._seed), str(new_chat)
        record = {"state": self._state.to_json(), "applied": self._applied, "version": self._version}
        chat_scope = self._scopes[0]
        if chat_scope is not None and chat_scope.loaded and chat_scope.key == old_chat:
            chat_data: dict[str, Any] | None = chat_scope.to_json()
        else:
            chat_data = port.load(CHATS, old_chat)
        moved = [w for w in writes if w.namespace != CONVERSATIONS and (w.namespace, w.key) != (CHATS, old_chat)]
        moved += [Write(CONVERSATIONS, f"{port.conversation.pattern}:{seed_text(new_chat)}", record),
                  Write(CONVERSATIONS, old_key, None)]
        if chat_data is not None:
            moved += [Write(CHATS, new_chat_key, chat_data), Write(CHATS, old_chat, None)]
        self._closed = True
        logger.info("%s: the chat migrated to %s; its state moves there", self, new_chat)
        port.finish(uid, tuple(moved))
        port.closing(None)

    # -- handling ------------------------------------------------------------------------------
    def _open(self, initial: Any, skip_message: bool = False) -> None:
        opener = getattr(self._handler, "open", None)
        handled = opener(initial, self._seed) if opener is not None else False
        if not handled and not skip_message:
            self._handler.on_message(initial)

    def _guarded(self, fn: Any, msg: Any, stamp: Stamp | None, uid: int | None = None) -> None:
        """Run ``fn(msg)``, one counted handler run (``bot.metrics()``, ``handler_timeout``), then
        finish update ``uid`` with what the run changed."""
        port = self._port
        committing, self._committing = self._committing, None
        if committing is not None and not committing.wait(COMMIT_WAIT):
            logger.warning("%s: the store took over %g s to commit the last update", self, COMMIT_WAIT)
        self._scopes = chat_and_user(self._handler, msg, port.load)
        started = port.begin_handling(msg)
        try:
            fn(msg)
            writes = self._writes(uid)
        except (IdleTerminate, StopListening) as ex:
            port.end_handling(stamp, True, started)
            if isinstance(ex, IdleTerminate):
                logger.info("%s closed: idle for %s s", self, ex.seconds)
            else:
                logger.info("%s closed: %s", self, ex or "stopped listening")
            self._close(ex, uid=uid)
        except Exception as ex:
            port.end_handling(stamp, False, started)
            port.report(ex, msg)
            self._close(ex, failure=Failure(msg, ex, uid))
        except BaseException:
            port.end_handling(stamp, False, started)
            raise
        else:
            port.end_handling(stamp, True, started)
            migrated_to = self._migrated_to(msg)
            if migrated_to is not None:
                self._migrate(migrated_to, uid, writes)
                return
            self._committing = port.finish(uid, writes)

    def _close(
        self, ex: BaseException, *, notify: bool = True, failure: Failure | None = None, uid: int | None = None
    ) -> None:
        """Run ``on_close(ex)``. A conversation that ended (not failed, not stopped with the bot)
        has its stored state deleted, with update ``uid``'s completion."""
        self._closed = True
        try:
            self._handler.on_close(ex)
        except Exception as close_error:
            self._port.report(close_error, None)
        if notify and failure is None:
            try:
                writes = self._writes(uid, closed=True)
            except Exception as exc:  # chat_data changed to something JSON cannot hold
                self._port.report(exc, None)
                key = self._port.conversation_key
                writes = (Write(CONVERSATIONS, key, None),) if key is not None else ()
            self._port.finish(uid, writes)
        if notify:
            self._port.closing(failure)


class DelegateActor(_DelegateBehaviour, pykka.ThreadingActor):
    """A delegate on its own thread (``runtime="threads"``): every hook runs on that thread."""

    use_daemon_thread = True  # never keeps the process alive: the bot's exit hook stops it


class PooledDelegateActor(_DelegateBehaviour, PooledActor):
    """A delegate on the engine's worker pool (``runtime="pool"``): hooks run on a pool worker.

    While its last run's writes are not durable it is suspended between messages (no worker
    waits): the commit puts it back in the pool's ready queue. It is not in pykka's
    ``ActorRegistry``: the supervisor owns and stops it (and a registry of 100,000 actors
    costs seconds to empty, one list removal each).
    """

    registered = False

    def __init__(self, port: DelegatePort, delegate: HandlerDelegate, *, pool: WorkerPool) -> None:
        super().__init__(port, delegate, pool=pool)

    def _not_ready(self) -> Durable | None:
        committing = self._committing
        return committing if committing is not None and not committing.is_set() else None


