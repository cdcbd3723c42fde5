"""telepot's ``delegate`` module: seeders, delegators and pair producers for ``DelegatorBot``.

A *delegation pattern* is a ``(seeder, delegator)`` pair. The seeder maps each message
to a seed (``None``: no delegate; hashable: at most one live delegate per seed;
non-hashable: a new delegate every time). The delegator is called with
``seed_tuple = (bot, initial_msg, seed)`` to make a delegate.

Seeders and delegators run on the supervisor's thread (keep them fast and side-effect
free); :func:`create_open` handlers are constructed and run on their own actor,
:func:`create_run` objects and :func:`call` functions on their own thread.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import exception
from ._flavor import chat_flavors, flavor, inline_flavors, is_event, peel
from .actors._delegate import HandlerDelegate
from .actors._supervision import RestartPolicy
from .helper._routing import Router
from .helper._safedict import SafeDict

__all__ = [
    "per_chat_id",
    "per_chat_id_in",
    "per_chat_id_except",
    "per_from_id",
    "per_from_id_in",
    "per_from_id_except",
    "per_inline_from_id",
    "per_inline_from_id_in",
    "per_inline_from_id_except",
    "per_application",
    "per_message",
    "per_event_source_id",
    "per_callback_query_chat_id",
    "per_callback_query_origin",
    "per_invoice_payload",
    "call",
    "create_run",
    "create_open",
    "until",
    "chain",
    "pair",
    "pave_event_space",
    "include_callback_query_chat_id",
    "intercept_callback_query_origin",
    "supervised",
]

logger = logging.getLogger(__name__)

Seeder = Callable[[Any], Any]


def _wrap_none(fn: Seeder) -> Seeder:
    """``fn`` returning None instead of raising KeyError or BadFlavor (a message it cannot read)."""

    @functools.wraps(fn)
    def seeder(msg: Any) -> Any:
        try:
            return fn(msg)
        except (KeyError, TypeError, exception.BadFlavor):
            return None

    return seeder


def _types_ok(types: Any, chat_type: Any) -> bool:
    return types == "all" or chat_type in types


def _flavors_ok(flavors: Any, msg: Any) -> bool:
    return flavors == "all" or flavor(msg) in flavors


# -- seeders -------------------------------------------------------------------------------------------


def per_chat_id(types: Any = "all") -> Seeder:
    """A seeder returning the chat id, if the chat type is in ``types`` (``'all'`` or a list)."""
    return _wrap_none(lambda msg: msg["chat"]["id"] if _types_ok(types, msg["chat"]["type"]) else None)


def per_chat_id_in(s: Any, types: Any = "all") -> Seeder:
    """A seeder returning the chat id, if it is in ``s`` and the chat type is in ``types``."""
    return _wrap_none(
        lambda msg: msg["chat"]["id"] if _types_ok(types, msg["chat"]["type"]) and msg["chat"]["id"] in s else None
    )


def per_chat_id_except(s: Any, types: Any = "all") -> Seeder:
    """A seeder returning the chat id, if it is *not* in ``s`` and the chat type is in ``types``."""
    return _wrap_none(
        lambda msg: msg["chat"]["id"]
        if _types_ok(types, msg["chat"]["type"]) and msg["chat"]["id"] not in s
        else None
    )


def per_from_id(flavors: Any = chat_flavors + inline_flavors) -> Seeder:
    """A seeder returning the from id, if the message's flavor is in ``flavors`` (``'all'`` or a list)."""
    return _wrap_none(lambda msg: msg["from"]["id"] if _flavors_ok(flavors, msg) else None)


def per_from_id_in(s: Any, flavors: Any = chat_flavors + inline_flavors) -> Seeder:
    """A seeder returning the from id, if it is in ``s`` and the flavor is in ``flavors``."""
    return _wrap_none(
        lambda msg: msg["from"]["id"] if _flavors_ok(flavors, msg) and msg["from"]["id"] in s else None
    )


def per_from_id_except(s: Any, flavors: Any = chat_flavors + inline_flavors) -> Seeder:
    """A seeder returning the from id, if it is *not* in ``s`` and the flavor is in ``flavors``."""
    return _wrap_none(
        lambda msg: msg["from"]["id"] if _flavors_ok(flavors, msg) and msg["from"]["id"] not in s else None
    )


def per_inline_from_id() -> Seeder:
    """A seeder returning the from id of inline queries and chosen inline results."""
    return per_from_id(flavors=inline_flavors)


def per_inline_from_id_in(s: Any) -> Seeder:
    """:func:`per_inline_from_id`, for from ids in ``s`` only."""
    return per_from_id_in(s, flavors=inline_flavors)


def per_inline_from_id_except(s: Any) -> Seeder:
    """:func:`per_inline_from_id`, for from ids *not* in ``s`` only."""
    return per_from_id_except(s, flavors=inline_flavors)


def per_application() -> Seeder:
    """A seeder always returning 1: at most one delegate for the whole application."""
    return lambda msg: 1


def per_message(flavors: Any = "all") -> Seeder:
    """A seeder returning a non-hashable (a new delegate per message), if the flavor is in ``flavors``."""
    return _wrap_none(lambda msg: [] if _flavors_ok(flavors, msg) else None)


def per_event_source_id(event_space: Any) -> Seeder:
    """A seeder returning an event's source id, if the event belongs to ``event_space``."""

    def seeder(event: Any) -> Any:
        if not is_event(event):
            return None
        source = peel(event)["source"]
        return source["id"] if source["space"] == event_space else None

    return _wrap_none(seeder)


def per_callback_query_chat_id(types: Any = "all") -> Seeder:
    """A seeder returning a callback query's originating chat id, if the chat type is in ``types``."""

    def seeder(msg: Any) -> Any:
        if flavor(msg) == "callback_query" and "message" in msg and _types_ok(types, msg["message"]["chat"]["type"]):
            return msg["message"]["chat"]["id"]
        return None

    return _wrap_none(seeder)


def per_callback_query_origin(origins: Any = "all") -> Seeder:
    """A seeder returning a callback query's origin identifier (always a tuple), if the origin
    type (``'chat'`` or ``'inline'``) is in ``origins``."""

    def seeder(msg: Any) -> Any:
        if flavor(msg) != "callback_query":
            return None
        if origins != "all" and not (
            ("chat" in origins and "message" in msg) or ("inline" in origins and "inline_message_id" in msg)
        ):
            return None
        if "inline_message_id" in msg:
            return (msg["inline_message_id"],)
        return (msg["message"]["chat"]["id"], msg["message"]["message_id"])

    return _wrap_none(seeder)


def per_invoice_payload() -> Seeder:
    """A seeder returning the invoice payload (of a shipping/pre-checkout query or a successful payment)."""

    def seeder(msg: Any) -> Any:
        if "successful_payment" in msg:
            return msg["successful_payment"]["invoice_payload"]
        return msg["invoice_payload"]

    return _wrap_none(seeder)


# -- delegators ------------------------------------------------------------------------------------------


def call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
    """A delegator returning ``(func, (seed_tuple,) + args, kwargs)``: ``func`` runs on its own thread."""

    def delegator(seed_tuple: Any) -> Any:
        return func, (seed_tuple,) + args, kwargs

    return delegator


def create_run(cls: type, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
    """A delegator constructing ``cls(seed_tuple, *args, **kwargs)`` and calling its ``run``
    method, both on the delegate's own thread (never the supervisor's)."""

    def delegator(seed_tuple: Any) -> Any:
        return _construct_and_run, (cls, seed_tuple, args, kwargs), {}

    return delegator


def _construct_and_run(cls: type, seed_tuple: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return cls(seed_tuple, *args, **kwargs).run()


def create_open(cls: type, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
    """A delegator constructing ``cls(seed_tuple, *args, **kwargs)`` and running it as an actor.

    The object's ``open(initial_msg, seed)`` runs first (then ``on_message(initial_msg)``
    unless ``open`` returned a true value), then ``on_message(msg)`` for every message
    its listener captures, in order, then ``on_close(ex)`` once when it closes
    (:class:`~actorbot.exception.IdleTerminate`, :class:`~actorbot.exception.StopListening`
    or any other exception; the latter is logged with its traceback). All on the
    delegate's own actor thread, the constructor included: a slow constructor delays its
    own conversation, never the routing of the others.
    """

    def delegator(seed_tuple: Any) -> HandlerDelegate:
        bot, initial_msg, seed = seed_tuple
        return HandlerDelegate(None, initial_msg, seed, factory=lambda: cls(seed_tuple, *args, **kwargs),
                               handler_type=cls)

    return delegator


# -- composing seeders and pairs -------------------------------------------------------------------------------


def until(condition: Callable[[Any], bool], fns: list[Seeder]) -> Seeder:
    """A seeder trying ``fns`` in turn; the first seed meeting ``condition`` wins (else None)."""

    def seeder(msg: Any) -> Any:
        for fn in fns:
            seed = fn(msg)
            if condition(seed):
                return seed
        return None

    return seeder


def chain(*fns: Seeder) -> Seeder:
    """A seeder trying ``fns`` in turn; the first seed that is not None wins."""
    return until(lambda seed: seed is not None, list(fns))


def _ensure_seeders_list(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(seeders: Any, *aa: Any, **kw: Any) -> Any:
        return fn(seeders if isinstance(seeders, list) else [seeders], *aa, **kw)

    return wrapper


@_ensure_seeders_list
def pair(seeders: list[Seeder], delegator_factory: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Seeder, Any]:
    """The basic pair producer: ``(seeder, delegator_factory(*args, **kwargs))``.

    ``seeders`` is a seeder or a list of them (chained with :func:`chain`).
    """
    return (chain(*seeders) if len(seeders) > 1 else seeders[0], delegator_factory(*args, **kwargs))


@dataclass(frozen=True, eq=False)
class EventSpace:
    """A unique event space (compared by identity), made by :func:`pave_event_space`."""

    def __repr__(self) -> str:
        return f"<EventSpace {id(self):#x}>"


def pave_event_space(fn: Callable[..., Any] = pair) -> Callable[..., Any]:
    """A pair producer giving the seeder and the delegator a shared, new event space.

    The delegates receive ``event_space=...`` and their events are seeded back to them
    (:func:`per_event_source_id`).
    """
    event_space = EventSpace()

    @_ensure_seeders_list
    def producer(seeders: list[Seeder], delegator_factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(seeders + [per_event_source_id(event_space)], delegator_factory, *args, event_space=event_space,
                  **kwargs)

    return producer


def include_callback_query_chat_id(fn: Callable[..., Any] = pair, types: Any = "all") -> Callable[..., Any]:
    """A pair producer enabling static callback-query capture: callback queries from a chat go
    to that chat's delegate (``include_callback_query=True``)."""

    @_ensure_seeders_list
    def producer(seeders: list[Seeder], delegator_factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(
            seeders + [per_callback_query_chat_id(types=types)],
            delegator_factory,
            *args,
            include_callback_query=True,
            **kwargs,
        )

    return producer


class _OriginMap:
    """Origin -> delegate id, kept by :func:`intercept_callback_query_origin` (thread-safe).

    Called as a notifier ``(origin, dest, adding)`` by the delegates' coordinators.
    """

    def __init__(self) -> None:
        self.map = SafeDict()

    def __call__(self, origin: Any, dest: Any, adding: bool) -> None:
        if adding:
            self.map[origin] = dest
        else:
            self.map.pop(origin, None)


def intercept_callback_query_origin(fn: Callable[..., Any] = pair, origins: Any = "all") -> Callable[..., Any]:
    """A pair producer enabling dynamic callback-query capture.

    Delegates get ``intercept_callback_query=...`` (for
    :class:`~actorbot.helper.InterceptCallbackQueryMixin`): messages they send with
    callback buttons are remembered, and a callback query from such a message goes to
    the delegate that sent it (started again if it has closed meanwhile).

    :param origins: ``'all'`` or a list of origin types (``'chat'``, ``'inline'``).
    """
    origin_map = _OriginMap()
    origin_seeder = per_callback_query_origin(origins=origins)
    # The origin is a tuple: wrap it in a 1-tuple so the router takes it as the key.
    router = Router(lambda msg: (origin_seeder(msg),), origin_map.map)

    intercept: Any
    if origins == "all":
        intercept = origin_map
    else:
        intercept = (origin_map if "chat" in origins else False, origin_map if "inline" in origins else False)

    @_ensure_seeders_list
    def producer(seeders: list[Seeder], delegator_factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(seeders + [_wrap_none(router.map)], delegator_factory, *args, intercept_callback_query=intercept,
                  **kwargs)

    return producer


class _SupervisedPattern(tuple):  # type: ignore[type-arg]
    """A ``(seeder, delegator)`` pair carrying its own :class:`~actorbot.RestartPolicy`."""

    restart: RestartPolicy


def supervised(pattern: tuple[Seeder, Any], restart: RestartPolicy) -> tuple[Seeder, Any]:
    """This delegation pattern, with its own restart policy (overriding ``DelegatorBot(restart=...)``)::

        DelegatorBot(TOKEN, [
            supervised(pave_event_space()(per_chat_id(), create_open, Quiz, timeout=60),
                       RestartPolicy(max_restarts=0)),   # quarantine at the first failure
        ])
    """
    seeder, delegator = pattern
    wrapped = _SupervisedPattern((seeder, delegator))
    wrapped.restart = restart
    return wrapped
