"""``Sender``, ``Administrator``, ``Editor``: a bot's methods with the chat or message filled in.

Each proxy is built in a delegate's constructor (usually); its methods, generated from
the Bot API reference into :mod:`._proxy_methods`, call the bot's method of the same
name with the chat (or message) filled in, on the calling thread.
"""

from __future__ import annotations

from typing import Any

from .._bot import _dismantle_message_identifier
from .._flavor import message_identifier
from ._proxy_methods import (
    ADMINISTRATOR_METHODS,
    EDITOR_METHODS,
    SENDER_METHODS,
    AdministratorMethods,
    EditorMethods,
    SenderMethods,
)

__all__ = ["Sender", "Administrator", "Editor"]


class _Bound:
    """A proxy holding a bot and the value its methods bind (``self._value``)."""

    def __init__(self, bot: Any, value: Any) -> None:
        self._bot = bot
        self._value = value

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._bot!r} for {self._value!r}>"


class Sender(_Bound, SenderMethods):
    """The bot's ``send*``, ``forward*`` and ``copy*`` methods and ``setMessageReaction``, with ``chat_id`` filled in.

    The methods are generated from the Bot API reference (``tools/generate_proxies.py``);
    telepot's methods keep its positional signatures: ``sender.sendMessage("hi")``.
    """

    METHODS = SENDER_METHODS

    def __init__(self, bot: Any, chat_id: Any) -> None:
        super().__init__(bot, chat_id)


class Administrator(_Bound, AdministratorMethods):
    """Every other method taking ``chat_id`` first (chat administration, members, invite links,
    forum topics...), with ``chat_id`` filled in."""

    METHODS = ADMINISTRATOR_METHODS

    def __init__(self, bot: Any, chat_id: Any) -> None:
        super().__init__(bot, chat_id)


class Editor(_Bound, EditorMethods):
    """The bot's message-editing methods (``editMessage*``, ``stopMessageLiveLocation``,
    ``stopPoll``, ``deleteMessage``) with the message identifier filled in.

    ``msg_identifier`` is ``(chat_id, message_id)``, ``(inline_message_id,)`` or a
    message (whose identifier is extracted with :func:`actorbot.message_identifier`).
    """

    METHODS = EDITOR_METHODS

    def __init__(self, bot: Any, msg_identifier: Any) -> None:
        if isinstance(msg_identifier, dict):
            msg_identifier = message_identifier(msg_identifier)
        super().__init__(bot, msg_identifier)

    def _identifier(self) -> dict[str, Any]:
        return _dismantle_message_identifier(self._value)
