"""telepot's ``helper`` module on actorbot's engine: handlers, contexts, listeners, mixins.

Handlers (:class:`ChatHandler`, :class:`UserHandler`, ...) are plain classes built from
``(seed_tuple, **kwargs)``; with :func:`actorbot.delegate.create_open` each one is run
by its own actor (see :mod:`actorbot.actors`). Subclass them as in telepot.
"""

from __future__ import annotations

from ._answerer import Answerer, AnswererMixin
from ._callback import CallbackQueryCoordinator, InterceptCallbackQueryMixin
from ._contexts import CallbackQueryOriginContext, ChatContext, InvoiceContext, ListenerContext, UserContext
from ._events import IdleEventCoordinator, IdleTerminateMixin, StandardEventMixin, StandardEventScheduler
from ._handlers import (
    CallbackQueryOriginHandler,
    ChatHandler,
    InlineUserHandler,
    InvoiceHandler,
    Monitor,
    UserHandler,
    openable,
)
from ._listener import Listener, Microphone
from ._proxies import Administrator, Editor, Sender
from ._routing import DefaultRouterMixin, Router
from ._safedict import SafeDict

__all__ = [
    "Microphone",
    "Listener",
    "Sender",
    "Administrator",
    "Editor",
    "Answerer",
    "AnswererMixin",
    "CallbackQueryCoordinator",
    "InterceptCallbackQueryMixin",
    "SafeDict",
    "IdleEventCoordinator",
    "IdleTerminateMixin",
    "StandardEventScheduler",
    "StandardEventMixin",
    "ListenerContext",
    "ChatContext",
    "UserContext",
    "CallbackQueryOriginContext",
    "InvoiceContext",
    "openable",
    "Router",
    "DefaultRouterMixin",
    "Monitor",
    "ChatHandler",
    "UserHandler",
    "InlineUserHandler",
    "CallbackQueryOriginHandler",
    "InvoiceHandler",
]
