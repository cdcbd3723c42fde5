"""Memory after conversations close: RSS with N live conversations, after they closed, after ``stop()``.

A ``DelegatorBot`` without a store and a counter handler with an idle timeout (no Bot API
call: the messages go to ``bot.handle``). Each of N chats (default 100,000) sends one
message; then the engine clock (freezegun) moves past the idle timeout, every conversation
closes, and the bot stays running; then a second round of N new chats opens and closes
(RSS must not grow: the first round's memory is reused or returned); then ``bot.stop()``.

At each step it prints the resident set size (``VmRSS``), the live Python objects, and what
the engine still holds per conversation (the supervisor's tables, the scheduler's heap,
the delegate ids, the metrics' per-delegate records): after a close all of them must be
back to (about) zero. The bot's memory policy returns freed heap to the OS after a large
close sweep and at ``stop()`` (``malloc_trim`` on glibc; see ``actorbot.actors._memory``).

Usage: ``PYTHONPATH=. python benchmarks/close_memory.py [--chats 100000] [--runtime pool|threads]``
"""

from __future__ import annotations

import argparse
import gc
import threading
import time

from freezegun import freeze_time
from memkit import Counter, message, rss_mib  # benchmarks/memkit.py (the script's directory is on sys.path)

from actorbot import DelegatorBot
from actorbot.actors._clock import real_monotonic
from actorbot.delegate import create_open, pave_event_space, per_chat_id

IDLE = 60.0




def held(bot: DelegatorBot) -> str:
    """What the engine still holds that grows with conversations."""
    engine = bot.engine
    sup = engine.supervisor
    parts = []
    if sup is not None:
        for name, value in sorted(vars(sup).items()):
            if isinstance(value, (dict, set, list)) and len(value) > 10:
                parts.append(f"supervisor.{name}={len(value):,}")
    heap = getattr(engine.scheduler, "_heap", None)
    if heap is None:
        actor = getattr(engine.scheduler, "_actor", None)
        heap = getattr(actor, "_heap", None) if actor is not None else None
    if heap is not None:
        parts.append(f"scheduler heap={len(heap):,}")
    for name, value in sorted(vars(engine).items()):
        if isinstance(value, (dict, set, list)) and len(value) > 10:
            parts.append(f"engine.{name}={len(value):,}")
    for name, value in sorted(vars(engine.metrics).items()):
        if isinstance(value, (dict, set, list)) and len(value) > 10:
            parts.append(f"metrics.{name}={len(value):,}")
    return ", ".join(parts) or "nothing per conversation"


def workers_ended(bot: DelegatorBot, timeout: float = 10.0) -> bool:
    """Wait (real time, bounded) until the pool's idle workers have ended; True if they did."""
    pool = bot.engine.pool
    if pool is None:
        return False
    pause = threading.Event()
    deadline = real_monotonic() + timeout
    while pool.worker_count and real_monotonic() < deadline:
        pause.wait(0.1)
    pause.wait(0.2)  # the last one's exit hook
    return pool.worker_count == 0


def report(step: str, base: float, bot: DelegatorBot | None = None) -> None:
    gc.collect()
    rss = rss_mib()
    print(f"{step:<40} RSS {rss:8.1f} MiB  (+{rss - base:7.1f})   objects {len(gc.get_objects()):>9,}")
    if bot is not None:
        print(f"{'':<40} held: {held(bot)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--runtime", default="pool", choices=("pool", "threads"))
    args = parser.parse_args()
    with freeze_time("2030-01-01 09:00:00") as frozen:
        gc.collect()
        base = rss_mib()
        report("before the bot", base)
        pattern = pave_event_space()(per_chat_id(), create_open, Counter, timeout=IDLE)
        bot = DelegatorBot("123:abc", [pattern], runtime=args.runtime)
        try:
            for round_ in (1, 2):
                first = (round_ - 1) * args.chats + 1
                started = time.perf_counter()
                for chat in range(first, first + args.chats):
                    bot.handle(message(chat, 1))
                bot.settle(timeout=600)
                print(f"round {round_}: {args.chats:,} conversations started in {time.perf_counter() - started:.1f} s")
                report(f"round {round_}: {args.chats:,} conversations live", base, bot)
                started = time.perf_counter()
                frozen.tick(IDLE + 1)
                bot.settle(timeout=600)
                print(f"round {round_}: closed by their idle timeout in {time.perf_counter() - started:.1f} s")
                live = bot.metrics().conversations_live
                assert live == 0, live
                report(f"round {round_}: all closed (idle timeout)", base, bot)
                if workers_ended(bot):
                    report(f"round {round_}: and the pool's workers ended", base, bot)
        finally:
            bot.stop()
        report("after bot.stop()", base)
        del bot
        report("bot released", base)


if __name__ == "__main__":
    main()
