"""Bot's methods as a server sees them: seeds' signatures, old names, 10.1 methods, validation."""

from __future__ import annotations

import inspect
import io
import json
import logging
from typing import Any

import pytest

from actorbot import Bot, _spec
from actorbot.api import RetryPolicy
from loopback import TOKEN


def _no_wait(seconds: float) -> bool:
    raise AssertionError(f"unexpected retry wait of {seconds}s")


@pytest.fixture
def bot(loopback_api):
    with Bot(TOKEN, api_url=loopback_api.url, retry=RetryPolicy(wait=_no_wait)) as b:
        yield b


# -- msg_identifier -----------------------------------------------------------------------

@pytest.mark.parametrize(
    "identifier, expected",
    [
        ((12, 34), {"chat_id": 12, "message_id": 34}),
        (("@channel", 34), {"chat_id": "@channel", "message_id": 34}),
        (("INLINE-1",), {"inline_message_id": "INLINE-1"}),
        ("INLINE-2", {"inline_message_id": "INLINE-2"}),
        ({"message_id": 34, "chat": {"id": 12, "type": "private"}, "date": 1, "text": "t"},
         {"chat_id": 12, "message_id": 34}),
        ({"result_id": "r", "from": {"id": 1}, "query": "q", "inline_message_id": "INLINE-3"},
         {"inline_message_id": "INLINE-3"}),
    ],
)
def test_msg_identifier_forms(bot, loopback_api, identifier, expected):
    bot.editMessageText(identifier, "new text", parse_mode="HTML")
    req = loopback_api.wait_request("editMessageText")
    assert req.params == {**expected, "text": "new text", "parse_mode": "HTML"}


def test_every_edit_method_takes_a_msg_identifier(bot, loopback_api):
    ident = (12, 34)
    bot.editMessageCaption(ident, "cap")
    bot.editMessageReplyMarkup(ident, {"inline_keyboard": []})
    bot.editMessageLiveLocation(ident, 1.5, 2.5)
    bot.stopMessageLiveLocation(ident)
    bot.stopPoll(ident)
    bot.deleteMessage(ident)
    bot.setGameScore(7, 100, ident, force=True)
    bot.getGameHighScores(7, ("INLINE",))
    seen = {r.method: r.params for r in loopback_api.calls()}
    base = {"chat_id": 12, "message_id": 34}
    assert seen["editMessageCaption"] == {**base, "caption": "cap"}
    assert seen["editMessageReplyMarkup"] == {**base, "reply_markup": {"inline_keyboard": []}}
    assert seen["editMessageLiveLocation"] == {**base, "latitude": 1.5, "longitude": 2.5}
    assert seen["stopMessageLiveLocation"] == base
    assert seen["stopPoll"] == base
    assert seen["deleteMessage"] == base
    assert seen["setGameScore"] == {**base, "user_id": 7, "score": 100, "force": True}
    assert seen["getGameHighScores"] == {"user_id": 7, "inline_message_id": "INLINE"}


def test_bad_msg_identifier_sends_nothing(bot, loopback_api):
    with pytest.raises(ValueError):
        bot.editMessageText((1, 2, 3), "x")
    with pytest.raises(ValueError):
        bot.editMessageText({"text": "no identifier"}, "x")
    assert loopback_api.calls() == []


def test_edit_message_media_uploads_under_an_attach_name(bot, loopback_api):
    bot.editMessageMedia(("INLINE-9",), {"type": "photo", "media": io.BytesIO(b"new"), "caption": "c"},
                         business_connection_id="biz")
    req = loopback_api.wait_request("editMessageMedia")
    media = json.loads(req.params["media"])
    assert req.params["inline_message_id"] == "INLINE-9" and req.params["business_connection_id"] == "biz"
    assert media["type"] == "photo" and media["caption"] == "c" and media["media"].startswith("attach://")
    name = media["media"][len("attach://"):]
    assert list(req.uploads) == [name] and req.uploads[name].data == b"new"
    assert name not in {"media", "inline_message_id", "chat_id", "message_id", "reply_markup"}


# -- the seeds' names, order and defaults --------------------------------------------------

def test_seed_positional_order_is_kept(bot, loopback_api):
    markup = {"force_reply": True}
    bot.sendMessage(1, "hi", "Markdown", True, True, 99, markup)
    bot.forwardMessage(1, 2, 3, True)
    bot.sendLocation(1, 10.0, 20.0, 60)
    bot.sendVenue(1, 10.0, 20.0, "Title", "Address", "4sq")
    bot.answerCallbackQuery("cbq", "done", True)
    bot.getUserProfilePhotos(5, 0, 10)
    seen = {r.method: r.params for r in loopback_api.calls()}
    assert seen["sendMessage"] == {
        "chat_id": 1, "text": "hi", "parse_mode": "Markdown",
        "link_preview_options": {"is_disabled": True}, "disable_notification": True,
        "reply_parameters": {"message_id": 99}, "reply_markup": markup,
    }
    assert seen["forwardMessage"] == {"chat_id": 1, "from_chat_id": 2, "message_id": 3, "disable_notification": True}
    assert seen["sendLocation"] == {"chat_id": 1, "latitude": 10.0, "longitude": 20.0, "live_period": 60}
    assert seen["sendVenue"]["foursquare_id"] == "4sq"
    assert seen["answerCallbackQuery"] == {"callback_query_id": "cbq", "text": "done", "show_alert": True}
    assert seen["getUserProfilePhotos"] == {"user_id": 5, "offset": 0, "limit": 10}


def test_seed_signatures_match_telepot_and_amanobot():
    def names(fn: Any) -> list[str]:
        return [p.name for p in inspect.signature(fn).parameters.values()
                if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD][1:]

    assert names(Bot.sendMessage) == ["chat_id", "text", "parse_mode", "disable_web_page_preview",
                                      "disable_notification", "reply_to_message_id", "reply_markup"]
    assert names(Bot.editMessageText) == ["msg_identifier", "text", "parse_mode",
                                          "disable_web_page_preview", "reply_markup"]
    assert names(Bot.sendPoll)[:4] == ["chat_id", "question", "options", "is_anonymous"]
    assert names(Bot.getUpdates)[:4] == ["offset", "limit", "timeout", "allowed_updates"]
    assert names(Bot.setWebhook) == ["url", "certificate", "max_connections", "allowed_updates"]
    assert names(Bot.kickChatMember) == ["chat_id", "user_id", "until_date"]
    assert all(p.default is None for p in list(inspect.signature(Bot.sendMessage).parameters.values())[3:8])


def test_new_parameters_are_accepted_as_keywords(bot, loopback_api):
    bot.sendMessage(1, "topic", message_thread_id=5, protect_content=True,
                    reply_parameters={"message_id": 2, "quote": "q"})
    assert loopback_api.wait_request("sendMessage").params == {
        "chat_id": 1, "text": "topic", "message_thread_id": 5, "protect_content": True,
        "reply_parameters": {"message_id": 2, "quote": "q"},
    }


def test_unknown_keyword_on_a_seed_method_fails_before_sending(bot, loopback_api):
    with pytest.raises(TypeError, match="'colour'"):
        bot.sendMessage(1, "x", colour="red")
    assert loopback_api.calls() == []


def test_renamed_methods_call_the_current_ones(bot, loopback_api):
    loopback_api.reply("getChatMemberCount", 12)
    bot.kickChatMember(-100, 7, 1700000000)
    assert bot.getChatMembersCount(-100) == 12
    assert [r.method for r in loopback_api.calls()] == ["banChatMember", "getChatMemberCount"]
    assert loopback_api.calls()[0].params == {"chat_id": -100, "user_id": 7, "until_date": 1700000000}


def test_old_parameters_are_rewritten_for_bot_api_10(bot, loopback_api):
    bot.restrictChatMember(-100, 7, 1700000000, True, False, None, True, can_send_polls=True)
    bot.setChatPermissions(-100, can_send_messages=True)
    bot.answerInlineQuery("iq", [], switch_pm_text="Sign in", switch_pm_parameter="login")
    bot.sendPoll(1, "Best?", ["A", "B"], correct_option_id=1, type="quiz")
    bot.setWebhook()
    bot.sendAnimation(1, "anim-id", thumb="thumb-id")
    seen = {r.method: r.params for r in loopback_api.calls()}
    media_rights = ["can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos",
                    "can_send_video_notes", "can_send_voice_notes"]
    assert seen["restrictChatMember"] == {
        "chat_id": -100, "user_id": 7, "until_date": 1700000000,
        "permissions": {"can_send_messages": True, **{r: False for r in media_rights},
                        "can_add_web_page_previews": True, "can_send_polls": True},
    }
    assert seen["setChatPermissions"] == {"chat_id": -100, "permissions": {"can_send_messages": True}}
    assert seen["answerInlineQuery"] == {"inline_query_id": "iq", "results": [],
                                         "button": {"text": "Sign in", "start_parameter": "login"}}
    assert seen["sendPoll"] == {"chat_id": 1, "question": "Best?", "options": [{"text": "A"}, {"text": "B"}],
                                "correct_option_ids": [1], "type": "quiz"}
    assert seen["setWebhook"] == {"url": ""}
    assert seen["sendAnimation"] == {"chat_id": 1, "animation": "anim-id", "thumbnail": "thumb-id"}


def test_sticker_set_in_the_seeds_form_becomes_input_stickers(bot, loopback_api):
    bot.createNewStickerSet(7, "pack_by_bot", "Pack", io.BytesIO(b"png"), "😀👍🏽🇫🇷", contains_masks=True,
                            mask_position={"point": "eyes", "x_shift": 0, "y_shift": 0, "scale": 1})
    bot.addStickerToSet(7, "pack_by_bot", "CAACAgIAAx-existing", "🙂")
    bot.uploadStickerFile(7, ("s.png", io.BytesIO(b"png2")))
    create, add, upload = loopback_api.calls()
    stickers = json.loads(create.params["stickers"])
    assert create.params["sticker_type"] == "mask"
    assert stickers[0]["format"] == "static" and stickers[0]["emoji_list"] == ["😀", "👍🏽", "🇫🇷"]
    assert stickers[0]["mask_position"]["point"] == "eyes"
    assert create.uploads[stickers[0]["sticker"][len("attach://"):]].data == b"png"
    assert add.content_type == "application/json"
    assert add.params["sticker"] == {"sticker": "CAACAgIAAx-existing", "format": "static", "emoji_list": ["🙂"]}
    assert upload.params == {"user_id": "7", "sticker_format": "static"}
    assert upload.uploads["sticker"].filename == "s.png"


# -- every other Bot API 10.1 method ---------------------------------------------------------

def test_every_bot_api_method_is_a_bot_method():
    bot = Bot(TOKEN)
    assert len(_spec.METHODS) == 180
    listed = dir(bot)
    for name in _spec.METHODS:
        assert callable(getattr(bot, name)) and name in listed


def test_generated_method_sends_keywords(bot, loopback_api):
    loopback_api.reply("sendChecklist", {"message_id": 5})
    checklist = {"title": "Todo", "tasks": [{"id": 1, "text": "milk"}]}
    result = bot.sendChecklist(business_connection_id="bc", chat_id=1, checklist=checklist)
    assert result == {"message_id": 5}
    req = loopback_api.wait_request("sendChecklist")
    assert req.params == {"business_connection_id": "bc", "chat_id": 1, "checklist": checklist}


def test_generated_method_signature_and_validation(bot, loopback_api):
    sig = inspect.signature(bot.setMyCommands)
    assert list(sig.parameters)[0] == "commands"
    assert sig.parameters["commands"].default is inspect.Parameter.empty
    assert sig.parameters["scope"].default is None
    with pytest.raises(TypeError, match="'comands'"):
        bot.setMyCommands(comands=[])
    with pytest.raises(TypeError, match="missing .*required .*argument.*'commands'"):
        bot.setMyCommands(scope={"type": "default"})
    with pytest.raises(TypeError):
        bot.setMyCommands([])  # keyword arguments only
    assert loopback_api.calls() == []


def test_generated_method_uploads_input_files(bot, loopback_api):
    bot.setStickerSetThumbnail(name="pack", user_id=7, format="static", thumbnail=io.BytesIO(b"th"))
    req = loopback_api.wait_request("setStickerSetThumbnail")
    assert req.params == {"name": "pack", "user_id": "7", "format": "static"}
    assert req.uploads["thumbnail"].data == b"th"


# -- download_file ----------------------------------------------------------------------------

PAYLOAD = bytes(range(256)) * 1200  # 300 KiB: several chunks


class ChunkRecorder(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def write(self, data: Any) -> int:
        self.sizes.append(len(data))
        return super().write(data)


def _serve_file(api: Any, body: bytes = PAYLOAD) -> None:
    from loopback import Reply

    api.reply("getFile", {"file_id": "F1", "file_unique_id": "u", "file_path": "documents/file_1.bin"})
    api.on("<file>", lambda req: Reply(body=body, content_type="application/octet-stream"))


def test_download_file_streams_to_a_file_object(bot, loopback_api):
    _serve_file(loopback_api)
    out = ChunkRecorder()
    bot.download_file("F1", out)
    assert out.getvalue() == PAYLOAD
    assert len(out.sizes) > 1 and max(out.sizes) <= 65536  # streamed in chunks
    getfile, download = loopback_api.calls()
    assert getfile.params == {"file_id": "F1"}
    assert download.http_method == "GET" and download.path == f"/file/bot{TOKEN}/documents/file_1.bin"
    assert bot.requests_in_flight == 0


def test_download_file_to_a_path(bot, loopback_api, tmp_path):
    _serve_file(loopback_api)
    dest = tmp_path / "out.bin"
    bot.download_file("F1", str(dest))
    assert dest.read_bytes() == PAYLOAD


def test_download_error_is_raised_and_leaves_no_file(bot, loopback_api, tmp_path):
    from actorbot.exception import TelegramError
    from loopback import Reply

    loopback_api.reply("getFile", {"file_id": "F1", "file_path": "gone.bin"})
    loopback_api.on("<file>", lambda req: Reply(status=404, json={"ok": False, "error_code": 404,
                                                                   "description": "Not Found"}))
    dest = tmp_path / "out.bin"
    with pytest.raises(TelegramError) as info:
        bot.download_file("F1", dest)
    assert info.value.error_code == 404 and not dest.exists()
    assert TOKEN not in str(info.value)


# -- handle ------------------------------------------------------------------------------------

def test_handle_routes_by_flavor(caplog):
    seen: list[tuple[str, Any]] = []

    class MyBot(Bot):
        def on_chat_message(self, msg: Any) -> None:
            seen.append(("chat", msg["text"]))

        def on_callback_query(self, msg: Any) -> None:
            seen.append(("callback_query", msg["data"]))

        def on_inline_query(self, msg: Any) -> None:
            seen.append(("inline_query", msg["query"]))

        def on_chosen_inline_result(self, msg: Any) -> None:
            seen.append(("chosen_inline_result", msg["result_id"]))

        def on_pre_checkout_query(self, msg: Any) -> None:
            seen.append(("pre_checkout_query", msg["invoice_payload"]))

    with MyBot(TOKEN) as bot:
        bot.handle({"message_id": 1, "chat": {"id": 1, "type": "private"}, "date": 0, "text": "hi"})
        bot.handle({"id": "c", "from": {"id": 1}, "chat_instance": "ci", "data": "d"})
        bot.handle({"id": "i", "from": {"id": 1}, "query": "q", "offset": ""})
        bot.handle({"result_id": "r", "from": {"id": 1}, "query": "q"})
        bot.handle({"id": "p", "from": {"id": 1}, "currency": "EUR", "total_amount": 1,
                    "invoice_payload": "pl"})
        with caplog.at_level(logging.WARNING, logger="actorbot._bot"):
            bot.handle({"id": "s", "from": {"id": 1}, "invoice_payload": "x", "shipping_address": {}})
    assert seen == [("chat", "hi"), ("callback_query", "d"), ("inline_query", "q"),
                    ("chosen_inline_result", "r"), ("pre_checkout_query", "pl")]
    assert any("on_shipping_query" in r.getMessage() for r in caplog.records)


def test_stop_is_idempotent_and_closes_an_owned_pool_only(loopback_api):
    from actorbot.api import HttpClient

    shared = HttpClient()
    a = Bot(TOKEN, api_url=loopback_api.url, client=shared)
    with a:
        a.getMe()
    a.stop()
    b = Bot(TOKEN, api_url=loopback_api.url, client=shared)
    assert b.getMe()["id"] == 123456  # the shared client still works after a stopped
    shared.close()


def test_namedtuples_and_dataclasses_are_sent_as_objects(bot, loopback_api):
    import collections
    from dataclasses import dataclass

    Media = collections.namedtuple("Media", ["type", "media", "caption"])
    User = collections.namedtuple("User", ["id", "from_"])

    @dataclass(frozen=True)
    class Button:
        text: str
        callback_data: str | None = None

    bot.sendMediaGroup(1, [Media("photo", io.BytesIO(b"nt"), None), Media("photo", "file-id", "c")])
    bot.sendMessage(1, "x", reply_markup={"inline_keyboard": [[Button("a", "b"), Button("c")]]},
                    entities=[User(5, "someone")])
    group, message = loopback_api.calls()
    media = json.loads(group.params["media"])
    assert media[0] == {"type": "photo", "media": media[0]["media"]} and media[0]["media"].startswith("attach://")
    assert group.uploads[media[0]["media"][9:]].data == b"nt"
    assert media[1] == {"type": "photo", "media": "file-id", "caption": "c"}
    assert message.params["reply_markup"] == {"inline_keyboard": [[{"text": "a", "callback_data": "b"}, {"text": "c"}]]}
    assert message.params["entities"] == [{"id": 5, "from": "someone"}]


def test_actorbot_namedtuple_objects_are_sent_with_wire_names(bot, loopback_api):
    nt = pytest.importorskip("actorbot.namedtuple")
    markup = nt.InlineKeyboardMarkup(inline_keyboard=[[nt.InlineKeyboardButton(text="Yes", callback_data="y")]])
    bot.sendMediaGroup(1, [nt.InputMediaPhoto(media=("mine", io.BytesIO(b"p")), caption="c")])
    bot.sendMessage(1, "ok?", reply_markup=markup)
    group, message = loopback_api.calls()
    assert json.loads(group.params["media"]) == [{"type": "photo", "media": "attach://mine", "caption": "c"}]
    assert group.uploads["mine"].data == b"p"
    assert message.params["reply_markup"] == {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}
