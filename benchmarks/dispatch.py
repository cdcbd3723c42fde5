"""Dispatch benchmark: actorbot's engine against telepot 12.7, same workload, same run.

The workload is the seed documents' per-chat message counter: a DelegatorBot with
``pave_event_space()(per_chat_id(), create_open, Counter, timeout=3600)`` where each
delegate counts its chat's messages and replies with the count. HTTP is stubbed at
``Bot._api_request`` in both libraries, so what is measured is seeding, routing,
mailboxes and handler dispatch (plus the idle-timer refresh each message causes).

For each library and each number of live delegates N, a fresh subprocess:
  1. starts N delegates (one message to each of N chats) and waits for their replies;
  2. measures RSS growth per live delegate;
  3. sends ``--updates`` messages spread round-robin over the N chats and times how long
     until every reply was sent (updates/s, and microseconds per update).

Usage (telepot needs ``pip install -r benchmarks/requirements.txt``):

    python benchmarks/dispatch.py                      # the full table
    python benchmarks/dispatch.py --sizes 100 1000 --updates 5000
    python benchmarks/dispatch.py --libraries actorbot --runtime pool

``--feed`` picks how updates reach actorbot: ``handle`` (``bot.handle(msg)`` per update,
one blocking round trip to the supervisor each, as telepot is fed) or ``intake`` (raw
updates in batches of 100 through ``bot.intake.accept``, as the polling loop feeds them:
one round trip per batch). telepot is always fed with ``handle``.

``--runtime`` picks actorbot's delegate runtime (``DelegatorBot(..., runtime=...)``):
``threads`` (a thread per delegate), ``pool`` (delegates multiplexed on a worker pool)
or ``both`` (the default: a row for each).

telepot 12.7 does not import on Python >= 3.10 (``collections.Hashable``); the
benchmark restores that alias before importing it, nothing else is patched.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

TOKEN = "123456:BENCHMARK"


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Replies:
    """Counts stubbed sendMessage calls; wakes a waiter when a target is reached."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.count = 0

    def record(self) -> None:
        with self._cond:
            self.count += 1
            self._cond.notify_all()

    def wait_for(self, target: int, timeout: float) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self.count >= target, timeout):
                raise SystemExit(f"only {self.count} of {target} replies within {timeout}s")


def make_update(chat_id: int, n: int) -> dict[str, Any]:
    return {
        "message_id": n,
        "date": 1_700_000_000,
        "chat": {"id": chat_id, "type": "private", "first_name": "u"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "u"},
        "text": "hello",
    }


def build(library: str, replies: Replies) -> tuple[Any, Callable[[], None]]:
    """Return (bot, stop) for the counter workload on ``library`` ("telepot", "actorbot:RUNTIME")."""
    library, _, runtime = library.partition(":")
    if library == "telepot":
        import collections
        import collections.abc

        collections.Hashable = collections.abc.Hashable  # type: ignore[attr-defined]
        import telepot as lib
        from telepot.delegate import create_open, pave_event_space, per_chat_id
        from telepot.helper import ChatHandler
    else:
        import actorbot as lib  # type: ignore[no-redef]
        from actorbot.delegate import create_open, pave_event_space, per_chat_id  # type: ignore[no-redef]
        from actorbot.helper import ChatHandler  # type: ignore[no-redef]

    def stub(self: Any, method: str, params: Any = None, files: Any = None, **kwargs: Any) -> Any:
        if method == "sendMessage":
            replies.record()
        return {"message_id": 1}

    class Counter(ChatHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._count = 0

        def on_chat_message(self, msg: dict[str, Any]) -> None:
            self._count += 1
            self.sender.sendMessage(str(self._count))

    class StubbedBot(lib.DelegatorBot):  # type: ignore[misc,name-defined]
        _api_request = stub

    patterns = [pave_event_space()(per_chat_id(), create_open, Counter, timeout=3600)]
    if library == "telepot":
        bot = StubbedBot(TOKEN, patterns)
    else:
        bot = StubbedBot(TOKEN, patterns, runtime=runtime or "threads")
    if library == "telepot":
        bot.scheduler.daemon = True
        bot.scheduler.start()  # telepot's idle timers need its scheduler thread

        def stop() -> None:  # telepot has no way to stop its delegate threads
            pass

    else:

        def stop() -> None:
            bot.stop()

    return bot, stop


BATCH = 100  # updates per intake.accept call (getUpdates' largest batch)


def feeder(bot: Any, feed: str) -> Callable[[list[dict[str, Any]]], None]:
    """A function handing a list of messages to ``bot``, as ``feed`` says (see the docstring)."""
    if feed == "handle" or not hasattr(bot, "intake"):
        def by_handle(messages: list[dict[str, Any]]) -> None:
            for msg in messages:
                bot.handle(msg)
        return by_handle
    next_id = iter(range(1, 1 << 62))

    def by_intake(messages: list[dict[str, Any]]) -> None:
        for i in range(0, len(messages), BATCH):
            bot.intake.accept([{"update_id": next(next_id), "message": m} for m in messages[i:i + BATCH]])
    return by_intake


def run_one(library: str, delegates: int, updates: int, feed: str = "handle") -> dict[str, Any]:
    replies = Replies()
    bot, stop = build(library, replies)
    give = feeder(bot, feed)
    base_rss = rss_bytes()
    t0 = time.perf_counter()
    give([make_update(chat, 1) for chat in range(1, delegates + 1)])
    replies.wait_for(delegates, timeout=600)
    spawn_s = time.perf_counter() - t0
    per_delegate = (rss_bytes() - base_rss) / delegates

    t0, c0 = time.perf_counter(), time.process_time()
    give([make_update(1 + n % delegates, 2 + n) for n in range(updates)])
    replies.wait_for(delegates + updates, timeout=600)
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    t1 = time.perf_counter()
    stop()
    return {
        "library": library if library == "telepot" else f"{library}/{feed}",
        "delegates": delegates,
        "updates": updates,
        "updates_per_s": updates / elapsed,
        "us_per_update": elapsed / updates * 1e6,
        "cpu_us_per_update": cpu / updates * 1e6,
        "kib_per_delegate": per_delegate / 1024,
        "spawn_s": spawn_s,
        "stop_s": time.perf_counter() - t1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--updates", type=int, default=20000)
    parser.add_argument("--telepot-sizes", type=int, nargs="+", default=[100, 1000],
                        help="telepot broadcasts each update to every delegate; 10,000 takes very long")
    parser.add_argument("--telepot-updates", type=int, default=2000)
    parser.add_argument("--libraries", nargs="+", default=["actorbot", "telepot"])
    parser.add_argument("--runtime", choices=["threads", "pool", "both"], default="both",
                        help="actorbot's delegate runtime (default: a row for each)")
    parser.add_argument("--feed", choices=["handle", "intake"], default="handle",
                        help="how updates reach actorbot (see the docstring)")
    parser.add_argument("--one", nargs=4, metavar=("LIBRARY", "DELEGATES", "UPDATES", "FEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one:
        library, delegates, updates, feed = args.one
        print(json.dumps(run_one(library, int(delegates), int(updates), feed)), flush=True)
        os._exit(0)  # telepot's delegate threads cannot be stopped; leave without joining them

    runtimes = ["threads", "pool"] if args.runtime == "both" else [args.runtime]
    libraries = [f"actorbot:{r}" if lib == "actorbot" else lib for lib in args.libraries for r in
                 (runtimes if lib == "actorbot" else [None])]
    rows = []
    for library in libraries:
        sizes = args.telepot_sizes if library == "telepot" else args.sizes
        updates = args.telepot_updates if library == "telepot" else args.updates
        for n in sizes:
            out = subprocess.run(
                [sys.executable, __file__, "--one", library, str(n), str(updates), args.feed],
                capture_output=True, text=True, timeout=1800,
            )
            if out.returncode != 0:
                print(f"{library} at {n}: failed\n{out.stderr[-2000:]}", file=sys.stderr)
                continue
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            r = rows[-1]
            print(f"{r['library']:>16} {r['delegates']:>6} delegates: {r['updates_per_s']:>9.0f} updates/s "
                  f"{r['us_per_update']:>8.1f} us/update ({r['cpu_us_per_update']:.1f} CPU) "
                  f"{r['kib_per_delegate']:>6.1f} KiB/delegate "
                  f"(spawn {r['spawn_s']:.2f}s, stop {r['stop_s']:.2f}s)", flush=True)

    by = {(r["library"], r["delegates"]): r for r in rows}
    for runtime in runtimes:
        name = f"actorbot:{runtime}/{args.feed}"
        a100, a10k = by.get((name, 100)), by.get((name, 10000))
        if a100 and a10k:
            print(f"{name} cost at 10,000 / cost at 100: "
                  f"{a10k['us_per_update'] / a100['us_per_update']:.2f}x (target <= 1.5x)")
        a1k, t1k = by.get((name, 1000)), by.get(("telepot", 1000))
        if a1k and t1k:
            print(f"{name} / telepot throughput at 1,000 delegates: "
                  f"{a1k['updates_per_s'] / t1k['updates_per_s']:.1f}x (target >= 20x)")


if __name__ == "__main__":
    main()
