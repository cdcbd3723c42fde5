"""The Reorderer state machine behind OrderedWebhook: telepot's maxhold rules, time passed explicitly."""

from __future__ import annotations

import logging

import pytest

from actorbot.loop import Reorderer


def push(r: Reorderer[str], update_id: int, now: float = 0.0) -> list[str]:
    result = r.push(update_id, f"u{update_id}", now)
    assert result.rejected is None, f"u{update_id} was rejected"
    return list(result.ready)


def test_in_order_updates_are_released_at_once() -> None:
    r: Reorderer[str] = Reorderer(maxhold=3)
    assert push(r, 1) == ["u1"]
    assert push(r, 2) == ["u2"]
    assert push(r, 3) == ["u3"]
    assert r.next_deadline() is None


def test_the_first_update_is_released_whatever_its_id() -> None:
    r: Reorderer[str] = Reorderer(maxhold=3)
    assert push(r, 1000) == ["u1000"]
    assert r.next_id == 1001


def test_an_early_update_waits_for_the_missing_one() -> None:
    r: Reorderer[str] = Reorderer(maxhold=3)
    assert push(r, 1) == ["u1"]
    assert push(r, 4, now=0.5) == []
    assert push(r, 3, now=1.0) == []
    assert r.held_ids == [3, 4]
    assert r.next_deadline() == 3.5  # from when the gap was first seen
    assert push(r, 2, now=2.0) == ["u2", "u3", "u4"]
    assert r.next_deadline() is None


def test_a_missing_update_is_given_up_after_maxhold(caplog: pytest.LogCaptureFixture) -> None:
    r: Reorderer[str] = Reorderer(maxhold=3)
    push(r, 1, now=10.0)
    assert push(r, 3, now=10.0) == []
    assert r.release(12.9) == ()
    with caplog.at_level(logging.WARNING, logger="actorbot.loop"):
        assert r.release(13.0) == ("u3",)
    assert any("update 2 did not arrive within maxhold=3" in m for m in caplog.messages)
    # The late one is released when it finally comes (out of order: never lost) ...
    late = r.push(2, "u2", now=14.0)
    assert late.ready == ("u2",) and late.rejected is None
    # ... but a duplicate of anything released is rejected.
    assert r.push(2, "u2 again", now=14.0).rejected == "u2 again"
    assert r.push(3, "u3 again", now=14.0).rejected == "u3 again"
    assert push(r, 4, now=14.0) == ["u4"]


def test_gaps_seen_at_different_times_expire_at_different_times() -> None:
    r: Reorderer[str] = Reorderer(maxhold=3)
    push(r, 1, now=0.0)
    assert push(r, 4, now=0.0) == []  # 2 and 3 missing since t=0
    assert push(r, 7, now=2.0) == []  # 5 and 6 missing since t=2
    assert r.release(3.0) == ("u4",)  # 2, 3 given up; 5 still has time
    assert r.next_id == 5
    assert r.next_deadline() == 5.0
    assert push(r, 5, now=4.0) == ["u5"]
    assert r.release(4.99) == ()
    assert r.release(5.0) == ("u7",)  # 6 given up
    assert r.next_deadline() is None


def test_a_partly_filled_gap_releases_what_arrived_when_it_expires() -> None:
    r: Reorderer[str] = Reorderer(maxhold=3)
    push(r, 1, now=0.0)
    assert push(r, 5, now=0.0) == []
    assert push(r, 3, now=1.0) == []
    assert r.release(3.0) == ("u3", "u5")  # 2 and 4 given up, 3 and 5 released in order


def test_an_arrival_also_releases_expired_gaps() -> None:
    r: Reorderer[str] = Reorderer(maxhold=3)
    push(r, 1, now=0.0)
    assert push(r, 3, now=0.0) == []
    assert push(r, 4, now=5.0) == ["u3", "u4"]


def test_maxhold_zero_never_holds() -> None:
    r: Reorderer[str] = Reorderer(maxhold=0)
    push(r, 1)
    assert push(r, 3) == ["u3"]
    assert r.push(2, "u2", 0.0).ready == ("u2",)  # late, released out of order
    assert r.push(3, "u3", 0.0).rejected == "u3"  # a duplicate


def test_a_huge_jump_costs_no_memory_per_missing_id() -> None:
    r: Reorderer[str] = Reorderer(maxhold=3, max_gap=10**13)
    push(r, 1)
    assert push(r, 10**12) == []
    assert r.release(3.0) == ("u1000000000000",)
    assert r.next_id == 10**12 + 1


def test_after_a_long_silence_a_lower_id_starts_a_new_sequence() -> None:
    # The Bot API picks a random next update_id after a week without updates.
    r: Reorderer[str] = Reorderer(maxhold=3, idle_reset=3600)
    push(r, 500, now=0.0)
    assert r.push(400, "u400", now=10.0).ready == ("u400",)  # never seen: released late, not lost
    assert push(r, 77, now=10.0 + 3600) == ["u77"]
    assert r.next_id == 78


def test_an_update_overtaken_by_the_first_one_is_released_late() -> None:
    r: Reorderer[str] = Reorderer(maxhold=3)
    assert push(r, 2) == ["u2"]  # two POSTs at once: 2 won the race
    assert push(r, 1) == ["u1"]
    assert r.push(1, "dup", 0.0).rejected == "dup"


def test_duplicates_are_remembered_within_the_memory_window() -> None:
    r: Reorderer[str] = Reorderer(maxhold=3, memory=2)
    for i in (1, 2, 3):
        push(r, i)
    assert r.push(3, "dup", 0.0).rejected == "dup"
    assert r.push(2, "dup", 0.0).rejected == "dup"
    assert r.push(1, "old", 0.0).ready == ("old",)  # beyond the window: taken as never seen


def test_a_forgotten_update_is_released_again_not_rejected_as_a_duplicate() -> None:
    r: Reorderer[str] = Reorderer(maxhold=3)
    for i in (1, 2):
        push(r, i)
    r.forget(2)  # refused after its release (the store failed): Telegram delivers it again
    r.forget(5)  # never released: nothing to forget
    assert r.push(2, "again", 0.0).ready == ("again",)
    assert r.push(2, "dup", 0.0).rejected == "dup"
    assert push(r, 3) == ["u3"]


def test_drain_returns_everything_held_in_order() -> None:
    r: Reorderer[str] = Reorderer(maxhold=3)
    push(r, 1)
    push(r, 5)
    push(r, 3)
    assert r.drain() == ["u3", "u5"]
    assert r.held_ids == []


def test_negative_maxhold_is_refused() -> None:
    with pytest.raises(ValueError):
        Reorderer(maxhold=-1)


def test_an_implausible_id_is_rejected_and_changes_nothing() -> None:
    r: Reorderer[str] = Reorderer(maxhold=3, max_gap=1000)
    push(r, 1)
    result = r.push(10**30, "bogus", 0.0)
    assert (result.ready, result.rejected, result.reason) == ((), "bogus", "implausible")
    assert push(r, 2) == ["u2"]  # the sequence goes on in order
    assert r.push(-(10**30), "low", 0.0).reason == "implausible"
    assert push(r, 3) == ["u3"]


def test_implausible_ids_that_continue_each_other_start_a_new_sequence() -> None:
    r: Reorderer[str] = Reorderer(maxhold=3, max_gap=1000, rebase_after=3)
    push(r, 1)
    assert r.push(5_000_000, "a", 0.0).reason == "implausible"
    assert r.push(5_000_001, "b", 0.0).reason == "implausible"
    assert push(r, 5_000_002) == ["u5000002"]
    assert push(r, 5_000_003) == ["u5000003"]
