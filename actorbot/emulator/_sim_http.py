"""The simulation's HTTP API under ``/sim/``: the Python API, one JSON call per action.

Answers use the Bot API envelope: ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": 400, "description": ...}``. Runs on the HTTP
handler thread. Actions (``POST`` unless marked ``GET``)::

    users {first_name, username?, last_name?, user_id?}       chats {type, title?, members?, admins?,
    send {user_id, text, chat_id?, reply_to_message_id?}          owner?, bot_status?, username?}
    command {user_id, command, args?, chat_id?}               photo {user_id, data_base64?, caption?, chat_id?}
    document {user_id, data_base64, filename?, mime_type?, caption?, chat_id?}
    edit {user_id, chat_id, message_id, text}                 press {user_id, chat_id, message_id | inline_message_id,
    GET callback?id=                                                label | data}
    inline_query {user_id, query, offset?}                    GET inline_query?id=
    choose_inline_result {inline_query_id, result_id?, index?, chat_id?}
    pay {user_id, chat_id, message_id, shipping_option_id?, order_info?}     GET payment?id=
    block {user_id}   unblock {user_id}   join {chat_id, user_id, status?}   leave {chat_id, user_id}
    bot_status {chat_id, status, ...rights}
    GET transcript?chat_id=&format=text|json   GET messages?chat_id=   GET calls?method=&after=
    faults {method, kind, times?, retry_after?, status?, delay?, processed?, chat_id?}   DELETE faults
    wait_message {chat_id, timeout?, after?}   GET state
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from ._faults import Fault, FaultPlan
from ._sim import TINY_PNG, PaymentHandle, SimChat, Simulation, SimulationError, SimUser
from ._state import World

__all__ = ["SimHttp"]


def _int(params: dict[str, Any], name: str, default: Any = None) -> Any:
    value = params.get(name)
    if value is None or value == "":
        if default is None:
            raise SimulationError(f"{name} is required")
        return default
    return int(value)


def _opt_int(params: dict[str, Any], name: str) -> int | None:
    value = params.get(name)
    return None if value is None or value == "" else int(value)


def _user_json(user: SimUser) -> dict[str, Any]:
    return {"id": user.id, "first_name": user.first_name, "username": user.username}


def _chat_json(chat: SimChat) -> dict[str, Any]:
    return {"id": chat.id, "type": chat.type, "title": chat.title}


def _list(value: Any) -> list[Any]:
    if isinstance(value, str):
        value = json.loads(value) if value.startswith("[") else [v for v in value.split(",") if v]
    return [int(v) for v in value or []]


class SimHttp:
    """Maps ``/sim/<action>`` to :class:`Simulation` calls."""

    def __init__(self, sim: Simulation, world: World, faults: FaultPlan) -> None:
        self._sim = sim
        self._world = world
        self._faults = faults
        self._actions: dict[str, Callable[[dict[str, Any]], Any]] = {
            "users": self._users,
            "chats": self._chats,
            "send": self._send,
            "command": lambda p: self._sim.send_command(_int(p, "user_id"), str(p["command"]), str(p.get("args", "")),
                                                        _opt_int(p, "chat_id")),
            "photo": self._photo,
            "document": self._document,
            "edit": self._edit,
            "press": self._press,
            "callback": lambda p: {"answer": self._world.callbacks[str(p["id"])].answer},
            "inline_query": self._inline_query,
            "choose_inline_result": lambda p: self._sim.choose_inline_result(
                str(p["inline_query_id"]), p.get("result_id"), index=int(p.get("index", 0)),
                chat=_opt_int(p, "chat_id")),
            "pay": self._pay,
            "payment": self._payment,
            "block": self._block,
            "unblock": self._unblock,
            "join": lambda p: self._sim.add_member(_int(p, "chat_id"), _int(p, "user_id"),
                                                   status=str(p.get("status", "member"))),
            "leave": lambda p: self._sim.remove_member(_int(p, "chat_id"), _int(p, "user_id")),
            "bot_status": self._bot_status,
            "transcript": self._transcript,
            "messages": lambda p: self._sim.messages(_int(p, "chat_id")),
            "calls": self._calls,
            "faults": self._add_fault,
            "wait_message": lambda p: self._sim.wait_for_bot_message(
                _int(p, "chat_id"), None, min(float(p.get("timeout", 5.0)), 60.0), after=_opt_int(p, "after")),
            "state": self._state,
        }

    def call(self, http_method: str, action: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Run one action; returns ``(status, envelope)``."""
        if action == "faults" and http_method == "DELETE":
            self._faults.clear()
            self._faults_changed()
            return 200, {"ok": True, "result": True}
        handler = self._actions.get(action)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        try:
            return 200, {"ok": True, "result": handler(params)}
        except (SimulationError, KeyError, ValueError, TypeError) as exc:
            text = str(exc) if not isinstance(exc, KeyError) else f"missing or unknown {exc}"
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {text}"}

    def _users(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self._sim.create_user(str(p["first_name"]), username=p.get("username"), last_name=p.get("last_name"),
                                     user_id=_opt_int(p, "user_id"))
        return _user_json(user)

    def _chats(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._sim.create_chat(
            str(p["type"]), p.get("title"), members=_list(p.get("members")), admins=_list(p.get("admins")),
            owner=_opt_int(p, "owner"), bot_status=str(p.get("bot_status", "member")), username=p.get("username"),
            chat_id=_opt_int(p, "chat_id"))
        return _chat_json(chat)

    def _send(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._sim.send_text(_int(p, "user_id"), str(p["text"]), _opt_int(p, "chat_id"),
                                   reply_to=_opt_int(p, "reply_to_message_id"), parse_mode=p.get("parse_mode"))

    def _photo(self, p: dict[str, Any]) -> dict[str, Any]:
        data = base64.b64decode(p["data_base64"]) if p.get("data_base64") else TINY_PNG
        return self._sim.send_photo(_int(p, "user_id"), data, caption=p.get("caption"), chat=_opt_int(p, "chat_id"))

    def _document(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._sim.send_document(
            _int(p, "user_id"), base64.b64decode(p["data_base64"]), str(p.get("filename", "file.txt")),
            mime_type=str(p.get("mime_type", "application/octet-stream")), caption=p.get("caption"),
            chat=_opt_int(p, "chat_id"))

    def _message(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._world.lock:
            chat = self._world.chats.get(_int(p, "chat_id"))
            message = chat.messages.get(_int(p, "message_id")) if chat else None
        if message is None:
            raise SimulationError("no such message")
        return message

    def _edit(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._sim.edit_text(_int(p, "user_id"), self._message(p), str(p["text"]))

    def _press(self, p: dict[str, Any]) -> dict[str, Any]:
        target: Any = str(p["inline_message_id"]) if p.get("inline_message_id") else self._message(p)
        handle = self._sim.press(_int(p, "user_id"), target, label=p.get("label"), data=p.get("data"))
        return {"callback_query_id": handle.id}

    def _inline_query(self, p: dict[str, Any]) -> Any:
        if "id" in p and "query" not in p:
            return self._world.inline_queries[str(p["id"])].answer
        handle = self._sim.inline_query(_int(p, "user_id"), str(p.get("query", "")), offset=str(p.get("offset", "")))
        return {"inline_query_id": handle.id}

    def _block(self, p: dict[str, Any]) -> bool:
        self._sim.block(_int(p, "user_id"))
        return True

    def _unblock(self, p: dict[str, Any]) -> bool:
        self._sim.unblock(_int(p, "user_id"))
        return True

    def _pay(self, p: dict[str, Any]) -> dict[str, Any]:
        order_info = p.get("order_info")
        if isinstance(order_info, str):
            order_info = json.loads(order_info)
        handle = self._sim.pay(_int(p, "user_id"), self._message(p), order_info=order_info,
                               shipping_option_id=p.get("shipping_option_id"))
        return {"payment_id": handle.id}

    def _payment(self, p: dict[str, Any]) -> dict[str, Any]:
        handle = PaymentHandle(str(p["id"]), self._sim)
        return {"status": handle.status, "error": handle.error, "message": handle.message}

    def _bot_status(self, p: dict[str, Any]) -> bool:
        rights = {k: v in (True, "true", "1", 1) for k, v in p.items() if k.startswith("can_")}
        self._sim.set_bot_status(_int(p, "chat_id"), str(p["status"]), **rights)
        return True

    def _transcript(self, p: dict[str, Any]) -> Any:
        chat_id = _int(p, "chat_id")
        if p.get("format", "text") == "json":
            return [asdict(entry) for entry in self._sim.transcript(chat_id)]
        return self._sim.transcript_text(chat_id, actions=str(p.get("actions", "")) in ("1", "true"))

    def _calls(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        after = _opt_int(p, "after") or 0
        return [
            {**asdict(call), "params": dict(call.params), "files": dict(call.files),
             "answer": dict(call.answer) if call.answer else None}
            for call in self._sim.calls(p.get("method") or None) if call.seq > after
        ]

    def _add_fault(self, p: dict[str, Any]) -> bool:
        kind = str(p["kind"])
        if kind not in ("rate_limit", "server_error", "drop", "slow"):
            raise SimulationError("kind must be rate_limit, server_error, drop or slow")
        fault = Fault(kind, retry_after=int(p.get("retry_after", 1)), status=int(p.get("status", 500)),  # type: ignore[arg-type]
                      delay=float(p.get("delay", 0.0)), processed=str(p.get("processed", "")).lower() in ("1", "true"))
        chat_id = p.get("chat_id")
        self._faults.add(str(p.get("method", "*")), fault, int(p.get("times", 1)),
                         chat_id=None if chat_id in (None, "") else str(chat_id))
        self._faults_changed()
        return True

    def _faults_changed(self) -> None:
        """Wake the browser chat's long polls, which show the planned faults."""
        with self._world.lock:
            self._world.notify()

    def _state(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._world.lock:
            return {
                "pending_updates": len(self._world.pending),
                "requests_in_progress": self._world.in_progress,
                "webhook": self._world.webhook.url if self._world.webhook else "",
                "calls": len(self._world.calls),
            }
