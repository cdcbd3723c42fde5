"""``bot.metrics()``: the numbers a known scenario leaves, against the emulator."""

from __future__ import annotations

import dataclasses
import queue
import threading
from typing import Any

import pytest
from freezegun import freeze_time

from actorbot import Bot, DelegatorBot, RestartPolicy
from actorbot.api import RetryPolicy, VirtualClock
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.emulator import Fault
from actorbot.exception import HandlerTimeout, NetworkError, TelegramError
from actorbot.helper import ChatHandler
from actorbot.metrics import Histogram, MetricsSnapshot

NOT_A_CHAT = 987654321


class Counter(ChatHandler):
    """Counts a chat's messages; "boom" raises, "ghost" makes a call the API refuses (400)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._count = 0

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        if msg["text"] == "boom":
            raise ValueError("boom")
        if msg["text"] == "ghost":
            try:
                self.bot.sendMessage(NOT_A_CHAT, "anyone?")
            except TelegramError:
                pass
            return
        self._count += 1
        self.sender.sendMessage(str(self._count))


class Waits:
    """A retry wait that records what it was asked to wait and returns at once."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> bool:
        self.asked.append(seconds)
        return False


def counter_bot(waits: Waits, **extra: Any) -> Any:
    def build(token: str, **kwargs: Any) -> DelegatorBot:
        return DelegatorBot(
            token,
            [pave_event_space()(per_chat_id(), create_open, Counter, timeout=60)],
            restart=RestartPolicy(max_restarts=0),  # the first failure quarantines: no backoff to wait out
            retry=RetryPolicy(wait=waits),
            on_error=lambda exc, update, conversation: None,
            **extra,
            **kwargs,
        )

    return build


def test_a_fresh_bot_counts_nothing(make_bot) -> None:
    snap = make_bot([]).metrics()
    assert isinstance(snap, MetricsSnapshot)
    assert snap.updates_received == {} and snap.api_calls == {}
    assert snap.handler_latency == Histogram() and snap.handler_latency.count == 0
    assert snap.conversations_live == 0 and snap.mailbox_total == 0
    assert snap.loop_alive is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.flood_waits = 3  # type: ignore[misc]


@pytest.mark.parametrize("runtime", ["pool", "threads"])
def test_a_known_scenario_gives_known_numbers(run_bot, runtime: str) -> None:
    waits = Waits()
    harness = run_bot(counter_bot(waits, runtime=runtime))
    harness.emulator.fail("sendMessage", Fault.rate_limit(retry_after=2), times=1)
    sim = harness.sim
    alice, bob, carol, dave = (sim.create_user(n) for n in ("Alice", "Bob", "Carol", "Dave"))
    with harness.expect_errors():  # carol's "boom" raises: quarantined at once
        for _ in range(3):
            alice.send("hi")
        bob.send("a")
        bob.send("b")
        carol.send("boom")
        dave.send("ghost")

    snap = harness.bot.metrics()
    assert [m["text"] for m in alice.chat.bot_messages()] == ["1", "2", "3"]
    assert waits.asked == [2.0]  # the one 429, waited out as asked
    assert snap.updates_received == {"chat": 7}
    assert snap.updates_handled == {"chat": 6}
    assert snap.updates_failed == {"chat": 1}
    assert snap.handler_latency.count == 7 and snap.update_lag.count == 7
    assert snap.update_lag.sum >= snap.handler_latency.sum > 0
    assert snap.handler_latency.cumulative()[-1] == 7
    assert (snap.conversations_live, snap.conversations_restarting, snap.conversations_quarantined) == (3, 0, 1)
    assert (snap.dead_letters, snap.dead_letters_total) == (1, 1)  # Carol's "boom", kept by the quarantine
    assert (snap.mailbox_total, snap.mailbox_largest) == (0, 0)
    assert snap.api_calls[("sendMessage", "ok")] == 5
    assert snap.api_calls[("sendMessage", "400")] == 1  # Dave's ghost chat
    assert snap.api_calls[("getUpdates", "ok")] >= 1
    assert {method for method, _ in snap.api_calls} == {"getUpdates", "sendMessage"}
    assert snap.api_latency["sendMessage"].count == 6
    assert (snap.flood_waits, snap.flood_wait_seconds) == (1, 2.0)
    assert snap.api_in_flight == 0
    if runtime == "pool":
        assert 1 <= snap.pool_workers_total and snap.pool_workers_busy <= snap.pool_workers_total
    else:
        assert (snap.pool_workers_busy, snap.pool_workers_total) == (0, 0)
    assert snap.loop_alive is True

    harness.bot.stop()
    assert harness.bot.metrics().loop_alive is False


def test_no_chat_or_user_id_is_ever_a_key(run_bot) -> None:
    harness = run_bot(counter_bot(Waits()))
    users = [harness.sim.create_user(f"U{i}") for i in range(5)]
    for user in users:
        user.send("hi")
    harness.settle()
    snap = harness.bot.metrics()
    keys: set[Any] = set()
    for f in dataclasses.fields(snap):
        value = getattr(snap, f.name)
        if isinstance(value, dict):
            for key in value:
                keys.update(key if isinstance(key, tuple) else (key,))
    assert keys == {"chat", "getUpdates", "sendMessage", "ok"}


def test_a_429_that_is_not_retried_counts_once(run_bot) -> None:
    def build(token: str, **kwargs: Any) -> Bot:
        # a VirtualClock: the chat's lane stays paused 5 s after the 429, in no real time
        return Bot(token, retry=RetryPolicy(flood_retries=0), flood_clock=VirtualClock(), **kwargs)

    harness = run_bot(build, poll=False)
    harness.emulator.fail("sendMessage", Fault.rate_limit(retry_after=5), times=1)
    user = harness.sim.create_user("Alice")
    with pytest.raises(TelegramError):
        harness.bot.sendMessage(user.id, "hello")
    harness.bot.sendMessage(user.id, "hello again")
    snap = harness.bot.metrics()
    assert snap.api_calls == {("sendMessage", "429"): 1, ("sendMessage", "ok"): 1}
    assert (snap.flood_waits, snap.flood_wait_seconds) == (1, 0.0)


def test_network_failures_count_as_network(run_bot) -> None:
    def build(token: str, **kwargs: Any) -> Bot:
        return Bot(token, **kwargs)

    harness = run_bot(build, poll=False)
    harness.emulator.fail("sendMessage", Fault.drop(), times=1)
    user = harness.sim.create_user("Alice")
    with pytest.raises(NetworkError):
        harness.bot.sendMessage(user.id, "hello")
    assert harness.bot.metrics().api_calls == {("sendMessage", "network"): 1}


def test_a_plain_bot_counts_what_its_loop_handles(run_bot) -> None:
    class Echo(Bot):
        def on_chat_message(self, msg: dict[str, Any]) -> None:
            if msg["text"] == "boom":
                raise ValueError("boom")
            self.sendMessage(msg["chat"]["id"], msg["text"])

    def build(token: str, **kwargs: Any) -> Bot:
        return Echo(token, on_error=lambda exc, update, conversation: None, **kwargs)

    harness = run_bot(build)
    alice = harness.sim.create_user("Alice")
    with harness.expect_errors():
        alice.send("one")
        alice.send("boom")
        alice.send("two")
    snap = harness.bot.metrics()
    assert snap.updates_received == {"chat": 3}
    assert snap.updates_handled == {"chat": 2} and snap.updates_failed == {"chat": 1}
    assert snap.handler_latency.count == 3
    assert snap.api_calls[("sendMessage", "ok")] == 2
    assert snap.conversations_live == 0 and snap.loop_alive is True


def test_mailbox_depth_counts_what_waits_behind_a_busy_handler(run_bot) -> None:
    entered, release = threading.Event(), threading.Event()

    class Slow(ChatHandler):
        def on_chat_message(self, msg: dict[str, Any]) -> None:
            if msg["text"] == "slow":
                entered.set()
                release.wait(10)

    def build(token: str, **kwargs: Any) -> DelegatorBot:
        return DelegatorBot(token, [pave_event_space()(per_chat_id(), create_open, Slow, timeout=60)], **kwargs)

    harness = run_bot(build)
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    try:
        alice.send("slow")
        assert entered.wait(5)
        for text in ("1", "2", "3"):
            alice.send(text)
        bob.send("x")
        harness.sim.wait_until(lambda: harness.emulator.pending_updates == 0, 5, what="the updates routed")
        snap = harness.bot.metrics()
        # Bob's update may still be waiting or already handled; Alice's three wait.
        assert snap.mailbox_largest == 3 and snap.mailbox_total in (3, 4)
        assert snap.conversations_live == 2
    finally:
        release.set()
    harness.settle()
    snap = harness.bot.metrics()
    assert (snap.mailbox_total, snap.mailbox_largest) == (0, 0)
    assert snap.updates_handled == {"chat": 5}


# -- handler_timeout ------------------------------------------------------------------------------------


def slow_bot(reports: queue.Queue[Any], entered: threading.Event, release: threading.Event,
             handler_timeout: float | None) -> Any:
    class Slow(ChatHandler):
        def on_chat_message(self, msg: dict[str, Any]) -> None:
            if msg["text"] == "slow":
                entered.set()
                release.wait(10)
            self.sender.sendMessage("done " + msg["text"])

    def build(token: str, **kwargs: Any) -> DelegatorBot:
        return DelegatorBot(
            token,
            [pave_event_space()(per_chat_id(), create_open, Slow, timeout=3600)],
            handler_timeout=handler_timeout,
            on_error=lambda exc, update, conversation: reports.put((exc, update, conversation)),
            **kwargs,
        )

    return build


def test_a_handler_outlasting_handler_timeout_is_reported_once_with_its_stack(run_bot) -> None:
    reports: queue.Queue[Any] = queue.Queue()
    entered, release = threading.Event(), threading.Event()
    with freeze_time("2030-01-01 00:00:00") as frozen:
        harness = run_bot(slow_bot(reports, entered, release, handler_timeout=30))
        expected = harness.expect_errors(settle=False)
        expected.__enter__()  # the HandlerTimeout is the point of this test
        bot = harness.bot
        alice = harness.sim.create_user("Alice")
        try:
            alice.send("slow")
            assert entered.wait(5)
            alice.send("one")
            alice.send("two")
            harness.sim.wait_until(lambda: harness.emulator.pending_updates == 0, 5, what="the updates routed")
            watchdog = bot.engine.watchdog
            frozen.tick(29)
            assert watchdog.check() == 0  # not yet
            frozen.tick(2)
            watchdog.poke()
            exc, update, conversation = reports.get(timeout=5)
            assert isinstance(exc, HandlerTimeout)
            assert exc.seconds >= 30
            assert conversation is not None and conversation.seed == alice.chat.id
            assert exc.conversation == conversation
            assert update["text"] == "slow"
            assert "release.wait(10)" in exc.stack and "on_chat_message" in exc.stack
            frozen.tick(60)
            assert watchdog.check() == 0  # reported once
            assert bot.metrics().mailbox_largest == 2  # the later updates queue, in order
        finally:
            release.set()
        harness.settle()
        expected.__exit__(None, None, None)
        assert [m["text"] for m in alice.chat.bot_messages()] == ["done slow", "done one", "done two"]
        assert reports.empty()
        assert bot.metrics().handler_timeouts == 1
        thread = watchdog._thread
        bot.stop()
        assert thread is not None and not thread.is_alive()


def test_the_watchdog_notices_on_its_own_in_real_time(run_bot) -> None:
    reports: queue.Queue[Any] = queue.Queue()
    entered, release = threading.Event(), threading.Event()
    harness = run_bot(slow_bot(reports, entered, release, handler_timeout=0.05))
    alice = harness.sim.create_user("Alice")
    with harness.expect_errors():
        try:
            alice.send("slow")
            exc, _update, _conversation = reports.get(timeout=5)  # no poke: its own look, within ~60 ms
            assert isinstance(exc, HandlerTimeout)
        finally:
            release.set()
    assert reports.empty()


def test_no_watchdog_without_handler_timeout(run_bot) -> None:
    reports: queue.Queue[Any] = queue.Queue()
    entered, release = threading.Event(), threading.Event()
    release.set()
    harness = run_bot(slow_bot(reports, entered, release, handler_timeout=None))
    harness.sim.create_user("Alice").send("slow")
    harness.settle()
    assert harness.bot.engine.watchdog is None
    assert not [t for t in threading.enumerate() if t.name.startswith("actorbot-watchdog")]


def test_loop_alive_follows_a_webhook_loop(run_bot) -> None:
    from actorbot.loop import Webhook

    harness = run_bot(counter_bot(Waits()), poll=False)
    bot = harness.bot
    webhook = Webhook(bot)
    assert bot.loop_alive is False
    webhook.run_as_thread()
    try:
        assert bot.loop_alive is True and bot.metrics().loop_alive is True
    finally:
        assert webhook.stop(timeout=5)
    assert bot.loop_alive is False


def test_scheduled_events_count_as_event(run_bot) -> None:
    with freeze_time("2030-01-01 00:00:00") as frozen:
        harness = run_bot(counter_bot(Waits()))
        harness.sim.create_user("Alice").send("hi")
        harness.settle()
        harness.advance(frozen, 61)  # past the idle timeout: an _idle event closes the conversation
        snap = harness.bot.metrics()
    assert snap.updates_received == {"chat": 1, "event": 1}
    assert snap.updates_handled == {"chat": 1, "event": 1}
    assert snap.conversations_live == 0
