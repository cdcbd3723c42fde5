"""Supervised conversations, as a user sees them: replies that still arrive after a handler
failed, poison updates and quarantined conversations in the dead letters, on_error told.

Every test drives the backoff with frozen time (``harness.advance``), so nothing sleeps.
"""

from __future__ import annotations

from typing import Any

from freezegun import freeze_time

from actorbot import DelegatorBot, RestartPolicy
from actorbot.api import NO_RETRY
from actorbot.delegate import create_open, pave_event_space, per_chat_id, supervised
from actorbot.emulator import Fault
from actorbot.exception import ConversationQuarantined, PoisonUpdate, ServerError
from actorbot.helper import ChatHandler


class Counter(ChatHandler):
    """Counts messages; a message "bad" always raises; every reply goes through the Bot API."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count = 0

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        if msg["text"] == "bad":
            raise ValueError("cannot handle 'bad'")
        self.count += 1
        self.sender.sendMessage(f"{msg['text']} #{self.count}")


def build(token: str, restart: RestartPolicy | None = None, **kwargs: Any) -> DelegatorBot:
    pattern = pave_event_space()(per_chat_id(), create_open, Counter, timeout=300)
    if restart is not None:
        pattern = supervised(pattern, restart)
    return DelegatorBot(token, [pattern], retry=NO_RETRY, **kwargs)


def texts(chat: Any) -> list[str]:
    return [m["text"] for m in chat.bot_messages()]


def test_a_transient_bot_api_failure_costs_a_delay_not_the_reply(run_bot) -> None:
    with freeze_time("2030-01-01 12:00:00") as frozen:
        harness = run_bot(build)
        alice = harness.sim.create_user("Alice")
        alice.send("one")
        harness.settle()
        harness.emulator.fail("sendMessage", Fault.server_error(502))
        with harness.expect_errors() as errors:
            alice.send("two")
            harness.settle(check_errors=False)
            alice.send("three")  # arrives during the backoff: kept, in order
            harness.settle(check_errors=False)
            assert texts(alice.chat) == ["one #1"]  # nothing yet: the restart is 0.5 s away
            harness.advance(frozen, 0.5)
        assert [type(e.exc) for e in errors] == [ServerError]
        assert errors[0].conversation.seed == alice.chat.id
        # The failed update was handled again by the restarted conversation (whose count
        # starts afresh: state survives restarts only with a store), then the one that waited.
        assert texts(alice.chat) == ["one #1", "two #1", "three #2"]
        assert len(harness.bot.dead_letters) == 0


def test_a_poison_update_goes_to_the_dead_letters_and_the_conversation_goes_on(run_bot) -> None:
    with freeze_time("2030-01-01 12:00:00") as frozen:
        harness = run_bot(lambda token, **kw: build(token, RestartPolicy(max_restarts=5), **kw))
        alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
        with harness.expect_errors() as errors:
            alice.send("bad")
            alice.send("after")
            bob.send("meanwhile")
            harness.settle(check_errors=False)
            assert texts(bob.chat) == ["meanwhile #1"]  # another chat is not held up
            harness.advance(frozen, 0.5)
            harness.advance(frozen, 1.0)  # the third failure: "bad" is given up
            harness.advance(frozen, 2.0)  # the restart after it, with the next update
        assert [type(e.exc) for e in errors] == [ValueError, ValueError, ValueError, PoisonUpdate]
        [letter] = harness.bot.dead_letters
        assert letter.update["text"] == "bad" and letter.reason == "poison"
        assert isinstance(letter.error, ValueError) and letter.conversation.seed == alice.chat.id
        assert texts(alice.chat) == ["after #1"]


def test_past_the_limit_a_conversation_is_quarantined_until_its_letters_are_retried(run_bot) -> None:
    told: list[BaseException] = []
    policy = RestartPolicy(max_restarts=1, within=60, poison_after=10)
    with freeze_time("2030-01-01 12:00:00") as frozen:
        harness = run_bot(lambda token, **kw: build(token, policy, on_error=lambda e, u, c: told.append(e), **kw))
        alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
        with harness.expect_errors():
            alice.send("bad")
            harness.settle(check_errors=False)
            harness.advance(frozen, 0.5)  # restarted once, failed again: quarantined
            alice.send("later")
            bob.send("hello")
            harness.settle(check_errors=False)
        assert [type(e) for e in told] == [ValueError, ValueError, ConversationQuarantined]
        assert texts(bob.chat) == ["hello #1"]
        assert texts(alice.chat) == []
        letters = harness.bot.dead_letters.snapshot()
        assert [(lt.update["text"], lt.reason) for lt in letters] == [("bad", "quarantined"), ("later", "quarantined")]
        # The program drops the bad one and retries the rest: the conversation lives again.
        assert harness.bot.dead_letters.discard(letters[:1]) == 1
        assert harness.bot.dead_letters.retry() == 1
        harness.settle()
        assert texts(alice.chat) == ["later #1"]
        alice.send("more")
        harness.settle()
        assert texts(alice.chat) == ["later #1", "more #2"]
        assert len(told) == 3  # quarantine was told once


def test_an_internal_engine_fault_stops_the_bot_with_a_clear_error(run_bot, monkeypatch) -> None:
    from actorbot.actors._supervisor import SupervisorActor
    from actorbot.exception import EngineFault

    harness = run_bot(build)
    alice = harness.sim.create_user("Alice")
    alice.send("one")
    harness.settle()
    real_route = SupervisorActor._route

    def broken_route(self: Any, route: Any) -> None:
        if isinstance(route.update, dict) and route.update.get("text") == "trigger":
            raise RuntimeError("a bug in routing")
        real_route(self, route)

    monkeypatch.setattr(SupervisorActor, "_route", broken_route)
    with harness.expect_errors(settle=False) as errors:
        alice.send("trigger")
        assert harness.loop is not None and harness.loop.join(10), "the loop did not stop"
    assert isinstance(harness.bot.fault, EngineFault)
    assert "internal engine error (RuntimeError: a bug in routing); the bot stops" in str(harness.bot.fault)
    assert [type(e.exc) for e in errors] == [EngineFault]
    assert not harness.bot.accepting
