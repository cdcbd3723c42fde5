"""Store benchmark: group commits per second for each backend of ``actorbot.store``.

A *transaction* is one ``Store.commit([...])`` of G units, each unit a conversation's
state record (~200 bytes of JSON) plus the update id it marks done: what the engine's
group commit writes after handling G updates. For each backend and G in 1, 10, 100 the
script runs transactions until ``--seconds`` were spent inside the store (building the
arguments is not timed) and prints transactions/s, records/s and the
median and 99th percentile latency of one transaction. A second table times
``accept()`` of batches of G updates (what a loop journals per ``getUpdates`` answer).

Backends: ``memory``; ``sqlite`` (WAL, ``synchronous=NORMAL``, the default) and
``sqlite-full`` (``synchronous=FULL``: an fsync per transaction) on a file in ``--dir``;
``redis`` (a redis-server this script starts on a free loopback port with no persistence)
and ``redis-aof`` (``appendonly yes``, ``appendfsync everysec``). Every server and file
is removed at the end. Needs ``redis-server`` on PATH and redis-py for the Redis rows.

    PYTHONPATH=. python benchmarks/store.py
    PYTHONPATH=. python benchmarks/store.py --seconds 1 --backends sqlite redis --groups 1 100
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/redisserver.py

from actorbot.store import Commit, MemoryStore, RedisStore, SQLiteStore, Store, Write  # noqa: E402
from redisserver import RedisServer  # noqa: E402

_A = TypeVar("_A")
BACKENDS = ("memory", "sqlite", "sqlite-full", "redis", "redis-aof")


@contextmanager
def open_backend(name: str, directory: Path) -> Iterator[Store]:
    """A fresh store of backend ``name`` (and its server), removed afterwards."""
    work = Path(tempfile.mkdtemp(prefix=f"store-{name}-", dir=directory))
    server: RedisServer | None = None
    store: Store | None = None
    try:
        if name == "memory":
            store = MemoryStore()
        elif name.startswith("sqlite"):
            store = SQLiteStore(work / "bot.db", synchronous="FULL" if name == "sqlite-full" else "NORMAL")
        else:
            extra = ("--appendonly", "yes", "--appendfsync", "everysec") if name == "redis-aof" else ()
            server = RedisServer(work / "redis", extra_args=extra).start()
            store = RedisStore(server.url, prefix="bench")
        yield store
    finally:
        if store is not None:
            store.close()
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


def state(chat: int, n: int) -> dict[str, object]:
    return {
        "state": "asking",
        "count": n,
        "chat": {"id": chat, "type": "private", "first_name": "User"},
        "answers": ["yes", "no", "maybe"][: 1 + n % 3],
        "note": "x" * 80,
    }


def update(update_id: int) -> dict[str, object]:
    return {"update_id": update_id, "message": {"message_id": update_id, "chat": {"id": update_id % 1000},
                                                "date": 1700000000, "text": "hello " * 5}}


def measure(make: Callable[[int], _A], run: Callable[[_A], object], seconds: float) -> tuple[int, float, list[float]]:
    """``run(make(i))`` for i = 0, 1, ... until ``seconds`` of ``run`` passed: (count, seconds, latencies).

    Only ``run`` is timed: building the arguments (``make``) is the caller's work, not the store's.
    """
    latencies: list[float] = []
    total = 0.0
    i = 0
    while total < seconds:
        argument = make(i)
        t0 = time.perf_counter()
        run(argument)
        latency = time.perf_counter() - t0
        latencies.append(latency)
        total += latency
        i += 1
    return i, total, latencies


def row(backend: str, group: int, count: int, elapsed: float, latencies: list[float]) -> str:
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    return (f"| {backend:<11} | {group:>5} | {count / elapsed:>10,.0f} | {count * group / elapsed:>10,.0f} "
            f"| {p50:>8.3f} | {p99:>8.3f} |")


HEADER = ("| backend     | group |    trans/s |  records/s |  p50 ms  |  p99 ms  |\n"
          "|-------------|------:|-----------:|-----------:|---------:|---------:|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--groups", nargs="+", type=int, default=[1, 10, 100], help="records per transaction")
    parser.add_argument("--seconds", type=float, default=2.0, help="per cell")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()), help="where the files go")
    args = parser.parse_args()

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
          f"files in {args.dir}, {args.seconds:g} s per cell\n")
    print("commit(): G units, each one record written + one update id marked done\n")
    print(HEADER)
    for backend in args.backends:
        for group in args.groups:
            with open_backend(backend, args.dir) as store:
                store.accept([(i, update(i)) for i in range(1, 1 + group * 50)])  # some journal to mark done

                def commits(i: int, group: int = group) -> list[Commit]:
                    base = i * group
                    return [Commit((Write("conv", str((base + j) % 1000), state(base + j, i)),), done=(base + j + 1,))
                            for j in range(group)]

                print(row(backend, group, *measure(commits, store.commit, args.seconds)), flush=True)
    print("\naccept(): G updates journalled in one call (all new)\n")
    print(HEADER)
    for backend in args.backends:
        for group in args.groups:
            with open_backend(backend, args.dir) as store:

                def updates(i: int, group: int = group) -> list[tuple[int, dict[str, object]]]:
                    return [(i * group + j, update(i * group + j)) for j in range(group)]

                print(row(backend, group, *measure(updates, store.accept, args.seconds)), flush=True)


if __name__ == "__main__":
    main()
