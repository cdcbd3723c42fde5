"""Per-chat lanes against the emulator: a 429 in one chat does not delay another chat.

Time is the engine's clock under freezegun (or a ManualClock): the tests show that chat
B is served while the clock stands still, and chat A only after the clock passes A's
deadline, instead of guessing with wall-clock durations.
"""

from __future__ import annotations

import threading
from typing import Any

from floodkit import eventually
from freezegun import freeze_time

from actorbot import Bot, DelegatorBot
from actorbot.actors._clock import now
from actorbot.api import ManualClock, RetryPolicy
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.emulator import Emulator, Fault
from actorbot.exception import TooManyRequestsError
from actorbot.helper import ChatHandler


def _texts(chat: Any) -> list[str]:
    return [m.get("text", "") for m in chat.bot_messages()]


def test_a_429_in_one_chat_leaves_the_others_alone_on_the_engine_clock(emulator: Emulator) -> None:
    alice = emulator.sim.create_user("Alice")
    bob = emulator.sim.create_user("Bob")
    emulator.fail("sendMessage", Fault.rate_limit(retry_after=5), chat_id=alice.id)
    with freeze_time("2030-01-01 00:00:00") as frozen:
        bot = Bot(emulator.token, api_url=emulator.url)
        gate = bot.flood_gate
        threads = []
        try:
            started = now()
            for n in (1, 2, 3):  # queued in alice's lane in this order
                thread = threading.Thread(target=bot.sendMessage, args=(alice.id, f"a{n}"))
                threads.append(thread)
                thread.start()
                eventually(lambda n=n: gate.waiting(alice.id) == n)
            eventually(lambda: gate.deadline(alice.id) == started + 5)
            assert [c.status for c in emulator.calls("sendMessage")] == [429]

            bot.sendMessage(bob.id, "b")  # at once: the clock has not moved
            assert now() == started
            assert _texts(bob.chat) == ["b"] and _texts(alice.chat) == []

            frozen.tick(4.9)
            gate.nudge()
            assert gate.waiting(alice.id) == 3 and _texts(alice.chat) == []
            frozen.tick(0.2)  # past the deadline: all of alice's messages, in order
            eventually(lambda: len(_texts(alice.chat)) == 3)
            for thread in threads:
                thread.join(5)
            assert _texts(alice.chat) == ["a1", "a2", "a3"]
            calls = emulator.calls("sendMessage")
            assert [(c.params["text"], c.status) for c in calls] == [
                ("a1", 429), ("b", 200), ("a1", 200), ("a2", 200), ("a3", 200)]
            assert [round(c.date - started, 3) for c in calls] == [0, 0, 5.1, 5.1, 5.1]
            snap = bot.metrics()
            assert (snap.flood_chat_429s, snap.flood_global_429s, snap.flood_paused_seconds) == (1, 0, 5.0)
            assert (snap.flood_waits, snap.flood_wait_seconds) == (1, 5.0)
        finally:
            for thread in threads:
                thread.join(5)
            bot.stop()


def test_a_429_without_a_chat_pauses_the_whole_bot_until_its_deadline(emulator: Emulator) -> None:
    alice = emulator.sim.create_user("Alice")
    emulator.fail("getMe", Fault.rate_limit(retry_after=3))
    clock = ManualClock(start=0.0)
    bot = Bot(emulator.token, api_url=emulator.url, flood_clock=clock)
    results: list[Any] = []
    me = threading.Thread(target=lambda: results.append(bot.getMe()))
    send = threading.Thread(target=lambda: results.append(bot.sendMessage(alice.id, "after the pause")))
    try:
        me.start()
        eventually(lambda: bot.flood_gate.deadline() == 3.0)
        send.start()
        clock.advance(2.9)
        bot.flood_gate.nudge()
        assert len(emulator.calls("sendMessage")) == 0
        clock.advance(0.1)
        me.join(5)
        send.join(5)
        assert len(results) == 2 and _texts(alice.chat) == ["after the pause"]
        assert bot.metrics().flood_global_429s == 1
    finally:
        clock.advance(100)
        me.join(5)
        send.join(5)
        bot.stop()


def test_429s_are_retried_beyond_two_within_the_wait_bound(emulator: Emulator) -> None:
    alice = emulator.sim.create_user("Alice")
    emulator.fail("sendMessage", Fault.rate_limit(retry_after=1), times=5, chat_id=alice.id)
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        return False

    with Bot(emulator.token, api_url=emulator.url, retry=RetryPolicy(wait=wait)) as bot:
        bot.sendMessage(alice.id, "sixth time lucky")
    assert waits == [1.0] * 5
    assert _texts(alice.chat) == ["sixth time lucky"]


def test_past_the_wait_bound_the_error_is_clear(emulator: Emulator) -> None:
    alice = emulator.sim.create_user("Alice")
    emulator.fail("sendMessage", Fault.rate_limit(retry_after=7), times=10, chat_id=alice.id)
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        return False

    bot = Bot(emulator.token, api_url=emulator.url, retry=RetryPolicy(wait=wait, max_flood_wait=20))
    try:
        bot.sendMessage(alice.id, "never")
        raise AssertionError("not refused")
    except TooManyRequestsError as exc:
        assert "more than the 20s allowed" in str(exc) and exc.retry_after == 7
        assert isinstance(exc.__cause__, TooManyRequestsError)
    finally:
        bot.stop()
    assert waits == [7.0, 7.0]  # a third wait would make 21 s
    assert len(emulator.calls("sendMessage")) == 3
    assert emulator.token not in str(waits)


class Echo(ChatHandler):
    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.sender.sendMessage("echo " + msg["text"])


def test_a_delegator_bot_answers_other_chats_while_one_is_paused(run_bot: Any) -> None:
    clock = ManualClock(start=0.0)

    def build(token: str, **kwargs: Any) -> DelegatorBot:
        return DelegatorBot(token, [pave_event_space()(per_chat_id(), create_open, Echo, timeout=60)],
                            flood_clock=clock, **kwargs)

    harness = run_bot(build)
    emu = harness.emulator
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    emu.fail("sendMessage", Fault.rate_limit(retry_after=30), chat_id=alice.id)
    alice.send("one")
    eventually(lambda: harness.bot.flood_gate.deadline(alice.id) == 30.0)
    alice.send("two")
    for n in range(5):
        bob.send(f"b{n}")
        assert bob.chat.wait_for_bot_message()["text"] == f"echo b{n}"  # the clock never moved
    assert clock.now() == 0.0 and _texts(alice.chat) == []
    clock.advance(30)
    eventually(lambda: len(_texts(alice.chat)) == 2)
    harness.settle()
    assert _texts(alice.chat) == ["echo one", "echo two"]


def test_queued_edits_of_one_message_are_coalesced_to_the_last(emulator: Emulator) -> None:
    alice = emulator.sim.create_user("Alice")
    clock = ManualClock(start=0.0)
    bot = Bot(emulator.token, api_url=emulator.url, flood_clock=clock)
    message = bot.sendMessage(alice.id, "v0")
    emulator.fail("editMessageText", Fault.rate_limit(retry_after=3), chat_id=alice.id)
    results: dict[str, Any] = {}
    threads = []

    def edit(text: str) -> None:
        results[text] = bot.editMessageText((alice.id, message["message_id"]), text)

    try:
        for n, text in enumerate(["v1", "v2", "v3", "v4"], start=1):
            thread = threading.Thread(target=edit, args=(text,))
            threads.append(thread)
            thread.start()
            if n == 1:
                eventually(lambda: bot.flood_gate.deadline(alice.id) == 3.0)  # v1 refused: the lane pauses
            else:
                eventually(lambda: bot.flood_gate.waiting(alice.id) == 2)  # v1, and only the newest queued
        clock.advance(3)
        for thread in threads:
            thread.join(5)
        sent = [c.params["text"] for c in emulator.calls("editMessageText")]
        assert sent == ["v1", "v1", "v4"]  # v2 and v3 never sent
        assert results["v2"] == results["v3"] == results["v4"] and results["v4"]["text"] == "v4"
        assert bot.flood_gate.stats().edits_coalesced == 2
    finally:
        clock.advance(100)
        for thread in threads:
            thread.join(5)
        bot.stop()


def test_a_429_to_get_updates_is_left_to_the_update_loop(emulator: Emulator) -> None:
    alice = emulator.sim.create_user("Alice")
    emulator.fail("getUpdates", Fault.rate_limit(retry_after=30))
    clock = ManualClock(start=0.0)
    with Bot(emulator.token, api_url=emulator.url, flood_clock=clock) as bot:
        try:
            bot.getUpdates(timeout=0)
            raise AssertionError("not refused")
        except TooManyRequestsError as exc:
            assert exc.retry_after == 30
        assert bot.flood_gate.deadline() == float("-inf")
        bot.sendMessage(alice.id, "replies go on")
    assert _texts(alice.chat) == ["replies go on"]
