"""Flood control measured in real time against the emulator (about 15 s).

1. Lanes: chat A gets a 429 (retry after 2 s); meanwhile chat B and ten other chats send.
   Prints B's and the others' latencies during A's pause, and when A's messages arrived.
2. Pacing: ``TelegramLimits()`` with the emulator enforcing Telegram's limits: one private
   chat, then 150 chats from 16 threads. Prints msgs/s at the server and 429s.
3. A broadcast to 300 chats. Prints msgs/s at the server and 429s.

Run: ``python benchmarks/flood.py``. Times at the server are the emulator's call log dates.
"""

from __future__ import annotations

import statistics
import threading
import time
from typing import Any

from actorbot import Bot
from actorbot.api import TelegramLimits
from actorbot.emulator import Emulator, Fault


def _rate(dates: list[float]) -> float:
    dates = sorted(dates)
    return (len(dates) - 1) / (dates[-1] - dates[0]) if len(dates) > 1 and dates[-1] > dates[0] else float("inf")


def lanes() -> None:
    with Emulator() as emu:
        a = emu.sim.create_user("A")
        b = emu.sim.create_user("B")
        others = [emu.sim.create_user(f"o{i}") for i in range(10)]
        emu.fail("sendMessage", Fault.rate_limit(retry_after=2), chat_id=a.id)
        with Bot(emu.token, api_url=emu.url) as bot:
            started = time.monotonic()
            a_done: list[float] = []

            def send_a(n: int) -> None:
                bot.sendMessage(a.id, f"a{n}")
                a_done.append(time.monotonic() - started)

            threads = [threading.Thread(target=send_a, args=(n,)) for n in range(3)]
            for t in threads:
                t.start()
            b_lat, o_lat = [], []
            while time.monotonic() - started < 1.5:  # during A's pause
                t0 = time.monotonic()
                bot.sendMessage(b.id, "b")
                b_lat.append(time.monotonic() - t0)
                for o in others:
                    t0 = time.monotonic()
                    bot.sendMessage(o.id, "o")
                    o_lat.append(time.monotonic() - t0)
            for t in threads:
                t.join()
        ms = 1000.0
        print("1. lanes: chat A answered 429 retry_after=2 at t=0")
        print(f"   chat B during A's pause: {len(b_lat)} sends, latency median {statistics.median(b_lat) * ms:.1f} ms,"
              f" max {max(b_lat) * ms:.1f} ms")
        print(f"   10 other chats: {len(o_lat)} sends, latency median {statistics.median(o_lat) * ms:.1f} ms,"
              f" max {max(o_lat) * ms:.1f} ms")
        print(f"   chat A's 3 messages done at {', '.join(f'{x:.2f}' for x in sorted(a_done))} s;"
              f" order {[m['text'] for m in a.chat.bot_messages()]}")


def pacing() -> None:
    with Emulator(flood_limits=True) as emu:
        alice = emu.sim.create_user("Alice")
        users = [emu.sim.create_user(f"u{i}") for i in range(150)]
        with Bot(emu.token, api_url=emu.url, flood_limits=TelegramLimits()) as bot:
            for n in range(6):
                bot.sendMessage(alice.id, str(n))
            one = [c.date for c in emu.calls("sendMessage")]
            queue = list(users)
            lock = threading.Lock()

            def worker() -> None:
                while True:
                    with lock:
                        if not queue:
                            return
                        user = queue.pop()
                    bot.sendMessage(user.id, "hi")

            threads = [threading.Thread(target=worker) for _ in range(16)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        calls = emu.calls("sendMessage")
        many = [c.date for c in calls[6:]]
        gaps = [f"{b - a:.2f}" for a, b in zip(one, one[1:], strict=False)]
        print("2. pacing (TelegramLimits, emulator enforcing Telegram's limits)")
        print(f"   one private chat, 6 sends: gaps {gaps} s")
        print(f"   150 chats from 16 threads: {_rate(many):.1f} msgs/s at the server;"
              f" 429s: {emu.flood_refusals}")


def broadcast() -> None:
    with Emulator(flood_limits=True) as emu:
        users = [emu.sim.create_user(f"u{i}") for i in range(300)]
        with Bot(emu.token, api_url=emu.url) as bot:
            t0 = time.monotonic()
            result = bot.broadcast([u.id for u in users], lambda chat: "news").wait(60)
            took = time.monotonic() - t0
        dates = [c.date for c in emu.calls("sendMessage") if c.status == 200]
        print(f"3. broadcast, 300 chats: {result.sent} sent in {took:.1f} s, {_rate(dates):.1f} msgs/s at the server;"
              f" 429s: {emu.flood_refusals}")


def main() -> Any:
    lanes()
    pacing()
    broadcast()


if __name__ == "__main__":
    main()
