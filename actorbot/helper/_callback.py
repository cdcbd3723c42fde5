"""Dynamic callback-query capture: ``CallbackQueryCoordinator`` and ``InterceptCallbackQueryMixin``.

A delegate using :class:`InterceptCallbackQueryMixin` gets an augmented ``self.bot``:
every Bot API method that can send or edit a message with an inline keyboard (the
methods of Bot API 10.1 with a ``reply_markup`` parameter, read from
:mod:`actorbot._spec`) is wrapped. When a sent or edited message carries a keyboard
with callback data, its origin (``(chat_id, message_id)`` or ``(inline_message_id,)``)
is captured: a capture-index entry owned by this delegate routes the callback queries
from that message to it. An edit without such a keyboard, or deleting the message,
removes the entry; closing the delegate removes all of them. Chosen inline results
with an ``inline_message_id`` are captured too.

The wrappers run on the thread calling the bot method (the delegate's own).
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
from collections.abc import Callable
from typing import Any, TypeAlias

from .. import _spec
from .._flavor import flavor, message_identifier

__all__ = ["CallbackQueryCoordinator", "InterceptCallbackQueryMixin", "origin_pattern"]

logger = logging.getLogger(__name__)


def _is_callback_query(msg: Any) -> bool:
    try:
        return flavor(msg) == "callback_query"
    except Exception:
        return False


def origin_pattern(origin: Any) -> list[Any]:
    """A capture pattern for the callback queries coming from ``origin`` (indexable by the engine)."""
    if isinstance(origin, (tuple, list)) and len(origin) == 2:
        chat_id, message_id = origin
        return [{"message": {"chat": {"id": chat_id}, "message_id": message_id}}, _is_callback_query]
    if isinstance(origin, (tuple, list)) and len(origin) == 1:
        origin = origin[0]
    return [{"inline_message_id": origin}, _is_callback_query]


def _keyboard_methods() -> tuple[frozenset[str], frozenset[str]]:
    """(send-like, edit-like) Bot API methods that take ``reply_markup``."""
    send, edit = set(), set()
    for method in _spec.METHODS.values():
        names = {p.name for p in method.params}
        if "reply_markup" not in names:
            continue
        if "message_id" in names or "inline_message_id" in names:
            edit.add(method.name)
        else:
            send.add(method.name)
    return frozenset(send), frozenset(edit)


SEND_METHODS, EDIT_METHODS = _keyboard_methods()
DELETE_METHODS = frozenset({"deleteMessage", "deleteMessages"})


def _plain(value: Any) -> Any:
    """``value`` as JSON-like data (dicts and lists) for inspection."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        from ..namedtuple import to_jsonable

        return to_jsonable(value)
    return value


def has_callback_data(reply_markup: Any) -> bool:
    """Whether ``reply_markup`` is an inline keyboard with at least one ``callback_data`` button."""
    markup = _plain(reply_markup)
    if not isinstance(markup, dict):
        return False
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, (list, tuple)):
        return False
    for row in rows:
        for button in row if isinstance(row, (list, tuple)) else ():
            button = _plain(button)
            if isinstance(button, dict) and button.get("callback_data") is not None:
                return True
    return False


def _bound_arguments(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        bound = inspect.signature(method).bind_partial(*args, **kwargs)
    except (TypeError, ValueError):
        return dict(kwargs)
    out = dict(bound.arguments)
    extra = out.pop("kwargs", None)
    if isinstance(extra, dict):
        out.update(extra)
    return out


def _edited_identifier(arguments: dict[str, Any]) -> Any:
    ident = arguments.get("msg_identifier")
    if ident is None:
        ident = arguments.get("game_message_identifier")
    if ident is not None:
        if isinstance(ident, dict):
            ident = message_identifier(ident)
        return ident
    if arguments.get("inline_message_id") is not None:
        return (arguments["inline_message_id"],)
    if arguments.get("chat_id") is not None and arguments.get("message_id") is not None:
        return (arguments["chat_id"], arguments["message_id"])
    return None


class CallbackQueryCoordinator:
    """Tracks the origins (messages) whose callback queries one delegate captures.

    :param id: the delegate's id (passed to the notifiers).
    :param origin_set: the set of captured origins (kept across restarts of the delegate).
    :param enable_chat: False (do not intercept chat-originated queries), True, or a
        notifier ``notifier(origin, id, adding)`` called on every change.
    :param enable_inline: the same for inline-originated queries.
    """

    def __init__(self, id: Any, origin_set: set[Any], enable_chat: Any, enable_inline: Any) -> None:
        self._id = id
        self._origin_set = origin_set
        self._listener: Any = None
        self._tokens: dict[Any, Any] = {}

        def dissolve(enable: Any) -> tuple[bool, Callable[..., Any] | None]:
            if not enable:
                return False, None
            if enable is True:
                return True, None
            if callable(enable):
                return True, enable
            raise ValueError("enable_chat/enable_inline must be a bool or a notifier function")

        self._enable_chat, self._chat_notify = dissolve(enable_chat)
        self._enable_inline, self._inline_notify = dissolve(enable_inline)

    @property
    def origin_set(self) -> set[Any]:
        return self._origin_set

    def configure(self, listener: Any) -> None:
        """Route the callback queries of every origin in the set (and later ones) to ``listener``'s delegate."""
        self._listener = listener
        for origin in list(self._origin_set):
            self._route(origin)

    def _route(self, origin: Any) -> None:
        if self._listener is None or origin in self._tokens:
            return
        capture = getattr(self._listener, "_capture_token", None)
        if capture is not None:
            self._tokens[origin] = capture(origin_pattern(origin))
        else:  # a listener of another kind: plain capture, never removed
            self._listener.capture(origin_pattern(origin))
            self._tokens[origin] = None

    def _unroute(self, origin: Any) -> None:
        token = self._tokens.pop(origin, None)
        if token is not None and self._listener is not None:
            self._listener._uncapture(token)

    def _rectify(self, msg_identifier: Any) -> tuple[tuple[Any, ...], Callable[..., Any] | None]:
        if isinstance(msg_identifier, tuple):
            if len(msg_identifier) == 2:
                return msg_identifier, self._chat_notify
            if len(msg_identifier) == 1:
                return msg_identifier, self._inline_notify
            raise ValueError(f"not a message identifier: {msg_identifier!r}")
        if isinstance(msg_identifier, list):
            return self._rectify(tuple(msg_identifier))
        return (msg_identifier,), self._inline_notify

    def capture_origin(self, msg_identifier: Any, notify: bool = True) -> None:
        """Capture the callback queries from the message ``msg_identifier``."""
        origin, notifier = self._rectify(msg_identifier)
        self._origin_set.add(origin)
        self._route(origin)
        if notify and notifier:
            notifier(origin, self._id, True)

    def uncapture_origin(self, msg_identifier: Any, notify: bool = True) -> None:
        """Stop capturing the callback queries from the message ``msg_identifier``."""
        origin, notifier = self._rectify(msg_identifier)
        self._origin_set.discard(origin)
        self._unroute(origin)
        if notify and notifier:
            notifier(origin, self._id, False)

    # -- augmenting the bot ------------------------------------------------------------------------
    def augment_send(self, send_func: Callable[..., Any]) -> Callable[..., Any]:
        """``send_func`` that captures the sent message's origin when it has callback buttons."""

        @functools.wraps(send_func)
        def augmented(*aa: Any, **kw: Any) -> Any:
            sent = send_func(*aa, **kw)
            if self._enable_chat and isinstance(sent, dict):
                arguments = _bound_arguments(send_func, aa, kw)
                if has_callback_data(arguments.get("reply_markup")):
                    if "chat" in sent:
                        self.capture_origin(message_identifier(sent))
                    elif "message_id" in sent and arguments.get("chat_id") is not None:  # copyMessage
                        self.capture_origin((arguments["chat_id"], sent["message_id"]))
            return sent

        return augmented

    def augment_edit(self, edit_func: Callable[..., Any]) -> Callable[..., Any]:
        """``edit_func`` that captures the message's origin if the new keyboard has callback
        buttons, and stops capturing it otherwise."""

        @functools.wraps(edit_func)
        def augmented(*aa: Any, **kw: Any) -> Any:
            edited = edit_func(*aa, **kw)
            if (edited is True and self._enable_inline) or (isinstance(edited, dict) and self._enable_chat):
                arguments = _bound_arguments(edit_func, aa, kw)
                ident = _edited_identifier(arguments)
                if ident is not None:
                    if has_callback_data(arguments.get("reply_markup")):
                        self.capture_origin(ident)
                    else:
                        self.uncapture_origin(ident)
            return edited

        return augmented

    def augment_delete(self, delete_func: Callable[..., Any]) -> Callable[..., Any]:
        """``delete_func`` that stops capturing the deleted message(s)."""

        @functools.wraps(delete_func)
        def augmented(*aa: Any, **kw: Any) -> Any:
            deleted = delete_func(*aa, **kw)
            if deleted is True:
                arguments = _bound_arguments(delete_func, aa, kw)
                ids = arguments.get("message_ids")
                if ids is not None and arguments.get("chat_id") is not None:
                    for message_id in ids:
                        self.uncapture_origin((arguments["chat_id"], message_id))
                else:
                    ident = _edited_identifier(arguments)
                    if ident is not None:
                        self.uncapture_origin(ident)
            return deleted

        return augmented

    def augment_on_message(self, handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """``handler`` that captures the origin of a chosen inline result with an ``inline_message_id``."""

        def augmented(msg: Any) -> Any:
            if self._enable_inline and "inline_message_id" in msg and flavor(msg) == "chosen_inline_result":
                self.capture_origin(msg["inline_message_id"])
            return handler(msg)

        return augmented

    def augment_bot(self, bot: Any) -> Any:
        """A proxy to ``bot`` whose message-sending, -editing and -deleting methods are augmented."""
        return _BotProxy(bot, self)


class _BotProxy:
    """``bot`` with augmented methods (built on first use); every other attribute passes through."""

    def __init__(self, bot: Any, coordinator: CallbackQueryCoordinator) -> None:
        object.__setattr__(self, "_proxied", bot)
        object.__setattr__(self, "_coordinator", coordinator)

    def __getattr__(self, name: str) -> Any:
        bot = self._proxied
        value = getattr(bot, name)
        cqc = self._coordinator
        if name in SEND_METHODS:
            wrapped = cqc.augment_send(value)
        elif name in EDIT_METHODS:
            wrapped = cqc.augment_edit(value)
        elif name in DELETE_METHODS:
            wrapped = cqc.augment_delete(value)
        else:
            return value
        object.__setattr__(self, name, wrapped)
        return wrapped

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._proxied, name, value)

    def __dir__(self) -> list[str]:
        return dir(self._proxied)

    def __repr__(self) -> str:
        return f"<augmented {self._proxied!r}>"


# The mixin re-exports the class as a class attribute (overridable, as in telepot), which
# shadows its name inside the class body; annotations there use this alias.
_CallbackQueryCoordinator: TypeAlias = CallbackQueryCoordinator


class InterceptCallbackQueryMixin:
    """Captures callback queries dynamically through a :class:`CallbackQueryCoordinator`.

    ``self.bot`` becomes an augmented proxy of the bot (see the module docstring); the
    original stays reachable as ``self._InterceptCallbackQueryMixin__bot``. Origins
    captured by an earlier delegate with the same id (before it closed) are captured
    again when a new one starts, as telepot did.
    """

    CallbackQueryCoordinator = CallbackQueryCoordinator

    def __init__(self, intercept_callback_query: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(intercept_callback_query, tuple):
            cqc_enable = intercept_callback_query
        else:
            cqc_enable = (intercept_callback_query,) * 2
        origin_set = _origin_store(self._bot, self.id)  # type: ignore[attr-defined,has-type]
        self._callback_query_coordinator = self.CallbackQueryCoordinator(self.id, origin_set, *cqc_enable)  # type: ignore[attr-defined]
        cqc = self._callback_query_coordinator
        cqc.configure(self.listener)  # type: ignore[attr-defined]
        self.__bot = self._bot  # type: ignore[has-type]
        self._bot = cqc.augment_bot(self._bot)  # type: ignore[has-type]
        self.on_message = cqc.augment_on_message(self.on_message)  # type: ignore[attr-defined,has-type]
        super().__init__(*args, **kwargs)

    @property
    def callback_query_coordinator(self) -> _CallbackQueryCoordinator:
        return self._callback_query_coordinator


def _origin_store(bot: Any, delegate_id: Any) -> set[Any]:
    """The origin set kept for ``delegate_id`` by the bot (across delegate restarts)."""
    store = getattr(bot, "_callback_origins", None)
    if store is None:
        return set()
    return store.setdefault_set(delegate_id)  # type: ignore[no-any-return]
