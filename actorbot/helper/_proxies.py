"""``Sender``, ``Administrator``, ``Editor``: a bot's methods with the chat or message filled in.

Each proxy is built in a delegate's constructor (usually) and makes a
``functools.partial`` of a bot method the first time that method is used; calling one
runs the bot method on the calling thread.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from .._flavor import message_identifier

__all__ = ["Sender", "Administrator", "Editor"]

_SENDER_METHODS = (
    "sendMessage", "forwardMessage", "sendPhoto", "sendAudio", "sendDocument", "sendSticker",
    "sendVideo", "sendVoice", "sendVideoNote", "sendMediaGroup", "sendLocation", "sendVenue",
    "sendContact", "sendGame", "sendChatAction",
    # added since telepot 12.7
    "sendAnimation", "sendPoll", "sendDice", "sendInvoice", "sendPaidMedia", "sendChecklist",
    "sendLivePhoto", "sendRichMessage", "forwardMessages", "copyMessage", "copyMessages",
)

_ADMINISTRATOR_METHODS = (
    "kickChatMember", "unbanChatMember", "restrictChatMember", "promoteChatMember",
    "exportChatInviteLink", "setChatPhoto", "deleteChatPhoto", "setChatTitle",
    "setChatDescription", "pinChatMessage", "unpinChatMessage", "leaveChat", "getChat",
    "getChatAdministrators", "getChatMembersCount", "getChatMember", "setChatStickerSet",
    "deleteChatStickerSet",
    # added since telepot 12.7
    "banChatMember", "setChatPermissions", "setChatAdministratorCustomTitle",
    "getChatMemberCount", "unpinAllChatMessages", "createChatInviteLink", "editChatInviteLink",
    "revokeChatInviteLink", "approveChatJoinRequest", "declineChatJoinRequest",
    "banChatSenderChat", "unbanChatSenderChat",
)

_EDITOR_METHODS = (
    "editMessageText", "editMessageCaption", "editMessageReplyMarkup", "deleteMessage",
    "editMessageLiveLocation", "stopMessageLiveLocation",
    # added since telepot 12.7
    "editMessageMedia", "stopPoll",
)


def _fill(method: Any, name: str, value: Any) -> Any:
    """``method`` with parameter ``name`` fixed: positionally when it comes first, else by keyword."""
    try:
        params = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return functools.partial(method, value)
    if params and params[0].name == name and params[0].kind in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        return functools.partial(method, value)
    if any(p.name == name for p in params) or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return functools.partial(method, **{name: value})
    return functools.partial(method, value)


class _Filled:
    """A proxy whose methods are the bot's with one parameter filled in, built on first use.

    Building on first use keeps handler construction (on the supervisor's thread) cheap.
    """

    _NAMES: tuple[str, ...] = ()
    _PARAM = ""

    def __init__(self, bot: Any, value: Any) -> None:
        self._bot = bot
        self._value = value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._NAMES:
            raise AttributeError(name)
        filled = _fill(getattr(self._bot, name), self._PARAM, self._value)
        setattr(self, name, filled)
        return filled

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | {n for n in self._NAMES if hasattr(self._bot, n)})


class Sender(_Filled):
    """The bot's ``send*``, ``forwardMessage`` and ``copyMessage`` methods with ``chat_id`` filled in."""

    _NAMES = _SENDER_METHODS
    _PARAM = "chat_id"

    def __init__(self, bot: Any, chat_id: Any) -> None:
        super().__init__(bot, chat_id)


class Administrator(_Filled):
    """The bot's chat administration methods with ``chat_id`` filled in."""

    _NAMES = _ADMINISTRATOR_METHODS
    _PARAM = "chat_id"

    def __init__(self, bot: Any, chat_id: Any) -> None:
        super().__init__(bot, chat_id)


class Editor(_Filled):
    """The bot's message-editing methods with ``msg_identifier`` filled in.

    ``msg_identifier`` is ``(chat_id, message_id)``, ``(inline_message_id,)`` or a
    message (whose identifier is extracted with :func:`actorbot.message_identifier`).
    """

    _NAMES = _EDITOR_METHODS
    _PARAM = "msg_identifier"

    def __init__(self, bot: Any, msg_identifier: Any) -> None:
        if isinstance(msg_identifier, dict):
            msg_identifier = message_identifier(msg_identifier)
        super().__init__(bot, msg_identifier)
