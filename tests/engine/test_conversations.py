"""``DelegatorBot.conversations()``: a snapshot of the live conversations, asked of the supervisor."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest

from actorbot import ConversationInfo, DelegatorBot, RestartPolicy
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler


class Counter(ChatHandler):
    """Counts a chat's messages; "boom" raises. Holds values that must never be shown."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._count = 0
        self.history: list[str] = []
        self.long_note = "x" * 500
        self.api_token = "not shown: its name says token"
        self.leak = f"bot {self.bot._token}"  # the real token inside a value: left out
        self.lock = threading.Lock()  # not a simple value: left out

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        if msg["text"] == "boom":
            raise ValueError("boom")
        self._count += 1
        self.history.append(msg["text"])
        self.sender.sendMessage(str(self._count))


def build(token: str, **kwargs: Any) -> DelegatorBot:
    return DelegatorBot(
        token,
        [pave_event_space()(per_chat_id(), create_open, Counter, timeout=60)],
        restart=RestartPolicy(max_restarts=0),  # the first failure quarantines
        on_error=lambda exc, update, conversation: None,
        **kwargs,
    )


def test_the_live_conversations_with_their_state(run_bot) -> None:
    harness = run_bot(build)
    bot = harness.bot
    assert bot.conversations() == []  # nothing routed yet
    alice, carol = harness.sim.create_user("Alice"), harness.sim.create_user("Carol")
    with harness.expect_errors():
        alice.send("hello")
        alice.send("again")
        carol.send("boom")
    assert [m["text"] for m in alice.chat.bot_messages()] == ["1", "2"]

    listing = {c.seed: c for c in bot.conversations()}
    assert set(listing) == {alice.id, carol.id}
    info = listing[alice.id]
    assert isinstance(info, ConversationInfo)
    assert (info.pattern, info.state, info.kind, info.handler, info.mailbox) == (0, "live", "actor", "Counter", 0)
    values = dict(info.values)
    assert values["_count"] == "2"
    assert values["history"] == "['hello', 'again']"
    assert values["long_note"] == "'" + "x" * 78 + "…" and len(values["long_note"]) == 80
    assert not {"api_token", "leak", "lock"} & set(values)
    assert all(bot._token not in text for text in values.values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.mailbox = 3  # type: ignore[misc]

    quarantined = listing[carol.id]
    assert (quarantined.state, quarantined.kind, quarantined.values) == ("quarantined", "quarantined", ())
    assert info.to_json() == {
        "pattern": 0, "seed": alice.id, "state": "live", "kind": "actor", "handler": "Counter",
        "mailbox": 0, "values": values,
    }

    bot.stop()
    assert bot.conversations() == []


def test_a_busy_supervisor_makes_the_ask_time_out(make_bot) -> None:
    entered, release = threading.Event(), threading.Event()

    def seeder(msg: Any) -> Any:
        entered.set()
        assert release.wait(10)
        return None

    bot = make_bot([(seeder, create_open)])
    worker = threading.Thread(target=bot.handle, args=({"update_id": 1, "message": {"chat": {"id": 5}}},))
    worker.start()
    try:
        assert entered.wait(10)
        with pytest.raises(TimeoutError):
            bot.conversations(timeout=0.2)
    finally:
        release.set()
        worker.join(10)
    assert not worker.is_alive()
    assert bot.conversations() == []
