"""Building message content from request parameters: text, captions, keyboards, files, replies.

Helpers shared by the send and edit methods; they run with ``world.lock`` held.
"""

from __future__ import annotations

import struct
from typing import Any

from ._errors import bad_request
from ._markup import MarkupError, detect_entities, parse, strip_text
from ._params import Params
from ._state import ChatState, FileRecord, World
from ._wire import Upload

__all__ = [
    "formatted_text",
    "caption_fields",
    "reply_markup",
    "reply_target",
    "input_file",
    "media_fields",
    "message_text",
    "check_inline_button",
    "file_reference",
    "store_upload",
    "TEXT_LIMIT",
    "CAPTION_LIMIT",
]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)


def formatted_text(
    text: str, parse_mode: str | None, entities: Any, *, what: str = "text"
) -> tuple[str, list[dict[str, Any]]]:
    """Text plus entities the way Telegram stores a bot's text (parsed, trimmed, auto-detected)."""
    if parse_mode and not entities:
        try:
            plain, found = parse(text, parse_mode)
        except MarkupError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        except ValueError:
            raise bad_request("unsupported parse_mode") from None
    else:
        plain, found = text, [dict(e) for e in entities or [] if isinstance(e, dict)]
    plain, found = strip_text(plain, found)
    return plain, detect_entities(plain, found)


def message_text(p: Params) -> dict[str, Any]:
    """``text``/``entities`` of a text message, with Telegram's refusals."""
    raw = p.str("text", "") or ""
    text, entities = formatted_text(raw, p.str("parse_mode"), p.json("entities"))
    if not text:
        raise bad_request("message text is empty")
    if len(text) > TEXT_LIMIT:
        raise bad_request("message is too long")
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    return content


def caption_fields(caption: str | None, parse_mode: str | None, entities: Any) -> dict[str, Any]:
    """``caption``/``caption_entities`` (absent when the caption is empty)."""
    if not caption:
        return {}
    text, found = formatted_text(caption, parse_mode, entities)
    if len(text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    if not text:
        return {}
    content: dict[str, Any] = {"caption": text}
    if found:
        content["caption_entities"] = found
    return content


def reply_markup(p: Params) -> tuple[dict[str, Any] | None, Any]:
    """Validate ``reply_markup``; return (inline markup to store on the message, any markup shown)."""
    markup = p.json("reply_markup")
    if markup is None:
        return None, None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse inline keyboard markup JSON object")
        for row in rows:
            for button in row:
                check_inline_button(button)
        return markup, markup
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return None, markup
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return None, None
    raise bad_request("can't parse reply keyboard markup JSON object")


def check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Field \"text\" must be of type String")
    if not button["text"]:
        raise bad_request("BUTTON_TEXT_INVALID")
    data = button.get("callback_data")
    if data is not None and (not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64):
        raise bad_request("BUTTON_DATA_INVALID")
    if not any(key in button for key in _BUTTON_ACTIONS):
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")


def reply_target(world: World, chat: ChatState, p: Params) -> dict[str, Any]:
    """``reply_to_message`` content for ``reply_parameters`` / ``reply_to_message_id``."""
    params = p.json("reply_parameters")
    allow = p.bool("allow_sending_without_reply")
    if isinstance(params, dict):
        target_id = params.get("message_id")
        allow = bool(params.get("allow_sending_without_reply", allow))
        if params.get("chat_id") not in (None, chat.id):
            chat = world.resolve_chat(params["chat_id"])
    else:
        target_id = p.int("reply_to_message_id")
    if target_id is None:
        return {}
    try:
        target = chat.messages.get(int(target_id))
    except (TypeError, ValueError):
        target = None
    if target is None:
        if allow:
            return {}
        raise bad_request("message to be replied not found")
    return {"reply_to_message": {k: v for k, v in target.items() if k != "reply_to_message"}}


def input_file(world: World, p: Params, name: str, kind: str, *, required: bool = True) -> FileRecord | None:
    """Resolve an InputFile parameter: an upload, ``attach://x``, a known file_id or a URL."""
    upload = p.uploads.get(name)
    value = p.str(name)
    if upload is None and value and value.startswith("attach://"):
        upload = p.uploads.get(value[len("attach://") :])
        if upload is None:
            raise bad_request(f"there is no {name} in the request")
    if upload is not None:
        return store_upload(world, upload, kind)
    if not value:
        if required:
            raise bad_request(f"there is no {name} in the request")
        return None
    return file_reference(world, value, kind)


def file_reference(world: World, value: str, kind: str) -> FileRecord:
    known = world.files.get(value)
    if known is not None:
        return known
    if value.startswith(("http://", "https://")):
        name = value.rsplit("/", 1)[-1] or None
        return world.add_file(kind, None, file_name=name, url=value)
    raise bad_request("wrong file identifier/HTTP URL specified")


def store_upload(world: World, upload: Upload, kind: str) -> FileRecord:
    return world.add_file(kind, upload.data, file_name=upload.filename, mime_type=upload.content_type)


def _image_size(data: bytes | None) -> tuple[int, int]:
    if data and data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data and data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    return 320, 320


def media_fields(world: World, record: FileRecord, kind: str, p: Params | None = None) -> dict[str, Any]:
    """The message fields describing a sent file of ``kind`` (e.g. ``photo`` -> list of PhotoSize)."""
    base: dict[str, Any] = {"file_id": record.file_id, "file_unique_id": record.file_unique_id}
    if record.file_size is not None:
        base["file_size"] = record.file_size
    get = (lambda name, default: p.int(name, default)) if p is not None else (lambda name, default: default)
    if kind == "photo":
        width, height = _image_size(record.data)
        return {"photo": [{**base, "width": width, "height": height}]}
    named = dict(base)
    if record.file_name:
        named["file_name"] = record.file_name
    if record.mime_type:
        named["mime_type"] = record.mime_type
    if kind == "document":
        return {"document": named}
    if kind == "audio":
        extra = {"duration": get("duration", 0)}
        if p is not None:
            extra.update({k: p.str(k) for k in ("performer", "title") if p.str(k)})
        return {"audio": {**named, **extra}}
    if kind in ("video", "animation"):
        video = {**named, "width": get("width", 320), "height": get("height", 240), "duration": get("duration", 0)}
        return {kind: video, "document": named} if kind == "animation" else {kind: video}
    if kind == "voice":
        return {"voice": {**base, "duration": get("duration", 0),
                          **({"mime_type": record.mime_type} if record.mime_type else {})}}
    if kind == "video_note":
        return {"video_note": {**base, "length": get("length", 240), "duration": get("duration", 0)}}
    if kind == "sticker":
        emoji = p.str("emoji") if p is not None else None
        sticker = {**base, "type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False}
        if emoji:
            sticker["emoji"] = emoji
        return {"sticker": sticker}
    return {kind: named}
