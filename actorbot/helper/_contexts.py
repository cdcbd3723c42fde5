"""Contexts: what a delegate knows about itself (bot, id, listener) and its convenience proxies.

Constructed with the handler, on the delegate's own thread as it starts (a
``create_run`` delegate's: its run thread), and used there afterwards.
"""

from __future__ import annotations

from typing import Any

from ._proxies import Administrator, Editor, Sender

__all__ = ["ListenerContext", "ChatContext", "UserContext", "CallbackQueryOriginContext", "InvoiceContext"]


class ListenerContext:
    """``bot``, ``id`` and a ``listener`` created from the bot."""

    def __init__(self, bot: Any, context_id: Any, *args: Any, **kwargs: Any) -> None:
        # Set before super().__init__ so the mixins that follow can use them.
        self._bot = bot
        self._id = context_id
        self._listener = bot.create_listener()
        super().__init__(*args, **kwargs)

    @property
    def bot(self) -> Any:
        """The :class:`~actorbot.DelegatorBot`, or an augmented proxy of it."""
        return self._bot

    @property
    def id(self) -> Any:
        return self._id

    @property
    def listener(self) -> Any:
        """See :class:`~actorbot.helper.Listener`."""
        return self._listener


class ChatContext(ListenerContext):
    """A context for one chat: ``chat_id``, a ``sender`` and an ``administrator`` for it."""

    def __init__(self, bot: Any, context_id: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(bot, context_id, *args, **kwargs)
        self._chat_id = context_id
        self._sender = Sender(self.bot, self._chat_id)
        self._administrator = Administrator(self.bot, self._chat_id)

    @property
    def chat_id(self) -> Any:
        return self._chat_id

    @property
    def sender(self) -> Sender:
        """A :class:`Sender` for this chat."""
        return self._sender

    @property
    def administrator(self) -> Administrator:
        """An :class:`Administrator` for this chat."""
        return self._administrator


class UserContext(ListenerContext):
    """A context for one user: ``user_id`` and a ``sender`` to the private chat with them."""

    def __init__(self, bot: Any, context_id: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(bot, context_id, *args, **kwargs)
        self._user_id = context_id
        self._sender = Sender(self.bot, self._user_id)

    @property
    def user_id(self) -> Any:
        return self._user_id

    @property
    def sender(self) -> Sender:
        """A :class:`Sender` for this user."""
        return self._sender


class CallbackQueryOriginContext(ListenerContext):
    """A context for one callback-query origin (a message): ``origin`` and an ``editor`` for it."""

    def __init__(self, bot: Any, context_id: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(bot, context_id, *args, **kwargs)
        self._origin = context_id
        self._editor = Editor(self.bot, self._origin)

    @property
    def origin(self) -> Any:
        """Message identifier of the callback queries' origin."""
        return self._origin

    @property
    def editor(self) -> Editor:
        """An :class:`Editor` for the originating message."""
        return self._editor


class InvoiceContext(ListenerContext):
    """A context for one invoice: its ``payload``."""

    def __init__(self, bot: Any, context_id: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(bot, context_id, *args, **kwargs)
        self._payload = context_id

    @property
    def payload(self) -> Any:
        return self._payload
