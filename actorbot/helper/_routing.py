"""``DefaultRouterMixin``: ``on_message`` routes by flavor to ``on_chat_message`` and friends."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .._flavor import flavor
from .._router import Router

__all__ = ["Router", "DefaultRouterMixin"]


class _Method:
    """Calls ``owner``'s method ``name``, looked up at call time (a lambda's job, in a third
    of the memory: every live conversation holds seven of these)."""

    __slots__ = ("owner", "name")

    def __init__(self, owner: Any, name: str) -> None:
        self.owner = owner
        self.name = name

    def __call__(self, msg: Any) -> Any:
        return getattr(self.owner, self.name)(msg)

    def __repr__(self) -> str:
        return f"<{type(self.owner).__name__}.{self.name}>"


_BY_FLAVOR: Mapping[str, str] = MappingProxyType({
    "chat": "on_chat_message",
    "callback_query": "on_callback_query",
    "inline_query": "on_inline_query",
    "chosen_inline_result": "on_chosen_inline_result",
    "shipping_query": "on_shipping_query",
    "pre_checkout_query": "on_pre_checkout_query",
    "_idle": "on__idle",
})
"""The default router's table: flavor -> the handler method it calls (any other flavor ``f``: ``on_f``)."""


class DefaultRouterMixin:
    """Installs ``self.router`` (a :class:`Router` by flavor) and ``on_message``.

    ``chat`` goes to ``on_chat_message``, ``callback_query`` to ``on_callback_query``,
    ``inline_query``, ``chosen_inline_result``, ``shipping_query``,
    ``pre_checkout_query`` and the ``_idle`` event to the methods named after them,
    as in telepot. Any other flavor ``f`` (``poll``, ``chat_member``, an event such as
    ``_alarm``...) goes to ``on_f`` if the handler defines it; otherwise routing raises
    ``RuntimeError``, which closes the delegate, as telepot did.
    """

    _router: Router | None = None
    """Built on first use of ``self.router`` (a table of eight entries is about 1 KiB per live
    conversation); until then ``on_message`` routes the same way without it, and the instance
    has no such attribute (the conversations panel lists a handler's attributes)."""

    def _route_by_name(self, msg: Any) -> Any:
        kind = flavor(msg)
        method = getattr(self, f"on_{kind}", None)
        if method is None:
            raise RuntimeError(f"No handler for key: {kind!r}, and {type(self).__name__} has no on_{kind}()")
        return method(msg)

    @property
    def router(self) -> Router:
        router = self._router
        if router is None:
            # Each entry looks the handler method up at call time, so none has to exist yet.
            table: dict[Any, Any] = {kind: _Method(self, name) for kind, name in _BY_FLAVOR.items()}
            table[None] = self._route_by_name
            router = self._router = Router(flavor, table)
        return router

    def on_message(self, msg: Any) -> None:
        """Route ``msg`` with :attr:`router` (or, while nobody asked for the router, as its table would)."""
        router = self._router
        if router is not None:
            router.route(msg)
            return
        name = _BY_FLAVOR.get(flavor(msg))
        if name is None:
            self._route_by_name(msg)
        else:
            getattr(self, name)(msg)
