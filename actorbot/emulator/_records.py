"""Immutable records the emulator keeps: the API call log and chat transcripts.

``TranscriptEntry.line()`` renders one entry as readable text, e.g.::

    alice: hello
    bot: Hi!  [Yes] [No]
    bot edited #2: Hi there!
    alice pressed [Yes]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ApiCall", "TranscriptEntry", "render_transcript", "keyboard_labels", "describe_content", "chat_label"]


@dataclass(frozen=True)
class ApiCall:
    """One Bot API call as the emulator served it (the token is never recorded).

    ``params`` are the request parameters as received (uploads appear in
    ``files`` as ``field -> filename``); ``answer`` is the JSON body sent back, or
    ``None`` when the connection was dropped; ``fault`` names an injected fault.
    """

    seq: int
    method: str
    params: Mapping[str, Any]
    files: Mapping[str, str]
    status: int
    answer: Mapping[str, Any] | None
    date: float
    fault: str | None = None

    @property
    def ok(self) -> bool:
        return bool(self.answer and self.answer.get("ok"))

    @property
    def result(self) -> Any:
        return self.answer.get("result") if self.answer else None


@dataclass(frozen=True)
class TranscriptEntry:
    """One event in a chat, in order.

    ``kind`` is one of ``message``, ``edit``, ``delete``, ``press``, ``answer``,
    ``action``, ``service``. ``sender`` is ``"bot"`` or the user's first name.
    ``message`` is the message as it was at that moment (for ``message``/``edit``).
    """

    seq: int
    chat_id: int
    kind: str
    sender: str
    from_bot: bool
    message_id: int | None
    text: str
    keyboard: tuple[tuple[str, ...], ...] = ()
    date: int = 0
    message: dict[str, Any] | None = None

    def line(self) -> str:
        """This entry as one readable line (keyboards inline, as ``[label]``)."""
        keys = ""
        if self.keyboard:
            keys = "  " + " | ".join(" ".join(f"[{label}]" for label in row) for row in self.keyboard)
        if self.kind == "message":
            return f"{self.sender}: {self.text}{keys}"
        if self.kind == "edit":
            return f"{self.sender} edited #{self.message_id}: {self.text}{keys}"
        if self.kind == "delete":
            return f"{self.sender} deleted #{self.message_id}"
        if self.kind == "press":
            return f"{self.sender} pressed [{self.text}]"
        if self.kind == "answer":
            return f"{self.sender} answered: {self.text}"
        if self.kind == "action":
            return f"{self.sender} is {self.text}"
        return f"* {self.text}"


def render_transcript(entries: list[TranscriptEntry], *, actions: bool = False) -> str:
    """Readable lines for ``entries`` (chat actions left out unless ``actions``)."""
    return "\n".join(e.line() for e in entries if actions or e.kind != "action")


def chat_label(chat: Mapping[str, Any]) -> str:
    """A ``Chat`` object's title, or the user's name for a private chat (for printing transcripts)."""
    name = " ".join(part for part in (chat.get("first_name"), chat.get("last_name")) if part)
    return str(chat.get("title") or name or chat.get("id", ""))


def keyboard_labels(markup: Any) -> tuple[tuple[str, ...], ...]:
    """Button labels of an inline or reply keyboard (``()`` for none)."""
    if not isinstance(markup, dict):
        return ()
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or ()
    labels = []
    for row in rows:
        if isinstance(row, list):
            labels.append(tuple(b.get("text", "") if isinstance(b, dict) else str(b) for b in row))
    return tuple(labels)


_MEDIA_KEYS = ("photo", "video", "animation", "audio", "document", "voice", "video_note", "sticker",
               "location", "venue", "contact", "poll", "dice", "invoice", "game", "checklist", "paid_media")


def describe_content(message: Mapping[str, Any]) -> str:
    """A short readable form of a message's content: its text, or ``[photo] caption``."""
    if "text" in message:
        return str(message["text"])
    for key in _MEDIA_KEYS:
        if key in message:
            caption = message.get("caption")
            extra = ""
            if key == "document":
                extra = f" {message['document'].get('file_name', '')}".rstrip()
            elif key == "invoice":
                inv = message["invoice"]
                extra = f" {inv.get('title', '')} {inv.get('total_amount', '')} {inv.get('currency', '')}"
            elif key == "dice":
                extra = f" {message['dice'].get('emoji', '')}={message['dice'].get('value')}"
            elif key == "location":
                loc = message["location"]
                extra = f" {loc.get('latitude')},{loc.get('longitude')}"
            return f"[{key}{extra}]" + (f" {caption}" if caption else "")
    if "successful_payment" in message:
        pay = message["successful_payment"]
        return f"[paid {pay.get('total_amount')} {pay.get('currency')}]"
    if "new_chat_members" in message:
        return "[joined: " + ", ".join(u.get("first_name", "") for u in message["new_chat_members"]) + "]"
    if "left_chat_member" in message:
        return f"[left: {message['left_chat_member'].get('first_name', '')}]"
    return "[message]"
