"""FloodGate alone, on a ManualClock: lanes, deadlines, the global pause, the wait bound."""

from __future__ import annotations

import threading

import pytest
from floodkit import Sends, eventually, too_many

from actorbot.api import CancelToken, FloodGate, FloodPolicy, ManualClock
from actorbot.exception import RequestCancelled, TooManyRequestsError


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1000.0)


def test_a_call_that_is_never_refused_never_waits(clock):
    gate = FloodGate(clock=clock)
    sends = Sends(gate)
    sends.call("a", 1, [None])
    sends.call("b", None, [None])
    assert sends.outcomes == {"a": "ok", "b": "ok"}
    assert gate.stats().paused_seconds == 0 and gate.waiting(1) == 0


def test_a_429_pauses_only_its_chat_and_its_queue_follows_in_order(clock):
    gate = FloodGate(clock=clock)
    sends = Sends(gate)
    sends.start("a1", 1, [5, None])  # refused, retry after 5
    eventually(lambda: sends.sent("a1") == 1)
    sends.start("a2", 1, [None])
    sends.start("a3", 1, [None])
    assert gate.deadline(1) == 1005.0 and gate.waiting(1) == 3
    sends.call("b", 2, [None])  # another chat: at once, the clock has not moved
    assert sends.outcomes["b"] == "ok" and sends.attempts[-1] == ("b", 1000.0)
    clock.advance(4.9)
    gate.nudge()
    assert not sends.done("a1", "a2", "a3")  # still before the deadline
    assert gate.stats().lane_waiting_largest == 3
    clock.advance(0.1)
    eventually(lambda: sends.done("a1", "a2", "a3"))
    sends.join()
    assert sends.order() == ["a1", "b", "a1", "a2", "a3"]
    assert [t for n, t in sends.attempts if n != "b"][1:] == [1005.0] * 3
    stats = gate.stats()
    assert (stats.chat_429s, stats.global_429s, stats.paused_seconds) == (1, 0, 5.0)


def test_the_deadline_is_never_released_early(clock):
    gate = FloodGate(clock=clock)
    sends = Sends(gate)
    sends.start("a1", 1, [10, None])
    eventually(lambda: sends.sent("a1") == 1)
    clock.advance(3)  # a success elsewhere changes nothing
    sends.call("b", 2, [None])
    assert gate.deadline(1) == 1010.0
    clock.advance(6.9)
    gate.nudge()
    assert sends.sent("a1") == 1
    clock.advance(0.1)
    eventually(lambda: sends.done("a1"))
    sends.join()
    assert sends.attempts[-1] == ("a1", 1010.0)


def test_deadlines_combine_with_max(clock):
    gate = FloodGate(clock=clock)
    sends = Sends(gate)
    sends.start("a", 1, [8, 2, None])  # 8 s, then (at 1008) 2 s more
    eventually(lambda: sends.sent("a") == 1)
    clock.advance(8)
    eventually(lambda: sends.sent("a") == 2)
    assert gate.deadline(1) == 1010.0
    clock.advance(2)
    eventually(lambda: sends.done("a"))
    sends.join()
    assert [t for _, t in sends.attempts] == [1000.0, 1008.0, 1010.0]


def test_a_429_without_a_chat_pauses_everyone(clock):
    gate = FloodGate(clock=clock)
    sends = Sends(gate)
    sends.start("me", None, [3, None])
    eventually(lambda: sends.sent("me") == 1)
    assert gate.deadline() == 1003.0
    sends.start("a", 1, [None])
    sends.start("b", 2, [None])
    sends.start("updates", None, [None], "getUpdates")
    clock.advance(2.9)
    gate.nudge()
    assert sends.order() == ["me"]
    clock.advance(0.1)
    eventually(lambda: sends.done("me", "a", "b", "updates"))
    sends.join()
    assert all(t == 1003.0 for n, t in sends.attempts[1:])
    assert gate.stats().global_429s == 1


def test_429s_from_many_chats_at_once_pause_everyone(clock):
    gate = FloodGate(FloodPolicy(global_after_chats=3, global_window=1.0), clock=clock)
    sends = Sends(gate)
    for chat in (1, 2):
        sends.start(f"c{chat}", chat, [4, None])
        eventually(lambda chat=chat: sends.sent(f"c{chat}") == 1)
    assert gate.deadline() == float("-inf")  # two chats: still only their lanes
    sends.call("free", 9, [None])
    assert sends.outcomes["free"] == "ok"
    sends.start("c3", 3, [4, None])
    eventually(lambda: sends.sent("c3") == 1)
    assert gate.deadline() == 1004.0  # the third chat within a second: the whole bot
    sends.start("late", 10, [None])
    assert sends.sent("late") == 0
    clock.advance(4)
    eventually(lambda: sends.done("c1", "c2", "c3", "late"))
    sends.join()
    assert gate.stats().global_pauses == 1


def test_retries_are_not_capped_at_two(clock):
    gate = FloodGate(clock=clock, max_wait=60)
    sends = Sends(gate)
    sends.start("a", 1, [1, 1, 1, 1, 1, None])
    for n in range(1, 6):
        eventually(lambda n=n: sends.sent("a") == n)
        clock.advance(1)
    eventually(lambda: sends.done("a"))
    sends.join()
    assert sends.outcomes["a"] == "ok" and sends.sent("a") == 6


def test_past_the_wait_bound_the_caller_gets_a_clear_error(clock):
    gate = FloodGate(clock=clock, max_wait=10)
    sends = Sends(gate)
    sends.start("a", 1, [6, 6, None])
    eventually(lambda: sends.sent("a") == 1)
    clock.advance(6)
    eventually(lambda: sends.done("a"))
    sends.join()
    error = sends.outcomes["a"]
    assert isinstance(error, TooManyRequestsError)
    assert "would wait 12s" in str(error) and "10s allowed" in str(error)
    assert isinstance(error.__cause__, TooManyRequestsError) and error.__cause__.retry_after == 6
    assert error.retry_after == 6  # the server's answer is kept


def test_a_cancelled_call_stops_waiting(clock):
    gate = FloodGate(clock=clock)
    sends = Sends(gate)
    sends.start("a", 1, [30, None])
    eventually(lambda: sends.sent("a") == 1)
    token = CancelToken()
    errors: list[BaseException] = []

    def queued() -> None:
        try:
            with gate.passage("sendMessage", {"chat_id": 1}, token) as passage:
                passage.wait_turn()
        except RequestCancelled as exc:
            errors.append(exc)

    thread = threading.Thread(target=queued)
    thread.start()
    eventually(lambda: gate.waiting(1) == 2)
    token.cancel()
    thread.join(5)
    assert len(errors) == 1 and errors[0].sent is False
    assert gate.waiting(1) == 1
    clock.advance(30)
    eventually(lambda: sends.done("a"))
    sends.join()


def test_stopping_interrupts_a_flood_wait_with_the_429(clock):
    stop = threading.Event()
    gate = FloodGate(clock=clock, stop=stop)
    sends = Sends(gate)
    sends.start("a", 1, [30, None])
    eventually(lambda: sends.sent("a") == 1)
    stop.set()
    eventually(lambda: sends.done("a"))
    sends.join()
    assert isinstance(sends.outcomes["a"], TooManyRequestsError)


def test_without_lanes_a_chat_429_pauses_everyone(clock):
    gate = FloodGate(FloodPolicy(lanes=False), clock=clock)
    sends = Sends(gate)
    sends.start("a", 1, [2, None])
    eventually(lambda: sends.sent("a") == 1)
    assert gate.deadline() == 1002.0
    clock.advance(2)
    eventually(lambda: sends.done("a"))
    sends.join()


def test_a_429_exception_helper_matches_the_api():
    assert too_many(3).retry_after == 3.0
