"""Edit methods for chat and inline messages (text, caption, media, reply markup, live location).

Handlers run on an HTTP handler thread with ``world.lock`` held.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._content import caption_fields, input_file, media_fields, message_text, reply_markup
from ._errors import bad_request
from ._params import Params
from ._state import ChatState, World

__all__ = ["HANDLERS", "NOT_MODIFIED"]

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
_MEDIA = ("photo", "video", "animation", "audio", "document", "live_photo")


def _target(world: World, p: Params) -> tuple[ChatState, dict[str, Any], bool]:
    inline_id = p.str("inline_message_id")
    if inline_id:
        ref = world.inline_messages.get(inline_id)
        if ref is None:
            raise bad_request("MESSAGE_ID_INVALID")
        chat = world.chats[ref[0]]
        message = chat.messages.get(ref[1])
        if message is None:
            raise bad_request("MESSAGE_ID_INVALID")
        return chat, message, True
    if not p.has("chat_id"):
        raise bad_request("chat_id is empty")
    chat = world.resolve_chat(p.raw.get("chat_id"))
    message_id = p.int("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if message.get("from", {}).get("id") != world.bot_user["id"] and chat.type != "channel":
        raise bad_request("message can't be edited")
    return chat, message, False


def _apply(world: World, chat: ChatState, old: dict[str, Any], changes: dict[str, Any],
           removed: tuple[str, ...], markup: dict[str, Any] | None, inline: bool) -> Any:
    new = {k: v for k, v in old.items() if k not in removed and k != "reply_markup"}
    new.update(changes)
    if markup is not None:
        new["reply_markup"] = markup
    if {k: v for k, v in new.items() if k != "edit_date"} == {k: v for k, v in old.items() if k != "edit_date"}:
        raise bad_request(NOT_MODIFIED)
    new["edit_date"] = world.clock.date()
    world.replace_message(chat, new)
    return True if inline else new


def edit_text(world: World, p: Params) -> Any:
    content = message_text(p)
    chat, old, inline = _target(world, p)
    if "text" not in old:
        raise bad_request("there is no text in the message to edit")
    markup, _shown = reply_markup(p)
    return _apply(world, chat, old, content, ("text", "entities"), markup, inline)


def edit_caption(world: World, p: Params) -> Any:
    chat, old, inline = _target(world, p)
    if not any(key in old for key in _MEDIA + ("voice",)):
        raise bad_request("there is no caption in the message to edit")
    content = caption_fields(p.str("caption"), p.str("parse_mode"), p.json("caption_entities"))
    markup, _shown = reply_markup(p)
    return _apply(world, chat, old, content, ("caption", "caption_entities"), markup, inline)


def edit_media(world: World, p: Params) -> Any:
    media = p.json("media")
    if not isinstance(media, dict) or "type" not in media or "media" not in media:
        raise bad_request("can't parse InputMedia JSON object")
    chat, old, inline = _target(world, p)
    kind = str(media["type"])
    record = input_file(world, Params({kind: media["media"]}, p.uploads), kind, kind)
    assert record is not None
    content = media_fields(world, record, kind)
    content.update(caption_fields(media.get("caption"), media.get("parse_mode"), media.get("caption_entities")))
    markup, _shown = reply_markup(p)
    return _apply(world, chat, old, content, _MEDIA + ("caption", "caption_entities"), markup, inline)


def edit_reply_markup(world: World, p: Params) -> Any:
    chat, old, inline = _target(world, p)
    markup, _shown = reply_markup(p)
    return _apply(world, chat, old, {}, (), markup, inline)


def edit_live_location(world: World, p: Params) -> Any:
    chat, old, inline = _target(world, p)
    location = old.get("location")
    if not location or "live_period" not in location or int(old["message_id"]) in chat.live_stopped:
        raise bad_request("message can't be edited")
    new_location = dict(location, latitude=p.float("latitude"), longitude=p.float("longitude"))
    for name in ("heading", "proximity_alert_radius"):
        if p.has(name):
            new_location[name] = p.int(name)
    if p.has("horizontal_accuracy"):
        new_location["horizontal_accuracy"] = p.float("horizontal_accuracy")
    markup, _shown = reply_markup(p)
    return _apply(world, chat, old, {"location": new_location}, (), markup, inline)


def stop_live_location(world: World, p: Params) -> Any:
    chat, old, inline = _target(world, p)
    location = old.get("location")
    if not location or "live_period" not in location or int(old["message_id"]) in chat.live_stopped:
        raise bad_request("message can't be edited")
    chat.live_stopped.add(int(old["message_id"]))
    markup, _shown = reply_markup(p)
    new = {k: v for k, v in old.items() if k != "reply_markup"}
    if markup is not None:
        new["reply_markup"] = markup
    new["edit_date"] = world.clock.date()
    world.replace_message(chat, new)
    return True if inline else new


HANDLERS: dict[str, Callable[[World, Params], Any]] = {
    "editMessageText": edit_text,
    "editMessageCaption": edit_caption,
    "editMessageMedia": edit_media,
    "editMessageReplyMarkup": edit_reply_markup,
    "editMessageLiveLocation": edit_live_location,
    "stopMessageLiveLocation": stop_live_location,
}
