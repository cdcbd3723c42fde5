"""Forgetting ``pave_event_space()`` gives an error that says what to do."""

from __future__ import annotations

from typing import Any

import pytest

from actorbot import DelegatorBot
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler, UserHandler
from actorbot.testing import HandlerError


class Counter(ChatHandler):
    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.sender.sendMessage("counted")


HINT = (
    "Counter needs an event space: wrap its delegation pattern in pave_event_space(), "
    "e.g. pave_event_space()(per_chat_id(), create_open, Counter, timeout=10)"
)


def build_without_event_space(token: str, **bot_kwargs: Any) -> DelegatorBot:
    pattern = (per_chat_id(), create_open(Counter, timeout=10))  # pave_event_space() forgotten
    return DelegatorBot(token, [pattern], **bot_kwargs)


def test_a_handler_without_an_event_space_reports_the_fix(run_bot) -> None:
    harness = run_bot(build_without_event_space)
    alice = harness.sim.create_user("Alice")
    with harness.expect_errors() as errors:
        alice.send("hi")
    assert alice.chat.text() == "Alice: hi"  # no reply: the handler could not start
    assert isinstance(errors[0].exc, TypeError) and str(errors[0].exc) == HINT


def test_the_test_kit_fails_with_the_hint(run_bot) -> None:
    harness = run_bot(build_without_event_space)
    harness.sim.create_user("Alice").send("hi")
    with pytest.raises(HandlerError, match=r"TypeError: Counter needs an event space: wrap its delegation pattern"):
        harness.settle()


def test_the_same_pattern_in_pave_event_space_runs(run_bot) -> None:
    def build(token: str, **bot_kwargs: Any) -> DelegatorBot:
        return DelegatorBot(token, [pave_event_space()(per_chat_id(), create_open, Counter, timeout=10)], **bot_kwargs)

    harness = run_bot(build)
    alice = harness.sim.create_user("Alice")
    alice.send("hi")
    harness.settle()
    assert alice.chat.text() == "Alice: hi\nbot: counted"


class FakeBot:
    def create_listener(self) -> object:
        return object()


def test_the_hint_is_raised_when_the_handler_is_built_directly() -> None:
    with pytest.raises(TypeError, match=r"wrap its delegation pattern in pave_event_space\(\)"):
        Counter((FakeBot(), {"chat": {"id": 1}}, 1), timeout=10)


def test_the_hint_names_the_seeder_of_the_handler_kind() -> None:
    class Tracker(UserHandler):
        pass

    with pytest.raises(TypeError) as raised:
        Tracker((FakeBot(), {"from": {"id": 1}}, 1), timeout=10)
    assert "pave_event_space()(per_from_id(), create_open, Tracker, timeout=10)" in str(raised.value)
