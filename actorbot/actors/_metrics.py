"""What a bot counts about itself, and the snapshot ``bot.metrics()`` returns.

One :class:`MetricsRecorder` per bot. The hot path (an update received, a handler
finished, a Bot API call answered) writes to a *shard* owned by the calling thread: a
few dict and list updates with no lock, because only that thread writes its shard.
:meth:`MetricsRecorder.snapshot` (any thread) sums the shards under the recorder's
lock; a shard whose thread has ended is folded into a retired shard when the next
thread registers, so pool workers coming and going do not pile shards up. A snapshot
taken while other threads record may miss their last few increments, never double
count them.

Nothing here is keyed by a chat or user id: counters are keyed by update flavor
(``chat``, ``callback_query``...; scheduled events count as ``event``), Bot API method
name and outcome, all bounded sets.

The snapshot is plain data: :class:`MetricsSnapshot` (frozen dataclass) with dicts,
ints, floats and :class:`Histogram` values; see its docstring for the shape.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from .._flavor import _PAYLOAD_RULES
from .._flavor import flavor as _flavor
from ._clock import real_monotonic

__all__ = ["LATENCY_BUCKETS", "Histogram", "MetricsSnapshot", "MetricsRecorder", "metric_flavor"]

LATENCY_BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)
"""Upper bounds (seconds, inclusive) of every latency histogram; one more bucket holds the rest."""

_INF_INDEX = len(LATENCY_BUCKETS)


@dataclass(frozen=True)
class Histogram:
    """A fixed-bucket histogram of seconds.

    ``counts[i]`` is how many observations fell in bucket ``i``: at most ``buckets[i]``
    and more than ``buckets[i - 1]``; the last count (``counts[len(buckets)]``) holds
    those above the last bound. ``sum`` is the total of every observation (seconds).
    """

    buckets: tuple[float, ...] = LATENCY_BUCKETS
    counts: tuple[int, ...] = (0,) * (len(LATENCY_BUCKETS) + 1)
    sum: float = 0.0

    @property
    def count(self) -> int:
        """How many observations in all."""
        return sum(self.counts)

    def cumulative(self) -> tuple[int, ...]:
        """Prometheus-style counts: observations at most each bound, then the total (``+Inf``)."""
        out: list[int] = []
        running = 0
        for n in self.counts:
            running += n
            out.append(running)
        return tuple(out)


@dataclass(frozen=True)
class MetricsSnapshot:
    """``bot.metrics()``: how the bot is doing, as plain data (counts since the bot was made).

    Updates (keys: the flavor, ``"event"`` for scheduled events such as idle timeouts):

    - ``updates_received``: updates (and events) handed to the bot: to
      ``DelegatorBot.handle`` (by its loops, or by the program), or, for a plain
      :class:`~actorbot.Bot`, to the handler of one of its update loops.
    - ``updates_handled`` / ``updates_failed``: handler runs that returned / raised. An
      update given to two conversations counts twice; one handled again after its
      conversation restarted counts once per attempt; one no handler took counts as
      received only.
    - ``handler_latency``: seconds each handler run took (``open``/``on_message``).
    - ``update_lag``: seconds from an update's arrival (``bot.handle``) until its handler
      finished (for an update handed over again after a restart, from that hand-over).
      For a plain :class:`~actorbot.Bot`, whose loop runs the handler as it arrives, it
      equals the handler latency.
    - ``handler_timeouts``: handler runs reported for outlasting ``handler_timeout``.

    Conversations (a :class:`~actorbot.DelegatorBot`; zero for a plain ``Bot``):

    - ``mailbox_total`` / ``mailbox_largest``: updates waiting in conversations'
      mailboxes (not counting the ones being handled), in all / in the fullest one.
    - ``conversations_live`` / ``conversations_restarting`` / ``conversations_quarantined``.
    - ``conversations_unloaded``: conversations unloaded for idling (``unload_after``), ever.
    - ``dead_letters``: letters held now; ``dead_letters_total``: ever added.
    - ``pool_workers_busy`` / ``pool_workers_total``: worker threads handling a message /
      alive (``runtime="pool"``; zero under ``"threads"``).

    Bot API:

    - ``api_calls``: ``{(method, outcome): count}``; ``outcome`` is ``"ok"``, the error
      code as a string (``"400"``, ``"429"``, ``"502"``...) or ``"network"`` (no answer).
    - ``api_latency``: ``{method: Histogram}`` of each call's seconds, retries included.
    - ``api_in_flight``: calls under way now (``getUpdates`` not counted).
    - ``flood_waits``: 429 answers received (retried or not); ``flood_wait_seconds``: the
      seconds Telegram asked the bot to wait for those it waited out.
    - ``flood_chat_429s`` / ``flood_global_429s``: 429 answers to calls with a chat (they
      pause that chat's lane) / without one (they pause the whole bot);
      ``flood_global_pauses``: whole-bot pauses because many chats got 429s at once;
      ``flood_paused_seconds``: seconds of pause the 429s added, lanes and bot summed;
      ``flood_lane_waiting_largest``: calls in the fullest chat lane now.

    ``loop_alive``: an update loop (polling or webhook) of this bot is running and the
    bot is not stopping (what ``/healthz`` reports).
    """

    updates_received: dict[str, int] = field(default_factory=dict)
    updates_handled: dict[str, int] = field(default_factory=dict)
    updates_failed: dict[str, int] = field(default_factory=dict)
    handler_latency: Histogram = Histogram()
    update_lag: Histogram = Histogram()
    handler_timeouts: int = 0
    mailbox_total: int = 0
    mailbox_largest: int = 0
    conversations_live: int = 0
    conversations_restarting: int = 0
    conversations_quarantined: int = 0
    conversations_unloaded: int = 0
    dead_letters: int = 0
    dead_letters_total: int = 0
    pool_workers_busy: int = 0
    pool_workers_total: int = 0
    api_calls: dict[tuple[str, str], int] = field(default_factory=dict)
    api_latency: dict[str, Histogram] = field(default_factory=dict)
    api_in_flight: int = 0
    flood_waits: int = 0
    flood_wait_seconds: float = 0.0
    flood_chat_429s: int = 0
    flood_global_429s: int = 0
    flood_global_pauses: int = 0
    flood_paused_seconds: float = 0.0
    flood_lane_waiting_largest: int = 0
    loop_alive: bool = False


_RULES: tuple[tuple[str, frozenset[str]], ...] = tuple((name, frozenset(keys)) for name, keys in _PAYLOAD_RULES)


def metric_flavor(update: Any) -> str:
    """The flavor an update is counted under: its flavor, ``"event"`` for an event, else ``"unknown"``.

    :func:`actorbot.flavor`'s rules, checked with one set comparison each (this runs for
    every update).
    """
    if type(update) is dict:
        keys = update.keys()
        for name, needed in _RULES:
            if keys >= needed:
                return name
        kind = str(next(iter(update))) if len(update) == 1 else "unknown"
    else:
        try:
            kind = _flavor(update)
        except Exception:
            return "unknown"
    return "event" if kind.startswith("_") else kind


class _Hist:
    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (_INF_INDEX + 1)
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.total += seconds

    def merge(self, other: _Hist) -> None:
        counts = other.counts[:]  # a copy first: the owner may be writing
        for i, n in enumerate(counts):
            self.counts[i] += n
        self.total += other.total

    def freeze(self) -> Histogram:
        return Histogram(LATENCY_BUCKETS, tuple(self.counts), self.total)


class _Shard:
    """One thread's counters (only that thread writes them)."""

    __slots__ = ("thread", "received", "handled", "failed", "latency", "lag", "timeouts",
                 "api", "api_latency", "floods", "flood_seconds")

    def __init__(self, thread: threading.Thread | None) -> None:
        self.thread = thread
        self.received: dict[str, int] = {}
        self.handled: dict[str, int] = {}
        self.failed: dict[str, int] = {}
        self.latency = _Hist()
        self.lag = _Hist()
        self.timeouts = 0
        self.api: dict[tuple[str, str], int] = {}
        self.api_latency: dict[str, _Hist] = {}
        self.floods = 0
        self.flood_seconds = 0.0

    def merge_into(self, out: _Shard) -> None:
        for mine, theirs in ((self.received, out.received), (self.handled, out.handled),
                             (self.failed, out.failed)):
            for key, n in dict(mine).items():
                theirs[key] = theirs.get(key, 0) + n
        for key2, n in dict(self.api).items():
            out.api[key2] = out.api.get(key2, 0) + n
        for method, hist in dict(self.api_latency).items():
            target = out.api_latency.get(method)
            if target is None:
                target = out.api_latency[method] = _Hist()
            target.merge(hist)
        out.latency.merge(self.latency)
        out.lag.merge(self.lag)
        out.timeouts += self.timeouts
        out.floods += self.floods
        out.flood_seconds += self.flood_seconds


class MetricsRecorder:
    """A bot's counters: per-thread shards written without locks, summed by :meth:`snapshot`."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._shards: list[_Shard] = []
        self._retired = _Shard(None)

    def _shard(self) -> _Shard:
        try:
            return self._local.shard  # type: ignore[no-any-return]
        except AttributeError:
            pass
        current = threading.current_thread()
        shard = _Shard(current)
        with self._lock:
            alive = []
            for old in self._shards:
                if old.thread is not None and old.thread.is_alive():
                    alive.append(old)
                else:
                    old.thread = None
                    old.merge_into(self._retired)  # its thread ended: it will never write again
            alive.append(shard)
            self._shards = alive
        self._local.shard = shard
        return shard

    def thread_ended(self) -> None:
        """The calling thread ends (a pool worker leaving): fold its shard into the retired
        totals now, so neither the shard nor its ``Thread`` object outlives it (a few such
        objects, allocated amid a flood of conversations, keep whole arenas of memory)."""
        shard = getattr(self._local, "shard", None)
        if shard is None:
            return
        del self._local.shard
        with self._lock:
            self._shards = [s for s in self._shards if s is not shard]
            shard.thread = None
            shard.merge_into(self._retired)

    def retire_ended(self) -> None:
        """Fold the shards of every thread that has ended into the retired totals. Any thread."""
        with self._lock:
            alive = []
            for shard in self._shards:
                if shard.thread is not None and shard.thread.is_alive():
                    alive.append(shard)
                else:
                    shard.thread = None
                    shard.merge_into(self._retired)
            self._shards = alive

    # -- the hot path (any thread, each on its own shard) ------------------------------------------
    def received(self, flavor: str) -> None:
        counts = self._shard().received
        counts[flavor] = counts.get(flavor, 0) + 1

    def finished(self, flavor: str, ok: bool, started: float, arrived: float | None) -> None:
        """A handler run that began at ``started`` (``real_monotonic``) ended now."""
        end = real_monotonic()
        shard = self._shard()
        counts = shard.handled if ok else shard.failed
        counts[flavor] = counts.get(flavor, 0) + 1
        shard.latency.observe(end - started)
        shard.lag.observe(end - (started if arrived is None else arrived))

    def api_call(self, method: str, outcome: str, seconds: float) -> None:
        shard = self._shard()
        key = (method, outcome)
        shard.api[key] = shard.api.get(key, 0) + 1
        hist = shard.api_latency.get(method)
        if hist is None:
            hist = shard.api_latency[method] = _Hist()
        hist.observe(seconds)

    def flood(self, waited: float | None) -> None:
        """A 429 answer; ``waited``: the seconds it was waited out for (None: not retried)."""
        shard = self._shard()
        shard.floods += 1
        if waited is not None:
            shard.flood_seconds += waited

    def handler_timeout(self) -> None:
        self._shard().timeouts += 1

    # -- reading (any thread) -------------------------------------------------------------------------
    def snapshot(self, **extra: Any) -> MetricsSnapshot:
        """Sum every shard; ``extra`` fills the fields the recorder does not count itself."""
        total = _Shard(None)
        with self._lock:
            self._retired.merge_into(total)
            for shard in self._shards:
                shard.merge_into(total)
        return MetricsSnapshot(
            updates_received=total.received,
            updates_handled=total.handled,
            updates_failed=total.failed,
            handler_latency=total.latency.freeze(),
            update_lag=total.lag.freeze(),
            handler_timeouts=total.timeouts,
            api_calls=total.api,
            api_latency={method: hist.freeze() for method, hist in total.api_latency.items()},
            flood_waits=total.floods,
            flood_wait_seconds=total.flood_seconds,
            **extra,
        )
