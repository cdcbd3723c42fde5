"""Message functions: flavor, glance and friends, and the table of update kinds.

Everything here is a pure function of its arguments (no state, no I/O), so any thread
may call it: the update loops call :func:`extract_message` on their own thread, the
engine and delegates call :func:`flavor` and :func:`glance` on theirs.

Update kinds and their flavors
------------------------------
A raw update is ``{"update_id": N, "<kind>": payload}``. Handlers receive the
*payload* only (as in telepot); :func:`flavor` recognises what the payload is from its
keys alone. Each kind of Bot API 10.1 has a flavor (:data:`UPDATE_FLAVORS`); below,
"update keys -> flavor, by the payload keys that identify it":

- message, edited_message, channel_post, edited_channel_post, business_message,
  edited_business_message, guest_message -> ``chat``, by message_id
- business_connection -> ``business_connection``, by id, user_chat_id, is_enabled
- deleted_business_messages -> ``deleted_business_messages``, by business_connection_id, message_ids
- message_reaction -> ``message_reaction``, by message_id, old_reaction, new_reaction
- message_reaction_count -> ``message_reaction_count``, by message_id, reactions
- inline_query -> ``inline_query``, by id, query
- chosen_inline_result -> ``chosen_inline_result``, by result_id
- callback_query -> ``callback_query``, by id, chat_instance
- shipping_query -> ``shipping_query``, by id, shipping_address
- pre_checkout_query -> ``pre_checkout_query``, by id, total_amount
- purchased_paid_media -> ``purchased_paid_media``, by paid_media_payload
- poll -> ``poll``, by id, question, options
- poll_answer -> ``poll_answer``, by poll_id, option_ids
- my_chat_member, chat_member -> ``chat_member``, by old_chat_member, new_chat_member
- chat_join_request -> ``chat_join_request``, by chat, user_chat_id
- chat_boost -> ``chat_boost``, by chat, boost
- removed_chat_boost -> ``removed_chat_boost``, by boost_id, remove_date
- managed_bot -> ``managed_bot``, by user, bot

As in telepot, the kinds that carry a ``Message`` share the ``chat`` flavor (an edited
message has ``edit_date``; a business message has ``business_connection_id``; a channel
post has a chat of type ``channel``). ``my_chat_member`` and ``chat_member`` carry the
same object, ``ChatMemberUpdated``, so they share the ``chat_member`` flavor; the update
is about the bot itself when ``msg['new_chat_member']['user']['id']`` is the bot's id.

**Update kinds not known yet.** A payload whose kind this version does not know cannot
be recognised by its keys. :func:`extract_message` therefore delivers such a payload
wrapped in a one-key dict, ``{kind: payload}``, so the flavor is the update key (the
same convention as telepot's events): ``flavor(msg) == kind`` and ``peel(msg)`` (or
:func:`fleece`) gives the payload. Nothing crashes; a routing table keyed by that
kind's name handles it, and so does a ``None`` catch-all.

Deliberate differences from telepot 12.7 (documented, small):

- ``glance`` reports ``animation`` for an animation (telepot, which predates the field,
  reported ``document``, which Telegram also sets) and ``live_photo`` for a live photo
  (not ``photo``). Among the content types telepot knew, its precedence holds: a venue,
  which carries ``venue`` and ``location``, is a ``location`` as in telepot.
- ``glance(..., flavor='callback_query')`` gives ``None`` as data for a game's callback
  query (which has no ``data``) instead of raising ``KeyError``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from . import _spec
from ._router import Router
from .exception import BadFlavor, BadUpdate

__all__ = [
    "UPDATE_FLAVORS",
    "all_content_types",
    "chat_flavors",
    "inline_flavors",
    "flavor",
    "glance",
    "flance",
    "peel",
    "fleece",
    "is_event",
    "message_identifier",
    "origin_identifier",
    "flavor_router",
    "extract_message",
]

logger = logging.getLogger(__name__)

UPDATE_FLAVORS: Mapping[str, str] = MappingProxyType({
    "message": "chat",
    "edited_message": "chat",
    "channel_post": "chat",
    "edited_channel_post": "chat",
    "business_connection": "business_connection",
    "business_message": "chat",
    "edited_business_message": "chat",
    "deleted_business_messages": "deleted_business_messages",
    "guest_message": "chat",
    "message_reaction": "message_reaction",
    "message_reaction_count": "message_reaction_count",
    "inline_query": "inline_query",
    "chosen_inline_result": "chosen_inline_result",
    "callback_query": "callback_query",
    "shipping_query": "shipping_query",
    "pre_checkout_query": "pre_checkout_query",
    "purchased_paid_media": "purchased_paid_media",
    "poll": "poll",
    "poll_answer": "poll_answer",
    "my_chat_member": "chat_member",
    "chat_member": "chat_member",
    "chat_join_request": "chat_join_request",
    "chat_boost": "chat_boost",
    "removed_chat_boost": "removed_chat_boost",
    "managed_bot": "managed_bot",
})
"""Update key -> flavor of its payload, for every update kind of Bot API 10.1 (in the
reference's order; a loop looks for the payload key in this order)."""

# Flavor -> the keys whose presence identifies a payload of that flavor. Checked in
# this order: the first rule whose keys are all present wins, so the more specific
# rules come first (a reaction update carries ``message_id`` too).
_PAYLOAD_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("message_reaction", ("message_id", "old_reaction", "new_reaction")),
    ("message_reaction_count", ("message_id", "reactions")),
    ("chat", ("message_id",)),
    ("callback_query", ("id", "chat_instance")),
    ("inline_query", ("id", "query")),
    ("chosen_inline_result", ("result_id",)),
    ("shipping_query", ("id", "shipping_address")),
    ("pre_checkout_query", ("id", "total_amount")),
    ("poll", ("id", "question", "options")),
    ("poll_answer", ("poll_id", "option_ids")),
    ("chat_member", ("old_chat_member", "new_chat_member")),
    ("chat_join_request", ("chat", "user_chat_id")),
    ("business_connection", ("id", "user_chat_id", "is_enabled")),
    ("deleted_business_messages", ("business_connection_id", "message_ids")),
    ("purchased_paid_media", ("paid_media_payload",)),
    ("chat_boost", ("chat", "boost")),
    ("removed_chat_boost", ("boost_id", "remove_date")),
    ("managed_bot", ("user", "bot")),
)
_PAYLOAD_KEY_SETS: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (name, frozenset(keys)) for name, keys in _PAYLOAD_RULES
)

# Content types in telepot 12.7's order (with amanobot's ``animation`` and ``poll``). Among
# the types telepot knew, its order decides (a venue carries ``venue`` and ``location``:
# telepot reports ``location``, so does actorbot). A newer field Telegram sets *together
# with* an older one for backward compatibility comes before it, so newer kinds keep
# the most specific name (animation/document, live_photo/photo).
# ``new_chat_member`` is not in the reference any more but Telegram still sends it.
_PREFERRED_CONTENT_ORDER: tuple[str, ...] = (
    "text", "audio", "animation", "document", "game", "live_photo", "photo", "sticker",
    "video", "voice", "video_note", "contact", "poll", "location", "venue",
    "new_chat_member", "left_chat_member", "new_chat_title", "new_chat_photo",
    "delete_chat_photo", "group_chat_created", "supergroup_chat_created",
    "channel_chat_created", "migrate_to_chat_id", "migrate_from_chat_id", "pinned_message",
    "new_chat_members", "invoice", "successful_payment",
)
_LEGACY_CONTENT_TYPES = frozenset({"new_chat_member"})

# Fields of ``Message`` that describe a message rather than being its content.
_MESSAGE_METADATA = frozenset({
    "message_id", "message_thread_id", "direct_messages_topic", "from", "sender_chat",
    "sender_boost_count", "sender_business_bot", "sender_tag", "date", "guest_query_id",
    "business_connection_id", "chat", "forward_origin", "is_topic_message",
    "is_automatic_forward", "reply_to_message", "external_reply", "quote", "reply_to_story",
    "reply_to_checklist_task_id", "reply_to_poll_option_id", "via_bot",
    "guest_bot_caller_user", "guest_bot_caller_chat", "edit_date", "has_protected_content",
    "is_from_offline", "is_paid_post", "media_group_id", "author_signature",
    "paid_star_count", "entities", "link_preview_options", "suggested_post_info",
    "effect_id", "caption", "caption_entities", "show_caption_above_media",
    "has_media_spoiler", "reply_markup",
    # older Bot API versions
    "forward_from", "forward_from_chat", "forward_from_message_id", "forward_signature",
    "forward_sender_name", "forward_date", "new_chat_participant",
})


def _content_types() -> tuple[str, ...]:
    message_fields = _spec.MESSAGE_FIELDS
    present = set(message_fields) | _LEGACY_CONTENT_TYPES
    ordered = [c for c in _PREFERRED_CONTENT_ORDER if c in present]
    ordered += [f for f in message_fields if f not in _MESSAGE_METADATA and f not in ordered]
    return tuple(ordered)


all_content_types: tuple[str, ...] = _content_types()
"""Every content type :func:`glance` may report for a ``chat`` message, in the order it
looks for them: telepot's first (``text`` first), then the rest of Bot API 10.1's
``Message`` content fields in the reference's order."""

chat_flavors: tuple[str, ...] = ("chat",)
inline_flavors: tuple[str, ...] = ("inline_query", "chosen_inline_result")


def flavor(msg: Mapping[str, Any]) -> str:
    """Return the flavor of a message (an update's payload) or an event.

    A message's flavor is recognised from its keys (see the module's table): ``chat``,
    ``callback_query``, ``inline_query``, ``chosen_inline_result``, ``shipping_query``,
    ``pre_checkout_query``, ``poll``, ``poll_answer``, ``chat_member``,
    ``chat_join_request``, ``message_reaction``, ``message_reaction_count``,
    ``business_connection``, ``deleted_business_messages``, ``purchased_paid_media``,
    ``chat_boost``, ``removed_chat_boost``, ``managed_bot``.

    Anything else with a single top-level key has that key as its flavor: an event
    (``{'_idle': {...}}``, flavor ``_idle``) or the payload of an update kind this
    version does not know, as :func:`extract_message` wraps it. Otherwise
    :class:`~actorbot.exception.BadFlavor` is raised.
    """
    if type(msg) is not dict and not isinstance(msg, Mapping):
        raise BadFlavor(msg)
    present = msg.keys()
    for name, keys in _PAYLOAD_KEY_SETS:
        if present >= keys:
            return name
    if len(msg) == 1:
        return str(next(iter(msg)))
    raise BadFlavor(msg)


def _find_first_key(d: Mapping[str, Any], keys: tuple[str, ...] | list[str]) -> str:
    for k in keys:
        if k in d:
            return k
    raise KeyError(f"none of the keys {list(keys)} in the message")


def _voter_id(msg: Mapping[str, Any], user_key: str, chat_key: str) -> Any:
    """The id of ``msg[user_key]`` if present, else of ``msg[chat_key]``, else None."""
    for key in (user_key, chat_key):
        who = msg.get(key)
        if isinstance(who, Mapping):
            return who.get("id")
    return None


def _gl_chat(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    content_type = _find_first_key(msg, all_content_types)
    short = (content_type, msg["chat"]["type"], msg["chat"]["id"])
    return short + (msg["date"], msg["message_id"]) if long else short


def _gl_callback_query(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    return msg["id"], msg["from"]["id"], msg.get("data")


def _gl_inline_query(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    short = (msg["id"], msg["from"]["id"], msg["query"])
    return short + (msg["offset"],) if long else short


def _gl_chosen_inline_result(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    return msg["result_id"], msg["from"]["id"], msg["query"]


def _gl_shipping_query(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    return msg["id"], msg["from"]["id"], msg["invoice_payload"]


def _gl_pre_checkout_query(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    short = (msg["id"], msg["from"]["id"], msg["invoice_payload"])
    return short + (msg["currency"], msg["total_amount"]) if long else short


def _gl_poll(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    short = (msg["id"], msg["type"], msg["question"])
    return short + (msg["total_voter_count"], msg["is_closed"]) if long else short


def _gl_poll_answer(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    return msg["poll_id"], _voter_id(msg, "user", "voter_chat"), msg["option_ids"]


def _gl_chat_member(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    new = msg["new_chat_member"]
    short = (msg["chat"]["id"], new["user"]["id"], new["status"])
    if long:
        return short + (msg["old_chat_member"]["status"], msg["from"]["id"], msg["date"])
    return short


def _gl_chat_join_request(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    short = (msg["chat"]["id"], msg["from"]["id"], msg["user_chat_id"])
    return short + (msg["date"],) if long else short


def _gl_message_reaction(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    short = (msg["chat"]["id"], msg["message_id"], msg["new_reaction"])
    if long:
        return short + (msg["old_reaction"], _voter_id(msg, "user", "actor_chat"), msg["date"])
    return short


def _gl_message_reaction_count(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    short = (msg["chat"]["id"], msg["message_id"], msg["reactions"])
    return short + (msg["date"],) if long else short


def _gl_business_connection(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    short = (msg["id"], msg["user"]["id"], msg["is_enabled"])
    return short + (msg["user_chat_id"], msg["date"]) if long else short


def _gl_deleted_business_messages(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    return msg["business_connection_id"], msg["chat"]["id"], msg["message_ids"]


def _gl_purchased_paid_media(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    return msg["from"]["id"], msg["paid_media_payload"]


def _gl_chat_boost(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    boost = msg["boost"]
    short = (msg["chat"]["id"], boost["boost_id"], boost["source"]["source"])
    return short + (boost["add_date"], boost["expiration_date"]) if long else short


def _gl_removed_chat_boost(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    short = (msg["chat"]["id"], msg["boost_id"], msg["source"]["source"])
    return short + (msg["remove_date"],) if long else short


def _gl_managed_bot(msg: Mapping[str, Any], long: bool) -> tuple[Any, ...]:
    return msg["user"]["id"], msg["bot"]["id"]


_GLANCERS: Mapping[str, Callable[[Mapping[str, Any], bool], tuple[Any, ...]]] = MappingProxyType({
    "chat": _gl_chat,
    "callback_query": _gl_callback_query,
    "inline_query": _gl_inline_query,
    "chosen_inline_result": _gl_chosen_inline_result,
    "shipping_query": _gl_shipping_query,
    "pre_checkout_query": _gl_pre_checkout_query,
    "poll": _gl_poll,
    "poll_answer": _gl_poll_answer,
    "chat_member": _gl_chat_member,
    "chat_join_request": _gl_chat_join_request,
    "message_reaction": _gl_message_reaction,
    "message_reaction_count": _gl_message_reaction_count,
    "business_connection": _gl_business_connection,
    "deleted_business_messages": _gl_deleted_business_messages,
    "purchased_paid_media": _gl_purchased_paid_media,
    "chat_boost": _gl_chat_boost,
    "removed_chat_boost": _gl_removed_chat_boost,
    "managed_bot": _gl_managed_bot,
})


def glance(msg: Mapping[str, Any], flavor: str = "chat", long: bool = False) -> tuple[Any, ...]:
    """Extract "headline" info about a message, as a short or (``long=True``) long tuple.

    ``chat`` (a ``Message``):
        short ``(content_type, msg['chat']['type'], msg['chat']['id'])``;
        long adds ``msg['date'], msg['message_id']``. *content_type* is the first of
        :data:`all_content_types` present in the message (``text``, ``audio``,
        ``animation``, ``document``, ``game``, ``live_photo``, ``photo``, ``sticker``,
        ``video``, ``voice``, ``video_note``, ``contact``, ``poll``, ``location``,
        ``venue``, ``new_chat_member``, ``left_chat_member``, ... every content and
        service-message field of Bot API 10.1); ``KeyError`` if there is none. As in
        telepot, a venue (which carries ``venue`` and ``location``) is a ``location``;
        an animation is an ``animation`` and a live photo a ``live_photo``.
    ``callback_query``: regardless ``(msg['id'], msg['from']['id'], msg.get('data'))``.
    ``inline_query``: short ``(msg['id'], msg['from']['id'], msg['query'])``;
        long adds ``msg['offset']``.
    ``chosen_inline_result``: regardless ``(msg['result_id'], msg['from']['id'], msg['query'])``.
    ``shipping_query``: regardless ``(msg['id'], msg['from']['id'], msg['invoice_payload'])``.
    ``pre_checkout_query``: short ``(msg['id'], msg['from']['id'], msg['invoice_payload'])``;
        long adds ``msg['currency'], msg['total_amount']``.
    ``poll``: short ``(msg['id'], msg['type'], msg['question'])``;
        long adds ``msg['total_voter_count'], msg['is_closed']``.
    ``poll_answer``: regardless ``(msg['poll_id'], voter_id, msg['option_ids'])`` where
        *voter_id* is ``msg['user']['id']``, or ``msg['voter_chat']['id']`` for an
        anonymous vote.
    ``chat_member``: short ``(msg['chat']['id'], msg['new_chat_member']['user']['id'],
        msg['new_chat_member']['status'])``; long adds
        ``msg['old_chat_member']['status'], msg['from']['id'], msg['date']``.
    ``chat_join_request``: short ``(msg['chat']['id'], msg['from']['id'], msg['user_chat_id'])``;
        long adds ``msg['date']``.
    ``message_reaction``: short ``(msg['chat']['id'], msg['message_id'], msg['new_reaction'])``;
        long adds ``msg['old_reaction'], actor_id, msg['date']`` where *actor_id* is
        ``msg['user']['id']`` or ``msg['actor_chat']['id']``.
    ``message_reaction_count``: short ``(msg['chat']['id'], msg['message_id'], msg['reactions'])``;
        long adds ``msg['date']``.
    ``business_connection``: short ``(msg['id'], msg['user']['id'], msg['is_enabled'])``;
        long adds ``msg['user_chat_id'], msg['date']``.
    ``deleted_business_messages``: regardless
        ``(msg['business_connection_id'], msg['chat']['id'], msg['message_ids'])``.
    ``purchased_paid_media``: regardless ``(msg['from']['id'], msg['paid_media_payload'])``.
    ``chat_boost``: short ``(msg['chat']['id'], boost['boost_id'], boost['source']['source'])``
        with ``boost = msg['boost']``; long adds ``boost['add_date'], boost['expiration_date']``.
    ``removed_chat_boost``: short ``(msg['chat']['id'], msg['boost_id'], msg['source']['source'])``;
        long adds ``msg['remove_date']``.
    ``managed_bot``: regardless ``(msg['user']['id'], msg['bot']['id'])``.

    Any other flavor raises :class:`~actorbot.exception.BadFlavor`.
    """
    try:
        fn = _GLANCERS[flavor]
    except (KeyError, TypeError):
        raise BadFlavor(flavor) from None
    return fn(msg, long)


def flance(msg: Mapping[str, Any], long: bool = False) -> tuple[str, tuple[Any, ...]]:
    """:func:`flavor` and :func:`glance` together: ``(flavor, headline_info)``."""
    f = flavor(msg)
    return f, glance(msg, flavor=f, long=long)


def peel(event: Mapping[str, Any]) -> Any:
    """Remove an event's top-level skin (the key that gives its flavor); return the content."""
    return next(iter(event.values()))


def fleece(event: Mapping[str, Any]) -> tuple[str, Any]:
    """:func:`flavor` and :func:`peel` together: ``(flavor, content)`` of an event."""
    return flavor(event), peel(event)


def is_event(msg: Mapping[str, Any]) -> bool:
    """Whether ``msg`` is an event, that is, its flavor starts with an underscore."""
    return flavor(msg).startswith("_")


def origin_identifier(msg: Mapping[str, Any]) -> tuple[Any, ...]:
    """The message identifier of a callback query's origin, always a tuple.

    ``(chat_id, message_id)`` when the query came from a message in a chat,
    ``(inline_message_id,)`` when it came from an inline message; ``ValueError``
    otherwise. ``msg`` is expected to be a ``callback_query``.
    """
    message = msg.get("message")
    if isinstance(message, Mapping):
        return message["chat"]["id"], message["message_id"]
    if "inline_message_id" in msg:
        return (msg["inline_message_id"],)
    raise ValueError("the callback query has neither 'message' nor 'inline_message_id'")


def message_identifier(msg: Mapping[str, Any]) -> tuple[Any, ...]:
    """An identifier for editing a message, always a tuple (for ``Bot.editMessageText`` etc.).

    ``(chat_id, message_id)`` for a ``chat`` message, ``(inline_message_id,)`` for a
    ``chosen_inline_result`` that has one; ``ValueError`` otherwise.
    """
    if "chat" in msg and "message_id" in msg:
        return msg["chat"]["id"], msg["message_id"]
    if "inline_message_id" in msg:
        return (msg["inline_message_id"],)
    raise ValueError("the message has neither 'chat' and 'message_id' nor 'inline_message_id'")


def flavor_router(routing_table: dict[Any, Callable[..., Any]]) -> Callable[..., Any]:
    """A function that routes a message to ``routing_table[flavor(msg)]``.

    ``Router(flavor, routing_table).route``: a ``None`` entry catches every flavor the
    table does not name (including update kinds this version does not know).
    """
    return Router(flavor, routing_table).route


def extract_message(update: Any) -> tuple[str, dict[str, Any]]:
    """Split a raw update into ``(update key, message)``.

    ``update`` is one element of ``getUpdates``' result or a webhook body, e.g.
    ``{"update_id": 5, "message": {...}}``; the result is ``("message", {...})``.
    The payload key is looked up in :data:`UPDATE_FLAVORS` order.

    For an update kind this version does not know, the message is the payload wrapped
    as ``{key: payload}``, so that ``flavor(message) == key`` (see the module docstring).

    Raises :class:`~actorbot.exception.BadUpdate` when the update is not a JSON object,
    has no integer ``update_id``, carries no payload object, or carries a known kind
    whose payload does not have that kind's flavor (e.g. a ``message`` without
    ``message_id``). Called on the loop's thread; pure.
    """
    if not isinstance(update, dict):
        raise BadUpdate(f"an update must be a JSON object, not {type(update).__name__}", update)
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise BadUpdate("the update has no integer 'update_id'", update)
    for key, expected in UPDATE_FLAVORS.items():
        if key not in update:
            continue
        payload = update[key]
        if not isinstance(payload, dict):
            raise BadUpdate(f"update {update_id}: {key!r} is not a JSON object", update)
        try:
            got = flavor(payload)
        except BadFlavor:
            got = None
        if got != expected:
            raise BadUpdate(
                f"update {update_id}: the {key!r} payload does not look like a {expected!r} message",
                update,
            )
        return key, payload
    for key, payload in update.items():
        if key != "update_id" and isinstance(payload, dict):
            logger.debug("update %s: unknown kind %r delivered with flavor %r", update_id, key, key)
            return key, {key: payload}
    raise BadUpdate(f"update {update_id} carries no payload object", update)
