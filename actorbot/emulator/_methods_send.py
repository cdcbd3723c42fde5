"""Send methods, forwarding, copying and deleting messages.

Handlers take ``(world, params)`` and run on an HTTP handler thread with
``world.lock`` held; they return the method's result or raise ApiError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _spec
from ._content import (
    caption_fields,
    input_file,
    media_fields,
    message_text,
    reply_markup,
    reply_target,
)
from ._errors import bad_request
from ._params import Params
from ._state import ChatState, World

__all__ = ["HANDLERS", "CONTENT_KEYS", "FILE_METHODS", "send_generic"]

CONTENT_KEYS = (
    "text", "entities", "photo", "audio", "document", "video", "animation", "voice", "video_note",
    "sticker", "caption", "caption_entities", "location", "venue", "contact", "poll", "dice",
    "invoice", "game", "checklist", "has_media_spoiler", "show_caption_above_media", "live_photo",
)
FILE_METHODS = {
    "sendPhoto": "photo",
    "sendAudio": "audio",
    "sendDocument": "document",
    "sendVideo": "video",
    "sendAnimation": "animation",
    "sendVoice": "voice",
    "sendVideoNote": "video_note",
    "sendSticker": "sticker",
}
_DICE_RANGES = {"🎲": 6, "🎯": 6, "🎳": 6, "🏀": 5, "⚽": 5, "🎰": 64}
_COMMON_PARAMS = {
    "business_connection_id", "chat_id", "message_thread_id", "direct_messages_topic_id",
    "disable_notification", "protect_content", "allow_paid_broadcast", "message_effect_id",
    "suggested_post_parameters", "reply_parameters", "reply_markup",
}

Handler = Callable[[World, Params], Any]


def target_chat(world: World, p: Params) -> ChatState:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    world.check_can_send(chat)
    return chat


def finish(world: World, chat: ChatState, p: Params, content: dict[str, Any]) -> dict[str, Any]:
    """Attach reply target and keyboard, then store the bot's message."""
    inline, shown = reply_markup(p)
    content.update(reply_target(world, chat, p))
    if inline is not None:
        content["reply_markup"] = inline
    if p.bool("protect_content"):
        content["has_protected_content"] = True
    message = world.new_message(chat, None, content, keyboard=shown)
    markup = p.json("reply_markup")
    if isinstance(markup, dict) and ("keyboard" in markup or markup.get("remove_keyboard")):
        chat.reply_keyboards[int(message["message_id"])] = markup  # not part of the message: kept for viewers
    return message


def send_message(world: World, p: Params) -> dict[str, Any]:
    content = message_text(p)
    chat = target_chat(world, p)
    return finish(world, chat, p, content)


def _send_file(kind: str) -> Handler:
    def handler(world: World, p: Params) -> dict[str, Any]:
        caption = caption_fields(p.str("caption"), p.str("parse_mode"), p.json("caption_entities"))
        chat = target_chat(world, p)
        record = input_file(world, p, kind, kind)
        assert record is not None
        content = media_fields(world, record, kind, p)
        content.update(caption)
        if p.bool("has_spoiler"):
            content["has_media_spoiler"] = True
        return finish(world, chat, p, content)

    return handler


def send_media_group(world: World, p: Params) -> list[dict[str, Any]]:
    media = p.json("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media in the group")
    chat = target_chat(world, p)
    reply = reply_target(world, chat, p)
    group_id = world.mint("")
    sent = []
    for item in media:
        if not isinstance(item, dict) or "media" not in item or "type" not in item:
            raise bad_request("can't parse InputMedia JSON object")
        kind = str(item["type"])
        sub = Params({kind: item["media"]}, p.uploads)
        record = input_file(world, sub, kind, kind)
        assert record is not None
        content = media_fields(world, record, kind)
        content.update(caption_fields(item.get("caption"), item.get("parse_mode"), item.get("caption_entities")))
        content["media_group_id"] = group_id
        content.update(reply)
        sent.append(world.new_message(chat, None, content))
    return sent


def send_location(world: World, p: Params) -> dict[str, Any]:
    chat = target_chat(world, p)
    location: dict[str, Any] = {"latitude": p.float("latitude"), "longitude": p.float("longitude")}
    for name in ("live_period", "heading", "proximity_alert_radius"):
        if p.has(name):
            location[name] = p.int(name)
    if p.has("horizontal_accuracy"):
        location["horizontal_accuracy"] = p.float("horizontal_accuracy")
    return finish(world, chat, p, {"location": location})


def send_venue(world: World, p: Params) -> dict[str, Any]:
    chat = target_chat(world, p)
    location = {"latitude": p.float("latitude"), "longitude": p.float("longitude")}
    venue: dict[str, Any] = {"location": location, "title": p.str("title"), "address": p.str("address")}
    for name in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
        if p.has(name):
            venue[name] = p.str(name)
    return finish(world, chat, p, {"venue": venue, "location": location})


def send_contact(world: World, p: Params) -> dict[str, Any]:
    chat = target_chat(world, p)
    contact = {"phone_number": p.str("phone_number"), "first_name": p.str("first_name")}
    for name in ("last_name", "vcard"):
        if p.has(name):
            contact[name] = p.str(name)
    return finish(world, chat, p, {"contact": contact})


def send_poll(world: World, p: Params) -> dict[str, Any]:
    options = p.json("options")
    if not isinstance(options, list) or len(options) < 2:
        raise bad_request("poll must have at least 2 option")
    if len(options) > 12:
        raise bad_request("poll can't have more than 12 options")
    chat = target_chat(world, p)
    texts = [o.get("text", "") if isinstance(o, dict) else str(o) for o in options]
    poll = {
        "id": world.mint(""),
        "question": p.str("question"),
        "options": [{"text": t, "voter_count": 0} for t in texts],
        "total_voter_count": 0,
        "is_closed": p.bool("is_closed"),
        "is_anonymous": p.bool("is_anonymous", True),
        "type": p.str("type", "regular"),
        "allows_multiple_answers": p.bool("allows_multiple_answers"),
    }
    if p.has("correct_option_id"):
        poll["correct_option_id"] = p.int("correct_option_id")
    return finish(world, chat, p, {"poll": poll})


def send_dice(world: World, p: Params) -> dict[str, Any]:
    emoji = p.str("emoji", "🎲") or "🎲"
    if emoji not in _DICE_RANGES:
        raise bad_request("invalid dice emoji specified")
    chat = target_chat(world, p)
    value = world.random.randint(1, _DICE_RANGES[emoji])
    return finish(world, chat, p, {"dice": {"emoji": emoji, "value": value}})


def send_invoice(world: World, p: Params) -> dict[str, Any]:
    prices = p.json("prices")
    if not isinstance(prices, list) or not prices:
        raise bad_request("can't parse prices JSON object")
    chat = target_chat(world, p)
    total = sum(int(price.get("amount", 0)) for price in prices if isinstance(price, dict))
    invoice = {
        "title": p.str("title"),
        "description": p.str("description"),
        "start_parameter": p.str("start_parameter", ""),
        "currency": p.str("currency"),
        "total_amount": total,
    }
    message = finish(world, chat, p, {"invoice": invoice})
    world.invoices[(chat.id, int(message["message_id"]))] = {
        "payload": p.str("payload", ""),
        "currency": invoice["currency"],
        "total_amount": total,
        "prices": prices,
        "is_flexible": p.bool("is_flexible"),
    }
    return message


def send_game(world: World, p: Params) -> dict[str, Any]:
    chat = target_chat(world, p)
    game: dict[str, Any] = {"title": p.str("game_short_name"), "description": "", "photo": []}
    return finish(world, chat, p, {"game": game})


def send_generic(method: str) -> Handler:
    """A send method the emulator knows only from the spec: store its content parameter as is."""
    _returns, fields = _spec.METHODS[method]

    def handler(world: World, p: Params) -> dict[str, Any]:
        chat = target_chat(world, p)
        content: dict[str, Any] = {}
        for name, types, _required in fields:
            if name in _COMMON_PARAMS or not p.has(name):
                continue
            if "InputFile" in types:
                record = input_file(world, p, name, name)
                assert record is not None
                content.update(media_fields(world, record, name))
            elif name == "caption":
                content.update(caption_fields(p.str("caption"), p.str("parse_mode"), p.json("caption_entities")))
            elif not content and any(t not in ("String", "Integer", "Boolean", "Float") for t in types):
                content[name] = p.json(name)
        return finish(world, chat, p, content)

    return handler


# ---------------------------------------------------------------------- forward / copy / delete


def _source(world: World, p: Params, what: str, message_id: int | None = None) -> tuple[ChatState, dict[str, Any]]:
    chat = world.resolve_chat(p.raw.get("from_chat_id"))
    mid = message_id if message_id is not None else p.require_int("message_id")
    message = chat.messages.get(mid)
    if message is None:
        raise bad_request(f"message to {what} not found")
    if message.get("has_protected_content"):
        raise bad_request(f"message has protected content and can't be {what}ed")
    return chat, message


def _content_of(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k in CONTENT_KEYS}


def _origin(message: dict[str, Any]) -> dict[str, Any]:
    date = message["date"]
    if "sender_chat" in message and message["chat"]["type"] == "channel":
        origin = {"type": "channel", "chat": message["sender_chat"], "message_id": message["message_id"], "date": date}
        return {"forward_origin": origin, "forward_from_chat": message["sender_chat"],
                "forward_from_message_id": message["message_id"], "forward_date": date}
    sender = message.get("from", {})
    return {"forward_origin": {"type": "user", "sender_user": sender, "date": date},
            "forward_from": sender, "forward_date": date}


def forward_message(world: World, p: Params) -> dict[str, Any]:
    _chat, source = _source(world, p, "forward")
    chat = target_chat(world, p)
    content = {**_origin(source), **_content_of(source)}
    if p.bool("protect_content"):
        content["has_protected_content"] = True
    return world.new_message(chat, None, content)


def _each_message(world: World, p: Params, kind: str, make: Any) -> list[dict[str, int]]:
    """``forwardMessages``/``copyMessages``: ``make(chat, source)`` for each of ``message_ids``."""
    ids = p.json("message_ids")
    if not isinstance(ids, list) or not ids:
        raise bad_request("message identifiers are not specified")
    chat = target_chat(world, p)
    return [{"message_id": make(chat, _source(world, p, kind, int(mid))[1])["message_id"]} for mid in ids]


def forward_messages(world: World, p: Params) -> list[dict[str, int]]:
    return _each_message(world, p, "forward", lambda chat, source: world.new_message(
        chat, None, {**_origin(source), **_content_of(source)}))


def _copy(world: World, p: Params, source: dict[str, Any], chat: ChatState, *, own: bool) -> dict[str, Any]:
    content = _content_of(source)
    if own and p.raw.get("caption") is not None:
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.update(caption_fields(p.str("caption"), p.str("parse_mode"), p.json("caption_entities")))
    if own:
        return finish(world, chat, p, content)
    return world.new_message(chat, None, content)


def copy_message(world: World, p: Params) -> dict[str, int]:
    _chat, source = _source(world, p, "copy")
    chat = target_chat(world, p)
    return {"message_id": _copy(world, p, source, chat, own=True)["message_id"]}


def copy_messages(world: World, p: Params) -> list[dict[str, int]]:
    return _each_message(world, p, "copy", lambda chat, source: _copy(world, p, source, chat, own=False))


def _delete_one(world: World, chat: ChatState, message_id: int) -> None:
    message = chat.messages.get(message_id)
    if message is None:
        raise bad_request("message to delete not found")
    from_bot = message.get("from", {}).get("id") == world.bot_user["id"] or chat.type == "channel"
    if not from_bot and chat.type != "private":
        member = world.bot_member(chat) or {}
        if member.get("status") != "creator" and not (
            member.get("status") == "administrator" and member.get("can_delete_messages")
        ):
            raise bad_request("message can't be deleted")
    del chat.messages[message_id]
    world.record(chat, "delete", None, message_id=message_id, text="")


def delete_message(world: World, p: Params) -> bool:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    _delete_one(world, chat, p.require_int("message_id"))
    return True


def delete_messages(world: World, p: Params) -> bool:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    ids = p.json("message_ids")
    if not isinstance(ids, list) or not ids:
        raise bad_request("message identifiers are not specified")
    for mid in ids:
        if int(mid) in chat.messages:
            _delete_one(world, chat, int(mid))
    return True


HANDLERS: dict[str, Handler] = {
    "sendMessage": send_message,
    **{method: _send_file(kind) for method, kind in FILE_METHODS.items()},
    "sendMediaGroup": send_media_group,
    "sendLocation": send_location,
    "sendVenue": send_venue,
    "sendContact": send_contact,
    "sendPoll": send_poll,
    "sendDice": send_dice,
    "sendInvoice": send_invoice,
    "sendGame": send_game,
    "forwardMessage": forward_message,
    "forwardMessages": forward_messages,
    "copyMessage": copy_message,
    "copyMessages": copy_messages,
    "deleteMessage": delete_message,
    "deleteMessages": delete_messages,
}


def _spec_senders() -> dict[str, Handler]:
    """Generic handlers for the other ``send*`` methods that return a Message."""
    found: dict[str, Handler] = {}
    for name, (returns, fields) in _spec.METHODS.items():
        if name.startswith("send") and returns == ("Message",) and any(f[0] == "chat_id" for f in fields):
            found[name] = send_generic(name)
    return found


HANDLERS = {**_spec_senders(), **HANDLERS}
