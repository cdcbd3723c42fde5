"""``DelegatorBot(unload_after=...)``: idle conversations leave memory and come back from the store,
as a user sees it (the emulator, a SQLite file or a real Redis, freezegun's clock)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from menubot import Menu

from actorbot import DelegatorBot
from actorbot.actors._messages import UnloadDue
from actorbot.delegate import create_open, intercept_callback_query_origin, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler
from redisserver import RedisServer

UNLOAD = 60
IDLE = 3600  # the conversations' idle timeout: far beyond UNLOAD


class Counter(ChatHandler):
    """Counts in self.state; "in N text" also reminds the chat of ``text`` N seconds later."""

    closed: list[str] = []

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.state["count"] = self.state.get("count", 0) + 1
        text = msg.get("text", "")
        if text.startswith("in "):
            _, seconds, what = text.split(" ", 2)
            self.scheduler.event_later(float(seconds), ("_remind", {"text": what}))
        self.sender.sendMessage(str(self.state["count"]))

    def on__remind(self, event: dict[str, Any]) -> None:
        self.sender.sendMessage(f"reminder: {event['_remind']['text']} (count {self.state.get('count')})")

    def on_close(self, ex: BaseException) -> None:
        Counter.closed.append(type(ex).__name__)


def counter_bot(store: Any) -> Callable[..., DelegatorBot]:
    def build(token: str, **kwargs: Any) -> DelegatorBot:
        return DelegatorBot(token, [pave_event_space()(per_chat_id(), create_open, Counter, timeout=IDLE)],
                            store=store, unload_after=UNLOAD, **kwargs)
    return build


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "bot.db")
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        yield f"{server.url}?prefix=u{abs(hash(request.node.nodeid))}"


@pytest.fixture(autouse=True)
def _no_closes() -> Iterator[None]:
    Counter.closed = []
    yield


def replies(user: Any) -> list[str]:
    return [m["text"] for m in user.chat.bot_messages()]


def live(bot: DelegatorBot) -> list[Any]:
    return sorted(c.seed for c in bot.conversations())


def test_an_idle_conversation_is_unloaded_and_keeps_counting(run_bot, store_url) -> None:
    with freeze_time("2030-01-01 09:00:00") as frozen:
        harness = run_bot(counter_bot(store_url))
        bot = harness.bot
        alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
        alice.send("a")
        alice.send("b")
        harness.settle()
        harness.advance(frozen, UNLOAD / 2)
        bob.send("c")  # Bob's conversation is younger: still loaded after Alice's is unloaded
        harness.settle()
        assert live(bot) == sorted([alice.id, bob.id])
        harness.advance(frozen, UNLOAD / 2 + 1)  # Alice idle 61 s, Bob 31 s
        assert live(bot) == [bob.id]
        assert bot.metrics().conversations_unloaded == 1
        assert bot.store.get("conv", f"0:{alice.id}")["state"] == {"count": 2}  # kept, not deleted
        assert Counter.closed == []  # on_close does not run at an unload
        alice.send("d")
        harness.settle()
        assert live(bot) == sorted([alice.id, bob.id])
        harness.advance(frozen, UNLOAD + 1)  # both idle now
        assert live(bot) == []
        assert bot.metrics().conversations_unloaded == 3
        alice.send("e")
        bob.send("f")
        harness.settle()
        assert Counter.closed == []
    assert replies(alice) == ["1", "2", "3", "4"]
    assert replies(bob) == ["1", "2"]


def test_an_event_scheduled_before_the_unload_reaches_the_rebuilt_conversation(run_bot, store_url) -> None:
    with freeze_time("2030-01-01 09:00:00") as frozen:
        harness = run_bot(counter_bot(store_url))
        alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
        alice.send("in 300 tea")
        bob.send("in 300 lunch")
        harness.settle()
        harness.advance(frozen, UNLOAD + 1)
        assert live(harness.bot) == []
        bob.send("hi")  # Bob's conversation is rebuilt before his reminder is due
        harness.settle()
        harness.advance(frozen, 300 - UNLOAD)  # both reminders are due: Alice's rebuilds hers
        assert replies(alice) == ["1", "reminder: tea (count 1)"]
        assert replies(bob) == ["1", "2", "reminder: lunch (count 2)"]
        harness.advance(frozen, 3 * IDLE)  # fired once: nothing fires again
        assert Counter.closed == ["IdleTerminate", "IdleTerminate"]  # the idle timeouts, kept across unloads
    assert replies(alice) == ["1", "reminder: tea (count 1)"]
    assert replies(bob) == ["1", "2", "reminder: lunch (count 2)"]


def test_updates_arriving_while_conversations_unload_are_not_lost(run_bot, tmp_path) -> None:
    with freeze_time("2030-01-01 09:00:00") as frozen:
        harness = run_bot(counter_bot(str(tmp_path / "bot.db")))
        bot = harness.bot
        users = [harness.sim.create_user(f"User{i}") for i in range(20)]
        for user in users:
            user.send("a")
        harness.settle()
        frozen.tick(UNLOAD + 1)
        # The sweep, told from this thread, reaches the supervisor before the updates below: it
        # tells every conversation to unload, then each update lands behind that in a mailbox.
        bot.engine.tell_supervisor(UnloadDue())
        for n, user in enumerate(users):
            sender = {"id": user.id, "is_bot": False, "first_name": user.first_name}
            bot.handle({"message_id": 1000 + n, "date": 0, "from": sender,
                        "chat": {"id": user.id, "type": "private"}, "text": "b"})
        harness.settle()
        assert bot.metrics().conversations_unloaded == len(users)
        for user in users:
            user.send("c")
        harness.settle()
        assert Counter.closed == []
    for user in users:
        assert replies(user) == ["1", "2", "3"]


def test_unload_after_needs_a_store() -> None:
    with pytest.raises(ValueError, match="store"):
        DelegatorBot("123:abc", [], unload_after=60)


def test_a_button_of_an_unloaded_conversation_rebuilds_it(run_bot, tmp_path) -> None:
    def build(token: str, **kwargs: Any) -> DelegatorBot:
        pattern = intercept_callback_query_origin(pave_event_space())(per_chat_id(), create_open, Menu, timeout=IDLE)
        return DelegatorBot(token, [pattern], store=str(tmp_path / "bot.db"), unload_after=UNLOAD, **kwargs)

    with freeze_time("2030-01-01 09:00:00") as frozen:
        harness = run_bot(build)
        alice = harness.sim.create_user("Alice")
        alice.send("menu")
        menu = alice.chat.wait_for_bot_message()
        alice.press(menu, label="Press me").wait_answer()
        harness.settle()
        harness.advance(frozen, UNLOAD + 1)
        assert live(harness.bot) == []
        alice.press(menu, label="Press me").wait_answer()  # no capture is live: the unload left its origin
        harness.settle()
        assert live(harness.bot) == [alice.id]
    assert replies(alice) == ["menu", "press 1", "press 2"]
