"""Durability benchmark: the per-chat counter end to end, in memory vs SQLite vs Redis.

The counter of ``benchmarks/e2e.py`` (a ``DelegatorBot`` with a ``ChatHandler`` per chat),
its count kept in ``self.state["count"]`` as ``examples/chat/counter.py`` keeps it, built
with ``store=None`` (in memory), a fresh SQLite file, or a Redis prefix of its own on a
``redis-server`` this script starts on a free loopback port (no persistence) and stops.
Each run is a fresh bot process polling ``benchmarks/fakeapi.js`` (``e2e.py``'s fake Bot
API: N text updates round-robin over C chats, every ``sendMessage`` recorded) until every
update has its reply (bounded), then SIGTERM.

Per backend (the lower median of ``--repeat`` interleaved runs) it prints:

- msgs/s: replies / (last reply - first getUpdates), on the server's clock, and its
  ratio to in memory (the issue's targets: SQLite >= 0.80, Redis >= 0.60);
- latency: per update, from the moment the bot's ``getUpdates`` call returned it to the
  moment its handler's ``sendMessage`` returned (journal, routing, state load, handler),
  median and p99, measured in the bot process;
- handler: the handler run alone (``on_chat_message``, its ``sendMessage`` included),
  median and p99; and the share of the run's handler seconds spent over in-memory's;
- cpu s/1k: CPU seconds of the bot process per 1,000 replies, from its first getUpdates
  (less sensitive than msgs/s to other load on a shared machine);
- store calls: seconds spent inside ``Store.accept`` / ``commit`` / ``get`` over the run,
  summed over calls (calls on different threads overlap, waits for the store's lock
  included; ``get`` also gives the number of calls), from the bot process;
- missing / dup / order: from the fake server's check (numbers never answered, answered
  twice, out of order).

Usage (Node.js 18+ and redis-server on PATH, redis-py installed):

    PYTHONPATH=. python benchmarks/durability.py                 # 5,000 updates / 1,000 chats, 3 runs each
    PYTHONPATH=. python benchmarks/durability.py --repeat 1 --runtime threads
    PYTHONPATH=. python benchmarks/durability.py --profile /tmp/prof   # cProfile of each bot process

The machine is shared by everything running on it: only numbers of one run compare.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))  # e2e.py: the fake server's harness
sys.path.insert(0, str(ROOT / "tests"))  # tests/redisserver.py

BACKENDS = ("memory", "sqlite", "redis")
TARGETS = {"sqlite": 0.80, "redis": 0.60}
TOKEN = "123456:AAbenchmarkTOKENbenchmarkTOKENbench"


# -- the bot process ---------------------------------------------------------------------------------
def run_bot(api_url: str, store: str, runtime: str, out: str, profile: str) -> None:
    """The counter bot on ``store`` ('' for none); on SIGTERM it stops and writes its timings to ``out``."""
    from actorbot import DelegatorBot
    from actorbot.delegate import create_open, pave_event_space, per_chat_id
    from actorbot.helper import ChatHandler
    from actorbot.store import Store

    received: dict[tuple[int, int], float] = {}  # (chat, message_id) -> getUpdates returned it
    latency: list[float] = []
    handler: list[float] = []
    store_seconds: dict[str, float] = {}
    clock = time.perf_counter

    class Counter(ChatHandler):
        def on_chat_message(self, msg: dict[str, Any]) -> None:
            started = clock()
            self.state["count"] = self.state.get("count", 0) + 1
            self.sender.sendMessage(str(self.state["count"]))
            now = clock()
            handler.append(now - started)  # list.append: atomic under the GIL
            arrived = received.get((msg["chat"]["id"], msg["message_id"]))
            if arrived is not None:
                latency.append(now - arrived)

    bot = DelegatorBot(TOKEN, [pave_event_space()(per_chat_id(), create_open, Counter, timeout=3600)],
                       api_url=api_url, runtime=runtime, store=store or None)
    if store:
        timed: Store = bot.store
        for name in ("accept", "commit", "get"):
            method = getattr(timed, name)

            def timed_call(*args: Any, _method: Any = method, _name: str = name, **kwargs: Any) -> Any:
                started = clock()
                try:
                    return _method(*args, **kwargs)
                finally:
                    store_seconds[_name] = store_seconds.get(_name, 0.0) + clock() - started
                    store_seconds[_name + "_calls"] = store_seconds.get(_name + "_calls", 0) + 1

            setattr(timed, name, timed_call)
    get_updates = bot.getUpdates

    def getUpdates(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 (the Bot API's name)
        updates = get_updates(*args, **kwargs)
        now = clock()
        for update in updates if isinstance(updates, list) else ():
            message = update.get("message") or {}
            received.setdefault((message.get("chat", {}).get("id"), message.get("message_id")), now)
        return updates

    bot.getUpdates = getUpdates  # type: ignore[method-assign]
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=bot.stop, daemon=True).start())
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()  # the loop's thread only (this one): where getUpdates batches are journaled
    try:
        bot.message_loop(run_forever=True)
    finally:
        bot.stop()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
    metrics = bot.metrics()
    with open(out, "w") as f:
        json.dump({"latency": latency, "handler": handler, "store_seconds": store_seconds,
                   "handled": sum(metrics.updates_handled.values())}, f)


# -- the harness -------------------------------------------------------------------------------------
@dataclass
class Run:
    backend: str
    replies: int = 0
    msgs_s: float = 0.0
    missing: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    latency: list[float] = field(default_factory=list)
    handler: list[float] = field(default_factory=list)
    store_seconds: dict[str, float] = field(default_factory=dict)
    cpu_per_1k: float = float("nan")
    note: str = ""


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def proc_sample(pid: int) -> tuple[float, int, float] | None:
    from e2e import proc_sample as sample

    return sample(pid)


def run_one(api: Any, backend: str, store: str, updates: int, chats: int, runtime: str, limit: float,
            work: Path, n: int, profile: Path | None) -> Run:
    api.call("/ctl/reset", {"updates": updates, "chats": chats, "delay": 0})
    out = work / f"{backend}-{n}.json"
    prof = str(profile / f"{backend}-{n}.prof") if profile is not None else ""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("ACTORBOT_API_URL", None)
    run = Run(backend)
    with open(work / f"{backend}-{n}.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, __file__, "--bot", api.url, store, runtime, str(out), prof],
                                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(ROOT))
        try:
            started = time.monotonic()
            cpu0 = cpu1 = None
            while True:
                time.sleep(0.05)  # sampling the server's counters; the bound is below
                stats = api.call("/ctl/stats")
                sample = proc_sample(proc.pid)
                if sample is not None:
                    cpu1 = sample[2]
                    if cpu0 is None and stats["firstPoll"] is not None:
                        cpu0 = cpu1
                if stats["replies"] >= updates:
                    time.sleep(0.2)  # late duplicates
                    break
                if proc.poll() is not None:
                    run.note = f"exited {proc.returncode}"
                    break
                if time.monotonic() - started > limit:
                    run.note = "stopped at the limit"
                    break
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    stats, check = api.call("/ctl/stats"), api.call("/ctl/check")
    run.replies = stats["replies"]
    if stats["firstPoll"] is not None and stats["lastReply"] is not None and run.replies:
        run.msgs_s = run.replies / max((stats["lastReply"] - stats["firstPoll"]) / 1000, 1e-9)
    run.missing, run.duplicated, run.out_of_order = check["missing"], check["duplicated"], check["outOfOrder"]
    if cpu0 is not None and cpu1 is not None and run.replies:
        run.cpu_per_1k = (cpu1 - cpu0) / run.replies * 1000
    if out.exists():
        data = json.loads(out.read_text())
        run.latency, run.handler, run.store_seconds = data["latency"], data["handler"], data["store_seconds"]
    else:
        run.note = (run.note + "; " if run.note else "") + "no timings written"
    return run


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--bot":
        run_bot(*sys.argv[2:7])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--size", default="5000/1000", help="UPDATES/CHATS")
    parser.add_argument("--runtime", default="pool", choices=("pool", "threads"))
    parser.add_argument("--repeat", type=int, default=3, help="runs per backend, interleaved (the lower median shown)")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds a run may take")
    parser.add_argument("--profile", type=Path, help="write a cProfile of each bot process's loop thread here")
    args = parser.parse_args()
    updates, chats = (int(x) for x in args.size.split("/"))

    from e2e import FakeApi

    from redisserver import RedisServer

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}; "
          f"{updates:,} updates / {chats:,} chats, runtime={args.runtime}, lower median of {args.repeat} run(s)")
    with tempfile.TemporaryDirectory(prefix="actorbot-durability-") as tmp:
        work = Path(tmp)
        redis = RedisServer(work / "redis").start() if "redis" in args.backends else None
        api = FakeApi()
        try:
            runs: dict[str, list[Run]] = {b: [] for b in args.backends}
            for n in range(args.repeat):
                for backend in args.backends:
                    store = {"memory": "", "sqlite": str(work / f"bot-{n}.db"),
                             "redis": f"{redis.url}?prefix=run{n}" if redis else ""}[backend]
                    runs[backend].append(run_one(api, backend, store, updates, chats, args.runtime, args.limit,
                                                 work, n, args.profile))
                    r = runs[backend][-1]
                    print(f"  run {n + 1} {backend}: {r.msgs_s:,.0f} msgs/s {r.note}", flush=True)
        finally:
            api.stop()
            if redis is not None:
                redis.stop()
    chosen = {b: sorted(rs, key=lambda r: r.msgs_s)[(len(rs) - 1) // 2] for b, rs in runs.items()}
    base = chosen.get("memory")
    print("\n| store | msgs/s | x memory | target | latency p50 ms | p99 ms | handler p50 ms | p99 ms | "
          "cpu s/1k | accept s | commit s (calls) | get s (calls) | missing | dup | order | note |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for backend, r in chosen.items():
        ratio = r.msgs_s / base.msgs_s if base is not None and base.msgs_s else float("nan")
        target = f">= {TARGETS[backend]:.2f} {'met' if ratio >= TARGETS[backend] else 'MISSED'}" \
            if backend in TARGETS else "-"
        secs = r.store_seconds
        print(f"| {backend} | {r.msgs_s:,.0f} | {ratio:.2f} | {target} | {pct(r.latency, .5) * 1000:.1f} | "
              f"{pct(r.latency, .99) * 1000:.1f} | {pct(r.handler, .5) * 1000:.2f} | "
              f"{pct(r.handler, .99) * 1000:.2f} | "
              f"{r.cpu_per_1k:.2f} | {secs.get('accept', 0):.2f} | "
              f"{secs.get('commit', 0):.2f} ({secs.get('commit_calls', 0):.0f}) | "
              f"{secs.get('get', 0):.2f} ({secs.get('get_calls', 0):.0f}) | "
              f"{r.missing} | {r.duplicated} | {r.out_of_order} | {r.note} |")
    all_runs = ", ".join(f"{b}: " + " / ".join(f"{r.msgs_s:,.0f}" for r in rs) for b, rs in runs.items())
    print(f"\nmsgs/s of every run: {all_runs}")
    if base is not None:
        for backend, r in chosen.items():
            if backend != "memory" and r.latency and base.latency:
                added = statistics.median(r.latency) - statistics.median(base.latency)
                print(f"{backend}: added latency (median, getUpdates returned -> reply sent): {added * 1000:+.1f} ms")


if __name__ == "__main__":
    main()
