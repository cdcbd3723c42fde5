"""The ready-made delegates (``ChatHandler`` and friends) and the ``openable`` decorator.

Handlers are plain objects constructed from ``(seed_tuple, **kwargs)`` by their
:class:`~actorbot.actors.DelegateActor`, which then calls ``open``, ``on_message`` and
``on_close``, all on its own thread. Subclass them as in telepot.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypeVar

from .._flavor import chat_flavors, flavor, inline_flavors
from ..exception import IdleTerminate, StopListening
from ._callback import origin_pattern as _origin_pattern
from ._contexts import CallbackQueryOriginContext, ChatContext, InvoiceContext, ListenerContext, UserContext
from ._events import IdleTerminateMixin, StandardEventMixin
from ._routing import DefaultRouterMixin

__all__ = [
    "openable",
    "Monitor",
    "ChatHandler",
    "UserHandler",
    "InlineUserHandler",
    "CallbackQueryOriginHandler",
    "InvoiceHandler",
]

logger = logging.getLogger(__name__)

C = TypeVar("C", bound=type)


def openable(cls: C) -> C:
    """Fill in what :func:`actorbot.delegate.create_open` needs, where the class lacks it.

    Adds ``open(initial_msg, seed)`` (does nothing), ``on_message(msg)`` (raises
    ``NotImplementedError``), ``on_close(ex)`` (logs why the delegate closed),
    ``close(ex=None)`` (raises ``ex`` or :class:`~actorbot.exception.StopListening`) and
    a ``listener`` property (raises ``NotImplementedError``).
    """

    def open(self: Any, initial_msg: Any, seed: Any) -> None:
        pass

    def on_message(self: Any, msg: Any) -> None:
        raise NotImplementedError()

    def on_close(self: Any, ex: BaseException) -> None:
        if isinstance(ex, (IdleTerminate, StopListening)):
            logger.debug("on_close() called due to %s: %s", type(ex).__name__, ex)
        else:  # the engine has logged the traceback already
            logger.info("on_close() called due to %s: %s", type(ex).__name__, ex)

    def close(self: Any, ex: BaseException | None = None) -> None:
        raise ex if ex else StopListening()

    @property  # type: ignore[misc]
    def listener(self: Any) -> Any:
        raise NotImplementedError()

    for name, fn in (
        ("open", open),
        ("on_message", on_message),
        ("on_close", on_close),
        ("close", close),
        ("listener", listener),
    ):
        if getattr(cls, name, None) is None:
            setattr(cls, name, fn)
    return cls


@openable
class Monitor(ListenerContext, DefaultRouterMixin):
    """A delegate that never times out (background monitoring); pair it with ``per_application``.

    :param capture: a list of patterns for the listener to capture.
    """

    if TYPE_CHECKING:  # @openable adds it at runtime; declared here for type checkers
        def close(self, ex: BaseException | None = None) -> None: ...

    def __init__(self, seed_tuple: tuple[Any, Any, Any], capture: list[Any], **kwargs: Any) -> None:
        bot, initial_msg, seed = seed_tuple
        super().__init__(bot, seed, **kwargs)
        for pattern in capture:
            self.listener.capture(pattern)


@openable
class ChatHandler(ChatContext, DefaultRouterMixin, StandardEventMixin, IdleTerminateMixin):
    """A delegate for one chat (``seed`` is the chat id).

    :param include_callback_query: also capture callback queries from messages in this chat.
    """

    if TYPE_CHECKING:  # @openable adds it at runtime; declared here for type checkers
        def close(self, ex: BaseException | None = None) -> None: ...

    def __init__(self, seed_tuple: tuple[Any, Any, Any], include_callback_query: bool = False, **kwargs: Any) -> None:
        bot, initial_msg, seed = seed_tuple
        super().__init__(bot, seed, **kwargs)
        self.listener.capture([{"chat": {"id": self.chat_id}}])
        if include_callback_query:
            self.listener.capture([{"message": {"chat": {"id": self.chat_id}}}])


@openable
class UserHandler(UserContext, DefaultRouterMixin, StandardEventMixin, IdleTerminateMixin):
    """A delegate for one user's actions (``seed`` is the user id).

    :param flavors: the flavors to capture, or ``'all'``.
    """

    if TYPE_CHECKING:  # @openable adds it at runtime; declared here for type checkers
        def close(self, ex: BaseException | None = None) -> None: ...

    def __init__(
        self,
        seed_tuple: tuple[Any, Any, Any],
        include_callback_query: bool = False,
        flavors: Any = chat_flavors + inline_flavors,
        **kwargs: Any,
    ) -> None:
        bot, initial_msg, seed = seed_tuple
        super().__init__(bot, seed, **kwargs)
        if flavors == "all":
            self.listener.capture([{"from": {"id": self.user_id}}])
        else:
            allowed = tuple(flavors)
            self.listener.capture([{"from": {"id": self.user_id}}, lambda msg: flavor(msg) in allowed])
        if include_callback_query:
            self.listener.capture([{"message": {"chat": {"id": self.user_id}}}])


class InlineUserHandler(UserHandler):
    """A delegate for one user's inline queries and chosen inline results."""

    def __init__(self, seed_tuple: tuple[Any, Any, Any], **kwargs: Any) -> None:
        super().__init__(seed_tuple, flavors=inline_flavors, **kwargs)


@openable
class CallbackQueryOriginHandler(CallbackQueryOriginContext, DefaultRouterMixin, StandardEventMixin,
                                 IdleTerminateMixin):
    """A delegate for the callback queries from one message (``seed`` is its origin identifier)."""

    if TYPE_CHECKING:  # @openable adds it at runtime; declared here for type checkers
        def close(self, ex: BaseException | None = None) -> None: ...

    def __init__(self, seed_tuple: tuple[Any, Any, Any], **kwargs: Any) -> None:
        bot, initial_msg, seed = seed_tuple
        super().__init__(bot, seed, **kwargs)
        self.listener.capture(_origin_pattern(self.origin))


@openable
class InvoiceHandler(InvoiceContext, DefaultRouterMixin, StandardEventMixin, IdleTerminateMixin):
    """A delegate for the messages about one invoice (``seed`` is the invoice payload)."""

    if TYPE_CHECKING:  # @openable adds it at runtime; declared here for type checkers
        def close(self, ex: BaseException | None = None) -> None: ...

    def __init__(self, seed_tuple: tuple[Any, Any, Any], **kwargs: Any) -> None:
        bot, initial_msg, seed = seed_tuple
        super().__init__(bot, seed, **kwargs)
        self.listener.capture([{"invoice_payload": self.payload}])
        self.listener.capture([{"successful_payment": {"invoice_payload": self.payload}}])

