"""Events for delegates: the standard event format, its scheduler facade, and idle timeouts.

A standard event is ``{'_flavor': {'source': {'space': event_space, 'id': source_id}, ...}}``:
one top-level key (the flavor, starting with an underscore) whose value names the
event's source. An *event space* is shared by a group of delegates (one delegation
pattern, see :func:`actorbot.delegate.pave_event_space`); the *source id* is a
delegate's id (its seed). Together they let a delegate capture its own events and
nobody else's.

The methods here run on the calling delegate's thread; scheduling and cancelling are
synchronous (see :class:`actorbot.actors.EventScheduler`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeAlias

from .._flavor import flavor, is_event
from ..exception import EventNotFound, IdleTerminate

__all__ = ["StandardEventScheduler", "StandardEventMixin", "IdleEventCoordinator", "IdleTerminateMixin"]

_ANY_EVENT_FLAVOR = re.compile("^_.+")


class StandardEventScheduler:
    """The bot's scheduler, with every event's ``source`` fixed to this delegate's."""

    def __init__(self, scheduler: Any, event_space: Any, source_id: Any) -> None:
        self._base = scheduler
        self._event_space = event_space
        self._source_id = source_id
        self._scheduled: list[Any] = []  # events scheduled through this facade (fired ones pruned lazily)

    @property
    def event_space(self) -> Any:
        return self._event_space

    def configure(self, listener: Any) -> None:
        """Make ``listener`` capture the events of this event space and source id."""
        listener.capture([{_ANY_EVENT_FLAVOR: {"source": {"space": self._event_space, "id": self._source_id}}}])

    def make_event_data(self, flavor: str, data: dict[str, Any]) -> dict[str, Any]:
        """A standard event of ``flavor`` (must start with ``_``) carrying ``data``."""
        if not flavor.startswith("_"):
            raise ValueError("Event flavor must start with _underscore")
        d: dict[str, Any] = {"source": {"space": self._event_space, "id": self._source_id}}
        d.update(data)
        return {flavor: d}

    def event_at(self, when: float, data_tuple: tuple[str, dict[str, Any]]) -> Any:
        """Emit the event ``(flavor, data)`` at the absolute time ``when``; returns the event."""
        return self._keep(self._base.event_at(when, self.make_event_data(*data_tuple)))

    def event_later(self, delay: float, data_tuple: tuple[str, dict[str, Any]]) -> Any:
        """Emit the event ``(flavor, data)`` after ``delay`` seconds; returns the event."""
        return self._keep(self._base.event_later(delay, self.make_event_data(*data_tuple)))

    def event_now(self, data_tuple: tuple[str, dict[str, Any]]) -> Any:
        """Emit the event ``(flavor, data)`` as soon as possible; returns the event."""
        return self._keep(self._base.event_now(self.make_event_data(*data_tuple)))

    def _keep(self, event: Any) -> Any:
        self._scheduled.append(event)
        if len(self._scheduled) > 16:
            self.pending_events()  # prunes
        return event

    def pending_events(self) -> list[Any]:
        """The events scheduled here that have not fired or been cancelled (a store keeps them)."""
        is_pending = getattr(self._base, "is_pending", None)
        if is_pending is None:
            return []
        self._scheduled = [event for event in self._scheduled if is_pending(event)]
        return list(self._scheduled)

    def cancel(self, event: Any) -> None:
        """Cancel an event (:class:`~actorbot.exception.EventNotFound` if it already fired)."""
        return self._base.cancel(event)

    def postpone_later(self, event: Any, delay: float) -> bool:
        """Have a pending ``event`` fire ``delay`` seconds from now instead (same handle).

        False, doing nothing, if it fired or was cancelled, or if the bot's scheduler
        cannot move events (then cancel it and schedule another)."""
        postpone = getattr(self._base, "postpone_later", None)
        return postpone is not None and bool(postpone(event, delay))


# The mixins below re-export these classes as class attributes (overridable, as in
# telepot), which shadows their names inside the class bodies; annotations use these.
_StandardEventScheduler: TypeAlias = StandardEventScheduler


# What StandardEventMixin gets when no pave_event_space() passed ``event_space``.
_NO_EVENT_SPACE: Any = object()


def _event_space_hint(delegate: object) -> str:
    """The error for a delegate built without ``event_space``: what to write instead."""
    from ._contexts import CallbackQueryOriginContext, InvoiceContext, UserContext

    seeder = "per_chat_id()"
    for context, seeder_of_context in (
        (UserContext, "per_from_id()"),
        (CallbackQueryOriginContext, "per_callback_query_origin()"),
        (InvoiceContext, "per_invoice_payload()"),
    ):
        if isinstance(delegate, context):
            seeder = seeder_of_context
    name = type(delegate).__name__
    return (
        f"{name} needs an event space: wrap its delegation pattern in pave_event_space(), "
        f"e.g. pave_event_space()({seeder}, create_open, {name}, timeout=10)"
    )


class StandardEventMixin:
    """Gives a delegate a :class:`StandardEventScheduler` (``self.scheduler``) and captures its events."""

    StandardEventScheduler = StandardEventScheduler

    def __init__(self, event_space: Any = _NO_EVENT_SPACE, *args: Any, **kwargs: Any) -> None:
        if event_space is _NO_EVENT_SPACE:
            raise TypeError(_event_space_hint(self))
        self._scheduler = self.StandardEventScheduler(self.bot.scheduler, event_space, self.id)  # type: ignore[attr-defined]
        self._scheduler.configure(self.listener)  # type: ignore[attr-defined]
        super().__init__(*args, **kwargs)

    @property
    def scheduler(self) -> _StandardEventScheduler:
        return self._scheduler


class IdleEventCoordinator:
    """Keeps one ``_idle`` event scheduled ``timeout`` seconds after the last external message.

    ``timeout=None`` means never: no idle event is ever scheduled. A refresh moves the
    pending event's time (``postpone_later``: the same event, no new one, no wake of the
    scheduler's thread); only when it already fired (or the scheduler cannot move events)
    is it cancelled and another scheduled.
    """

    def __init__(self, scheduler: Any, timeout: float | None) -> None:
        self._scheduler = scheduler
        self._timeout_seconds = timeout
        self._timeout_event: Any = None
        self._messages = 0  # external messages seen

    def refresh(self) -> None:
        """Restart the idle timer."""
        event, seconds = self._timeout_event, self._timeout_seconds
        postpone = getattr(self._scheduler, "postpone_later", None) if event is not None else None
        if seconds is not None and postpone is not None and postpone(event, seconds):
            return  # still pending: now due ``seconds`` from now
        try:
            if self._timeout_event is not None:
                self._scheduler.cancel(self._timeout_event)
        except EventNotFound:
            pass  # it fired already; its event will be ignored (see augment_on_message)
        finally:
            if self._timeout_seconds is None:
                self._timeout_event = None
            else:
                self._timeout_event = self._scheduler.event_later(
                    self._timeout_seconds, ("_idle", {"seconds": self._timeout_seconds})
                )

    def augment_on_message(self, handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """``handler`` that refreshes the timer for every non-event message and drops stale idle events."""
        return _RefreshingOnMessage(self, handler)

    def _on_message(self, handler: Callable[[Any], Any], msg: Any) -> Any:
        if not is_event(msg):
            self._messages += 1
            self.refresh()
        if flavor(msg) == "_idle" and not self._current(msg):
            return None
        return handler(msg)

    def _current(self, msg: Any) -> bool:
        """Whether an ``_idle`` event is this conversation's timeout: the one it scheduled, or one
        a store restored after a restart, before any message came to the rebuilt conversation."""
        if self._timeout_event is not None and msg is self._timeout_event.data:
            return True
        return bool(msg["_idle"].get("restored")) and self._messages == 0

    def augment_on_close(self, handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """``handler`` that first cancels the pending idle event."""
        return _CancellingOnClose(self, handler)

    def _on_close(self, handler: Callable[[Any], Any], ex: Any) -> Any:
        try:
            if self._timeout_event is not None:
                self._scheduler.cancel(self._timeout_event)
        except EventNotFound:
            pass  # closing because of that very event
        finally:
            self._timeout_event = None
        return handler(ex)


class _RefreshingOnMessage:
    """``IdleEventCoordinator.augment_on_message``'s result (a closure's job, in less memory:
    every live conversation holds one)."""

    __slots__ = ("coordinator", "handler")

    def __init__(self, coordinator: IdleEventCoordinator, handler: Callable[[Any], Any]) -> None:
        self.coordinator = coordinator
        self.handler = handler

    def __call__(self, msg: Any) -> Any:
        return self.coordinator._on_message(self.handler, msg)


class _CancellingOnClose:
    """``IdleEventCoordinator.augment_on_close``'s result (see :class:`_RefreshingOnMessage`)."""

    __slots__ = ("coordinator", "handler")

    def __init__(self, coordinator: IdleEventCoordinator, handler: Callable[[Any], Any]) -> None:
        self.coordinator = coordinator
        self.handler = handler

    def __call__(self, ex: Any) -> Any:
        return self.coordinator._on_close(self.handler, ex)


_IdleEventCoordinator: TypeAlias = IdleEventCoordinator  # see _StandardEventScheduler


class IdleTerminateMixin:
    """Closes the delegate after ``timeout`` idle seconds (``on__idle`` raises ``IdleTerminate``)."""

    IdleEventCoordinator = IdleEventCoordinator

    def __init__(self, timeout: float | None, *args: Any, **kwargs: Any) -> None:
        self._idle_event_coordinator = self.IdleEventCoordinator(self.scheduler, timeout)  # type: ignore[attr-defined]
        idlec = self._idle_event_coordinator
        idlec.refresh()
        self.on_message = idlec.augment_on_message(self.on_message)  # type: ignore[attr-defined,has-type]
        self.on_close = idlec.augment_on_close(self.on_close)  # type: ignore[attr-defined,has-type]
        super().__init__(*args, **kwargs)

    @property
    def idle_event_coordinator(self) -> _IdleEventCoordinator:
        return self._idle_event_coordinator

    def on__idle(self, event: dict[str, Any]) -> None:
        """Raise :class:`~actorbot.exception.IdleTerminate` to close the delegate."""
        raise IdleTerminate(event["_idle"]["seconds"])
