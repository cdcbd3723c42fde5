"""A group becoming a supergroup: its conversation's state and its ``chat_data`` move to the new
chat id. The emulator cannot migrate a chat, so the two service messages Telegram sends are
given to ``bot.handle``; everything else goes through the emulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from actorbot import DelegatorBot
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler


class GroupCounter(ChatHandler):
    """Counts the chat's text messages in self.state and in chat_data; ignores service messages."""

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        if "text" not in msg:
            return
        self.state["count"] = self.state.get("count", 0) + 1
        self.chat_data["texts"] = self.chat_data.get("texts", 0) + 1
        self.sender.sendMessage(str(self.state["count"]))


def group_bot(store: Any) -> Callable[..., DelegatorBot]:
    def build(token: str, **kwargs: Any) -> DelegatorBot:
        return DelegatorBot(token, [pave_event_space()(per_chat_id(), create_open, GroupCounter, timeout=600)],
                            store=store, **kwargs)
    return build


def migration(old: Any, new: Any, user: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The service messages Telegram sends: in the old group, then in the new supergroup."""
    sender = {"id": user.id, "is_bot": False, "first_name": user.first_name}
    to = {"message_id": 900, "date": 1, "from": sender, "chat": {"id": old.id, "type": "group", "title": "g"},
          "migrate_to_chat_id": new.id}
    from_ = {"message_id": 1, "date": 1, "from": sender, "chat": {"id": new.id, "type": "supergroup", "title": "g"},
             "migrate_from_chat_id": old.id}
    return to, from_


def texts(chat: Any) -> list[str]:
    return [m["text"] for m in chat.bot_messages()]


@pytest.mark.parametrize(("store", "live"), [("sqlite", True), (None, True), ("sqlite", False)],
                         ids=["sqlite-live", "memory-live", "sqlite-restarted"])
def test_the_count_goes_on_in_the_supergroup(run_bot, tmp_path: Path, store: str | None, live: bool) -> None:
    harness = run_bot(group_bot(str(tmp_path / "bot.db") if store else None))
    bot = harness.bot
    alice = harness.sim.create_user("Alice")
    group = harness.sim.create_chat("group", members=[alice])
    supergroup = harness.sim.create_chat("supergroup", members=[alice])
    for _ in range(3):
        alice.send("hi", chat=group)
    harness.settle()
    if not live:  # the bot restarted before the migration: the group's record is all there is
        harness.stop()
        harness = run_bot(group_bot(str(tmp_path / "bot.db")))
        bot = harness.bot
    to, from_ = migration(group, supergroup, alice)
    bot.handle(to)
    bot.handle(from_)
    alice.send("hello", chat=supergroup)  # no settle before: held until the group's record moved
    harness.settle()
    assert texts(supergroup) == ["4"]
    assert bot.store.get("chat", str(supergroup.id)) == {"texts": 4}
    assert bot.store.get("chat", str(group.id)) is None
    assert bot.store.get("conv", f"0:{supergroup.id}")["state"] == {"count": 4}
    assert bot.store.get("conv", f"0:{group.id}") is None
    assert [c.seed for c in bot.conversations()] == [supergroup.id]
    assert texts(group) == ["1", "2", "3"]
