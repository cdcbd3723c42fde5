"""The emulator logs the conversation as it happens: one INFO line per user message, bot reply,
edit, button press and callback answer on ``actorbot.emulator.chat`` (chat actions at DEBUG)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

CHAT_LOG = "actorbot.emulator.chat"


def chat_lines(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == CHAT_LOG and r.levelno == level]


def test_who_said_what_in_a_private_chat(emu: Any, api: Any, alice: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=CHAT_LOG)
    alice.send("hi")
    sent = api.ok("sendMessage", chat_id=alice.id, text="pick one",
                  reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a"},
                                                     {"text": "B", "callback_data": "b"}]]})
    press = alice.press(sent, label="A")
    query = next(u["callback_query"] for u in api.ok("getUpdates") if "callback_query" in u)
    api.ok("answerCallbackQuery", callback_query_id=query["id"], text="you chose A")
    assert press.wait_answer()["text"] == "you chose A"
    api.ok("editMessageText", chat_id=alice.id, message_id=sent["message_id"], text="A it is")
    api.ok("sendChatAction", chat_id=alice.id, action="typing")

    assert chat_lines(caplog) == [
        "[alice] alice: hi",
        "[alice] bot: pick one  [A] [B]",
        "[alice] alice pressed [A]",
        "[alice] bot answered: you chose A",
        f"[alice] bot edited #{sent['message_id']}: A it is",
    ]
    assert chat_lines(caplog, logging.DEBUG) == ["[alice] bot is typing"]


def test_a_group_is_named_by_its_title(emu: Any, api: Any, alice: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=CHAT_LOG)
    group = emu.sim.create_chat("group", "Book club", members=[alice])
    alice.send("who read it?", chat=group)
    api.ok("sendMessage", chat_id=group.id, text="not me")
    lines = chat_lines(caplog)
    assert lines[-2:] == ["[Book club] alice: who read it?", "[Book club] bot: not me"]


def test_the_chat_log_is_silent_above_info(emu: Any, alice: Any,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=CHAT_LOG)
    alice.send("quiet")
    assert chat_lines(caplog) == []
    assert alice.chat.text() == "alice: quiet"  # the transcript itself is unaffected
