"""``Sender``, ``Administrator``, ``Editor`` as a server sees them, and their generated method sets."""

from __future__ import annotations

import importlib.util
import inspect
import json
from pathlib import Path

import pytest

from actorbot import Bot
from actorbot.api import RetryPolicy
from actorbot.helper import Administrator, Editor, Sender
from loopback import TOKEN

ROOT = Path(__file__).resolve().parent.parent
SPEC = json.loads((ROOT / "spec" / "botapi" / "api.json").read_text(encoding="utf-8"))

TELEPOT_SENDER = {
    "sendMessage", "forwardMessage", "sendPhoto", "sendAudio", "sendDocument", "sendSticker",
    "sendVideo", "sendVoice", "sendVideoNote", "sendMediaGroup", "sendLocation", "sendVenue",
    "sendContact", "sendGame", "sendChatAction",
}
TELEPOT_ADMINISTRATOR = {
    "kickChatMember", "unbanChatMember", "restrictChatMember", "promoteChatMember",
    "exportChatInviteLink", "setChatPhoto", "deleteChatPhoto", "setChatTitle",
    "setChatDescription", "pinChatMessage", "unpinChatMessage", "leaveChat", "getChat",
    "getChatAdministrators", "getChatMembersCount", "getChatMember", "setChatStickerSet",
    "deleteChatStickerSet",
}
TELEPOT_EDITOR = {
    "editMessageText", "editMessageCaption", "editMessageReplyMarkup", "deleteMessage",
    "editMessageLiveLocation", "stopMessageLiveLocation",
}


def _no_wait(seconds: float) -> bool:
    raise AssertionError(f"unexpected retry wait of {seconds}s")


@pytest.fixture
def bot(loopback_api):
    with Bot(TOKEN, api_url=loopback_api.url, retry=RetryPolicy(wait=_no_wait)) as b:
        yield b


def test_sender_keeps_telepot_positional_signatures(bot, loopback_api):
    Sender(bot, 42).sendMessage("hi", "HTML", reply_markup={"remove_keyboard": True})
    req = loopback_api.wait_request("sendMessage")
    assert req.params == {"chat_id": 42, "text": "hi", "parse_mode": "HTML", "reply_markup": {"remove_keyboard": True}}


def test_methods_telepot_lacked_are_on_the_proxies(bot, loopback_api):
    Sender(bot, 42).setMessageReaction(message_id=5, reaction=[{"type": "emoji", "emoji": "👍"}])
    Administrator(bot, -100).createForumTopic(name="Plans")
    Administrator(bot, -100).banChatMember(user_id=7)
    seen = {r.method: r.params for r in loopback_api.calls()}
    assert seen["setMessageReaction"] == {
        "chat_id": 42, "message_id": 5, "reaction": [{"type": "emoji", "emoji": "👍"}],
    }
    assert seen["createForumTopic"] == {"chat_id": -100, "name": "Plans"}
    assert seen["banChatMember"] == {"chat_id": -100, "user_id": 7}


def test_editor_binds_the_message_identifier(bot, loopback_api):
    message = {"message_id": 5, "chat": {"id": 12, "type": "private"}, "date": 1, "text": "t"}
    Editor(bot, message).editMessageText("new")
    Editor(bot, ("INLINE",)).editMessageReplyMarkup({"inline_keyboard": []})
    checklist = {"title": "Todo", "tasks": [{"id": 1, "text": "milk"}]}
    Editor(bot, (12, 6)).editMessageChecklist(business_connection_id="bc", checklist=checklist)
    seen = {r.method: r.params for r in loopback_api.calls()}
    assert seen["editMessageText"] == {"chat_id": 12, "message_id": 5, "text": "new"}
    assert seen["editMessageReplyMarkup"] == {"inline_message_id": "INLINE", "reply_markup": {"inline_keyboard": []}}
    assert seen["editMessageChecklist"] == {
        "chat_id": 12, "message_id": 6, "business_connection_id": "bc", "checklist": checklist,
    }


def test_a_generated_proxy_method_is_keyword_only_without_the_bound_parameter():
    params = inspect.signature(Sender.setMessageReaction).parameters
    assert "chat_id" not in params
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for name, p in params.items() if name != "self")
    assert "msg_identifier" not in inspect.signature(Editor.editMessageText).parameters
    with pytest.raises(TypeError):
        Sender(object(), 1).setMessageReaction(5)  # type: ignore[misc]


def test_every_method_taking_chat_id_first_is_on_exactly_one_proxy():
    chat_methods = {
        name for name, m in SPEC["methods"].items()
        if [f["name"] for f in m.get("fields", []) if f["name"] != "business_connection_id"][:1] == ["chat_id"]
    }
    sets = [set(Sender.METHODS), set(Administrator.METHODS), set(Editor.METHODS)]
    assert sum(len(s) for s in sets) == len(set().union(*sets))
    assert set().union(*sets) == chat_methods | {"kickChatMember", "getChatMembersCount"}
    assert TELEPOT_SENDER <= sets[0] and TELEPOT_ADMINISTRATOR <= sets[1] and TELEPOT_EDITOR <= sets[2]
    assert {"setMessageReaction", "sendChecklist", "copyMessage"} <= sets[0]
    assert {"createForumTopic", "banChatMember", "setChatMenuButton"} <= sets[1]
    assert {"stopPoll", "editMessageMedia", "editMessageChecklist"} <= sets[2]
    for proxy in (Sender, Administrator, Editor):
        assert all(callable(getattr(proxy, name)) for name in proxy.METHODS)


def test_generated_proxy_methods_are_fresh():
    path = ROOT / "tools" / "generate_proxies.py"
    spec = importlib.util.spec_from_file_location("_tools_generate_proxies", path)
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = gen.render(SPEC)
    assert text == gen.render(json.loads(json.dumps(SPEC)))
    assert (ROOT / gen.OUTPUT).read_text(encoding="utf-8") == text
