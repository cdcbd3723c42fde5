"""What the lighter pooled conversations keep: every one closes with the bot, waiting on a pooled
actor's stop works, a handler may still change its router, and the registry holds no delegates.

Every wait is bounded (events, joins with timeouts); nothing sleeps.
"""

from __future__ import annotations

import threading
from typing import Any

import pykka

from actorbot import DelegatorBot
from actorbot.actors import PooledActor, PooledDelegateActor, WorkerPool
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.exception import StopListening
from actorbot.helper import ChatHandler
from enginekit import TOKEN, chat_message

WAIT = 5.0


def _bot(handler: type, log: list[Any]) -> DelegatorBot:
    pattern = pave_event_space()(per_chat_id(), create_open, handler, log, timeout=60)
    return DelegatorBot(TOKEN, [pattern], runtime="pool")


class Recording(ChatHandler):
    def __init__(self, seed_tuple: Any, log: list[Any], **kwargs: Any) -> None:
        super().__init__(seed_tuple, **kwargs)
        self.log = log

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.log.append(("message", self.chat_id, msg["text"]))

    def on_close(self, ex: BaseException) -> None:
        self.log.append(("closed", self.chat_id, type(ex)))


def test_stopping_the_bot_runs_on_close_of_every_pooled_conversation() -> None:
    log: list[Any] = []
    bot = _bot(Recording, log)
    chats = range(1, 301)
    try:
        for chat in chats:
            bot.handle(chat_message(chat, f"hi {chat}"))
        bot.settle(WAIT)
    finally:
        bot.stop()
    assert sorted(e for e in log if e[0] == "message") == [("message", c, f"hi {c}") for c in chats]
    closed = [e for e in log if e[0] == "closed"]
    assert sorted(closed) == [("closed", c, StopListening) for c in chats]  # each exactly once


def test_pooled_delegates_are_not_in_the_actor_registry() -> None:
    log: list[Any] = []
    bot = _bot(Recording, log)
    try:
        bot.handle(chat_message(5, "hi"))
        bot.settle(WAIT)
        assert bot.metrics().conversations_live == 1
        assert not [r for r in pykka.ActorRegistry.get_all() if issubclass(r.actor_class, PooledDelegateActor)]
    finally:
        bot.stop()
    assert ("closed", 5, StopListening) in log


class Routed(ChatHandler):
    """Changes its router's table as telepot handlers may: chat messages go to ``shout``."""

    def __init__(self, seed_tuple: Any, log: list[Any], **kwargs: Any) -> None:
        super().__init__(seed_tuple, **kwargs)
        self.log = log
        self.router.routing_table["chat"] = self.shout

    def shout(self, msg: dict[str, Any]) -> None:
        self.log.append(msg["text"].upper())

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.log.append(msg["text"])


def test_a_handler_that_changes_its_router_table_is_routed_by_it() -> None:
    log: list[Any] = []
    bot = _bot(Routed, log)
    try:
        bot.handle(chat_message(7, "one"))
        bot.handle(chat_message(7, "two"))
        bot.settle(WAIT)
    finally:
        bot.stop()
    assert log == ["ONE", "TWO"]


class Gate(PooledActor):
    def __init__(self, pool: WorkerPool, gate: threading.Event) -> None:
        super().__init__(pool=pool)
        self.gate = gate

    def on_receive(self, message: Any) -> Any:
        return self.gate.wait(WAIT)


def test_another_thread_waiting_for_a_pooled_actor_to_stop_is_woken() -> None:
    pool = WorkerPool(4, idle_timeout=1.0, name="test-light")
    gate = threading.Event()
    ref = Gate.start(pool, gate)
    try:
        ref.tell("hold")  # the actor is busy until the gate opens
        assert not ref.actor_stopped.is_set()
        assert not ref.actor_stopped.wait(0.05)  # bounded: still running
        seen: list[bool] = []
        waiter = threading.Thread(target=lambda: seen.append(ref.actor_stopped.wait(WAIT)))
        waiter.start()
        ref.stop(block=False)
        gate.set()
        waiter.join(WAIT)
        assert seen == [True]
        assert ref.actor_stopped.wait(0) and not ref.is_alive()
    finally:
        gate.set()
        assert pool.shutdown(WAIT)


def test_cancelling_an_event_after_the_bot_stopped_does_nothing() -> None:
    bot = _bot(Recording, [])
    bot.handle(chat_message(3, "hi"))
    bot.settle(WAIT)
    event = bot.engine.scheduler.event_later(60, {"_alarm": {"source": {"space": None, "id": 3}}})
    bot.stop()
    bot.engine.scheduler.cancel(event)  # nothing fires any more: no EventNotFound either
    bot.engine.scheduler.cancel(event)
