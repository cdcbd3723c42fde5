"""The browser chat under ``/chat/``: a page where a person plays the simulated users.

The page (plain HTML, CSS and JavaScript shipped in ``actorbot/emulator/web/``, no
build step) acts through the simulation's HTTP API under ``/sim/`` (create users and
groups, send text, photos and documents, press buttons, inline queries, payments,
faults). This module adds what the page needs on top of it::

    GET /chat/                      the page (and its static files /chat/<name>)
    GET /chat/api/events?since=&after=&timeout=
                                    long poll: waits (bounded) until the world differs from
                                    the version ``since``, then answers the users, the chats,
                                    the planned faults, the transcript entries and the Bot API calls after
                                    sequence number ``after``, and the new ``version``;
                                    a bot message sent with a reply keyboard (or its
                                    removal) carries it as ``reply_keyboard``
    GET /chat/api/file?file_id=     a file's bytes (photos and documents in the chat)
    GET /chat/api/conversations     the live conversations of the bot attached with
                                    ``Emulator.attach_bot`` (same process): ``attached``,
                                    ``conversations`` (pattern, seed, state, kind, handler,
                                    mailbox, values) and a ``note`` when there are none to show

Runs on the HTTP handler threads; reads the world with ``world.lock`` held and waits
on ``world.changed`` with a real-time bound, so ``Emulator.stop()`` ends a poll at once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from importlib import resources
from typing import Any

from ._clock import real_monotonic
from ._faults import Fault, FaultPlan
from ._state import World

__all__ = ["WebChat"]

logger = logging.getLogger(__name__)

_JSON = "application/json"
_TYPES = {
    "html": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
}
MAX_ENTRIES = 2000
MAX_CALLS = 300
MAX_POLL_SECONDS = 30.0


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def _error(status: int, description: str) -> tuple[int, bytes, str]:
    return status, _dumps({"ok": False, "error_code": status, "description": description}), _JSON


def _short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fault_label(fault: Fault) -> str:
    if fault.kind == "rate_limit":
        return f"429 {fault.description}"
    if fault.kind == "server_error":
        return f"{fault.status} {fault.description}"
    if fault.kind == "drop":
        return "connection dropped" + (" after the call is done" if fault.processed else "")
    return f"answer delayed {fault.delay:g} s"


class WebChat:
    """Serves ``/chat/``: static files from the package and the page's JSON endpoints."""

    def __init__(self, world: World, faults: FaultPlan) -> None:
        self._world = world
        self._faults = faults
        self._static = resources.files("actorbot.emulator").joinpath("web")
        self._bot: Any = None

    def attach(self, bot: Any) -> None:
        """See :meth:`Emulator.attach_bot`."""
        self._bot = bot

    @property
    def attached(self) -> Any:
        return self._bot

    def call(self, http_method: str, path: str, params: dict[str, Any]) -> tuple[int, bytes, str]:
        """Answer ``path`` (starting with ``/chat``): ``(status, body, content type)``."""
        rest = path[len("/chat") :].strip("/")
        if rest == "api/events":
            return self._events(params)
        if rest == "api/file":
            return self._file(params)
        if rest == "api/conversations":
            return self._conversations()
        if http_method not in ("GET", "HEAD"):
            return _error(405, "Method Not Allowed")
        return self._asset(rest or "index.html")

    # ------------------------------------------------------------------ static files

    def _asset(self, name: str) -> tuple[int, bytes, str]:
        if "/" in name or "\\" in name or name.startswith("."):
            return _error(404, "Not Found")
        item = self._static.joinpath(name)
        if not item.is_file():
            return _error(404, "Not Found")
        ctype = _TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")
        return 200, item.read_bytes(), ctype

    def _file(self, params: dict[str, Any]) -> tuple[int, bytes, str]:
        with self._world.lock:
            record = self._world.files.get(str(params.get("file_id", "")))
        if record is None or record.data is None:
            return _error(404, "Not Found")
        return 200, record.data, record.mime_type or "application/octet-stream"

    # ------------------------------------------------------------------ the attached bot

    def _conversations(self) -> tuple[int, bytes, str]:
        bot = self._bot
        listing: list[dict[str, Any]] = []
        note: str | None = None
        if bot is None:
            note = (
                "No bot attached: run it in this process (actorbot run --emulator, serve_bot)"
                " to see its conversations."
            )
        elif not callable(getattr(bot, "conversations", None)):
            note = f"{type(bot).__name__} has no conversations (a DelegatorBot has)."
        else:
            try:
                listing = [info.to_json() for info in bot.conversations(timeout=1.0)]
            except Exception as exc:  # busy, stopped, or not ours: the page says so
                note = f"The bot did not answer: {type(exc).__name__}: {exc}"
            else:
                if not listing:
                    note = "No live conversation."
        body = {"attached": bot is not None, "conversations": listing, "note": note}
        return 200, _dumps({"ok": True, "result": body}), _JSON

    # ------------------------------------------------------------------ the long poll

    def _version(self) -> str:
        """Changes whenever a user, chat, membership, transcript entry, call or planned fault
        comes or goes (lock held)."""
        world = self._world
        last = world.calls[-1].seq if world.calls else 0
        members = 0
        for chat in world.chats.values():
            members += len(chat.members)
            if chat.transcript:
                last = max(last, chat.transcript[-1].seq)
        return f"{last}.{len(world.users)}.{len(world.chats)}.{members}.{len(world.blocked)}.{self._faults.pending()}"

    def _events(self, params: dict[str, Any]) -> tuple[int, bytes, str]:
        try:
            after = int(params.get("after") or 0)
            timeout = min(max(float(params.get("timeout") or 0), 0.0), MAX_POLL_SECONDS)
        except ValueError:
            return _error(400, "Bad Request: after and timeout must be numbers")
        since = str(params.get("since") or "")
        world = self._world
        deadline = real_monotonic() + timeout
        with world.lock:
            while self._version() == since and not world.closing:
                remaining = deadline - real_monotonic()
                if remaining <= 0:
                    break
                world.changed.wait(remaining)
            body = self._snapshot(after)
        return 200, _dumps({"ok": True, "result": body}), _JSON

    def _snapshot(self, after: int) -> dict[str, Any]:
        world = self._world
        bot_id = int(world.bot_user["id"])
        users = [
            {
                "id": u["id"],
                "first_name": u["first_name"],
                "username": u.get("username"),
                "blocked": u["id"] in world.blocked,
            }
            for u in world.users.values()
        ]
        chats = []
        entries: list[dict[str, Any]] = []
        for chat in world.chats.values():
            members = {uid: str(m.get("status")) for uid, m in chat.members.items() if uid != bot_id}
            bot = world.bot_member(chat)
            chats.append(
                {
                    "id": chat.id,
                    "type": chat.type,
                    "title": chat.chat.get("title") or chat.chat.get("first_name"),
                    "members": members,
                    "bot_status": bot.get("status") if bot else "left",
                }
            )
            for entry in reversed(chat.transcript):
                if entry.seq <= after:
                    break
                item = asdict(entry)
                if entry.kind == "message" and entry.from_bot and entry.message_id in chat.reply_keyboards:
                    item["reply_keyboard"] = chat.reply_keyboards[entry.message_id]
                entries.append(item)
        entries.sort(key=lambda e: e["seq"])
        calls: list[dict[str, Any]] = []
        for call in reversed(world.calls):
            if call.seq <= after or len(calls) >= MAX_CALLS:
                break
            if call.method == "getUpdates" and call.ok and not call.result:
                continue  # an empty long poll: noise
            answer = dict(call.answer) if call.answer else None
            calls.append(
                {
                    "seq": call.seq,
                    "method": call.method,
                    "status": call.status,
                    "fault": call.fault,
                    "params": _short(dict(call.params)),
                    "description": answer.get("description") if answer and not answer.get("ok") else None,
                }
            )
        calls.reverse()
        version = self._version()
        faults = [
            {"method": method, "kind": fault.kind, "description": _fault_label(fault), "times": times}
            for method, fault, times in self._faults.planned()
        ]
        return {
            "version": version,
            "seq": int(version.split(".", 1)[0]),
            "faults": faults,
            "bot": dict(world.bot_user),
            "users": users,
            "chats": chats,
            "entries": entries[-MAX_ENTRIES:],
            "calls": calls,
        }
