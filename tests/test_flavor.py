"""flavor, glance, flance, peel, fleece, is_event, identifiers, extract_message.

Update kinds are taken from the shipped type table (generated from api.json), so a
newer Bot API version is covered as soon as the table is regenerated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import actorbot
from actorbot import _types
from actorbot._flavor import UPDATE_FLAVORS, extract_message
from actorbot.exception import BadFlavor, BadUpdate

SPEC_JSON = Path(__file__).resolve().parents[1] / "spec" / "botapi" / "api.json"

SCALARS: dict[str, Any] = {"Integer": 7, "String": "s", "Boolean": True, "Float": 1.5, "True": True}


def sample(type_expr: str, *, optional: bool = False, depth: int = 0) -> Any:
    """A value of Bot API type ``type_expr``: required fields (and optional ones, one level deep)."""
    if type_expr.startswith("Array of "):
        return [sample(type_expr[len("Array of "):], optional=optional, depth=depth + 1)]
    if type_expr in SCALARS:
        return SCALARS[type_expr]
    spec = _types.TYPES[type_expr]
    if spec.subtypes:
        return sample(spec.subtypes[0], optional=optional, depth=depth)
    out: dict[str, Any] = {}
    for field in spec.fields:
        if field.required or (optional and depth == 0):
            if field.const is not None:
                out[field.name] = field.const
            elif depth > 4:
                out[field.name] = SCALARS.get(field.types[0], {})
            else:
                out[field.name] = sample(field.types[0], optional=False, depth=depth + 1)
    return out


UPDATE_KINDS = [(f.name, f.types[0]) for f in _types.TYPES["Update"].fields if f.name != "update_id"]


def chat(chat_id: int = 100, chat_type: str = "private") -> dict[str, Any]:
    return {"id": chat_id, "type": chat_type}


def user(user_id: int = 5) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Ann"}


def message(**content: Any) -> dict[str, Any]:
    return {"message_id": 42, "date": 1700000000, "chat": chat(), "from": user(), **content}


# -- the update-kind table --------------------------------------------------------------


def test_every_update_kind_of_the_table_exists_in_the_spec() -> None:
    spec_kinds = {name for name, _ in UPDATE_KINDS}
    assert set(UPDATE_FLAVORS) <= spec_kinds
    # Bot API 10.1: every kind has a chosen flavor.
    if _types.API_VERSION == "Bot API 10.1":
        assert set(UPDATE_FLAVORS) == spec_kinds


def test_the_message_kinds_are_chat_and_the_member_kinds_share_a_flavor() -> None:
    for key in ("message", "edited_message", "channel_post", "edited_channel_post",
                "business_message", "edited_business_message", "guest_message"):
        assert UPDATE_FLAVORS[key] == "chat"
    assert UPDATE_FLAVORS["my_chat_member"] == UPDATE_FLAVORS["chat_member"] == "chat_member"


@pytest.mark.parametrize("key,type_name", UPDATE_KINDS)
def test_every_update_kind_gets_its_flavor_from_the_payload_alone(key: str, type_name: str) -> None:
    payload = sample(type_name)
    got_key, msg = extract_message({"update_id": 9, key: payload})
    assert got_key == key
    expected = UPDATE_FLAVORS.get(key, key)
    if key in UPDATE_FLAVORS:
        assert msg is payload
    else:
        assert msg == {key: payload}
    assert actorbot.flavor(msg) == expected


@pytest.mark.parametrize("key,type_name", [(k, t) for k, t in UPDATE_KINDS if k in UPDATE_FLAVORS])
def test_the_flavor_holds_with_every_optional_field_present(key: str, type_name: str) -> None:
    payload = sample(type_name, optional=True)
    assert actorbot.flavor(payload) == UPDATE_FLAVORS[key]
    assert extract_message({"update_id": 1, key: payload}) == (key, payload)


@pytest.mark.parametrize("key,type_name",
                         [(k, t) for k, t in UPDATE_KINDS if UPDATE_FLAVORS.get(k) not in (None, "chat")])
def test_glance_reads_only_required_fields(key: str, type_name: str) -> None:
    payload = sample(type_name)
    flavor = actorbot.flavor(payload)
    short = actorbot.glance(payload, flavor=flavor)
    long = actorbot.glance(payload, flavor=flavor, long=True)
    assert len(short) >= 2 and len(long) >= len(short)
    assert long[: len(short)] == short
    assert actorbot.flance(payload, long=True) == (flavor, long)


def test_an_unknown_update_kind_is_delivered_with_a_flavor_from_its_key() -> None:
    payload = {"id": "q1", "mood": "sunny", "from": user()}
    key, msg = extract_message({"update_id": 3, "weather_report": payload})
    assert key == "weather_report"
    assert actorbot.flavor(msg) == "weather_report"
    assert actorbot.peel(msg) is payload
    assert actorbot.fleece(msg) == ("weather_report", payload)
    assert not actorbot.is_event(msg)
    seen: list[tuple[str, Any]] = []
    route = actorbot.flavor_router({
        "chat": lambda m: seen.append(("chat", m)),
        None: lambda m: seen.append(("other", actorbot.fleece(m))),
    })
    route(msg)
    assert seen == [("other", ("weather_report", payload))]


def test_a_known_kind_wins_over_an_unknown_one_in_the_same_update() -> None:
    payload = message(text="hi")
    assert extract_message({"update_id": 1, "zzz": {"a": 1}, "message": payload}) == ("message", payload)


@pytest.mark.parametrize("update,reason", [
    (["update_id", 1], "JSON object"),
    ("{}", "JSON object"),
    (None, "JSON object"),
    ({"message": message(text="x")}, "update_id"),
    ({"update_id": "1", "message": message(text="x")}, "update_id"),
    ({"update_id": True, "message": message(text="x")}, "update_id"),
    ({"update_id": 1}, "no payload"),
    ({"update_id": 1, "message": "text"}, "not a JSON object"),
    ({"update_id": 1, "message": {"text": "no id"}}, "does not look like"),
    ({"update_id": 1, "callback_query": message(text="x")}, "does not look like"),
    ({"update_id": 1, "future_kind": [1, 2]}, "no payload"),
])
def test_malformed_updates_raise_bad_update(update: Any, reason: str) -> None:
    with pytest.raises(BadUpdate) as info:
        extract_message(update)
    assert reason in str(info.value)
    assert info.value.update is update
    assert isinstance(info.value, actorbot.exception.ActorbotException)


# -- flavor -----------------------------------------------------------------------------


@pytest.mark.parametrize("msg,expected", [
    (message(text="hi"), "chat"),
    ({"id": "1", "from": user(), "chat_instance": "ci", "data": "d"}, "callback_query"),
    ({"id": "1", "from": user(), "query": "q", "offset": ""}, "inline_query"),
    ({"result_id": "r", "from": user(), "query": "q"}, "chosen_inline_result"),
    ({"id": "1", "from": user(), "invoice_payload": "p", "shipping_address": {}}, "shipping_query"),
    ({"id": "1", "from": user(), "currency": "XTR", "total_amount": 5, "invoice_payload": "p"}, "pre_checkout_query"),
    ({"_idle": {"seconds": 10}}, "_idle"),
    ({"my_event": {"x": 1}}, "my_event"),
])
def test_flavor_as_in_telepot(msg: dict[str, Any], expected: str) -> None:
    assert actorbot.flavor(msg) == expected


def test_a_reaction_update_is_not_mistaken_for_a_message() -> None:
    reaction = {"chat": chat(), "message_id": 42, "date": 1, "user": user(),
                "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}
    assert actorbot.flavor(reaction) == "message_reaction"
    counts = {"chat": chat(), "message_id": 42, "date": 1, "reactions": []}
    assert actorbot.flavor(counts) == "message_reaction_count"


@pytest.mark.parametrize("msg", [{"a": 1, "b": 2}, {}, "text", None, [("message_id", 1)]])
def test_flavor_of_something_unrecognisable_raises_bad_flavor(msg: Any) -> None:
    with pytest.raises(BadFlavor) as info:
        actorbot.flavor(msg)
    assert info.value.offender == msg


def test_is_event_peel_and_fleece() -> None:
    event = {"_expired": {"seq": 3}}
    assert actorbot.is_event(event)
    assert actorbot.peel(event) == {"seq": 3}
    assert actorbot.fleece(event) == ("_expired", {"seq": 3})
    assert not actorbot.is_event(message(text="hi"))


# -- glance -----------------------------------------------------------------------------


def test_glance_chat_short_and_long() -> None:
    msg = message(text="hello")
    msg["chat"] = chat(-1001, "supergroup")
    assert actorbot.glance(msg) == ("text", "supergroup", -1001)
    assert actorbot.glance(msg, long=True) == ("text", "supergroup", -1001, 1700000000, 42)
    assert actorbot.flance(msg) == ("chat", ("text", "supergroup", -1001))


@pytest.mark.parametrize("content_type", actorbot.all_content_types)
def test_glance_knows_every_content_type(content_type: str) -> None:
    msg = message(**{content_type: {"anything": True}})
    assert actorbot.glance(msg)[0] == content_type


def test_content_types_cover_the_message_type_text_first() -> None:
    types = actorbot.all_content_types
    assert types[0] == "text"
    assert len(types) == len(set(types))
    fields = [f.name for f in _types.TYPES["Message"].fields]
    for name in ("audio", "document", "photo", "sticker", "video", "voice", "contact", "location",
                 "poll", "dice", "story", "checklist", "paid_media", "giveaway", "gift",
                 "forum_topic_created", "video_chat_started", "web_app_data", "successful_payment",
                 "users_shared", "chat_shared", "write_access_allowed", "boost_added"):
        assert name in fields and name in types
    for meta in ("message_id", "date", "chat", "from", "entities", "caption", "reply_markup",
                 "reply_to_message", "edit_date", "media_group_id"):
        assert meta not in types
    # every Message field is either content or metadata, none forgotten
    assert {f for f in fields if f not in types} <= {
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
    }


TELEPOT_12_7_CONTENT_TYPES = [
    "text", "audio", "document", "game", "photo", "sticker", "video", "voice", "video_note",
    "contact", "location", "venue", "new_chat_member", "left_chat_member", "new_chat_title",
    "new_chat_photo", "delete_chat_photo", "group_chat_created", "supergroup_chat_created",
    "channel_chat_created", "migrate_to_chat_id", "migrate_from_chat_id", "pinned_message",
    "new_chat_members", "invoice", "successful_payment",
]


def test_a_venue_is_a_location_as_in_telepot() -> None:
    venue = {"location": {"latitude": 1.5, "longitude": 2.5},
             "title": "Cafe", "address": "Main St"}
    msg = message(venue=venue, location=venue["location"])
    assert actorbot.glance(msg) == ("location", "private", 100)
    assert actorbot.glance(message(location={"latitude": 1.5, "longitude": 2.5}))[0] == "location"


def test_telepot_precedence_holds_among_the_content_types_telepot_knew() -> None:
    ours = [c for c in actorbot.all_content_types if c in TELEPOT_12_7_CONTENT_TYPES]
    assert ours == TELEPOT_12_7_CONTENT_TYPES


@pytest.mark.parametrize("fields,expected", [
    ({"animation": {}, "document": {}}, "animation"),
    ({"live_photo": {}, "photo": []}, "live_photo"),
    ({"new_chat_member": user(), "new_chat_members": [user()]}, "new_chat_member"),
    ({"photo": [], "caption": "c"}, "photo"),
])
def test_glance_prefers_the_newer_field_telegram_sets_together_with_an_older_one(
    fields: dict[str, Any], expected: str
) -> None:
    assert actorbot.glance(message(**fields))[0] == expected


@pytest.mark.skipif(not SPEC_JSON.exists(), reason="api.json not beside the repository")
def test_backward_compatible_pairs_from_the_reference_are_ordered() -> None:
    spec = json.loads(SPEC_JSON.read_text(encoding="utf-8"))
    order = actorbot.all_content_types
    pairs = 0
    for field in spec["types"]["Message"]["fields"]:
        text = field["description"]
        marker = "when this field is set, the "
        if marker in text:
            older = text.split(marker, 1)[1].split(" field", 1)[0]
            newer = field["name"]
            if newer in TELEPOT_12_7_CONTENT_TYPES and older in TELEPOT_12_7_CONTENT_TYPES:
                newer, older = sorted((newer, older), key=TELEPOT_12_7_CONTENT_TYPES.index)  # telepot's order
            assert order.index(newer) < order.index(older), (newer, older)
            pairs += 1
    assert pairs >= 3


def test_glance_of_a_message_without_content_raises_key_error() -> None:
    with pytest.raises(KeyError):
        actorbot.glance({"message_id": 1, "date": 1, "chat": chat(), "brand_new_field": 1})


def test_glance_of_each_flavor() -> None:
    cq = {"id": "cq1", "from": user(5), "chat_instance": "ci", "data": "yes"}
    assert actorbot.glance(cq, "callback_query") == ("cq1", 5, "yes")
    assert actorbot.glance(cq, "callback_query", long=True) == ("cq1", 5, "yes")
    game_cq = {"id": "cq2", "from": user(5), "chat_instance": "ci", "game_short_name": "g"}
    assert actorbot.glance(game_cq, "callback_query") == ("cq2", 5, None)

    iq = {"id": "iq", "from": user(6), "query": "cats", "offset": "20"}
    assert actorbot.glance(iq, "inline_query") == ("iq", 6, "cats")
    assert actorbot.glance(iq, "inline_query", long=True) == ("iq", 6, "cats", "20")

    cir = {"result_id": "r1", "from": user(7), "query": "cats", "inline_message_id": "im"}
    assert actorbot.glance(cir, "chosen_inline_result", long=True) == ("r1", 7, "cats")

    sq = {"id": "s", "from": user(8), "invoice_payload": "pl", "shipping_address": {}}
    assert actorbot.glance(sq, "shipping_query") == ("s", 8, "pl")

    pcq = {"id": "p", "from": user(9), "currency": "EUR", "total_amount": 995, "invoice_payload": "pl"}
    assert actorbot.glance(pcq, "pre_checkout_query") == ("p", 9, "pl")
    assert actorbot.glance(pcq, "pre_checkout_query", long=True) == ("p", 9, "pl", "EUR", 995)

    poll = {"id": "pl", "question": "Tea?", "options": [], "total_voter_count": 3, "is_closed": False,
            "is_anonymous": True, "type": "regular", "allows_multiple_answers": False}
    assert actorbot.flance(poll) == ("poll", ("pl", "regular", "Tea?"))
    assert actorbot.glance(poll, "poll", long=True) == ("pl", "regular", "Tea?", 3, False)

    answer = {"poll_id": "pl", "user": user(11), "option_ids": [0, 2], "option_persistent_ids": []}
    assert actorbot.flance(answer) == ("poll_answer", ("pl", 11, [0, 2]))
    anonymous = {"poll_id": "pl", "voter_chat": chat(-5, "channel"), "option_ids": [1], "option_persistent_ids": []}
    assert actorbot.glance(anonymous, "poll_answer") == ("pl", -5, [1])

    member = {"chat": chat(-7, "group"), "from": user(1), "date": 50,
              "old_chat_member": {"status": "left", "user": user(12)},
              "new_chat_member": {"status": "member", "user": user(12)}}
    assert actorbot.flance(member) == ("chat_member", (-7, 12, "member"))
    assert actorbot.glance(member, "chat_member", long=True) == (-7, 12, "member", "left", 1, 50)

    join = {"chat": chat(-7, "supergroup"), "from": user(13), "user_chat_id": 13, "date": 60}
    assert actorbot.flance(join, long=True) == ("chat_join_request", (-7, 13, 13, 60))

    reaction = {"chat": chat(-7, "group"), "message_id": 4, "date": 70, "actor_chat": chat(-9, "channel"),
                "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "🔥"}]}
    assert actorbot.flance(reaction) == ("message_reaction", (-7, 4, [{"type": "emoji", "emoji": "🔥"}]))
    assert actorbot.glance(reaction, "message_reaction", long=True)[3:] == ([], -9, 70)

    counts = {"chat": chat(-7, "channel"), "message_id": 4, "date": 80, "reactions": [{"total_count": 2}]}
    assert actorbot.glance(counts, "message_reaction_count", long=True) == (-7, 4, [{"total_count": 2}], 80)

    connection = {"id": "bc", "user": user(14), "user_chat_id": 14, "date": 90, "is_enabled": True}
    assert actorbot.flance(connection) == ("business_connection", ("bc", 14, True))
    assert actorbot.glance(connection, "business_connection", long=True) == ("bc", 14, True, 14, 90)

    deleted = {"business_connection_id": "bc", "chat": chat(15), "message_ids": [1, 2]}
    assert actorbot.flance(deleted) == ("deleted_business_messages", ("bc", 15, [1, 2]))

    purchased = {"from": user(16), "paid_media_payload": "pm"}
    assert actorbot.flance(purchased) == ("purchased_paid_media", (16, "pm"))

    boost = {"chat": chat(-8, "channel"), "boost": {"boost_id": "b1", "add_date": 1, "expiration_date": 2,
                                                     "source": {"source": "premium", "user": user(17)}}}
    assert actorbot.flance(boost, long=True) == ("chat_boost", (-8, "b1", "premium", 1, 2))

    removed = {"chat": chat(-8, "channel"), "boost_id": "b1", "remove_date": 3, "source": {"source": "gift_code"}}
    assert actorbot.flance(removed, long=True) == ("removed_chat_boost", (-8, "b1", "gift_code", 3))

    managed = {"user": user(18), "bot": {"id": 19, "is_bot": True, "first_name": "B"}}
    assert actorbot.flance(managed) == ("managed_bot", (18, 19))


def test_glance_of_an_unknown_flavor_raises_bad_flavor() -> None:
    with pytest.raises(BadFlavor) as info:
        actorbot.glance({"x": 1}, flavor="weather_report")
    assert info.value.offender == "weather_report"
    with pytest.raises(BadFlavor):
        actorbot.flance({"_idle": {}})


# -- identifiers ------------------------------------------------------------------------


def test_message_identifier_forms() -> None:
    assert actorbot.message_identifier(message(text="x")) == (100, 42)
    chosen = {"result_id": "r", "from": user(), "query": "q", "inline_message_id": "IM1"}
    assert actorbot.message_identifier(chosen) == ("IM1",)
    with pytest.raises(ValueError):
        actorbot.message_identifier({"result_id": "r", "from": user(), "query": "q"})


def test_origin_identifier_forms() -> None:
    from_chat = {"id": "c", "from": user(), "chat_instance": "ci", "message": message(text="menu")}
    assert actorbot.origin_identifier(from_chat) == (100, 42)
    from_inline = {"id": "c", "from": user(), "chat_instance": "ci", "inline_message_id": "IM2"}
    assert actorbot.origin_identifier(from_inline) == ("IM2",)
    with pytest.raises(ValueError):
        actorbot.origin_identifier({"id": "c", "from": user(), "chat_instance": "ci"})


def test_flavor_router_passes_the_message_to_the_handler_of_its_flavor() -> None:
    calls: list[tuple[str, Any]] = []
    route = actorbot.flavor_router({
        "chat": lambda m: calls.append(("chat", actorbot.glance(m))) or "handled chat",
        "callback_query": lambda m: calls.append(("cb", m["data"])),
    })
    assert route(message(text="hi")) == "handled chat"
    route({"id": "1", "from": user(), "chat_instance": "ci", "data": "d"})
    assert calls == [("chat", ("text", "private", 100)), ("cb", "d")]
    with pytest.raises(RuntimeError, match="inline_query"):
        route({"id": "1", "from": user(), "query": "q", "offset": ""})


def test_public_names_are_exported() -> None:
    for name in ("flavor", "glance", "flance", "peel", "fleece", "is_event", "message_identifier",
                 "origin_identifier", "flavor_router", "all_content_types"):
        assert name in actorbot.__all__
        assert getattr(actorbot, name) is not None
