"""Delegate actors: a user's handler object (``ChatHandler`` and friends) run by a pykka actor.

A delegate actor owns one handler object. Its actor runs
``handler.open(initial_msg, seed)`` (then ``on_message(initial_msg)`` unless ``open``
returned a true value) when it starts, ``handler.on_message(msg)`` for each
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

A delegate talks to the engine only through its :class:`DelegatePort`.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import pykka

from .._reporting import ConversationId
from ..exception import IdleTerminate, StopListening
from ._messages import Deliver, Drain, Failure, Shutdown, Stamp
from ._pool import PooledActor, WorkerPool

__all__ = ["HandlerDelegate", "DelegatePort", "DelegateActor", "PooledDelegateActor"]

logger = logging.getLogger(__name__)


class HandlerDelegate:
    """What ``create_open``'s delegator returns: a handler object for the engine to run as an actor.

    It has ``start()`` and ``is_alive()`` like any telepot delegate; only a
    ``DelegatorBot`` starts it (as a :class:`DelegateActor`).
    """

    __slots__ = ("handler", "initial_msg", "seed")

    def __init__(self, handler: Any, initial_msg: Any, seed: Any) -> None:
        self.handler = handler
        self.initial_msg = initial_msg
        self.seed = seed

    def start(self) -> None:
        raise RuntimeError("a handler delegate is started by the DelegatorBot that created it")

    def is_alive(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"HandlerDelegate({type(self.handler).__name__}, seed={self.seed!r})"


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

    def closing(self, failure: Failure | None) -> None:
        """Tell the supervisor this delegate closed (with the failure that closed it, if any)."""

    def drained(self, bounced: tuple[Any, ...]) -> None:
        """Hand the supervisor the updates received after closing."""

    def report(self, exc: BaseException, update: Any) -> None:
        """Report an error of this conversation to the bot's ``on_error``."""


class _DelegateBehaviour(pykka.Actor):
    """Runs one handler object. Every message it receives was counted by its sender.

    The runtime-independent part; combined with a pykka runtime below. ``runtime_kwargs``
    go to that runtime's constructor.
    """

    def __init__(self, port: DelegatePort, delegate: HandlerDelegate, **runtime_kwargs: Any) -> None:
        super().__init__(**runtime_kwargs)
        self._port = port
        self._id = port.delegate_id
        self._handler = delegate.handler
        self._initial = delegate.initial_msg
        self._seed = delegate.seed
        self._closed = False
        self._bounced: list[Any] = []

    def __str__(self) -> str:
        return f"delegate {self._id} ({type(self._handler).__name__}, seed {self._seed!r})"

    # -- actor hooks (the actor's thread, or the pool worker running it) --------------------
    def on_start(self) -> None:
        self._port.enter()
        try:
            initial, self._initial = self._initial, None
            self._guarded(self._open, initial, self._port.initial_stamp)
        finally:
            self._port.work_done()

    def on_receive(self, message: Any) -> Any:
        self._port.enter()  # a pool worker serves many delegates
        try:
            if isinstance(message, Deliver):
                if self._closed:
                    self._bounced.append(message.update)
                else:
                    self._guarded(self._handler.on_message, message.update, message.stamp)
            elif isinstance(message, Drain):
                self._port.drained(tuple(self._bounced))
                self._bounced = []
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

    # -- handling ------------------------------------------------------------------------------
    def _open(self, initial: Any) -> None:
        opener = getattr(self._handler, "open", None)
        handled = opener(initial, self._seed) if opener is not None else False
        if not handled:
            self._handler.on_message(initial)

    def _guarded(self, fn: Any, msg: Any, stamp: Stamp | None) -> None:
        """Run ``fn(msg)``, one counted handler run (``bot.metrics()``, ``handler_timeout``)."""
        port = self._port
        started = port.begin_handling(msg)
        try:
            fn(msg)
        except IdleTerminate as ex:
            port.end_handling(stamp, True, started)
            logger.info("%s closed: idle for %s s", self, ex.seconds)
            self._close(ex)
        except StopListening as ex:
            port.end_handling(stamp, True, started)
            logger.info("%s closed: %s", self, ex or "stopped listening")
            self._close(ex)
        except Exception as ex:
            port.end_handling(stamp, False, started)
            port.report(ex, msg)
            self._close(ex, failure=Failure(msg, ex))
        except BaseException:
            port.end_handling(stamp, False, started)
            raise
        else:
            port.end_handling(stamp, True, started)

    def _close(self, ex: BaseException, *, notify: bool = True, failure: Failure | None = None) -> None:
        self._closed = True
        try:
            self._handler.on_close(ex)
        except Exception as close_error:
            self._port.report(close_error, None)
        if notify:
            self._port.closing(failure)


class DelegateActor(_DelegateBehaviour, pykka.ThreadingActor):
    """A delegate on its own thread (``runtime="threads"``): every hook runs on that thread."""

    use_daemon_thread = True  # never keeps the process alive: the bot's exit hook stops it


class PooledDelegateActor(_DelegateBehaviour, PooledActor):
    """A delegate on the engine's worker pool (``runtime="pool"``): hooks run on a pool worker."""

    def __init__(self, port: DelegatePort, delegate: HandlerDelegate, *, pool: WorkerPool) -> None:
        super().__init__(port, delegate, pool=pool)


