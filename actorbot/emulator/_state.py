"""The emulator's world: users, chats, messages, files, queries and the update queue.

One :class:`World` per emulator. Every read or write happens with ``world.lock``
held (HTTP handler threads, the webhook workers and the caller's thread of the
simulation API all take it). Two conditions share that lock: ``changed`` is
notified after every change (test helpers wait on it); ``updates_changed`` only
when the update queue, the webhook or the closing flag changes (long polls and
webhook workers wait on it, so ordinary calls do not wake them).
Message dicts are never mutated once stored: an edit stores a new dict, so an
update or transcript entry that refers to an older version stays a snapshot.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._clock import Clock, real_monotonic
from ._errors import ApiError, bad_request, conflict, forbidden
from ._records import ApiCall, TranscriptEntry, chat_label, describe_content, keyboard_labels

_WEBHOOK_ACTIVE = "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"

__all__ = [
    "World",
    "ChatState",
    "FileRecord",
    "CallbackState",
    "InlineQueryState",
    "PaymentState",
    "WebhookConfig",
    "DEFAULT_EXCLUDED_UPDATES",
]

#: Who said what, as it happens: one INFO line per transcript entry (``[chat] alice: hello``,
#: ``[chat] bot: Hi!  [Yes] [No]``, ``[chat] alice pressed [Yes]``, ``[chat] bot answered: ...``);
#: chat actions ("bot is typing") at DEBUG. Named for what it logs, under the emulator's logger.
chat_log = logging.getLogger(__name__.rsplit(".", 1)[0] + ".chat")

DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
BOT_SENDER = "bot"


@dataclass(frozen=True)
class FileRecord:
    """A file the emulator knows: uploaded bytes (or a URL it was given), with minted ids."""

    file_id: str
    file_unique_id: str
    kind: str
    file_path: str
    data: bytes | None
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None

    @property
    def file_size(self) -> int | None:
        return len(self.data) if self.data is not None else None


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None = None


@dataclass
class ChatState:
    """A chat: its ``Chat`` object, members (user id -> ChatMember), messages, transcript."""

    chat: dict[str, Any]
    members: dict[int, dict[str, Any]] = field(default_factory=dict)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    transcript: list[TranscriptEntry] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    next_message_id: int = 1
    last_user_seq: int = 0
    live_stopped: set[int] = field(default_factory=set)
    reply_keyboards: dict[int, dict[str, Any]] = field(default_factory=dict)  # message id -> reply keyboard / removal

    @property
    def id(self) -> int:
        return int(self.chat["id"])

    @property
    def type(self) -> str:
        return str(self.chat["type"])


@dataclass
class CallbackState:
    id: str
    user_id: int
    data: str | None
    chat_id: int | None
    message_id: int | None
    inline_message_id: str | None
    answer: dict[str, Any] | None = None


@dataclass
class InlineQueryState:
    id: str
    user_id: int
    query: str
    chat_id: int | None
    answer: dict[str, Any] | None = None


@dataclass
class PaymentState:
    """One payment flow: shipping query (flexible invoices) -> pre-checkout -> successful_payment."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    invoice: dict[str, Any]
    shipping_address: dict[str, Any]
    order_info: dict[str, Any]
    shipping_option_id: str | None
    status: str = "started"  # shipping | pre_checkout | paid | failed
    shipping_query_id: str | None = None
    pre_checkout_query_id: str | None = None
    shipping_options: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    message: dict[str, Any] | None = None


class World:
    """All emulator state; see the module docstring for the locking rule."""

    def __init__(self, bot_user: dict[str, Any], clock: Clock, *, call_log_size: int, seed: int) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.updates_changed = threading.Condition(self.lock)
        self.me = dict(bot_user)
        self.bot_user: dict[str, Any] = {
            k: bot_user[k] for k in ("id", "is_bot", "first_name", "username") if k in bot_user
        }
        self.clock = clock
        self.random = random.Random(seed)
        self.users: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self.chats: dict[int, ChatState] = {}
        self.files: dict[str, FileRecord] = {}
        self.files_by_path: dict[str, FileRecord] = {}
        self.inline_messages: dict[str, tuple[int, int]] = {}
        self.callbacks: dict[str, CallbackState] = {}
        self.inline_queries: dict[str, InlineQueryState] = {}
        self.payments: dict[str, PaymentState] = {}
        self.invoices: dict[tuple[int, int], dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.calls: deque[ApiCall] = deque(maxlen=call_log_size)
        self.pending: list[dict[str, Any]] = []
        self.update_keys: dict[int, Any] = {}
        self.allowed_updates: tuple[str, ...] = ()
        self.webhook: WebhookConfig | None = None
        self.webhook_error: tuple[int, str] | None = None
        self.on_webhook_change: Callable[[], None] | None = None
        self.transcript_listeners: list[Callable[[TranscriptEntry], None]] = []
        self.poll_generation = 0
        self.in_progress = 0
        self.closing = False
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self._next_update_id = 1
        self.next_user_id = 100_000_001
        self.next_group_id = 4_000_001
        self.next_channel_id = 1_000_000_000_001

    # ------------------------------------------------------------------ counters

    def next_seq(self) -> int:
        return next(self._seq)

    def mint(self, prefix: str = "") -> str:
        """A fresh opaque identifier (query ids, file ids, inline message ids)."""
        n = next(self._ids)
        return f"{prefix}{n:06d}{self.random.randrange(16**6):06x}"

    def notify(self) -> None:
        """Wake waiters on ``changed`` (simulation helpers)."""
        self.changed.notify_all()

    def notify_updates(self) -> None:
        """Wake long polls and webhook workers (and ``changed`` waiters): the update queue,
        the webhook or the closing flag changed."""
        self.updates_changed.notify_all()
        self.changed.notify_all()

    # ------------------------------------------------------------------ chats

    def resolve_chat(self, value: Any) -> ChatState:
        """The chat named by a ``chat_id`` parameter (id or ``@username``), or 'chat not found'."""
        if isinstance(value, str) and value.startswith("@"):
            name = value[1:].lower()
            for chat in self.chats.values():
                if str(chat.chat.get("username", "")).lower() == name:
                    return chat
            raise bad_request("chat not found")
        try:
            chat_id = int(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: chat_id=Infinity
            raise bad_request("chat not found") from None
        found = self.chats.get(chat_id)
        if found is None:
            raise bad_request("chat not found")
        return found

    def bot_member(self, chat: ChatState) -> dict[str, Any] | None:
        return chat.members.get(int(self.bot_user["id"]))

    def check_can_send(self, chat: ChatState) -> None:
        """Raise the 403 Telegram gives when the bot may not write to ``chat``."""
        if chat.type == "private":
            if chat.id in self.blocked:
                raise forbidden("bot was blocked by the user")
            return
        member = self.bot_member(chat)
        status = member.get("status") if member else "left"
        kind = {"group": "group chat", "supergroup": "supergroup chat", "channel": "channel chat"}[chat.type]
        if status == "kicked":
            raise forbidden(f"bot was kicked from the {kind}")
        if status == "left":
            raise forbidden(f"bot is not a member of the {kind}")
        if chat.type == "channel" and status not in ("creator", "administrator"):
            raise bad_request("need administrator rights in the channel chat")

    def check_bot_right(self, chat: ChatState, right: str, what: str) -> None:
        """Require the bot to be an admin of ``chat`` with ``right``; else 'not enough rights'."""
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats" if right == "can_restrict_members"
                              else f"not enough rights to {what}")
        member = self.bot_member(chat) or {}
        if member.get("status") == "creator":
            return
        if member.get("status") != "administrator" or not member.get(right, False):
            raise bad_request(f"not enough rights to {what}")

    def sender_name(self, user: dict[str, Any] | None) -> str:
        if user is None or user.get("id") == self.bot_user["id"]:
            return BOT_SENDER
        return str(user.get("first_name", ""))

    # ------------------------------------------------------------------ messages

    def new_message(
        self,
        chat: ChatState,
        sender: dict[str, Any] | None,
        content: dict[str, Any],
        *,
        keyboard: Any = None,
    ) -> dict[str, Any]:
        """Store a new message in ``chat`` from ``sender`` (``None``: the bot) and record it."""
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message: dict[str, Any] = {"message_id": message_id}
        if chat.type == "channel":
            message["sender_chat"] = dict(chat.chat)
        else:
            message["from"] = dict(sender if sender is not None else self.bot_user)
        message["chat"] = dict(chat.chat)
        message["date"] = self.clock.date()
        message.update(content)
        chat.messages[message_id] = message
        self.record(chat, "message", sender, message, keyboard=keyboard)
        return message

    def replace_message(self, chat: ChatState, message: dict[str, Any], *, record: bool = True) -> None:
        chat.messages[int(message["message_id"])] = message
        if record:
            self.record(chat, "edit", None if self._from_bot(message) else message.get("from"), message)

    def _from_bot(self, message: dict[str, Any]) -> bool:
        sender = message.get("from")
        return sender is None or sender.get("id") == self.bot_user["id"] or (
            message.get("via_bot", {}).get("id") == self.bot_user["id"]
        )

    def record(
        self,
        chat: ChatState,
        kind: str,
        sender: dict[str, Any] | None,
        message: dict[str, Any] | None = None,
        *,
        text: str | None = None,
        message_id: int | None = None,
        keyboard: Any = None,
    ) -> TranscriptEntry:
        """Append an entry to ``chat``'s transcript and wake waiters."""
        if message is not None:
            text = describe_content(message) if text is None else text
            message_id = int(message["message_id"])
            if message.get("via_bot"):
                text = f"{text} (via @{message['via_bot'].get('username', '')})"
        markup = keyboard if keyboard is not None else (message or {}).get("reply_markup")
        entry = TranscriptEntry(
            seq=self.next_seq(),
            chat_id=chat.id,
            kind=kind,
            sender=self.sender_name(sender),
            from_bot=sender is None or sender.get("id") == self.bot_user["id"],
            message_id=message_id,
            text=text or "",
            keyboard=keyboard_labels(markup),
            date=self.clock.date(),
            message=message,
        )
        chat.transcript.append(entry)
        level = logging.DEBUG if kind == "action" else logging.INFO
        if chat_log.isEnabledFor(level):
            chat_log.log(level, "[%s] %s", chat_label(chat.chat), entry.line())
        if not entry.from_bot:
            chat.last_user_seq = entry.seq
        for listener in self.transcript_listeners:
            listener(entry)
        self.notify()
        return entry

    # ------------------------------------------------------------------ files

    def add_file(
        self,
        kind: str,
        data: bytes | None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        url: str | None = None,
    ) -> FileRecord:
        n = len(self.files) + 1
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photo":
            ext = ".jpg"
        folder = {"photo": "photos", "video_note": "video_notes", "sticker": "stickers"}.get(kind, kind + "s")
        record = FileRecord(
            file_id=self.mint("BQACAgIAAx"),
            file_unique_id=f"AgAD{n:08d}",
            kind=kind,
            file_path=f"{folder}/file_{n}{ext}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            url=url,
        )
        self.files[record.file_id] = record
        self.files_by_path[record.file_path] = record
        return record

    # ------------------------------------------------------------------ updates

    def update_allowed(self, kind: str) -> bool:
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in DEFAULT_EXCLUDED_UPDATES

    def push_update(self, kind: str, payload: dict[str, Any], key: Any = None) -> int | None:
        """Queue an update unless ``allowed_updates`` excludes its kind; returns its id.

        ``key`` groups updates that must be delivered in order (the chat id).
        """
        if not self.update_allowed(kind):
            return None
        update_id = self._next_update_id
        self._next_update_id += 1
        self.pending.append({"update_id": update_id, kind: payload})
        self.update_keys[update_id] = key
        self.notify_updates()
        return update_id

    def acknowledge(self, offset: int | None) -> None:
        """Forget updates as getUpdates' ``offset`` says (negative: keep the last ``-offset``)."""
        if offset is None or offset == 0:
            return
        if offset > 0:
            keep = [u for u in self.pending if u["update_id"] >= offset]
        else:
            keep = self.pending[offset:]
        kept = {u["update_id"] for u in keep}
        for update in self.pending:
            if update["update_id"] not in kept:
                self.update_keys.pop(update["update_id"], None)
        self.pending = keep
        self.notify_updates()

    def remove_update(self, update_id: int) -> None:
        self.pending = [u for u in self.pending if u["update_id"] != update_id]
        self.update_keys.pop(update_id, None)
        self.notify_updates()

    def poll(self, offset: int | None, limit: int, timeout: float) -> list[dict[str, Any]]:
        """getUpdates: acknowledge, then wait (real time, bounded) for updates. Lock held."""
        if self.webhook is not None:
            raise conflict(_WEBHOOK_ACTIVE)
        self.poll_generation += 1
        generation = self.poll_generation
        self.notify_updates()
        self.acknowledge(offset)
        deadline = real_monotonic() + max(timeout, 0.0)
        while not self.pending and not self.closing:
            remaining = deadline - real_monotonic()
            if remaining <= 0:
                break
            self.updates_changed.wait(remaining)
            if generation != self.poll_generation:
                raise conflict("terminated by other getUpdates request; "
                               "make sure that only one bot instance is running")
            if self.webhook is not None:
                raise conflict(_WEBHOOK_ACTIVE)
        return list(self.pending[:limit])

    def log_call(self, call: ApiCall) -> None:
        self.calls.append(call)
        self.notify()


def require(condition: bool, error: ApiError) -> None:
    """Raise ``error`` unless ``condition``."""
    if not condition:
        raise error
