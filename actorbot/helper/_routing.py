"""``DefaultRouterMixin``: ``on_message`` routes by flavor to ``on_chat_message`` and friends."""

from __future__ import annotations

from typing import Any

from .._flavor import flavor
from .._router import Router

__all__ = ["Router", "DefaultRouterMixin"]


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
        # Lambdas look the handler methods up at call time, so none has to exist yet.
        self._router = Router(
            flavor,
            {
                "chat": lambda msg: self.on_chat_message(msg),  # type: ignore[attr-defined]
                "callback_query": lambda msg: self.on_callback_query(msg),  # type: ignore[attr-defined]
                "inline_query": lambda msg: self.on_inline_query(msg),  # type: ignore[attr-defined]
                "chosen_inline_result": lambda msg: self.on_chosen_inline_result(msg),  # type: ignore[attr-defined]
                "shipping_query": lambda msg: self.on_shipping_query(msg),  # type: ignore[attr-defined]
                "pre_checkout_query": lambda msg: self.on_pre_checkout_query(msg),  # type: ignore[attr-defined]
                "_idle": lambda event: self.on__idle(event),  # type: ignore[attr-defined]
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
