"""actorbot.testing: the harness users test their bots with (emulator + settle + frozen time)."""

from __future__ import annotations

import threading

import pytest
from freezegun import freeze_time

from actorbot import Bot, DelegatorBot
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler
from actorbot.testing import serve_bot


class Counter(ChatHandler):
    closed: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._count = 0

    def on_chat_message(self, msg):
        self._count += 1
        self.sender.sendMessage(str(self._count))

    def on_close(self, ex):
        Counter.closed.append(type(ex).__name__)


def build_counter(token, **kwargs):
    return DelegatorBot(token, [pave_event_space()(per_chat_id(), create_open, Counter, timeout=10)], **kwargs)


def test_settle_returns_when_every_reply_is_sent(run_bot):
    harness = run_bot(build_counter)
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    for _ in range(3):
        alice.send("hi")
        bob.send("yo")
    harness.settle()
    assert [m["text"] for m in alice.chat.bot_messages()] == ["1", "2", "3"]
    assert [m["text"] for m in bob.chat.bot_messages()] == ["1", "2", "3"]


def test_advance_past_idle_timeout_closes_and_restarts_the_count(run_bot):
    Counter.closed.clear()
    with freeze_time("2030-01-01 00:00:00") as frozen:
        harness = run_bot(build_counter)
        alice = harness.sim.create_user("Alice")
        alice.send("a")
        harness.settle()
        alice.send("b")
        harness.settle()
        harness.advance(frozen, 9)  # not idle long enough
        assert Counter.closed == []
        harness.advance(frozen, 2)  # 11 s since the last message: the delegate closes
        assert Counter.closed == ["IdleTerminate"]
        alice.send("c")
        harness.settle()
    assert [m["text"] for m in alice.chat.bot_messages()] == ["1", "2", "1"]
    assert "Alice: a\nbot: 1\nAlice: b\nbot: 2\nAlice: c\nbot: 1" == alice.chat.text()


def test_plain_bot_with_serve_bot():
    seen = threading.Event()

    class Echo(Bot):
        def on_chat_message(self, msg):
            self.sendMessage(msg["chat"]["id"], msg["text"].upper())
            seen.set()

    with serve_bot(lambda token, **kw: Echo(token, **kw)) as harness:
        carol = harness.sim.create_user("Carol")
        carol.send("shout")
        harness.settle()
        assert seen.is_set()
        assert carol.chat.text() == "Carol: shout\nbot: SHOUT"


def test_settle_times_out_while_a_handler_is_busy(run_bot):
    release = threading.Event()

    class Slow(ChatHandler):
        def on_chat_message(self, msg):
            release.wait(10)

    harness = run_bot(lambda token, **kw: DelegatorBot(
        token, [pave_event_space()(per_chat_id(), create_open, Slow, timeout=None)], **kw))
    harness.sim.create_user("Dan").send("x")
    try:
        with pytest.raises(TimeoutError):
            harness.settle(timeout=0.3)
    finally:
        release.set()
    harness.settle()
