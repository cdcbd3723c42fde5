"""Memory with ``unload_after``: RSS with N loaded conversations, then once they are unloaded.

A ``DelegatorBot`` with a SQLite store in a temporary directory and a counter handler that
keeps its count in ``self.state`` (no Bot API call: the messages go to ``bot.handle``, so
no server is needed). Each of N chats (default 10,000) sends one message; then the engine
clock (freezegun) moves past ``unload_after`` and the sweep unloads them all; then one
more message per chat rebuilds every conversation from the store (its count must be 2).
Then ``--waves`` more rounds: N chats never seen before each send one message, and are
unloaded (the busy set moves on, as over a day of a real bot).

It prints the process's resident set size (``VmRSS``) at each step: before the bot, with
N conversations loaded, after the unload, after ``malloc_trim(0)`` (glibc gives back the
free pages it can), after the rebuild and after each wave; and the live Python objects
(``gc.get_objects()``) at each step. CPython keeps a freed object's memory for the next
objects (its arenas are returned only once wholly empty): unloading shows as a drop in
objects, and as RSS that stops growing (new conversations reuse it), more than as a drop.

Usage: ``PYTHONPATH=. python benchmarks/unload_memory.py [--chats 10000] [--runtime pool|threads]``
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import tempfile
from pathlib import Path

from freezegun import freeze_time
from memkit import Counter, message, rss_mib  # benchmarks/memkit.py (the script's directory is on sys.path)

from actorbot import DelegatorBot
from actorbot.delegate import create_open, pave_event_space, per_chat_id

UNLOAD = 60.0


def trim() -> None:
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def report(step: str, base: float) -> None:
    gc.collect()
    rss = rss_mib()
    print(f"{step:<34} RSS {rss:8.1f} MiB  (+{rss - base:7.1f})   objects {len(gc.get_objects()):>9,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--runtime", default="pool", choices=("pool", "threads"))
    parser.add_argument("--waves", type=int, default=3, help="rounds of N new chats after the rebuild")
    args = parser.parse_args()
    chats = range(1, args.chats + 1)
    with tempfile.TemporaryDirectory() as tmp, freeze_time("2030-01-01 09:00:00") as frozen:
        gc.collect()
        base = rss_mib()
        report("before the bot", base)
        pattern = pave_event_space()(per_chat_id(), create_open, Counter, timeout=3600)
        bot = DelegatorBot("123:abc", [pattern], store=str(Path(tmp) / "bot.db"), runtime=args.runtime,
                           unload_after=UNLOAD)
        try:
            for chat in chats:
                bot.handle(message(chat, 1))
            bot.settle(timeout=300)
            report(f"{args.chats:,} conversations loaded", base)
            frozen.tick(UNLOAD * 1.5 + 1)
            bot.settle(timeout=300)
            metrics = bot.metrics()
            assert metrics.conversations_live == 0, metrics.conversations_live
            report(f"unloaded ({metrics.conversations_unloaded:,})", base)
            trim()
            report("unloaded, after malloc_trim(0)", base)
            for chat in chats:
                bot.handle(message(chat, 2))
            bot.settle(timeout=300)
            counts = {bot.store.get("conv", f"0:{chat}")["state"]["count"] for chat in chats}
            assert counts == {2}, counts
            report("rebuilt by a second message each", base)
            for wave in range(1, args.waves + 1):
                frozen.tick(UNLOAD * 1.5 + 1)
                bot.settle(timeout=300)
                for chat in chats:
                    bot.handle(message(wave * args.chats + chat, 1))
                bot.settle(timeout=300)
                report(f"wave {wave}: {args.chats:,} new chats loaded", base)
            frozen.tick(UNLOAD * 1.5 + 1)
            bot.settle(timeout=300)
            total = (args.waves + 1) * args.chats
            report(f"all unloaded ({bot.metrics().conversations_unloaded:,} unloads, {total:,} chats)", base)
        finally:
            bot.stop()


if __name__ == "__main__":
    main()
