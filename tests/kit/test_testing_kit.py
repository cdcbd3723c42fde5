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


# -- handler errors fail the test ------------------------------------------------------------

class Fragile(ChatHandler):
    def on_chat_message(self, msg):
        if msg["text"] == "/crash":
            msg["txt"]  # the typo the issue describes: a KeyError in a handler
        self.sender.sendMessage("ok")


def build_fragile(token, **kwargs):
    from actorbot import RestartPolicy
    from actorbot.actors._supervision import Backoff

    return DelegatorBot(
        token,
        [pave_event_space()(per_chat_id(), create_open, Fragile, timeout=10)],
        restart=RestartPolicy(max_restarts=5, backoff=Backoff(initial=0)),
        **kwargs,
    )


def test_a_handler_error_makes_settle_raise_with_its_traceback(run_bot):
    from actorbot.testing import HandlerError

    harness = run_bot(build_fragile)
    alice = harness.sim.create_user("Alice")
    alice.send("/crash")
    with pytest.raises(HandlerError) as caught:
        harness.settle()
    assert isinstance(caught.value.__cause__, KeyError)
    assert "KeyError" in str(caught.value) and str(alice.id) in str(caught.value)
    harness.settle()  # raised once: the next settle is clean


def test_expected_errors_are_collected_and_do_not_fail(run_bot):
    harness = run_bot(build_fragile)
    alice = harness.sim.create_user("Alice")
    with harness.expect_errors() as errors:
        alice.send("/crash")
    from actorbot.exception import PoisonUpdate

    # handled again twice after restarts, then moved to the dead letters as poison
    assert [type(e.exc) for e in errors] == [KeyError, KeyError, KeyError, PoisonUpdate]
    assert [letter.update["text"] for letter in harness.bot.dead_letters] == ["/crash"]
    assert errors[0].update["text"] == "/crash"
    assert errors[0].conversation.seed == alice.chat.id
    alice.send("hello")
    harness.settle()
    assert [m["text"] for m in alice.chat.bot_messages()][-1] == "ok"


def test_an_error_nobody_settled_fails_the_test_at_teardown(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["actorbot.testing"]\n')
    (tmp_path / "test_user.py").write_text(
        "from actorbot import Bot\n"
        "class Echo(Bot):\n"
        "    def on_chat_message(self, msg):\n"
        "        raise RuntimeError('handler bug ' + msg['text'])\n"
        "def test_forgets_to_settle(run_bot):\n"
        "    harness = run_bot(Echo)\n"
        "    alice = harness.sim.create_user('Alice')\n"
        "    alice.send('one')\n"
        "    harness.sim.wait_until(lambda: harness.errors, 5, what='the error')\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(root)),
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed, 1 error" in result.stdout, result.stdout
    assert "HandlerError" in result.stdout and "RuntimeError: handler bug one" in result.stdout


def test_the_default_error_output_is_a_line_per_error_and_each_traceback_once(run_bot, caplog):
    import logging

    harness = run_bot(build_fragile)
    alice = harness.sim.create_user("Alice")
    with caplog.at_level(logging.ERROR, logger="actorbot.errors"), harness.expect_errors():
        alice.send("/crash")
    records = [r for r in caplog.records if r.name == "actorbot.errors"]
    lines = [r.getMessage() for r in records]
    seed = f"conversation {alice.chat.id} (pattern 0)"
    assert lines == [
        f"{seed}: KeyError: 'txt' (handling message 1 in chat {alice.chat.id})",
        f"{seed}: KeyError: 'txt' (handling message 1 in chat {alice.chat.id}) (traceback shown before)",
        f"{seed}: KeyError: 'txt' (handling message 1 in chat {alice.chat.id}) (traceback shown before)",
        f"{seed}: PoisonUpdate: this update failed 3 times in a row; it was moved to the dead letters and the"
        f" conversation goes on (handling message 1 in chat {alice.chat.id}) (after KeyError: 'txt')",
    ]
    assert [r.exc_info is not None for r in records] == [True, False, False, False]
