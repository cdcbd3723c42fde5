"""Putting webhook updates back in ``update_id`` order: :class:`Reorderer`, a pure state machine.

It does no I/O, starts no thread and reads no clock: the caller passes ``now``.
:class:`~actorbot.loop.OrderedWebhook` drives it from its loop thread.

The rules are telepot's ``maxhold`` rules:

* the first update ever seen is released at once and fixes the expected next id;
* an update whose id is the next expected one is released, followed by every
  held update that now continues the sequence;
* an update that skips ids is held; each missing id is waited for at most
  ``maxhold`` seconds from the moment the gap was first seen, then given up,
  and the held updates behind it are released;
* an id the caller refused (:meth:`Reorderer.skip`: a webhook answered it 503, so
  Telegram delivers it again later) is not waited for; its copy is released when
  it comes, late if its turn has passed;
* an update whose id is below the next expected one is released at once, out of
  order, if it was never released (it came after its turn was given up, or it was
  overtaken by the very first update): nothing acknowledged is ever dropped. Only a
  duplicate of an update already released (Telegram retrying a delivery) is
  rejected; the ids released recently (``memory`` of them) are remembered for that.

Plausibility: ``update_id`` values grow by one per update, so an id more than
``max_gap`` away from the sequence is implausible (a forged or corrupted update,
such as one id of 10**30 that would otherwise make every real update "too old"):
it is rejected (``PushResult.reason == "implausible"``) and changes nothing. Should
Telegram itself jump that far (e.g. pending updates dropped while the bot runs),
``rebase_after`` implausible ids in a row that continue each other start a new
sequence; the ones before it are rejected.

One deliberate addition: the Bot API picks a *random* next ``update_id`` after a
week without updates, so after ``idle_reset`` seconds without any update (and
nothing held) the next update is treated as the first one again instead of
being rejected as "too old" forever.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

from ._refusals import RefusalLog

__all__ = ["Reorderer", "PushResult", "DEFAULT_MAX_GAP"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Default of ``idle_reset``: a day (the Bot API's random jump needs a week of silence).
DEFAULT_IDLE_RESET = 24 * 60 * 60.0

#: Default of ``max_gap``: the farthest a next ``update_id`` may be from the sequence.
DEFAULT_MAX_GAP = 1_000_000

#: Default of ``rebase_after``: implausible ids in a row that start a new sequence.
DEFAULT_REBASE_AFTER = 3


@dataclass(frozen=True)
class PushResult(Generic[T]):
    """What one :meth:`Reorderer.push` decided."""

    #: Items now released, in ``update_id`` order.
    ready: tuple[T, ...]
    #: The pushed item when it is rejected: a duplicate of an update already
    #: released, or an implausible ``update_id``.
    rejected: T | None = None
    #: Why it was rejected: ``"duplicate"`` or ``"implausible"``.
    reason: str | None = None


@dataclass(frozen=True)
class _Gap:
    """Missing ids below ``end`` (not yet released) are given up at ``deadline``."""

    end: int
    deadline: float


class Reorderer(Generic[T]):
    """Holds out-of-order items and releases them in ``update_id`` order (see the module doc).

    Not thread-safe: one thread drives it.
    """

    def __init__(
        self,
        maxhold: float = 3.0,
        *,
        idle_reset: float = DEFAULT_IDLE_RESET,
        memory: int = 10_000,
        max_gap: int = DEFAULT_MAX_GAP,
        rebase_after: int = DEFAULT_REBASE_AFTER,
    ) -> None:
        if maxhold < 0:
            raise ValueError("maxhold must not be negative")
        if max_gap < 1 or rebase_after < 1:
            raise ValueError("max_gap and rebase_after must be positive")
        self.max_gap = max_gap
        #: Updates released late, out of order: logged in aggregate (a burst of them is common).
        self.late = RefusalLog(log, "updates released late, out of order")
        self.rebase_after = rebase_after
        self._strays: list[int] = []  # implausible ids in a row that continue each other
        self._released: set[int] = set()
        self._release_order: deque[int] = deque()
        self._memory = memory
        self.maxhold = float(maxhold)
        self.idle_reset = float(idle_reset)
        self._next: int | None = None  # the id released next
        self._frontier = 0  # one past the highest id seen (valid once _next is set)
        self._held: dict[int, T] = {}
        self._skipped: set[int] = set()  # refused ids at or above _next: not waited for
        self._gaps: list[_Gap] = []  # increasing ``end`` and non-decreasing ``deadline``
        self._last_seen: float | None = None

    # -- queries -------------------------------------------------------------------
    @property
    def next_id(self) -> int | None:
        """The ``update_id`` released next (None before the first update)."""
        return self._next

    def held(self, update_id: int) -> T | None:
        """The item held for ``update_id``, if any."""
        return self._held.get(update_id)

    @property
    def held_ids(self) -> list[int]:
        return sorted(self._held)

    def next_deadline(self) -> float | None:
        """When the earliest missing id will be given up (None if nothing waits for a gap)."""
        if self._next is None or self._next >= self._frontier or self._next in self._held:
            return None
        for gap in self._gaps:
            if gap.end > self._next:
                return gap.deadline
        return None  # unreachable while the invariants hold

    # -- transitions ---------------------------------------------------------------
    def push(self, update_id: int, item: T, now: float) -> PushResult[T]:
        """Take one item (whose id is not held already) at time ``now``."""
        if (
            self._last_seen is not None
            and now - self._last_seen >= self.idle_reset
            and not self._held
            and self._next is not None
        ):
            log.info("no update for %.0f s: update_id %d starts a new sequence", now - self._last_seen, update_id)
            self._next = None
            self._gaps.clear()
            self._skipped.clear()
        flushed: tuple[T, ...] = ()
        if self._next is not None and not self._plausible(update_id):
            if not self._rebase(update_id):
                return PushResult((), item, "implausible")
            log.warning(
                "update_id jumped to %d (%d such ids in a row): a new sequence starts", update_id, self.rebase_after
            )
            flushed = tuple(self.drain())  # nothing held is lost: released ahead of the new sequence
            self._next = None
            self._gaps.clear()
            self._skipped.clear()
        self._strays.clear()
        self._last_seen = now
        if self._next is None:
            self._next = update_id
            self._frontier = update_id
        if update_id in self._held or update_id in self._released:
            return PushResult(flushed, item, "duplicate")
        self._skipped.discard(update_id)  # refused before, delivered again: in order after all
        if update_id < self._next:
            self.late.refused("arrived after their turn")
            self._remember(update_id)
            return PushResult((*flushed, item))
        self._held[update_id] = item
        if update_id > self._frontier:
            self._gaps.append(_Gap(update_id, now + self.maxhold))
        self._frontier = max(self._frontier, update_id + 1)
        return PushResult(flushed + self._collect(now))

    def _plausible(self, update_id: int) -> bool:
        assert self._next is not None
        low = self._next - self.max_gap
        high = max(self._next, self._frontier) + self.max_gap
        return low <= update_id <= high

    def _rebase(self, update_id: int) -> bool:
        """Count one implausible id; True once ``rebase_after`` in a row continue each other."""
        if self._strays and abs(update_id - self._strays[-1]) > self.max_gap:
            self._strays.clear()
        self._strays.append(update_id)
        if len(self._strays) < self.rebase_after:
            return False
        self._strays.clear()
        return True

    def release(self, now: float) -> tuple[T, ...]:
        """Give up missing ids whose deadline passed and return what that released."""
        if self._next is None:
            return ()
        return self._collect(now)

    def drain(self) -> list[T]:
        """Remove and return every held item (in id order), e.g. when the loop stops."""
        items = [self._held[k] for k in sorted(self._held)]
        self._held.clear()
        return items

    def skip(self, update_id: int, now: float) -> tuple[T, ...]:
        """Do not wait for ``update_id``: it was refused (Telegram delivers it again, and that
        copy is then released as it comes). Returns what this released."""
        if self._next is None or update_id < self._next or update_id in self._held:
            return ()
        if not self._plausible(update_id):
            return ()
        self._skipped.add(update_id)
        if update_id > self._frontier:
            self._gaps.append(_Gap(update_id, now + self.maxhold))
        self._frontier = max(self._frontier, update_id + 1)
        return self._collect(now)

    def forget(self, update_id: int) -> None:
        """Forget that ``update_id`` was released (it was refused after all, e.g. the store
        failed): a copy pushed later is released (late) instead of rejected as a duplicate."""
        if update_id in self._released:
            self._released.discard(update_id)
            self._release_order.remove(update_id)

    def _remember(self, update_id: int) -> None:
        self._released.add(update_id)
        self._release_order.append(update_id)
        if len(self._release_order) > self._memory:
            self._released.discard(self._release_order.popleft())

    def _collect(self, now: float) -> tuple[T, ...]:
        assert self._next is not None
        ready: list[T] = []
        while True:
            if self._next in self._held:
                ready.append(self._held.pop(self._next))
                self._remember(self._next)
                self._next += 1
                continue
            if self._next in self._skipped:
                self._skipped.discard(self._next)
                self._next += 1
                continue
            if self._next >= self._frontier:
                break
            while self._gaps and self._gaps[0].end <= self._next:
                self._gaps.pop(0)
            if not self._gaps or self._gaps[0].deadline > now:
                break
            stop_at = min(self._gaps[0].end, min(self._held, default=self._frontier))
            if stop_at - self._next == 1:
                log.warning("update %d did not arrive within maxhold=%g s: given up", self._next, self.maxhold)
            else:
                log.warning(
                    "updates %d..%d did not arrive within maxhold=%g s: given up", self._next, stop_at - 1, self.maxhold
                )
            self._next = stop_at
            if self._skipped:
                self._skipped = {i for i in self._skipped if i >= stop_at}
        while self._gaps and self._gaps[0].end <= self._next:
            self._gaps.pop(0)
        return tuple(ready)
