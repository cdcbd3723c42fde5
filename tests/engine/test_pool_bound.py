"""The pool's default bound on threads: below it a slow conversation never delays another; at
it, conversations wait for a free worker (nothing lost, order kept) and a warning says so once.

Every wait is bounded (events, futures, joins with timeouts); nothing sleeps.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from actorbot import DelegatorBot
from actorbot.actors import WorkerPool
from actorbot.actors._pool import DEFAULT_MAX_WORKERS
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler
from enginekit import TOKEN, Telegram, chat_message

WAIT = 5.0


def test_the_default_bound_is_the_api_clients_connections() -> None:
    from actorbot.api._client import DEFAULT_POOL_SIZE

    assert WorkerPool().max_workers == DEFAULT_MAX_WORKERS == DEFAULT_POOL_SIZE == 64
    bounded = DelegatorBot(TOKEN, [], runtime="pool")
    unbounded = DelegatorBot(TOKEN, [], runtime="pool", max_workers=None)
    try:
        assert bounded.engine.pool is not None and bounded.engine.pool.max_workers == 64
        assert unbounded.engine.pool is not None and unbounded.engine.pool.max_workers is None
    finally:
        bounded.stop()
        unbounded.stop()


def test_a_saturated_pool_queues_tasks_in_order_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    pool = WorkerPool(2, name="tiny", saturation_warn_after=0)
    release = threading.Event()
    started = [threading.Event(), threading.Event()]
    ran: list[int] = []
    done = threading.Event()

    def blocked(n: int) -> Any:
        def task() -> None:
            started[n].set()
            assert release.wait(WAIT)
        return task

    def queued(n: int) -> Any:
        def task() -> None:
            ran.append(n)
            if len(ran) == 5:
                done.set()
        return task

    try:
        with caplog.at_level(logging.WARNING, logger="actorbot.actors._pool"):
            pool.submit(blocked(0))
            pool.submit(blocked(1))
            assert started[0].wait(WAIT) and started[1].wait(WAIT)
            for n in range(5):
                pool.submit(queued(n))
            assert pool.worker_count == 2 and not done.is_set()
            release.set()
            assert done.wait(WAIT)
        assert ran == [0, 1, 2, 3, 4]  # first in, first out: nothing lost
        assert pool.saturated_total == 5
        warnings = [r for r in caplog.records if "workers busy" in r.getMessage()]
        assert len(warnings) == 1  # once per interval, not once per task
        assert "all 2 workers busy" in warnings[0].getMessage()
    finally:
        release.set()
        assert pool.shutdown(WAIT)


class Gated(ChatHandler):
    """Replies to each message; a text "block" waits for the chat's gate first."""

    gates: dict[int, tuple[threading.Event, threading.Event]] = {}

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        chat = msg["chat"]["id"]
        if msg["text"] == "block":
            entered, release = self.gates[chat]
            entered.set()
            assert release.wait(WAIT)
        self.sender.sendMessage(f"done {msg['text']}")


def _pool_threads(bot: DelegatorBot) -> int:
    assert bot.engine.pool is not None
    prefix = bot.engine.pool.name + "-"
    return sum(1 for t in threading.enumerate() if t.name.startswith(prefix))


@pytest.mark.parametrize("blocked", [2, 3])
def test_at_the_bound_a_conversation_waits_below_it_none_does(loopback_api: Any, blocked: int) -> None:
    """max_workers=3: with 2 conversations blocked a third is answered at once (the issue-8
    promise holds below the bound); with 3 blocked it waits, and is answered once one unblocks."""
    telegram = Telegram(loopback_api)
    Gated.gates = {chat: (threading.Event(), threading.Event()) for chat in range(1, blocked + 1)}
    bot = DelegatorBot(TOKEN, [pave_event_space()(per_chat_id(), create_open, Gated, timeout=30)],
                       api_url=loopback_api.url, runtime="pool", max_workers=3)
    try:
        for chat in Gated.gates:
            bot.handle(chat_message(chat, "block"))
        for entered, _ in Gated.gates.values():
            assert entered.wait(WAIT)
        bot.handle(chat_message(99, "hello"))
        if blocked < 3:
            telegram.wait("sendMessage", 1, WAIT)  # answered while the others are still blocked
            assert telegram.texts_to(99) == ["done hello"]
        else:
            with pytest.raises(AssertionError):
                telegram.wait("sendMessage", 1, 0.3)  # every worker is blocked: chat 99 waits
            assert telegram.texts_to(99) == []
            Gated.gates[1][1].set()
            telegram.wait("sendMessage", 2, WAIT)
            assert telegram.texts_to(1) == ["done block"]
            assert telegram.texts_to(99) == ["done hello"]
        assert _pool_threads(bot) <= 3
        assert bot.engine.pool is not None and bot.engine.pool.worker_count <= 3
    finally:
        for _, release in Gated.gates.values():
            release.set()
        bot.stop()
