"""A handler's constructor runs on its own conversation's thread, not the supervisor's: a slow
constructor delays its own chat only, and one that raises fails like ``open()`` would."""

from __future__ import annotations

import threading
from typing import Any

from freezegun import freeze_time

from actorbot import DelegatorBot
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler


def texts(chat: Any) -> list[str]:
    return [m["text"] for m in chat.bot_messages()]


def test_a_slow_constructor_delays_only_its_own_conversation(run_bot) -> None:
    entered, release = threading.Event(), threading.Event()
    built_on: list[str] = []

    class SlowToBuild(ChatHandler):
        def __init__(self, seed_tuple: Any, **kwargs: Any) -> None:
            super().__init__(seed_tuple, **kwargs)  # registers its captures (chat id, events)
            built_on.append(threading.current_thread().name)
            if seed_tuple[1]["text"] == "slow":
                entered.set()
                release.wait(10)

        def on_chat_message(self, msg: dict[str, Any]) -> None:
            self.sender.sendMessage("got " + msg["text"])

    def build(token: str, **kwargs: Any) -> DelegatorBot:
        return DelegatorBot(token, [pave_event_space()(per_chat_id(), create_open, SlowToBuild, timeout=60)],
                            **kwargs)

    harness = run_bot(build)
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    try:
        alice.send("slow")
        assert entered.wait(5)
        alice.send("next")  # for Alice's conversation while its handler is being built: it waits, in order
        bob.send("hi")
        harness.sim.wait_until(lambda: texts(bob.chat) == ["got hi"], 5, what="Bob's reply while Alice's blocks")
        assert texts(alice.chat) == []
    finally:
        release.set()
    harness.settle()
    assert texts(alice.chat) == ["got slow", "got next"]
    assert [c.seed for c in harness.bot.conversations()] == [alice.chat.id, bob.chat.id]  # one each
    assert not any(name.startswith("SupervisorActor") for name in built_on), built_on


def test_a_constructor_that_raises_is_reported_and_its_update_handled_again(run_bot) -> None:
    attempts: list[str] = []

    class Flaky(ChatHandler):
        def __init__(self, seed_tuple: Any, **kwargs: Any) -> None:
            attempts.append(seed_tuple[1]["text"])
            if len(attempts) == 1:
                raise ConnectionError("the database is not up yet")
            super().__init__(seed_tuple, **kwargs)

        def on_chat_message(self, msg: dict[str, Any]) -> None:
            self.sender.sendMessage("got " + msg["text"])

    def build(token: str, **kwargs: Any) -> DelegatorBot:
        return DelegatorBot(token, [pave_event_space()(per_chat_id(), create_open, Flaky, timeout=60)], **kwargs)

    with freeze_time("2030-01-01 12:00:00") as frozen:
        harness = run_bot(build)
        alice = harness.sim.create_user("Alice")
        with harness.expect_errors() as errors:
            alice.send("one")
            harness.settle(check_errors=False)
            alice.send("two")  # during the restart's backoff: kept, in order
            harness.settle(check_errors=False)
            assert texts(alice.chat) == []
            harness.advance(frozen, 0.5)  # RestartPolicy's first backoff
        assert [type(e.exc) for e in errors] == [ConnectionError]
        assert errors[0].conversation is not None and errors[0].conversation.seed == alice.chat.id
        assert texts(alice.chat) == ["got one", "got two"]
        assert attempts == ["one", "one"]
