"""Helpers for the engine tests: a loopback Bot API that answers like Telegram enough for
handlers (``sendMessage`` returns a Message), and builders of updates' messages."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from loopback import LoopbackApi, Reply, Request

TOKEN = "123456:TEST-token-secret"


class Telegram:
    """Wraps the loopback server: answers send/edit calls with plausible results, builds updates."""

    def __init__(self, api: LoopbackApi) -> None:
        self.api = api
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()
        for method in ("sendMessage", "sendInvoice", "copyMessage"):
            api.on(method, self._sent)
        for method in ("editMessageText", "editMessageReplyMarkup"):
            api.on(method, self._edited)

    def _next(self) -> int:
        with self._lock:
            return next(self._ids)

    def _sent(self, req: Request) -> Reply:
        chat_id = req.params.get("chat_id")
        if req.method == "copyMessage":
            return Reply(result={"message_id": self._next()})
        result = {
            "message_id": self._next(),
            "date": 0,
            "chat": {"id": int(chat_id), "type": "private"},
            "text": req.params.get("text", ""),
        }
        if "reply_markup" in req.params:
            result["reply_markup"] = req.params["reply_markup"]
        return Reply(result=result)

    def _edited(self, req: Request) -> Reply:
        if "inline_message_id" in req.params:
            return Reply(result=True)
        return Reply(
            result={
                "message_id": int(req.params["message_id"]),
                "date": 0,
                "chat": {"id": int(req.params["chat_id"]), "type": "private"},
                "text": req.params.get("text", ""),
            }
        )

    # -- what the server received ------------------------------------------------------------
    def sent(self, method: str = "sendMessage") -> list[tuple[Any, Any]]:
        """``(chat_id, text)`` of every ``method`` call, in arrival order."""
        return [(int(r.params["chat_id"]), r.params.get("text")) for r in self.api.calls(method)]

    def texts_to(self, chat_id: int) -> list[str]:
        return [text for cid, text in self.sent() if cid == chat_id]

    def wait(self, method: str = "sendMessage", count: int = 1, timeout: float = 5.0) -> Request:
        return self.api.wait_request(method, count, timeout)


_update_ids = itertools.count(1)


def chat_message(chat_id: int, text: str, *, from_id: int | None = None, chat_type: str = "private",
                 message_id: int | None = None) -> dict[str, Any]:
    return {
        "message_id": message_id if message_id is not None else next(_update_ids),
        "from": {"id": from_id if from_id is not None else chat_id, "is_bot": False, "first_name": "U"},
        "chat": {"id": chat_id, "type": chat_type},
        "date": 0,
        "text": text,
    }


def callback_query(from_id: int, data: str, *, chat_id: int | None = None, message_id: int | None = None,
                   inline_message_id: str | None = None) -> dict[str, Any]:
    q: dict[str, Any] = {
        "id": f"cq{next(_update_ids)}",
        "from": {"id": from_id, "is_bot": False, "first_name": "U"},
        "chat_instance": "ci",
        "data": data,
    }
    if inline_message_id is not None:
        q["inline_message_id"] = inline_message_id
    else:
        q["message"] = {"message_id": message_id, "date": 0, "chat": {"id": chat_id, "type": "private"}, "text": "k"}
    return q


def inline_query(from_id: int, query: str) -> dict[str, Any]:
    return {"id": f"iq{next(_update_ids)}", "from": {"id": from_id, "is_bot": False, "first_name": "U"},
            "query": query, "offset": ""}


def chosen_inline_result(from_id: int, result_id: str, inline_message_id: str | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {"result_id": result_id, "from": {"id": from_id, "is_bot": False, "first_name": "U"},
                         "query": "q"}
    if inline_message_id is not None:
        r["inline_message_id"] = inline_message_id
    return r


