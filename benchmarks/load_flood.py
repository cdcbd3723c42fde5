"""A flood through a real ``MessageLoop`` and ``DelegatorBot``: are memory and threads bounded?

Issue 13's acceptance run: 100,000 updates for distinct chats and 50,000 for one chat,
all waiting at "Telegram" at once (so they arrive faster than any handler finishes).
``getUpdates`` is served in memory by :class:`FloodSource` (as Telegram does: updates stay
until an ``offset`` confirms them; each is generated from its number, so the source holds
no update in memory and the RSS measured is the bot's). The loop, the engine, the pool
and the handlers are the real ones; the handlers make no Bot API call (they record what
they got), so the run measures the bot's bounds, not HTTP.

Each distinct chat sends one message and its conversation closes after it (as a one-off
conversation does; a conversation kept open would cost its ~12 KiB until its idle
timeout). The one chat's conversation stays open and must see its 50,000 messages in order.

It prints: time, updates/s, peak and final RSS, peak threads (all, and the pool's), the
peak unfinished updates (overall and of the busiest chat) against the bounds, how often
polling paused, lost and duplicated updates, and out-of-order ones.

Usage: ``PYTHONPATH=. python benchmarks/load_flood.py [--distinct 100000] [--one-chat 50000]
[--max-unfinished 1000] [--per-chat 100] [--max-workers 64] [--mode interleaved|phases]``
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actorbot import DelegatorBot
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler
from actorbot.loop import MessageLoop

TOKEN = "123456:FLOOD-token"
HOT_CHAT = 1
FIRST_DISTINCT = 1_000_000


def rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class FloodSource:
    """``getUpdates`` over ``total`` updates generated from their number; thread-safe.

    ``plan(n) -> (chat, seq)`` says whose the ``n``-th update is. Updates below the last
    ``offset`` are confirmed (gone); a call returns at most ``limit`` (100) from the offset.
    ``sample`` is called on every poll (the tests check the bounds there).
    """

    def __init__(self, total: int, plan: Any, sample: Any = None) -> None:
        self.total = total
        self._plan = plan
        self._sample = sample
        self._lock = threading.Lock()
        self._confirmed = 1
        self.polls = 0
        self.drained = threading.Event()  # set once every update was confirmed

    def update(self, n: int) -> dict[str, Any]:
        chat, seq = self._plan(n)
        text = "once" if chat != HOT_CHAT else "hot"
        return {"update_id": n, "message": {
            "message_id": seq, "date": 0, "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "u"}, "text": text}}

    def getUpdates(self, offset: int | None = None, limit: int | None = None, **_: Any) -> list[dict[str, Any]]:
        if self._sample is not None:
            self._sample()
        with self._lock:
            self.polls += 1
            if offset is not None and offset > self._confirmed:
                self._confirmed = offset
            if self._confirmed > self.total:
                self.drained.set()
            first = self._confirmed
        last = min(first + (limit or 100), self.total + 1)
        return [self.update(n) for n in range(first, last)]


@dataclass
class Tally:
    """What the handlers got: each distinct chat once, the hot chat 1, 2, 3, ... in order."""

    distinct: int
    seen: bytearray = field(init=False)
    hot_next: int = 1
    hot_out_of_order: int = 0
    duplicates: int = 0
    handled: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)
    expected: int = 0

    def __post_init__(self) -> None:
        self.seen = bytearray(self.distinct)

    def got(self, chat: int, seq: int) -> None:
        with self.lock:
            self.handled += 1
            if chat == HOT_CHAT:
                if seq != self.hot_next:
                    self.hot_out_of_order += 1
                self.hot_next = max(self.hot_next, seq + 1)
            else:
                index = chat - FIRST_DISTINCT
                if self.seen[index]:
                    self.duplicates += 1
                self.seen[index] = 1
            if self.handled >= self.expected:
                self.done.set()

    @property
    def lost(self) -> int:
        return (self.distinct - sum(self.seen)) + (self.expected - self.distinct - (self.hot_next - 1))


def make_plan(distinct: int, one_chat: int, mode: str) -> Any:
    """``n`` (1-based) -> ``(chat, seq)``: interleaved (every third the hot chat, while both
    last) or in phases (the distinct chats, then the hot chat)."""
    total = distinct + one_chat

    def phases(n: int) -> tuple[int, int]:
        i = n - 1
        if i < distinct:
            return FIRST_DISTINCT + i, 1
        return HOT_CHAT, i - distinct + 1

    if mode == "phases":
        return phases
    # interleaved: spread the hot chat's updates evenly through the stream
    def interleaved(n: int) -> tuple[int, int]:
        i = n - 1
        hot_before = (i * one_chat) // total  # hot updates among the first i
        hot_through = ((i + 1) * one_chat) // total
        if hot_through > hot_before:
            return HOT_CHAT, hot_through
        return FIRST_DISTINCT + (i - hot_before), 1

    return interleaved


@dataclass
class Peaks:
    unfinished: int = 0
    busiest: int = 0
    threads: int = 0
    pool_threads: int = 0
    rss: float = 0.0


class _PauseSeen(logging.Handler):
    """Calls ``seen()`` when the loop logs that polling paused for room (on the loop's thread)."""

    def __init__(self, seen: Any) -> None:
        super().__init__(logging.INFO)
        self.seen = seen

    def emit(self, record: logging.LogRecord) -> None:
        if "polling paused" in record.getMessage():
            self.seen()


def run_flood(distinct: int, one_chat: int, *, max_unfinished: int = 1_000, per_chat: int = 100,
              max_workers: int = 64, mode: str = "interleaved", timeout: float = 600.0,
              sample_every: float = 0.05, work: float = 0.0, hold: bool = True) -> dict[str, Any]:
    """Run one flood; returns the figures (see the module docstring).

    ``hold``: the one chat's first handler and the first ``max_workers - 1`` distinct chats'
    handlers block until the loop says polling paused (nothing can finish meanwhile: the
    updates arrive faster than handlers finish, for certain, and the figures at that
    moment, ``at_pause``, are the bound the loop reached). ``work``: seconds each handler
    spends waiting (as on a Bot API call) after that.
    """
    tally = Tally(distinct)
    tally.expected = distinct + one_chat
    peaks = Peaks()
    paused = threading.Event()
    held = threading.Semaphore(max_workers if hold else 0)
    at_pause: dict[str, int] = {}
    idle = threading.Event()  # never set: ``work`` waits on it

    class Recorder(ChatHandler):
        def on_chat_message(self, msg: dict[str, Any]) -> None:
            chat = msg["chat"]["id"]
            if hold and not paused.is_set() and (msg["message_id"] == 1 and chat == HOT_CHAT
                                                 or chat != HOT_CHAT and held.acquire(blocking=False)):
                paused.wait(timeout)
            if work:
                idle.wait(work)
            tally.got(chat, msg["message_id"])
            if msg["text"] == "once":
                self.close()

    bot = DelegatorBot(TOKEN, [pave_event_space()(per_chat_id(), create_open, Recorder, timeout=3600)],
                       runtime="pool", max_workers=max_workers)
    pool = bot.engine.pool
    assert pool is not None
    prefix = pool.name + "-"

    def sample() -> None:
        intake = bot.intake
        peaks.unfinished = max(peaks.unfinished, intake.unfinished())
        peaks.busiest = max(peaks.busiest, intake.busiest())
        threads = threading.enumerate()
        peaks.threads = max(peaks.threads, len(threads))
        peaks.pool_threads = max(peaks.pool_threads, sum(1 for t in threads if t.name.startswith(prefix)))

    source = FloodSource(distinct + one_chat, make_plan(distinct, one_chat, mode), sample)
    bot.getUpdates = source.getUpdates  # type: ignore[method-assign]
    loop = MessageLoop(bot, max_unfinished=max_unfinished, max_unfinished_per_chat=per_chat)
    gc.collect()
    base_rss = rss_mib()
    base_threads = threading.active_count()
    stop_sampling = threading.Event()

    def sampler() -> None:
        while not stop_sampling.wait(sample_every):
            sample()
            peaks.rss = max(peaks.rss, rss_mib())

    watcher = threading.Thread(target=sampler, name="flood-sampler", daemon=True)
    watcher.start()
    def first_pause() -> None:
        if not paused.is_set():
            at_pause.update(unfinished=bot.intake.unfinished(), one_chat=bot.intake.busiest())
            sample()
            paused.set()

    pause_log = _PauseSeen(first_pause)
    loop_logger = logging.getLogger("actorbot.loop._polling")
    loop_logger.addHandler(pause_log)
    level = loop_logger.level
    if not loop_logger.isEnabledFor(logging.INFO):
        loop_logger.setLevel(logging.INFO)
    started = time.perf_counter()
    loop.run_as_thread(relax=0, timeout=0)
    try:
        finished = tally.done.wait(timeout)
        elapsed = time.perf_counter() - started
    finally:
        loop_logger.removeHandler(pause_log)
        loop_logger.setLevel(level)
        paused.set()
        loop.stop()
        stop_sampling.set()
        watcher.join(5)
        sample()
        peaks.rss = max(peaks.rss, rss_mib())
        bot.stop()
    gc.collect()
    after_stop = rss_mib()
    return {
        "finished": finished,
        "updates": distinct + one_chat,
        "handled": tally.handled,
        "lost": tally.lost,
        "duplicates": tally.duplicates,
        "out_of_order": tally.hot_out_of_order,
        "seconds": elapsed,
        "updates_per_s": tally.handled / elapsed if elapsed else float("nan"),
        "base_rss_mib": base_rss,
        "peak_rss_mib": peaks.rss,
        "rss_after_stop_mib": after_stop,
        "base_threads": base_threads,
        "peak_threads": peaks.threads,
        "peak_pool_threads": peaks.pool_threads,
        "peak_unfinished": peaks.unfinished,
        "peak_unfinished_one_chat": peaks.busiest,
        "pauses": loop._pauses,
        "at_pause": at_pause,
        "polls": source.polls,
    }


def trim() -> bool:
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--distinct", type=int, default=100_000)
    parser.add_argument("--one-chat", type=int, default=50_000)
    parser.add_argument("--max-unfinished", type=int, default=1_000)
    parser.add_argument("--per-chat", type=int, default=100)
    parser.add_argument("--max-workers", type=int, default=64)
    parser.add_argument("--mode", default="interleaved", choices=("interleaved", "phases"))
    parser.add_argument("--work-ms", type=float, default=0.0, help="each handler waits this long (a Bot API call)")
    parser.add_argument("--no-hold", action="store_true", help="do not block the first handlers until a pause")
    args = parser.parse_args()
    result = run_flood(args.distinct, args.one_chat, max_unfinished=args.max_unfinished, per_chat=args.per_chat,
                       max_workers=args.max_workers, mode=args.mode, work=args.work_ms / 1000,
                       hold=not args.no_hold)
    print(f"flood: {args.distinct:,} distinct chats + {args.one_chat:,} for one chat ({args.mode}),"
          f" max_unfinished={args.max_unfinished}, per chat={args.per_chat}, max_workers={args.max_workers}")
    print(f"  handled      {result['handled']:,} of {result['updates']:,} in {result['seconds']:.1f} s"
          f" ({result['updates_per_s']:,.0f} updates/s), {result['polls']:,} polls, {result['pauses']:,} pauses")
    print(f"  lost         {result['lost']}   duplicates {result['duplicates']}"
          f"   out of order (one chat) {result['out_of_order']}")
    print(f"  unfinished   peak {result['peak_unfinished']} (bound {args.max_unfinished}),"
          f" one chat peak {result['peak_unfinished_one_chat']} (bound {args.per_chat});"
          f" at the first pause {result['at_pause']}")
    print(f"  threads      peak {result['peak_threads']} (before {result['base_threads']}),"
          f" pool peak {result['peak_pool_threads']} (bound {args.max_workers})")
    print(f"  RSS          before {result['base_rss_mib']:.1f} MiB, peak {result['peak_rss_mib']:.1f} MiB"
          f" (+{result['peak_rss_mib'] - result['base_rss_mib']:.1f}), after stop"
          f" {result['rss_after_stop_mib']:.1f} MiB")


if __name__ == "__main__":
    main()
