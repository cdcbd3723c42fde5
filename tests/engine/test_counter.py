"""The seed scenario "message counter per chat" end to end, with idle reset under freezegun."""

from __future__ import annotations

from typing import Any

from freezegun import freeze_time

from actorbot import helper
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from enginekit import chat_message


class MessageCounter(helper.ChatHandler):
    def __init__(self, *args: Any, closed: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._count = 0
        self._closed = closed

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self._count += 1
        self.sender.sendMessage(str(self._count))

    def on_close(self, ex: Exception) -> None:
        self._closed.append((self.chat_id, type(ex).__name__))


def test_counts_per_chat_and_resets_after_idle_timeout(make_bot, telegram) -> None:
    closed: list[Any] = []
    with freeze_time("2024-01-01 00:00:00") as frozen:
        bot = make_bot([pave_event_space()(per_chat_id(), create_open, MessageCounter, timeout=10, closed=closed)])
        for text in ("a", "b", "c"):
            bot.handle(chat_message(1, text))
        bot.handle(chat_message(2, "x"))
        bot.settle()
        assert telegram.texts_to(1) == ["1", "2", "3"]
        assert telegram.texts_to(2) == ["1"]
        assert closed == []

        frozen.tick(9)
        bot.handle(chat_message(1, "d"))  # refreshes chat 1's idle timer
        bot.settle()
        assert closed == []

        frozen.tick(2)  # chat 2 idle 11 s: closes; chat 1 idle 2 s: stays
        bot.settle()
        assert closed == [(2, "IdleTerminate")]

        bot.handle(chat_message(2, "y"))
        bot.handle(chat_message(1, "e"))
        bot.settle()
        assert telegram.texts_to(2) == ["1", "1"]  # a fresh delegate counts from 1 again
        assert telegram.texts_to(1) == ["1", "2", "3", "4", "5"]

        frozen.tick(11)
        bot.settle()
        assert sorted(closed) == [(1, "IdleTerminate"), (2, "IdleTerminate"), (2, "IdleTerminate")]
