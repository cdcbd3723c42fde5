"""Failure, the close race, ordering under concurrency, run-style delegates and shutdown."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from actorbot import RestartPolicy, helper
from actorbot.actors._delegate import DelegateActor
from actorbot.actors._messages import Drain
from actorbot.delegate import (
    call,
    create_open,
    create_run,
    pave_event_space,
    per_application,
    per_chat_id,
    per_message,
)
from actorbot.loop import Backoff
from enginekit import chat_message


class Counter(helper.ChatHandler):
    """Replies with a running count; 'boom' raises; 'bye' closes normally."""

    closes: list[tuple[int, str]]

    def __init__(self, *args: Any, closes: list[Any], gate: threading.Event | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._n = 0
        self._closes = closes
        self._gate = gate

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        if msg["text"] == "boom":
            raise ValueError("boom")
        if msg["text"] == "bye":
            self.close()
        self._n += 1
        self.sender.sendMessage(f"{msg['text']}#{self._n}")

    def on_close(self, ex: Exception) -> None:
        self._closes.append((self.chat_id, type(ex).__name__))
        if self._gate is not None and self.chat_id == 1 and len(self._closes) == 1:
            self._gate.wait(5)  # the first close of chat 1 blocks until the test lets it go


IMMEDIATE = RestartPolicy(backoff=Backoff(initial=0))
"""Restarts at once: the backoff is an event due now, so ``settle()`` sees it through."""


def counter_bot(make_bot: Any, **kwargs: Any) -> Any:
    return make_bot([pave_event_space()(per_chat_id(), create_open, Counter, timeout=None, **kwargs)],
                    restart=IMMEDIATE)


def test_a_crash_is_reported_retried_then_given_up_and_other_chats_are_untouched(make_bot, telegram, caplog) -> None:
    closes: list[Any] = []
    bot = counter_bot(make_bot, closes=closes)
    caplog.set_level(logging.INFO, logger="actorbot")
    for chat, text in [(1, "a"), (2, "a"), (1, "b"), (1, "boom"), (2, "b"), (1, "c")]:
        bot.handle(chat_message(chat, text))
    bot.settle()
    # 'boom' is handed to a restarted handler twice more, then moved to the dead letters;
    # the conversation goes on (restarted: counting from 1 again)
    assert telegram.texts_to(1) == ["a#1", "b#2", "c#1"]
    assert telegram.texts_to(2) == ["a#1", "b#2"]  # untouched
    assert closes == [(1, "ValueError")] * 3
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage().split(": ")[1] for r in failures] == ["ValueError", "ValueError", "ValueError",
                                                                 "PoisonUpdate"]
    assert failures[0].exc_info and "boom" in str(failures[0].exc_info[1])
    assert [(letter.reason, letter.update["text"]) for letter in bot.dead_letters] == [("poison", "boom")]


def test_an_idle_or_normal_close_is_not_an_error(make_bot, telegram, caplog) -> None:
    closes: list[Any] = []
    bot = counter_bot(make_bot, closes=closes)
    caplog.set_level(logging.INFO, logger="actorbot")
    bot.handle(chat_message(1, "bye"))
    bot.handle(chat_message(1, "again"))
    bot.settle()
    assert telegram.texts_to(1) == ["again#1"]
    assert closes == [(1, "StopListening")]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any(r.levelno == logging.INFO and "closed" in r.getMessage() for r in caplog.records)


def test_update_routed_while_on_close_runs_goes_to_a_fresh_delegate(make_bot, telegram) -> None:
    """The close race: the update sits in the closing delegate's mailbox; it must be redelivered."""
    closes: list[Any] = []
    gate = threading.Event()
    bot = counter_bot(make_bot, closes=closes, gate=gate)
    bot.handle(chat_message(1, "a"))
    bot.handle(chat_message(1, "boom"))  # the delegate closes; on_close blocks on the gate
    bot.handle(chat_message(1, "late"))  # routed to the closing delegate's mailbox
    bot.handle(chat_message(1, "later"))
    gate.set()
    bot.settle()
    assert telegram.texts_to(1) == ["a#1", "late#1", "later#2"]
    assert closes == [(1, "ValueError")] * 3  # 'boom' was tried three times before it was given up


def test_update_arriving_between_closing_and_drained_is_buffered_and_redelivered(make_bot, telegram,
                                                                                 monkeypatch) -> None:
    """The other half of the race: the supervisor knows the delegate is closing; it buffers."""
    closes: list[Any] = []
    drain_seen = threading.Event()
    release_drain = threading.Event()
    bot = counter_bot(make_bot, closes=closes)
    actor_class = bot.engine.delegate_class  # DelegateActor, or PooledDelegateActor (runtime="pool")
    original = actor_class.on_receive

    def on_receive(self: DelegateActor, message: Any) -> Any:
        if isinstance(message, Drain) and not release_drain.is_set():
            drain_seen.set()
            release_drain.wait(5)
        return original(self, message)

    monkeypatch.setattr(actor_class, "on_receive", on_receive)
    bot.handle(chat_message(1, "a"))
    bot.handle(chat_message(1, "bye"))
    assert drain_seen.wait(5)  # the supervisor has processed Closing and asked for the drain
    bot.handle(chat_message(1, "buffered-1"))
    bot.handle(chat_message(1, "buffered-2"))
    bot.handle(chat_message(2, "other chat"))  # not held up by chat 1's close
    telegram.wait("sendMessage", count=2)
    assert telegram.texts_to(2) == ["other chat#1"]
    release_drain.set()
    bot.settle()
    assert telegram.texts_to(1) == ["a#1", "buffered-1#1", "buffered-2#2"]


def test_per_chat_order_holds_with_many_chats_at_once(make_bot, telegram) -> None:
    closes: list[Any] = []
    bot = counter_bot(make_bot, closes=closes)
    chats, per_chat = 16, 20

    def feed(chat_ids: range) -> None:
        for i in range(per_chat):
            for chat in chat_ids:
                bot.handle(chat_message(chat, f"m{i}"))

    feeders = [threading.Thread(target=feed, args=(range(k, chats + 1, 4),)) for k in range(1, 5)]
    for t in feeders:
        t.start()
    for t in feeders:
        t.join()
    bot.settle(timeout=30)
    for chat in range(1, chats + 1):
        assert telegram.texts_to(chat) == [f"m{i}#{i + 1}" for i in range(per_chat)]


# -- run-style delegates ------------------------------------------------------------------------------------


def counting_function(seed_tuple: tuple[Any, Any, Any], limit: int) -> None:
    bot, msg, chat_id = seed_tuple
    listener = bot.create_listener()  # created on the delegate's own thread, after it started
    listener.capture([{"chat": {"id": chat_id}}])
    n = 1
    bot.sendMessage(chat_id, f"{msg['text']}#{n}")
    while n < limit:
        msg = listener.wait()
        n += 1
        bot.sendMessage(chat_id, f"{msg['text']}#{n}")


class RunCounter:
    def __init__(self, seed_tuple: tuple[Any, Any, Any], limit: int) -> None:
        self.bot, self.msg, self.chat_id = seed_tuple
        self.limit = limit
        self.listener = self.bot.create_listener()
        self.listener.capture([{"chat": {"id": self.chat_id}}])

    def run(self) -> None:
        msg, n = self.msg, 0
        while True:
            n += 1
            self.bot.sendMessage(self.chat_id, f"{msg['text']}#{n}")
            if n == self.limit:
                return
            msg = self.listener.wait()


@pytest.mark.parametrize("delegator", [call(counting_function, limit=2), create_run(RunCounter, limit=2)],
                         ids=["call", "create_run"])
def test_run_style_delegates_get_their_messages_in_order_and_restart(make_bot, telegram, delegator) -> None:
    bot = make_bot([(per_chat_id(), delegator)])
    for text in ("a", "b", "c", "d", "e"):  # limit 2: a fresh delegate every two messages
        bot.handle(chat_message(1, text))
    bot.settle()
    assert telegram.texts_to(1) == ["a#1", "b#2", "c#1", "d#2", "e#1"]


def test_per_message_and_per_application(make_bot, telegram) -> None:
    seen: list[Any] = []

    class Once(helper.Monitor):
        def on_chat_message(self, msg: dict[str, Any]) -> None:
            seen.append(("once", msg["text"]))
            self.close()

    class App(helper.Monitor):
        def __init__(self, seed_tuple: Any, **kwargs: Any) -> None:
            super().__init__(seed_tuple, capture=[[{"chat": {"type": "private"}}]], **kwargs)

        def on_chat_message(self, msg: dict[str, Any]) -> None:
            seen.append(("app", msg["text"]))

    bot = make_bot([(per_message(), create_open(Once, capture=[])), (per_application(), create_open(App))])
    for text in ("x", "y", "z"):
        bot.handle(chat_message(1, text))
    bot.settle()
    assert sorted(t for k, t in seen if k == "once") == ["x", "y", "z"]
    assert [t for k, t in seen if k == "app"] == ["x", "y", "z"]
    assert bot.engine.supervisor.live_count == 1  # the per-message delegates closed


def test_a_failing_seeder_or_delegator_does_not_stop_the_others(make_bot, telegram, caplog) -> None:
    def bad_seeder(msg: Any) -> Any:
        raise RuntimeError("bad seeder")

    def bad_delegator(seed_tuple: Any) -> Any:
        raise RuntimeError("bad delegator")

    closes: list[Any] = []
    bot = make_bot([
        (bad_seeder, bad_delegator),
        (per_chat_id(), bad_delegator),
        pave_event_space()(per_chat_id(), create_open, Counter, timeout=None, closes=closes),
    ], restart=IMMEDIATE)
    bot.handle(chat_message(1, "a"))
    bot.handle(chat_message(1, "b"))
    bot.settle()
    assert telegram.texts_to(1) == ["a#1", "b#2"]
    reported = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert sum("bad seeder" in m for m in reported) == 2  # not a conversation: reported, nothing to restart
    # the failing delegator is a conversation that cannot start: 'a' is given up after three
    # attempts, 'b' fails a fourth time within the minute and the conversation is quarantined
    assert sum("bad delegator" in m and "(after " not in m for m in reported) == 4
    assert sum("PoisonUpdate" in m for m in reported) == 1
    assert sum("ConversationQuarantined" in m for m in reported) == 1
    assert [(letter.reason, letter.update["text"]) for letter in bot.dead_letters] == [
        ("poison", "a"),
        ("quarantined", "b"),
    ]


# -- shutdown ----------------------------------------------------------------------------------------------------


def test_stop_closes_every_delegate_and_leaves_no_thread(make_bot, telegram, loopback_api) -> None:
    closes: list[Any] = []
    started_compute = threading.Event()

    class Inline(helper.InlineUserHandler, helper.AnswererMixin):
        def on_inline_query(self, msg: dict[str, Any]) -> None:
            def compute(cancel: threading.Event) -> list[Any]:
                started_compute.set()
                cancel.wait(10)
                return []

            self.answerer.answer(msg, compute)

    before = set(threading.enumerate())
    from actorbot import DelegatorBot
    from actorbot.delegate import per_inline_from_id
    from enginekit import TOKEN, inline_query

    with DelegatorBot(TOKEN, [
        pave_event_space()(per_chat_id(), create_open, Counter, timeout=60, closes=closes),
        (per_chat_id(types=["group"]), call(counting_function, limit=100)),
        pave_event_space()(per_inline_from_id(), create_open, Inline, timeout=60),
    ], api_url=loopback_api.url) as bot:
        bot.handle(chat_message(1, "a"))
        bot.handle(chat_message(2, "a"))
        bot.handle(chat_message(-5, "g", chat_type="group"))
        bot.handle(inline_query(9, "q"))
        assert started_compute.wait(5)
        telegram.wait("sendMessage", count=4)
    assert sorted(closes) == [(-5, "StopListening"), (1, "StopListening"), (2, "StopListening")]
    assert not telegram.api.calls("answerInlineQuery")  # the cancelled computation did not answer
    left = [t for t in set(threading.enumerate()) - before
            if t.is_alive() and not t.name.startswith("loopback")]  # the loopback server's own
    assert left == []
    with pytest.raises(RuntimeError):
        bot.handle(chat_message(1, "after stop"))


def test_settle_times_out_while_a_delegate_is_busy(make_bot, telegram) -> None:
    gate = threading.Event()

    class Slow(helper.ChatHandler):
        def on_chat_message(self, msg: dict[str, Any]) -> None:
            gate.wait(5)

    bot = make_bot([pave_event_space()(per_chat_id(), create_open, Slow, timeout=None)])
    bot.handle(chat_message(1, "x"))
    with pytest.raises(TimeoutError):
        bot.settle(timeout=0.1)
    gate.set()
    bot.settle()


def test_a_delegator_may_return_its_own_startable_object(make_bot, telegram) -> None:
    """telepot's third delegate form: an object with start() and is_alive() (a Thread here)."""

    class Worker(threading.Thread):
        def __init__(self, seed_tuple: Any) -> None:
            super().__init__(daemon=True)
            self.bot, self.msg, self.chat_id = seed_tuple
            self.listener = self.bot.create_listener()
            self.listener.capture([{"chat": {"id": self.chat_id}}])

        def run(self) -> None:
            try:
                self.bot.sendMessage(self.chat_id, f"first {self.msg['text']}")
                msg = self.listener.wait()
                self.bot.sendMessage(self.chat_id, f"then {msg['text']}")
            except Exception:  # StopListening when the bot stops first
                pass

    bot = make_bot([(per_chat_id(), Worker)])
    bot.handle(chat_message(1, "a"))
    bot.handle(chat_message(1, "b"))
    telegram.wait("sendMessage", count=2)
    assert telegram.texts_to(1) == ["first a", "then b"]
