"""Flood control: per-chat lanes, deadlines from 429 answers, a global pause, optional pacing.

Every Bot API call of a bot passes through its :class:`FloodGate` (``gate.passage(...)``
gives the call a :class:`Passage`; the HTTP client calls :meth:`Passage.wait_turn`
before each attempt and :meth:`Passage.flooded` on each 429):

- **Lanes.** A call with a ``chat_id`` goes through that chat's lane: calls to one chat
  are sent one at a time, in the order they entered the gate (the lane's head holds it
  for its whole call, retries included). Calls to other chats do not wait for it.
- **Deadlines, no artificial delay.** Nothing waits until Telegram answers 429. Then
  the chat's lane is paused until ``deadline = max(deadline, now + retry_after)``: a
  deadline only ever grows, and nothing but the clock passing it releases the pause
  (another call's success does not). Other chats go on at full speed.
- **The global pause.** A 429 for a call without a chat (``getMe``,
  ``answerCallbackQuery``, ``getUpdates``...), or 429s for ``global_after_chats``
  different chats within ``global_window`` seconds (Telegram's overall limit, not one
  chat's), pauses every call of the bot until that deadline. ``getUpdates`` has no chat:
  it only ever waits for the global pause; a 429 *to* ``getUpdates`` is raised at once to
  the update loop, which waits its ``retry_after`` before polling again (its own pacing),
  and does not pause the bot's sends.
- **Retries are bounded by time, not count.** A call is sent again after each 429 until
  the wait since its first 429 would exceed ``max_wait`` seconds
  (``RetryPolicy.max_flood_wait``, default 60); then it raises a
  :class:`~actorbot.exception.TooManyRequestsError` saying so, chained to the last 429.
  ``RetryPolicy.flood_retries`` (default None) additionally caps the count when set.
- **Edits coalesced.** An edit (``editMessageText``, ``editMessageCaption``...) of a
  message waiting in its lane behind other calls is dropped when a newer edit of the same
  message by the same method joins the lane: only the last one is sent, and the dropped
  call returns the result of the one sent (or raises its error).
- **Pacing (opt-in).** With :class:`~actorbot.api.TelegramLimits`, sends are also
  paced ahead of any 429: per chat, overall, and a paid-broadcast lane; when several
  calls wait for the overall rate, interactive answers go first, then edits, then sends.

Waits use the gate's :class:`~actorbot.api.FloodClock` (tests drive it without sleeping)
and end early, raising, when the call's :class:`~actorbot.api.CancelToken` is cancelled
or the bot stops (the stop event). Thread-safe: one lock and condition for the gate;
every method runs on the calling thread.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..exception import RequestCancelled, TooManyRequestsError
from ._cancel import CancelToken
from ._flood_clock import FloodClock, SystemClock
from ._pacing import PRIORITY_ANSWER, RateBucket, TelegramLimits, paced_priority

__all__ = ["FloodPolicy", "FloodGate", "Passage", "FloodStats", "Superseded", "chat_key"]

log = logging.getLogger(__name__)

_LANES_KEPT = 1024  # idle lanes are forgotten when there are more than this


@dataclass(frozen=True)
class FloodPolicy:
    """How a bot reacts to 429 answers (immutable).

    :param lanes: per-chat lanes (default on); off: every 429 pauses the whole bot.
    :param global_after_chats: this many different chats answered 429 within
        ``global_window`` seconds is taken as the bot's overall limit: the whole bot pauses.
    :param global_window: see ``global_after_chats``.
    :param coalesce_edits: an edit waiting in its lane is replaced by a newer edit of the
        same message (same method, ``chat_id`` and ``message_id``).
    """

    lanes: bool = True
    global_after_chats: int = 3
    global_window: float = 1.0
    coalesce_edits: bool = True

    def __post_init__(self) -> None:
        if self.global_after_chats < 1 or self.global_window < 0:
            raise ValueError("global_after_chats must be >= 1 and global_window >= 0")


@dataclass(frozen=True)
class FloodStats:
    """Counters of a gate: 429s by scope, seconds paused, calls waiting in the fullest lane."""

    chat_429s: int = 0
    global_429s: int = 0
    global_pauses: int = 0
    paused_seconds: float = 0.0
    lane_waiting_largest: int = 0
    edits_coalesced: int = 0


class Superseded(Exception):
    """Raised by :meth:`Passage.wait_turn` for an edit replaced by a newer one (internal).

    The caller returns ``newer.outcome()`` instead of sending.
    """

    def __init__(self, newer: Passage) -> None:
        super().__init__("a newer edit of the same message replaced this one")
        self.newer = newer


def chat_key(params: Mapping[str, Any] | None) -> str | None:
    """The lane a call belongs to: ``str(chat_id)``, or None for a call without a chat."""
    if not params:
        return None
    chat = params.get("chat_id")
    if chat is None or isinstance(chat, (dict, list)):
        return None
    return str(chat)


class _Lane:
    __slots__ = ("queue", "deadline", "bucket")

    def __init__(self) -> None:
        self.queue: deque[Passage] = deque()
        self.deadline = float("-inf")
        self.bucket: RateBucket | None = None


class FloodGate:
    """Per-chat lanes and deadlines for one bot's calls (see the module docstring).

    :param policy: a :class:`FloodPolicy`.
    :param clock: a :class:`~actorbot.api.FloodClock` (default :class:`~actorbot.api.SystemClock`).
    :param max_wait: seconds a call may wait out 429s in total before it gives up.
    :param max_retries: a cap on the number of retries after 429s (None: no cap).
    :param limits: :class:`~actorbot.api.TelegramLimits` to pace sends to (None: no pacing).
    :param stop: an event that, once set, interrupts every wait (the bot is stopping).
    :param on_flood: called with ``retry_after`` for each 429 that will be waited out, and
        with None for one that is not (counting, for ``bot.metrics()``).
    """

    def __init__(
        self,
        policy: FloodPolicy | None = None,
        *,
        clock: FloodClock | None = None,
        max_wait: float = 60.0,
        max_retries: int | None = None,
        limits: TelegramLimits | None = None,
        stop: threading.Event | None = None,
        on_flood: Callable[[float | None], None] | None = None,
    ) -> None:
        self.policy = policy or FloodPolicy()
        self.clock: FloodClock = clock or SystemClock()
        self.max_wait = max_wait
        self.max_retries = max_retries
        self.limits = limits
        self._stop = stop or threading.Event()
        self._on_flood = on_flood
        self._cond = threading.Condition()
        self._lanes: dict[str, _Lane] = {}
        self._global_deadline = float("-inf")
        self._recent: deque[tuple[float, str]] = deque()  # (when, chat) of recent chat 429s
        self._overall = limits.overall_bucket() if limits else None
        self._paid = limits.paid_bucket() if limits else None
        self._paced_ready: list[Passage] = []  # paced calls waiting only for the overall rate
        self._chat_429s = self._global_429s = self._global_pauses = self._coalesced = 0
        self._paused = 0.0

    def __repr__(self) -> str:
        return f"<FloodGate lanes={len(self._lanes)} clock={self.clock!r}>"

    # -- entering ---------------------------------------------------------------------------
    def passage(self, method: str, params: Mapping[str, Any] | None = None,
                cancel: CancelToken | None = None) -> Passage:
        """The passage of one call (enter its lane now, in arrival order). Use it as a context manager."""
        chat = chat_key(params) if self.policy.lanes and method != "getUpdates" else None
        priority = paced_priority(method, dict(params or {})) if self.limits is not None else None
        paid = bool(params and params.get("allow_paid_broadcast"))
        passage = Passage(self, method, chat, priority, paid, cancel)
        if chat is not None:
            edit = None
            if self.policy.coalesce_edits and method.startswith("edit") and params:
                message_id = params.get("message_id")
                edit = (method, message_id) if message_id is not None else None
            if edit is not None:
                passage.edit = edit
                passage._done = threading.Event()  # a newer edit may replace it: its outcome is waited for
            with self._cond:
                lane = self._lanes.get(chat)
                if lane is None:
                    lane = self._lanes[chat] = _Lane()
                if edit is not None:
                    for older in list(lane.queue)[1:]:  # never the head: it may be on the wire
                        if older.edit == edit:
                            older.superseded_by = passage
                            lane.queue.remove(older)
                            self._coalesced += 1
                    self._cond.notify_all()
                lane.queue.append(passage)
        return passage

    # -- reading ----------------------------------------------------------------------------
    def deadline(self, chat: Any = None) -> float:
        """The clock time a chat's lane (or, with None, the whole bot) is paused until (-inf: not paused)."""
        with self._cond:
            if chat is None:
                return self._global_deadline
            lane = self._lanes.get(str(chat))
            return lane.deadline if lane is not None else float("-inf")

    def waiting(self, chat: Any) -> int:
        """Calls in a chat's lane (the one being sent included)."""
        with self._cond:
            lane = self._lanes.get(str(chat))
            return len(lane.queue) if lane is not None else 0

    def stats(self) -> FloodStats:
        with self._cond:
            largest = max((len(lane.queue) for lane in self._lanes.values()), default=0)
            return FloodStats(self._chat_429s, self._global_429s, self._global_pauses, self._paused, largest,
                              self._coalesced)

    def nudge(self) -> None:
        """Wake waiting calls so they look at the clock again (after a test moved it)."""
        with self._cond:
            self._cond.notify_all()

    # -- inside (under self._cond) ----------------------------------------------------------
    def _extend(self, old: float, new: float, now: float) -> float:
        if new > old:
            self._paused += new - max(old, now)
            return new
        return old

    def _record_429(self, passage: Passage, retry_after: float) -> float:
        """Push the deadlines a 429 sets; return the passage's new earliest send time."""
        now = self.clock.now()
        deadline = now + retry_after
        with self._cond:
            lane = self._lanes.get(passage.chat) if passage.chat is not None else None
            if lane is None:
                self._global_429s += 1
                self._global_deadline = self._extend(self._global_deadline, deadline, now)
            else:
                self._chat_429s += 1
                lane.deadline = self._extend(lane.deadline, deadline, now)
                window = self.policy.global_window
                self._recent.append((now, passage.chat or ""))
                while self._recent and self._recent[0][0] < now - window:
                    self._recent.popleft()
                chats = {chat for _, chat in self._recent}
                if len(chats) >= self.policy.global_after_chats:
                    if deadline > self._global_deadline:
                        self._global_pauses += 1
                        log.warning("flood control: 429s from %d chats within %gs; pausing every call for %gs",
                                    len(chats), window, retry_after)
                    self._global_deadline = self._extend(self._global_deadline, deadline, now)
            self._cond.notify_all()
            return max(self._global_deadline, lane.deadline if lane is not None else float("-inf"))

    def _blocked_until(self, passage: Passage, now: float) -> float | None:
        """None when ``passage`` may be sent now (and takes its pacing tokens), else when to look again.

        ``inf`` means: wait for a notification (another call of the lane is ahead).
        """
        lane = self._lanes.get(passage.chat) if passage.chat is not None else None
        if lane is not None and lane.queue[0] is not passage:
            return float("inf")
        until = max(self._global_deadline, lane.deadline if lane is not None else float("-inf"))
        if passage.priority is None or self.limits is None:
            return until if until > now else None
        if lane is not None and passage.priority != PRIORITY_ANSWER:
            if lane.bucket is None:
                lane.bucket = self.limits.chat_bucket(_lane_key(passage))
            until = max(until, lane.bucket.ready_at(now))
        if until > now:
            self._unready(passage)
            return until
        bucket = self._paid if passage.paid else self._overall
        assert bucket is not None
        ready = bucket.ready_at(now)
        if ready > now or any(p.priority is not None and passage.priority is not None
                              and p.priority < passage.priority and p.paid == passage.paid
                              for p in self._paced_ready):
            if passage not in self._paced_ready:
                self._paced_ready.append(passage)
            # the rate's next slot; or, when a more urgent call goes first, its notification
            return ready if ready > now else float("inf")
        self._unready(passage)
        bucket.take(now)
        if lane is not None and lane.bucket is not None and passage.priority != PRIORITY_ANSWER:
            lane.bucket.take(now)
        self._cond.notify_all()
        return None

    def _unready(self, passage: Passage) -> None:
        if passage in self._paced_ready:
            self._paced_ready.remove(passage)

    def _leave(self, passage: Passage) -> None:
        with self._cond:
            self._unready(passage)
            if passage.chat is None:
                return
            lane = self._lanes.get(passage.chat)
            if lane is None:
                return
            try:
                lane.queue.remove(passage)
            except ValueError:
                return
            if lane.queue or self.limits is not None:  # a call waits for its turn (or for the pacing)
                self._cond.notify_all()
            if len(self._lanes) > _LANES_KEPT:
                now = self.clock.now()
                for key in [k for k, ln in self._lanes.items() if _idle(ln, now)]:
                    del self._lanes[key]
            elif _idle(lane, self.clock.now()) and lane.bucket is None:
                del self._lanes[passage.chat]


def _lane_key(passage: Passage) -> str:
    return passage.chat or ""


def _idle(lane: _Lane, now: float) -> bool:
    return not lane.queue and lane.deadline <= now and (lane.bucket is None or lane.bucket.idle(now))


class Passage:
    """One call's way through a :class:`FloodGate`; used by one thread (the caller's)."""

    __slots__ = ("gate", "method", "chat", "priority", "paid", "cancel", "last_429", "first_429_at",
                 "retries", "edit", "superseded_by", "_interrupt", "_detach", "_done", "_result", "_error")

    def __init__(self, gate: FloodGate, method: str, chat: str | None, priority: int | None, paid: bool,
                 cancel: CancelToken | None) -> None:
        self.gate = gate
        self.method = method
        self.chat = chat
        self.priority = priority
        self.paid = paid
        self.cancel = cancel
        self.last_429: TooManyRequestsError | None = None
        self.first_429_at: float | None = None
        self.retries = 0
        self.edit: tuple[str, Any] | None = None
        self.superseded_by: Passage | None = None
        self._interrupt: threading.Event | None = None
        self._detach: Callable[[], None] | None = None
        self._done: threading.Event | None = None  # only an edit's (see FloodGate.passage)
        self._result: Any = None
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        return f"<Passage {self.method} chat={'yes' if self.chat is not None else 'no'}>"

    def __enter__(self) -> Passage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.leave()

    def leave(self) -> None:
        """Leave the lane (the next call of the chat may go). Idempotent."""
        if self._detach is not None:
            self._detach()
            self._detach = None
        self.gate._leave(self)

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        """Publish this call's outcome (for the older edits it replaced). Called by the bot."""
        if self._done is not None:
            self._result, self._error = result, error
            self._done.set()

    def outcome(self) -> Any:
        """This call's result once it has one (raises its error); blocks the calling thread.

        Only an edit's passage has an outcome (another edit of its message may be waiting for it).
        """
        assert self._done is not None, "only an edit's passage publishes its outcome"
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._result

    def _interrupted(self) -> bool:
        return self.gate._stop.is_set() or (self.cancel is not None and self.cancel.cancelled)

    def _event(self) -> threading.Event:
        """What a sleep watches: the stop event, or one that the cancel token also sets."""
        if self.cancel is None:
            return self.gate._stop
        if self._interrupt is None:
            event = self._interrupt = threading.Event()
            gate = self.gate

            def cut() -> None:
                event.set()
                gate.nudge()

            self._detach = self.cancel.attach(cut)
            if self.gate._stop.is_set():
                event.set()
        return self._interrupt

    def wait_turn(self) -> None:
        """Block until this call may be sent: its turn in the lane, the deadlines, the pacing.

        :raises TooManyRequestsError: the last 429, when the bot stops while it is waited out.
        :raises RequestCancelled: (``sent=False``) when the call's token is cancelled, or
            the bot stops while the call waits for another call's pause.
        """
        gate = self.gate
        while True:
            now = gate.clock.now()
            with gate._cond:
                if self.superseded_by is not None:
                    raise Superseded(self.superseded_by)
                until = gate._blocked_until(self, now)
                if until is None:
                    return
                if self._interrupted():
                    gate._unready(self)
                    self._give_up()
                if until == float("inf"):
                    gate._cond.wait(0.05)  # our turn in the lane: woken when the head leaves
                    continue
            if gate.clock.sleep(until - now, self._event()):
                with gate._cond:
                    gate._unready(self)
                self._give_up()

    def _give_up(self) -> None:
        cancelled = self.cancel is not None and self.cancel.cancelled
        if self.last_429 is not None and not cancelled:
            raise self.last_429  # the bot is stopping: the error it was waiting to retry
        why = "the request was cancelled" if cancelled else "the bot is stopping"
        raise RequestCancelled(f"{self.method}: {why} while it waited for flood control",
                               sent=False) from self.last_429

    def flooded(self, exc: TooManyRequestsError) -> None:
        """A 429 for this call: push the deadlines; return to retry, or raise to give up.

        Runs inside the client's ``except`` block, so a raised error is chained to ``exc``.
        """
        gate = self.gate
        retry_after = exc.retry_after
        self.last_429 = exc
        if retry_after is None or self.method == "getUpdates":  # the update loop waits it out
            self._report(None)
            raise exc
        now = gate.clock.now()
        if self.first_429_at is None:
            self.first_429_at = now
        resume = gate._record_429(self, max(0.0, retry_after))
        if gate.max_retries is not None and self.retries >= gate.max_retries:
            self._report(None)
            raise exc
        total = resume - self.first_429_at
        if total > gate.max_wait:
            self._report(None)
            raise TooManyRequestsError(
                f"Too Many Requests: {self.method} would wait {total:.0f}s for flood control "
                f"(retry after {retry_after:g}s), more than the {gate.max_wait:g}s allowed "
                f"(RetryPolicy.max_flood_wait)",
                exc.error_code,
                exc.json,
            ) from exc
        self.retries += 1
        self._report(retry_after)
        log.warning("%s: flood control, %s paused for %.1fs (retry %d)", self.method,
                    "its chat" if self.chat is not None else "the bot", max(0.0, resume - now), self.retries)

    def _report(self, waited: float | None) -> None:
        if self.gate._on_flood is not None:
            self.gate._on_flood(waited)
