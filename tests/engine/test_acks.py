"""Which offset a polling loop may confirm: the first update not done, with the liveness rule
(an unfinished update stops holding the offset after ``hold`` seconds or ``window`` later
updates). A pure object; time is an injected clock."""

from __future__ import annotations

from actorbot.actors._acks import Acks


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_offset_waits_for_the_first_update_not_done() -> None:
    acks = Acks(hold=60, clock=Clock())
    acks.accepted([10, 11, 12])
    assert acks.confirmable(13) == 10
    acks.finish(11)  # a later one done first: still held by 10
    assert acks.confirmable(13) == 10
    acks.finish(10)
    assert acks.confirmable(13) == 12
    acks.finish(12)
    assert acks.confirmable(13) == 13 and acks.unfinished == 0


def test_an_update_is_done_once_every_unit_ended() -> None:
    acks = Acks(hold=60, clock=Clock())
    acks.accepted([5])
    acks.add(5, 2)  # delivered to two conversations
    assert not acks.finish(5)  # routing done
    assert not acks.finish(5)
    assert acks.confirmable(6) == 5
    assert acks.finish(5)
    assert acks.confirmable(6) == 6


def test_a_slow_update_stops_holding_the_offset_after_the_hold() -> None:
    clock = Clock()
    acks = Acks(hold=2.0, clock=clock)
    acks.accepted([1, 2])
    acks.finish(2)
    clock.now = 1.9
    assert acks.confirmable(3) == 1
    clock.now = 2.0
    assert acks.confirmable(3) == 3  # let go: other chats' updates are confirmed past it
    assert acks.unfinished == 1  # still counted: a graceful stop waits for it
    assert not acks.wait_all_done(0)
    acks.finish(1)
    assert acks.wait_all_done(0)


def test_a_slow_update_stops_holding_the_offset_past_the_window() -> None:
    acks = Acks(hold=60, window=50, clock=Clock())
    acks.accepted(range(100, 151))
    for uid in range(101, 151):
        acks.finish(uid)
    assert acks.confirmable(150) == 100  # 50 later: still within the window
    assert acks.confirmable(151) == 151  # 51 later: getUpdates would return little else


def test_with_a_journal_everything_accepted_is_confirmable() -> None:
    acks = Acks(journaled=True, clock=Clock())
    acks.accepted([1, 2, 3])
    assert acks.confirmable(4) == 4
