"""When an update is confirmed to Telegram, and what a restart replays.

Without a store an update is confirmed once handled; with one, once journaled, and a
restart replays what was journaled but not done. A store that goes away stops the bot
with a clear error and loses nothing. Emulator, SQLite on a temp file, a real Redis."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest

from actorbot import DelegatorBot
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler
from actorbot.store import SQLiteStore
from actorbot.testing import BotHarness
from redisserver import RedisServer, free_port


class Counter(ChatHandler):
    """Counts in self.state; a message "wait" blocks until the test's ``release`` is set."""

    release = threading.Event()
    entered = threading.Event()

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        if msg.get("text") == "wait":
            type(self).entered.set()
            assert type(self).release.wait(10), "the test never released the handler"
            if not self.bot.accepting:
                return  # abandoned by a stop: its update was not confirmed, the next run handles it
        self.state["count"] = self.state.get("count", 0) + 1
        self.sender.sendMessage(str(self.state["count"]))


def build(store: Any = None, **options: Any) -> Any:
    def make(token: str, **kwargs: Any) -> DelegatorBot:
        return DelegatorBot(token, [pave_event_space()(per_chat_id(), create_open, Counter, timeout=60)],
                            store=store, **options, **kwargs)
    return make


@pytest.fixture(autouse=True)
def _released() -> Any:
    Counter.release = threading.Event()
    Counter.entered = threading.Event()
    yield
    Counter.release.set()


def replies(user: Any) -> list[str]:
    return [m["text"] for m in user.chat.bot_messages()]


def text_update(update_id: int, user: Any, text: str) -> dict[str, Any]:
    """An update as Telegram would send it for ``user``'s private chat."""
    sender = {"id": user.id, "is_bot": False, "first_name": user.first_name}
    chat = {"id": user.id, "type": "private", "first_name": user.first_name}
    return {"update_id": update_id,
            "message": {"message_id": update_id, "from": sender, "chat": chat, "date": 0, "text": text}}


def test_without_a_store_an_update_is_confirmed_only_once_handled(run_bot) -> None:
    harness = run_bot(build(confirm_hold=60))
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    alice.send("wait")
    assert Counter.entered.wait(10), "the handler did not start"
    bob.send("hi")  # another chat goes on meanwhile...
    bob.chat.wait_for_bot_message()
    assert replies(bob) == ["1"]
    # ...but neither update is confirmed while Alice's is unfinished: a crash now loses nothing
    assert harness.emulator.pending_updates == 2
    Counter.release.set()
    harness.sim.wait_until(lambda: harness.emulator.pending_updates == 0, 10, what="the offset to move")
    assert replies(alice) == ["1"]


def test_a_graceful_stop_leaves_what_it_did_not_handle_for_the_next_run(emulator) -> None:
    first = BotHarness(emulator, build(confirm_hold=60)(emulator.token, api_url=emulator.url))
    alice = first.sim.create_user("Alice")
    alice.send("wait")
    alice.send("two")
    alice.send("three")
    assert Counter.entered.wait(10), "the handler did not start"
    first.sim.wait_until(lambda: sum(first.bot.metrics().updates_received.values()) == 3, 10,
                         what="all three accepted")
    first.bot.stop(grace=0.2)  # "wait" is abandoned; "two" and "three" queue behind it
    assert emulator.pending_updates == 3
    Counter.release.set()  # the abandoned handler ends
    second = BotHarness(emulator, build()(emulator.token, api_url=emulator.url))
    try:
        second.sim.wait_until(lambda: len(replies(alice)) >= 3, 10, what="three replies")
        second.settle()
    finally:
        second.stop()
    assert replies(alice) == ["1", "2", "3"]
    assert emulator.pending_updates == 0


def test_a_restart_replays_journaled_updates_before_new_ones(run_bot, emulator, tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    alice = emulator.sim.create_user("Alice")
    with SQLiteStore(path) as store:  # what a killed bot left: accepted (confirmed to Telegram), never handled
        store.accept([(101, text_update(101, alice, "one")), (102, text_update(102, alice, "two"))])
    harness = run_bot(build(str(path)))
    alice.send("three")
    harness.sim.wait_until(lambda: len(replies(alice)) >= 3, 10, what="three replies")
    harness.settle()
    assert replies(alice) == ["1", "2", "3"], alice.chat.text()
    assert harness.bot.store.pending() == []


def test_an_update_whose_effect_was_committed_is_not_applied_again(run_bot, emulator, tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    alice = emulator.sim.create_user("Alice")
    with SQLiteStore(path) as store:
        store.accept([(101, text_update(101, alice, "one")), (102, text_update(102, alice, "two"))])
        # the conversation committed 101 (its count is 1) but the crash came before 101 was marked done
        store.put("conv", f"0:{alice.id}", {"state": {"count": 1}, "applied": 101, "version": 0})
    harness = run_bot(build(str(path)))
    harness.sim.wait_until(lambda: len(replies(alice)) >= 1, 10, what="the replayed reply")
    harness.settle()
    assert replies(alice) == ["2"]  # 101 skipped, 102 handled
    assert harness.bot.store.pending() == []


def test_redis_going_away_loses_nothing_and_the_bot_goes_on_when_it_is_back(
    emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    server = RedisServer(tmp_path / "redis", port=port, password="s3cret",
                         extra_args=("--appendonly", "yes", "--appendfsync", "always"))
    server.start()
    try:
        harness = BotHarness(emulator, build(server.url)(emulator.token, api_url=emulator.url))
        alice = harness.sim.create_user("Alice")
        try:
            alice.send("one")
            alice.chat.wait_for_bot_message()
            harness.settle()
            server.stop()  # Redis goes away
            with caplog.at_level(logging.WARNING, logger="actorbot"):
                alice.send("two")
                harness.sim.wait_until(lambda: "could not be stored" in caplog.text, 30, what="the warning")
            assert emulator.pending_updates == 1  # not confirmed to Telegram: nothing is lost
            assert "s3cret" not in caplog.text
            server.start()  # Redis is back, with what it had; the loop's next try stores "two"
            harness.sim.wait_until(lambda: len(replies(alice)) >= 2, 30, what="the reply to 'two'")
            harness.settle()
        finally:
            harness.stop()
        assert replies(alice) == ["1", "2"]
    finally:
        server.stop()


def test_the_journal_forgets_done_updates_far_below_the_newest(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "bot.db"
    bot = DelegatorBot("123:abc", [], store=str(path))  # no conversation: every update is done once routed
    try:
        chat = {"id": 1, "type": "private"}
        update = lambda uid: {"update_id": uid, "message": {"message_id": uid, "chat": chat, "date": 0}}  # noqa: E731
        assert bot.intake.accept([update(uid) for uid in range(1, 1001)]) == 1000
        bot.settle()
        assert bot.intake.accept([update(20_000)]) == 1  # 1..1000 are over 10,000 below: forgotten
        bot.settle()
        assert bot.intake.accept([update(20_001), update(20_000)]) == 1  # a repeat is still recognised
        bot.settle()
    finally:
        bot.stop()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT update_id, done FROM journal ORDER BY update_id").fetchall() == [
            (20_000, 1), (20_001, 1)]


def test_polling_pauses_while_too_many_updates_are_unfinished(emulator) -> None:
    from actorbot.loop import MessageLoop

    seen: list[int] = []

    class Watching(Counter):
        def on_chat_message(self, msg: dict[str, Any]) -> None:
            seen.append(self.bot.intake.unfinished())  # accepted and not handled, this one included
            super().on_chat_message(msg)

    bot = DelegatorBot(emulator.token, [pave_event_space()(per_chat_id(), create_open, Watching, timeout=60)],
                       store=":memory:", api_url=emulator.url)
    harness = BotHarness(emulator, bot, poll=False)
    loop = MessageLoop(bot, max_unfinished=3)
    loop.run_as_thread(relax=0, timeout=1)
    try:
        alice = harness.sim.create_user("Alice")
        alice.send("wait")
        assert Counter.entered.wait(10), "the handler did not start"
        for n in range(9):
            alice.send(f"m{n}")
        # with "wait" unfinished the loop asks for two more updates at most, then pauses
        harness.sim.wait_until(
            lambda: any(str(c.params.get("limit")) == "2" for c in emulator.calls("getUpdates")), 10,
            what="a poll limited to the room left")
        Counter.release.set()
        harness.sim.wait_until(lambda: len(replies(alice)) == 10, 10, what="every reply")
        harness.settle()
    finally:
        loop.stop()
        bot.stop()
    assert replies(alice) == [str(n) for n in range(1, 11)]
    assert max(seen) <= 3, seen  # never more than three accepted and unfinished
    assert emulator.pending_updates == 0
