"""``DefaultRouterMixin``: ``on_message`` routes by flavor to ``on_chat_message`` and friends."""

from __future__ import annotations

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


class DefaultRouterMixin:
    """Installs ``self.router`` (a :class:`Router` by flavor) and ``on_message``.

    ``chat`` goes to ``on_chat_message``, ``callback_query`` to ``on_callback_query``,
    ``inline_query``, ``chosen_inline_result``, ``shipping_query``,
    ``pre_checkout_query`` and the ``_idle`` event to the methods named after them,
    as in telepot. Any other flavor ``f`` (``poll``, ``chat_member``, an event such as
    ``_alarm``...) goes to ``on_f`` if the handler defines it; otherwise routing raises
    ``RuntimeError``, which closes the delegate, as telepot did.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Each entry looks the handler method up at call time, so none has to exist yet.
        self._router = Router(
            flavor,
            {
                "chat": _Method(self, "on_chat_message"),
                "callback_query": _Method(self, "on_callback_query"),
                "inline_query": _Method(self, "on_inline_query"),
                "chosen_inline_result": _Method(self, "on_chosen_inline_result"),
                "shipping_query": _Method(self, "on_shipping_query"),
                "pre_checkout_query": _Method(self, "on_pre_checkout_query"),
                "_idle": _Method(self, "on__idle"),
                None: self._route_by_name,
            },
        )
        super().__init__(*args, **kwargs)

    def _route_by_name(self, msg: Any) -> Any:
        kind = flavor(msg)
        method = getattr(self, f"on_{kind}", None)
        if method is None:
            raise RuntimeError(f"No handler for key: {kind!r}, and {type(self).__name__} has no on_{kind}()")
        return method(msg)

    @property
    def router(self) -> Router:
        return self._router

    def on_message(self, msg: Any) -> None:
        """Route ``msg`` with :attr:`router`."""
        self._router.route(msg)
