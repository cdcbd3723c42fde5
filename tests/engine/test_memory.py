"""Memory returns after conversations close: the MemoryPolicy's releases, and the metrics of
pool workers that ended. Every wait is bounded (events, settle); nothing sleeps."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from actorbot import DelegatorBot, MemoryPolicy
from actorbot.actors import WorkerPool
from actorbot.actors import _engine as engine_module
from actorbot.actors._memory import return_free_memory
from actorbot.actors._metrics import MetricsRecorder
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler
from enginekit import TOKEN, Telegram, chat_message

WAIT = 5.0


class Counting(ChatHandler):
    """Replies with how many messages its conversation had; "bye" closes it."""

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.state["n"] = self.state.get("n", 0) + 1
        self.sender.sendMessage(f"{msg['text']} #{self.state['n']}")
        if msg["text"] == "bye":
            self.close()


def test_the_policy_is_a_value() -> None:
    assert MemoryPolicy() == MemoryPolicy(release_after_closes=10_000, at_stop=True)
    with pytest.raises(ValueError):
        MemoryPolicy(release_after_closes=0)
    with pytest.raises(AttributeError):
        MemoryPolicy().at_stop = False  # type: ignore[misc]


def test_return_free_memory_never_raises() -> None:
    assert return_free_memory() in (True, False)  # glibc: malloc_trim; elsewhere skipped


def test_releases_after_many_closes_leave_live_conversations_intact(
    loopback_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every 5 closes the tables are compacted and the heap trimmed; the conversations that
    stay open meanwhile go on with their state, and the bot's stop releases once more."""
    releases: list[str] = []
    monkeypatch.setattr(engine_module, "return_free_memory", lambda: releases.append("trim") or True)
    telegram = Telegram(loopback_api)
    bot = DelegatorBot(TOKEN, [pave_event_space()(per_chat_id(), create_open, Counting, timeout=60)],
                       api_url=loopback_api.url, runtime="pool", memory=MemoryPolicy(release_after_closes=5))
    try:
        for chat in (1, 2, 3):
            bot.handle(chat_message(chat, "hi"))
        for chat in range(10, 22):  # 12 conversations open and close: two releases
            bot.handle(chat_message(chat, "bye"))
        bot.settle(WAIT)
        assert len(releases) >= 2
        for chat in (1, 2, 3):
            bot.handle(chat_message(chat, "again"))
        bot.settle(WAIT)
        assert bot.engine.supervisor is not None and bot.engine.supervisor.live_count == 3
        counted = len(releases)
    finally:
        bot.stop()
    for chat in (1, 2, 3):
        assert telegram.texts_to(chat) == ["hi #1", "again #2"]  # state kept across the compactions
    for chat in range(10, 22):
        assert telegram.texts_to(chat) == ["bye #1"]
    assert len(releases) > counted  # and once more at stop


def test_no_release_while_running_when_the_policy_says_so(loopback_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    releases: list[str] = []
    monkeypatch.setattr(engine_module, "return_free_memory", lambda: releases.append("trim") or True)
    Telegram(loopback_api)
    bot = DelegatorBot(TOKEN, [pave_event_space()(per_chat_id(), create_open, Counting, timeout=60)],
                       api_url=loopback_api.url, memory=MemoryPolicy(release_after_closes=None, at_stop=False))
    try:
        for chat in range(10, 30):
            bot.handle(chat_message(chat, "bye"))
        bot.settle(WAIT)
    finally:
        bot.stop()
    assert releases == []


def test_a_pool_worker_runs_on_worker_exit_on_its_own_thread_as_it_ends() -> None:
    ended: list[str] = []
    done = threading.Event()

    def on_exit() -> None:
        ended.append(threading.current_thread().name)
        done.set()

    pool = WorkerPool(2, idle_timeout=0.05, name="exiting", on_worker_exit=on_exit)
    ran = threading.Event()
    pool.submit(ran.set)
    assert ran.wait(WAIT)
    assert done.wait(WAIT)  # idle for 0.05 s: the worker ends
    assert ended == ["exiting-1"]
    assert pool.shutdown(WAIT)


def test_an_ended_threads_metrics_are_kept_and_its_shard_dropped() -> None:
    metrics = MetricsRecorder()
    metrics.received("text")

    def worker() -> None:
        metrics.received("text")
        metrics.finished("text", True, 0.0, None)
        metrics.thread_ended()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(WAIT)
    other = threading.Thread(target=lambda: metrics.received("photo"))
    other.start()
    other.join(WAIT)
    assert len(metrics._shards) == 2  # this thread's, and the one that ended without telling
    metrics.retire_ended()
    assert [s.thread for s in metrics._shards] == [threading.current_thread()]
    snapshot = metrics.snapshot()
    assert snapshot.updates_received == {"text": 2, "photo": 1}
    assert snapshot.updates_handled == {"text": 1}
