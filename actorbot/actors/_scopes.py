"""``self.chat_data`` and ``self.user_data``: data of the update's chat and sender that outlives
a conversation (python-telegram-bot's names).

Before each handler run the delegate gives its handler two lazily loaded
:class:`~actorbot.actors._record.Record` s, for the chat and the user the update is
about (None when it has neither: an event, an inline query has no chat); after the run
the changed ones are written with the run's other changes. Runs on the delegate's thread.

Two conversations changing the same chat's or user's data at the same time (a chat
handler and a user handler, say) each write what they saw: the last commit wins.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ..store import Write
from ._record import Record

__all__ = ["CHATS", "USERS", "chat_and_user", "data_writes"]

CHATS = "chat"
USERS = "user"

Load = Callable[[str, str], "dict[str, Any] | None"]


def _id(obj: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(name)
    return obj if isinstance(obj, (int, str)) and not isinstance(obj, bool) else None


def _scope(namespace: str, label: str, ident: Any, load: Load) -> Record | None:
    if ident is None:
        return None
    key = str(ident)
    return Record(label, partial(load, namespace, key), key=key, namespace=namespace)  # a third of a lambda's memory


def chat_and_user(handler: Any, msg: Any, load: Load) -> tuple[Record | None, Record | None]:
    """Set ``handler.chat_data`` and ``handler.user_data`` for ``msg``; return them."""
    chat = _id(msg, "chat", "id")
    if chat is None:
        chat = _id(msg, "message", "chat", "id")  # a callback query's message
    scopes = (_scope(CHATS, "chat_data", chat, load), _scope(USERS, "user_data", _id(msg, "from", "id"), load))
    handler.chat_data, handler.user_data = scopes
    return scopes


def data_writes(scopes: tuple[Record | None, Record | None]) -> tuple[Write, ...]:
    """The writes for the scopes a run changed (raises ``StateNotSerializable``)."""
    writes = []
    for record in scopes:
        if record is None or not record.loaded:
            continue
        text = record.changes()
        if text is not None:
            assert record.namespace is not None and record.key is not None
            writes.append(Write(record.namespace, record.key, record.to_json()))
            record.mark_written(text)
    return tuple(writes)
