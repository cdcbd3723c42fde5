"""``self.state``, ``chat_data`` and ``user_data`` with a store: what a user sees across restarts,
conversation ends, handler crashes and bad values. SQLite on a temp file and a real Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from menubot import Menu

from actorbot import DelegatorBot
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.exception import StateNotSerializable
from actorbot.helper import ChatHandler
from actorbot.store import SQLiteStore
from redisserver import RedisServer

IDLE = 30


class Counter(ChatHandler):
    """Counts in self.state; "boom" fails after counting; "when" stores a set (not JSON)."""

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.state["count"] = self.state.get("count", 0) + 1
        text = msg.get("text", "")
        if text == "boom":
            raise RuntimeError("boom")
        if text == "when":
            self.state["when"] = {"monday", "friday"}  # a set: JSON has none
        if text == "seen":
            self.chat_data["seen"] = self.chat_data.get("seen", 0) + 1
            self.user_data.setdefault("names", []).append(msg["from"]["first_name"])
            self.sender.sendMessage(f"seen {self.chat_data['seen']} {self.user_data['names']}")
            return
        self.sender.sendMessage(str(self.state["count"]))
        if text == "bye":
            self.close()


def counter_bot(store: Any) -> Callable[..., DelegatorBot]:
    def build(token: str, **kwargs: Any) -> DelegatorBot:
        return DelegatorBot(token, [pave_event_space()(per_chat_id(), create_open, Counter, timeout=IDLE)],
                            store=store, **kwargs)
    return build


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "bot.db")
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        url = f"{server.url}?prefix=t{abs(hash(request.node.nodeid))}"
        yield url


def replies(user: Any) -> list[str]:
    return [m["text"] for m in user.chat.bot_messages()]


def test_the_count_goes_on_after_a_restart(run_bot, store_url) -> None:
    first = run_bot(counter_bot(store_url))
    alice, bob = first.sim.create_user("Alice"), first.sim.create_user("Bob")
    for _ in range(3):
        alice.send("hi")
    bob.send("hey")
    first.settle()
    first.stop()
    second = run_bot(counter_bot(store_url))
    alice.send("again")
    bob.send("again")
    second.settle()
    assert replies(alice) == ["1", "2", "3", "4"]
    assert replies(bob) == ["1", "2"]


def test_an_ended_conversation_starts_afresh_and_its_state_is_deleted(run_bot, tmp_path) -> None:
    path = tmp_path / "bot.db"
    with freeze_time("2030-01-01 09:00:00") as frozen:
        harness = run_bot(counter_bot(str(path)))
        alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
        alice.send("a")
        alice.send("bye")  # close(): counted 2, then the conversation ends
        bob.send("b")
        harness.settle()
        harness.advance(frozen, IDLE + 1)  # Bob's conversation closes: idle
        alice.send("c")
        bob.send("d")
        harness.settle()
        keys = sorted(harness.bot.store.keys("conv"))
    assert replies(alice) == ["1", "2", "1"]
    assert replies(bob) == ["1", "1"]
    assert keys == [f"0:{alice.id}", f"0:{bob.id}"]  # the live conversations only


def test_a_crashing_handler_restarts_from_the_last_committed_state(run_bot, store_url) -> None:
    with freeze_time("2030-01-01 09:00:00") as frozen:
        harness = run_bot(counter_bot(store_url))
        alice = harness.sim.create_user("Alice")
        alice.send("one")
        alice.send("two")
        harness.settle()
        with harness.expect_errors() as errors:
            alice.send("boom")  # counted 3 in memory, then raised: not committed
            harness.settle(check_errors=False)
            for _ in range(3):  # each restart (after its backoff) gets "boom" again; the third failure is poison
                harness.advance(frozen, 2)
        assert [type(e.exc).__name__ for e in errors] == ["RuntimeError"] * 3 + ["PoisonUpdate"]
        alice.send("three")
        harness.settle()
    assert replies(alice) == ["1", "2", "3"]  # each restart loaded the count committed before "boom"


def test_a_value_json_cannot_hold_is_an_error_naming_its_key(run_bot, tmp_path) -> None:
    with freeze_time("2030-01-01 09:00:00") as frozen:
        harness = run_bot(counter_bot(str(tmp_path / "bot.db")))
        alice = harness.sim.create_user("Alice")
        alice.send("one")
        harness.settle()
        with harness.expect_errors() as errors:
            alice.send("when")
            harness.settle(check_errors=False)
            for _ in range(3):
                harness.advance(frozen, 2)
        error = errors[0].exc
        assert isinstance(error, StateNotSerializable), errors
        assert error.key == "state['when']" and "set is not JSON-serialisable" in str(error)
        alice.send("two")
        harness.settle()
    assert replies(alice) == ["1", "2"]  # "when" never counted


def test_chat_and_user_data_outlive_conversations_and_restarts(run_bot, store_url) -> None:
    first = run_bot(counter_bot(store_url))
    alice = first.sim.create_user("Alice")
    alice.send("seen")
    alice.send("bye")  # the conversation ends: its state goes, the chat's and user's data stay
    first.settle()
    first.stop()
    second = run_bot(counter_bot(store_url))
    alice.send("seen")
    second.settle()
    assert replies(alice) == ["seen 1 ['Alice']", "2", "seen 2 ['Alice', 'Alice']"]
    assert second.bot.store.get("chat", str(alice.id)) == {"seen": 2}


def test_a_program_changes_stored_data_through_bot_store(run_bot, tmp_path) -> None:
    harness = run_bot(counter_bot(str(tmp_path / "bot.db")))
    alice = harness.sim.create_user("Alice")
    harness.bot.store.put("chat", str(alice.id), {"seen": 41})
    alice.send("seen")
    harness.settle()
    assert replies(alice) == ["seen 42 ['Alice']"]


class Versioned(ChatHandler):
    state_version = 2

    def migrate_state(self, state: dict[str, Any], version: int) -> dict[str, Any]:
        assert version == 1
        return {"count": state["n"]}

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.state["count"] += 1
        self.sender.sendMessage(str(self.state["count"]))


def test_old_state_is_migrated_when_the_handler_declares_a_new_version(run_bot, tmp_path) -> None:
    path = tmp_path / "bot.db"
    harness = run_bot(lambda token, **kw: DelegatorBot(
        token, [pave_event_space()(per_chat_id(), create_open, Versioned, timeout=IDLE)], store=str(path), **kw))
    alice = harness.sim.create_user("Alice")
    harness.bot.store.put("conv", f"0:{alice.id}", {"state": {"n": 9}, "applied": None, "version": 1})
    alice.send("hi")
    harness.settle()
    assert replies(alice) == ["10"]
    assert harness.bot.store.get("conv", f"0:{alice.id}")["version"] == 2


def test_state_without_a_store_lives_in_memory_with_the_same_handler(run_bot) -> None:
    harness = run_bot(counter_bot(None))
    alice = harness.sim.create_user("Alice")
    alice.send("one")
    alice.send("seen")
    alice.send("two")
    harness.settle()
    assert replies(alice) == ["1", "seen 1 ['Alice']", "3"]
    [conversation] = harness.bot.conversations()
    assert ("state.count", "3") in conversation.values


def test_a_second_process_on_the_same_sqlite_file_is_refused(tmp_path) -> None:
    from actorbot.exception import StoreLocked

    path = tmp_path / "bot.db"
    with SQLiteStore(path):
        with pytest.raises(StoreLocked, match="bot.db"):
            DelegatorBot("123:abc", [], store=str(path))


def test_an_idle_timeout_that_passed_while_the_bot_was_down_closes_the_conversation(run_bot, store_url) -> None:
    closed: list[str] = []

    class Closing(Counter):
        def on_close(self, ex: BaseException) -> None:
            closed.append(type(ex).__name__)

    def build(token: str, **kwargs: Any) -> DelegatorBot:
        return DelegatorBot(token, [pave_event_space()(per_chat_id(), create_open, Closing, timeout=IDLE)],
                            store=store_url, **kwargs)

    with freeze_time("2030-01-01 09:00:00") as frozen:
        first = run_bot(build)
        alice, bob = first.sim.create_user("Alice"), first.sim.create_user("Bob")
        alice.send("a")
        first.settle()
        frozen.tick(IDLE - 5)
        bob.send("b")
        first.settle()
        first.stop()  # both conversations live: their idle deadlines are stored
        closed.clear()
        frozen.tick(10)  # down for 10 s: Alice's deadline passed, Bob's not yet
        second = run_bot(build)
        second.settle()
        assert closed == ["IdleTerminate"]  # Alice's conversation was rebuilt and closed at once
        assert second.bot.store.keys("conv") == [f"0:{bob.id}"]
        second.advance(frozen, IDLE)  # Bob's deadline, restored, passes
        assert closed == ["IdleTerminate", "IdleTerminate"]
        alice.send("c")
        bob.send("d")
        second.settle()
    assert replies(alice) == ["1", "1"]
    assert replies(bob) == ["1", "1"]


class Reminder(ChatHandler):
    """"in N text": reminds the chat of ``text`` N seconds later (an event with data)."""

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        _, seconds, text = msg["text"].split(" ", 2)
        self.scheduler.event_later(float(seconds), ("_remind", {"text": text}))
        self.sender.sendMessage("noted")

    def on__remind(self, event: dict[str, Any]) -> None:
        self.sender.sendMessage(f"reminder: {event['_remind']['text']}")


def test_a_scheduled_event_fires_after_a_restart_late_if_overdue(run_bot, store_url) -> None:
    def build(token: str, **kwargs: Any) -> DelegatorBot:
        return DelegatorBot(token, [pave_event_space()(per_chat_id(), create_open, Reminder, timeout=3600)],
                            store=store_url, **kwargs)

    with freeze_time("2030-01-01 09:00:00") as frozen:
        first = run_bot(build)
        alice, bob = first.sim.create_user("Alice"), first.sim.create_user("Bob")
        alice.send("in 60 tea")
        bob.send("in 600 lunch")
        first.settle()
        first.stop()
        frozen.tick(120)  # down for two minutes: Alice's reminder is overdue
        second = run_bot(build)
        second.settle()
        assert replies(alice) == ["noted", "reminder: tea"]  # late, once
        assert replies(bob) == ["noted"]
        second.advance(frozen, 600)
        assert replies(bob) == ["noted", "reminder: lunch"]
        second.stop()
        third = run_bot(build)  # fired events are not kept: nothing fires again
        third.advance(frozen, 3000)
    assert replies(alice) == ["noted", "reminder: tea"]
    assert replies(bob) == ["noted", "reminder: lunch"]


def test_a_button_sent_before_a_restart_still_reaches_its_conversation(run_bot, store_url) -> None:
    from actorbot.delegate import intercept_callback_query_origin

    def build(token: str, **kwargs: Any) -> DelegatorBot:
        pattern = intercept_callback_query_origin(pave_event_space())(per_chat_id(), create_open, Menu, timeout=600)
        return DelegatorBot(token, [pattern], store=store_url, **kwargs)

    first = run_bot(build)
    alice = first.sim.create_user("Alice")
    alice.send("hi")
    menu = alice.chat.wait_for_bot_message()
    alice.press(menu, label="Press me").wait_answer()
    first.settle()
    first.stop()
    second = run_bot(build)
    alice.press(menu, label="Press me").wait_answer()  # no conversation is live: the store knows whose it is
    alice.press(menu, label="Press me").wait_answer()  # now the rebuilt conversation captures it itself
    second.settle()
    assert replies(alice) == ["menu", "press 1", "press 2", "press 3"]
