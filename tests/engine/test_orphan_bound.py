"""The hold buffer for callback presses no conversation captures yet is bounded, and says when it drops."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from actorbot import helper
from actorbot.actors._supervisor import ORPHANS_KEPT
from actorbot.delegate import create_open, intercept_callback_query_origin, pave_event_space, per_chat_id
from enginekit import callback_query


class Asker(helper.ChatHandler, helper.InterceptCallbackQueryMixin):
    def on_callback_query(self, msg: dict[str, Any]) -> None:
        pass


def test_a_full_hold_buffer_logs_when_it_drops(make_bot, caplog: pytest.LogCaptureFixture) -> None:
    bot = make_bot([intercept_callback_query_origin(pave_event_space())(per_chat_id(), create_open, Asker, timeout=60)])
    with caplog.at_level(logging.WARNING, logger="actorbot.actors"):
        for n in range(ORPHANS_KEPT):
            bot.handle(callback_query(99, f"d{n}", chat_id=5, message_id=1000 + n))
        bot.settle()
        assert not [r for r in caplog.records if "dropped" in r.getMessage()]
        bot.handle(callback_query(99, "one too many", chat_id=5, message_id=9999))
        bot.settle()
    assert [r.levelname for r in caplog.records if "dropped" in r.getMessage()] == ["WARNING"]
