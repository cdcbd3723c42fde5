"""actorbot.namedtuple: a class per Bot API type, incoming conversion, outgoing serialisation."""

from __future__ import annotations

import json
import pickle
import warnings
from typing import Any

import pytest

from actorbot import _types
from actorbot import namedtuple as nt
from actorbot.namedtuple import (
    Chat,
    ChatMember,
    ChatMemberBanned,
    ChatMemberOwner,
    ForceReply,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    MaybeInaccessibleMessage,
    Message,
    MessageEntity,
    MessageOriginChannel,
    ReactionTypeEmoji,
    ReplyKeyboardRemove,
    Update,
    User,
    to_jsonable,
)

RAW_MESSAGE: dict[str, Any] = {
    "message_id": 42,
    "from": {"id": 5, "is_bot": False, "first_name": "Ann", "language_code": "en"},
    "date": 1700000000,
    "chat": {"id": 5, "type": "private", "first_name": "Ann"},
    "forward_origin": {"type": "channel", "date": 1690000000,
                       "chat": {"id": -100, "type": "channel", "title": "News"}, "message_id": 7},
    "reply_to_message": {"message_id": 41, "date": 1699999999, "chat": {"id": 5, "type": "private"},
                         "text": "earlier", "from": {"id": 6, "is_bot": True, "first_name": "Bot"}},
    "text": "hello *world*",
    "entities": [{"type": "bold", "offset": 6, "length": 7},
                 {"type": "text_mention", "offset": 0, "length": 5,
                  "user": {"id": 9, "is_bot": False, "first_name": "Zed"}}],
    "photo": [{"file_id": "a", "file_unique_id": "ua", "width": 90, "height": 90}],
    "pinned_message": {"chat": {"id": 5, "type": "private"}, "message_id": 3, "date": 0},
    "reply_markup": {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]},
}


def test_every_bot_api_type_has_a_class() -> None:
    names = set(dir(nt))
    for name in _types.TYPES:
        assert name in names and name in nt.__all__
        assert isinstance(getattr(nt, name), type)
    assert len(_types.TYPES) >= 359


def test_incoming_message_is_converted_recursively() -> None:
    m = Message(**RAW_MESSAGE)
    assert m.message_id == 42
    assert isinstance(m.from_, User) and m.from_.first_name == "Ann" and m.from_.last_name is None
    assert isinstance(m.chat, Chat) and m.chat.type == "private"
    assert isinstance(m.forward_origin, MessageOriginChannel) and m.forward_origin.chat.title == "News"
    assert isinstance(m.reply_to_message, Message) and m.reply_to_message.from_.is_bot is True
    assert all(isinstance(e, MessageEntity) for e in m.entities)
    assert m.entities[1].user.id == 9
    assert m.photo[0].width == 90 and type(m.photo).__name__ == "list"
    assert isinstance(m.pinned_message, InaccessibleMessage)
    assert isinstance(m.pinned_message, MaybeInaccessibleMessage)
    assert isinstance(m.reply_markup.inline_keyboard[0][0], InlineKeyboardButton)
    assert m.sticker is None and m.caption is None and m.edit_date is None


def test_round_trip_gives_back_the_same_dict() -> None:
    m = Message(**RAW_MESSAGE)
    assert to_jsonable(m) == RAW_MESSAGE
    assert Message(**to_jsonable(m)) == m


def test_update_with_message_and_callback_query() -> None:
    raw = {"update_id": 9, "callback_query": {"id": "c", "from": {"id": 1, "is_bot": False, "first_name": "A"},
                                              "chat_instance": "ci", "data": "d",
                                              "message": {"message_id": 1, "date": 5,
                                                          "chat": {"id": 1, "type": "private"}}}}
    u = Update(**raw)
    assert u.message is None
    assert u.callback_query.from_.id == 1
    assert isinstance(u.callback_query.message, Message)
    assert to_jsonable(u) == raw


def test_from_may_be_given_as_from_or_from_underscore() -> None:
    a = Message(message_id=1, date=1, chat={"id": 1, "type": "private"},
                from_={"id": 2, "is_bot": False, "first_name": "x"})
    b = Message(**{"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"},
                   "from": {"id": 2, "is_bot": False, "first_name": "x"}})
    assert a == b and a.from_.id == 2
    assert "from" in to_jsonable(a) and "from_" not in to_jsonable(a)
    assert a._asdict()["from_"] == a.from_
    with pytest.raises(TypeError, match="multiple values"):
        Message(**{"from": {"id": 1}, "from_": {"id": 2}})


def test_outgoing_keyboard_serialises_without_none_fields() -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Yes", callback_data="y"),
        InlineKeyboardButton(text="Site", url="https://example.org"),
    ]])
    assert to_jsonable(markup) == {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"},
                                                        {"text": "Site", "url": "https://example.org"}]]}
    assert json.loads(json.dumps(to_jsonable({"chat_id": 1, "reply_markup": markup, "x": None}))) == {
        "chat_id": 1, "reply_markup": {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"},
                                                          {"text": "Site", "url": "https://example.org"}]]}}


def test_positional_arguments_follow_the_field_order() -> None:
    fields = [f.name for f in _types.TYPES["InlineKeyboardButton"].fields]
    button = InlineKeyboardButton("Label", *([None] * (fields.index("callback_data") - 1)), "data")
    assert button.text == "Label" and button.callback_data == "data"
    assert to_jsonable(button) == {"text": "Label", "callback_data": "data"}
    with pytest.raises(TypeError):
        User(*range(len(User._fields) + 1))


def test_fixed_values_are_defaults() -> None:
    assert ForceReply() == ForceReply(force_reply=True)
    assert to_jsonable(ForceReply(selective=True)) == {"force_reply": True, "selective": True}
    assert to_jsonable(ReplyKeyboardRemove()) == {"remove_keyboard": True}
    article = InlineQueryResultArticle(id="1", title="T",
                                       input_message_content=InputTextMessageContent(message_text="hi"))
    assert to_jsonable(article) == {"type": "article", "id": "1", "title": "T",
                                    "input_message_content": {"message_text": "hi"}}
    assert to_jsonable(ReactionTypeEmoji(emoji="👍")) == {"type": "emoji", "emoji": "👍"}


@pytest.mark.parametrize("raw,cls", [
    ({"status": "creator", "user": {"id": 1, "is_bot": False, "first_name": "a"}, "is_anonymous": False},
     ChatMemberOwner),
    ({"status": "kicked", "user": {"id": 1, "is_bot": False, "first_name": "a"}, "until_date": 0}, ChatMemberBanned),
    ({"status": "member", "user": {"id": 1, "is_bot": False, "first_name": "a"}}, nt.ChatMemberMember),
    ({"status": "left", "user": {"id": 1, "is_bot": False, "first_name": "a"}}, nt.ChatMemberLeft),
])
def test_union_types_pick_the_alternative_by_discriminator(raw: dict[str, Any], cls: type) -> None:
    member = ChatMember(**raw)
    assert type(member) is cls and isinstance(member, ChatMember)
    assert to_jsonable(member) == raw
    updated = nt.ChatMemberUpdated(chat={"id": -1, "type": "group"},
                                   from_={"id": 2, "is_bot": False, "first_name": "b"},
                                   date=1, old_chat_member=raw, new_chat_member=raw)
    assert type(updated.new_chat_member) is cls


def test_maybe_inaccessible_message_by_date() -> None:
    assert type(MaybeInaccessibleMessage(chat={"id": 1, "type": "private"}, message_id=1,
                                         date=0)) is InaccessibleMessage
    assert type(MaybeInaccessibleMessage(chat={"id": 1, "type": "private"}, message_id=1, date=5, text="x")) is Message


def test_union_that_fits_nothing() -> None:
    with pytest.raises(TypeError, match="ChatMember"):
        ChatMember(colour="blue")


def test_nested_object_that_fits_no_type_stays_a_dict() -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[[{"text": "x"}], [1]])
    assert isinstance(markup.inline_keyboard[0][0], InlineKeyboardButton)
    assert markup.inline_keyboard[1] == [1]
    origin = Message(message_id=1, date=1, chat={"id": 1, "type": "private"}, forward_origin={"kind": "new"})
    assert origin.forward_origin == {"kind": "new"}
    button = InlineKeyboardButton(text="a", web_app={"unknown": 1}, callback_game={})
    assert button.web_app == {"unknown": 1}
    assert isinstance(button.callback_game, nt.CallbackGame)


def test_unknown_fields_are_dropped_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="colour"):
        u = User(id=1, is_bot=False, first_name="a", colour="blue")
    assert to_jsonable(u) == {"id": 1, "is_bot": False, "first_name": "a"}


def test_known_fields_raise_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Message(**RAW_MESSAGE)


def test_repr_shows_only_present_fields() -> None:
    assert repr(User(id=1, is_bot=False, first_name="a")) == "User(id=1, is_bot=False, first_name='a')"
    assert repr(nt.CallbackGame()) == "CallbackGame()"
    assert to_jsonable(InlineKeyboardButton(text="Play", callback_game=nt.CallbackGame())) == {"text": "Play",
                                                                                               "callback_game": {}}


def test_instances_are_immutable_tuples_that_pickle() -> None:
    m = Message(**RAW_MESSAGE)
    with pytest.raises(AttributeError):
        m.text = "changed"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(m)) == m
    assert m._replace(text="other").text == "other"


def test_to_jsonable_handles_plain_structures() -> None:
    assert to_jsonable([1, (2, None), {"a": None, "b": [User(id=1, is_bot=True, first_name="b")]}]) == [
        1, [2, None], {"b": [{"id": 1, "is_bot": True, "first_name": "b"}]}]
    assert to_jsonable("text") == "text"


def test_telepot_array_helpers() -> None:
    sizes = nt.PhotoSizeArrayArray([[{"file_id": "a", "file_unique_id": "u", "width": 1, "height": 1}]])
    assert isinstance(sizes[0][0], nt.PhotoSize)
    assert nt.MessageEntityArray([{"type": "bold", "offset": 0, "length": 1}])[0].type == "bold"
    with pytest.raises(AttributeError):
        nt.NoSuchTypeArray  # noqa: B018
