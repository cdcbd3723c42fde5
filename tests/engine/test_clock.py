"""The engine clock under freezegun: frozen on every thread (actor threads included), and
real waits never frozen."""

from __future__ import annotations

import threading
import time
from typing import Any

import pykka
from freezegun import freeze_time

from actorbot.actors import Deadline, EventScheduler, now, real_monotonic

FROZEN = 1704067200.0  # 2024-01-01 00:00:00 UTC


class _Reader(pykka.ThreadingActor):
    def on_receive(self, message: Any) -> Any:
        # Read directly in on_receive: 5 frames from threading's run(); without the
        # clock's shield freezegun would answer with real time here.
        return now()


def test_now_is_frozen_in_an_actor_thread() -> None:
    with freeze_time("2024-01-01 00:00:00") as frozen:
        ref = _Reader.start()
        try:
            assert ref.ask("now") == FROZEN
            frozen.tick(42)
            assert ref.ask("now") == FROZEN + 42
        finally:
            ref.stop()


def test_now_is_frozen_in_a_plain_thread_and_real_otherwise() -> None:
    seen: list[float] = []
    with freeze_time("2024-01-01 00:00:00"):
        t = threading.Thread(target=lambda: seen.append(now()))
        t.start()
        t.join()
    assert seen == [FROZEN]
    assert abs(now() - time.time()) < 1.0


def test_real_monotonic_moves_while_time_is_frozen() -> None:
    with freeze_time("2024-01-01 00:00:00"):
        start = real_monotonic()
        threading.Event().wait(0.02)
        assert real_monotonic() - start >= 0.015
        deadline = Deadline(0.01)
        threading.Event().wait(0.02)
        assert deadline.expired() and deadline.remaining() == 0.0
    assert Deadline(None).remaining() is None


def test_scheduler_fires_after_frozen_time_moves_and_a_poke() -> None:
    fired = threading.Event()
    got: list[Any] = []

    def sink(data: Any) -> None:
        got.append(data)
        fired.set()

    scheduler = EventScheduler(sink)
    try:
        with freeze_time("2024-01-01 00:00:00") as frozen:
            event = scheduler.event_later(30, {"_alarm": {}})
            assert event.timestamp == FROZEN + 30
            assert not fired.wait(0.05)  # frozen: not due, whatever the real time
            frozen.tick(31)
            assert scheduler.has_due()
            scheduler.poke()
            assert fired.wait(2.0)
            assert got == [{"_alarm": {}}]
    finally:
        scheduler.stop()


def test_scheduler_sleeps_until_due_in_real_time() -> None:
    fired = threading.Event()
    scheduler = EventScheduler(lambda data: fired.set())
    try:
        started = real_monotonic()
        scheduler.event_later(0.05, {"_x": {}})
        assert fired.wait(2.0)
        assert real_monotonic() - started >= 0.04
    finally:
        scheduler.stop()


def test_cancel_and_event_not_found() -> None:
    from actorbot.exception import EventNotFound

    scheduler = EventScheduler(lambda data: None)
    try:
        with freeze_time("2024-01-01 00:00:00"):
            event = scheduler.event_later(10, {"_x": {}})
            scheduler.cancel(event)
            try:
                scheduler.cancel(event)
            except EventNotFound as exc:
                assert exc.event is event
            else:
                raise AssertionError("cancelling twice must raise EventNotFound")
            assert len(scheduler) == 0
    finally:
        scheduler.stop()


def test_a_plain_bots_scheduler_hands_events_to_its_sink_and_settles() -> None:
    got: list[Any] = []
    scheduler = EventScheduler(got.append)
    try:
        with freeze_time("2024-01-01 00:00:00") as frozen:
            scheduler.event_later(5, {"_a": {"n": 1}})
            scheduler.event_later(10, lambda: {"_b": {"n": 2}})  # telepot's data-producing function
            scheduler.event_later(10, lambda: None)  # produces nothing: nothing is emitted
            frozen.tick(6)
            scheduler.settle()
            assert got == [{"_a": {"n": 1}}]
            frozen.tick(5)
            scheduler.settle()
            assert got == [{"_a": {"n": 1}}, {"_b": {"n": 2}}]
    finally:
        scheduler.stop()


def test_postpone_moves_a_pending_event_and_keeps_its_handle() -> None:
    got: list[Any] = []
    scheduler = EventScheduler(got.append)
    try:
        with freeze_time("2024-01-01 00:00:00") as frozen:
            later = scheduler.event_later(10, {"_later": {}})
            other = scheduler.event_later(15, {"_other": {}})
            assert scheduler.postpone_later(later, 20)  # due at +20 now, after the other
            assert later.timestamp == FROZEN + 20
            assert scheduler.next_due() == FROZEN + 15  # the stale +10 entry does not count
            frozen.tick(12)
            scheduler.settle()
            assert got == [] and scheduler.is_pending(later)
            frozen.tick(4)  # +16
            scheduler.settle()
            assert got == [{"_other": {}}]
            assert not scheduler.postpone_later(other, 5)  # fired: nothing to move
            assert scheduler.postpone(later, FROZEN + 17)  # earlier again
            frozen.tick(1)  # +17
            scheduler.settle()
            assert got == [{"_other": {}}, {"_later": {}}]
            assert len(scheduler) == 0
            event = scheduler.event_later(5, {"_x": {}})
            scheduler.cancel(event)
            assert not scheduler.postpone_later(event, 5)  # cancelled: nothing to move
    finally:
        scheduler.stop()
