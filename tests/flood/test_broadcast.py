"""Broadcasts against the emulator enforcing Telegram's limits, on a clock they share.

The bot's flood clock and the emulator's clock are one VirtualClock: the broadcast's
pacing sleeps move it, so 1,000 chats at 30 a second "take" 33 s of that clock and well
under a few real seconds, and the emulator judges each send at the time the pacer chose.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from floodkit import eventually

from actorbot import Bot, BroadcastProgress
from actorbot.api import ManualClock, VirtualClock
from actorbot.emulator import Emulator, Fault
from actorbot.store import MemoryStore, SQLiteStore


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(start=1_000_000.0)


@pytest.fixture
def emu(clock: VirtualClock) -> Any:
    with Emulator(clock=clock.now, flood_limits=True, call_log_size=10_000) as emulator:
        yield emulator


def _bot(emu: Emulator, clock: VirtualClock) -> Bot:
    return Bot(emu.token, api_url=emu.url, flood_clock=clock)


def _sends(emu: Emulator) -> list[Any]:
    return [c for c in emu.calls("sendMessage") if c.status == 200]


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_broadcast_to_1000_chats_goes_at_30_a_second_without_a_429(emu, clock, concurrency):
    users = [emu.sim.create_user(f"u{i}") for i in range(1000)]
    progress: list[BroadcastProgress] = []
    bot = _bot(emu, clock)
    try:
        job = bot.broadcast([u.id for u in users], lambda chat: f"news for {chat}",
                            concurrency=concurrency, on_progress=progress.append, progress_every=5.0)
        result = job.wait(30)
    finally:
        bot.stop()
    assert not job.running
    assert result.sent == 1000 and result.count("sent") == 1000
    assert emu.flood_refusals == 0
    assert [c.status for c in emu.calls("sendMessage")].count(429) == 0
    dates = [c.date for c in _sends(emu)]
    rate = (len(dates) - 1) / (dates[-1] - dates[0])
    assert 29.0 <= rate <= 30.5, rate
    per_second = Counter(int(d - dates[0]) for d in dates)
    # at the server, in any second of the clock; with several workers a send stamped late
    # (the clock moved while it was on the wire) may fall into the next second
    assert max(per_second.values()) <= (31 if concurrency == 1 else 34)
    assert 6 <= len(progress) <= 8 and progress[-1].done == 1000  # every 5 s of 33 s, and the last
    assert bot.metrics().flood_chat_429s == 0


def test_results_per_chat(emu, clock):
    alice, bob = emu.sim.create_user("Alice"), emu.sim.create_user("Bob")
    emu.sim.block(bob)
    with _bot(emu, clock) as bot:
        result = bot.broadcast([alice.id, bob.id, 424242], lambda chat: {"text": "hi", "disable_notification": True},
                               ).wait(10)
    assert result.results == {alice.id: "sent", bob.id: "blocked", 424242: "chat_not_found"}
    assert alice.chat.bot_messages()[0]["text"] == "hi"


def _stop_after(n: int, job_box: list[Any], made: list[Any], stopped: threading.Event) -> Any:
    def make(chat: Any) -> str:
        made.append(chat)
        if len(made) == n:
            stopped.wait(5)  # the job exists by now
            job_box[0].stop()
        return "once"

    return make


@pytest.mark.parametrize("store_kind", ["memory", "sqlite"])
def test_a_broadcast_stopped_halfway_resumes_and_reaches_every_chat_once(emu, clock, tmp_path: Path, store_kind):
    users = [emu.sim.create_user(f"u{i}") for i in range(200)]
    chats = [u.id for u in users]
    store = MemoryStore() if store_kind == "memory" else SQLiteStore(tmp_path / "b.db")
    try:
        job_box: list[Any] = [None]
        made: list[Any] = []
        created = threading.Event()
        bot = _bot(emu, clock)
        try:
            job_box[0] = bot.broadcast(chats, _stop_after(100, job_box, made, created), job_id="news",
                                       store=store, concurrency=2)
            created.set()
            first = job_box[0].wait(30)
        finally:
            bot.stop()  # the "restart": a new bot, the same store
        assert first.stopped and 90 <= first.sent < 200

        bot = _bot(emu, clock)
        try:
            second = bot.broadcast(chats, lambda chat: "once", job_id="news", store=store).wait(30)
        finally:
            bot.stop()
        assert not second.stopped and second.resent_after_crash == 0
        assert second.skipped == first.sent and second.sent == 200  # results cover the skipped chats too
        assert len(_sends(emu)) == 200
        per_chat = Counter(c.params["chat_id"] for c in _sends(emu))
        assert set(per_chat) == set(chats) and set(per_chat.values()) == {1}  # every chat, once
        assert emu.flood_refusals == 0
    finally:
        store.close()


def test_a_send_in_flight_at_a_crash_is_sent_again_and_counted(emu, clock):
    users = [emu.sim.create_user(f"u{i}") for i in range(5)]
    chats = [u.id for u in users]
    store = MemoryStore()
    # the state a crash leaves: two chats done, one marked "sending" (it did reach the chat)
    with _bot(emu, clock) as bot:
        bot.sendMessage(chats[2], "once")
    store.put("broadcast", f"news:{chats[0]}", {"status": "sent"})
    store.put("broadcast", f"news:{chats[1]}", {"status": "blocked"})
    store.put("broadcast", f"news:{chats[2]}", {"status": "sending"})
    with _bot(emu, clock) as bot:
        result = bot.broadcast(chats, lambda chat: "once", job_id="news", store=store).wait(10)
    assert result.skipped == 2 and result.resent_after_crash == 1
    assert result.results[chats[1]] == "blocked" and result.sent == 4
    per_chat = Counter(c.params["chat_id"] for c in _sends(emu))
    assert per_chat == {chats[2]: 2, chats[3]: 1, chats[4]: 1}  # the one in flight: twice
    assert store.get("broadcast", f"news:{chats[4]}") == {"status": "sent"}


def test_stopping_the_bot_stops_its_broadcast(emu, clock):
    users = [emu.sim.create_user(f"u{i}") for i in range(50)]
    gate = threading.Event()

    def make(chat: Any) -> str:
        gate.wait(5)
        return "x"

    bot = _bot(emu, clock)
    job = bot.broadcast([u.id for u in users], make, concurrency=2)
    gate.set()
    bot.stop()
    assert not job.running


def test_stopping_the_bot_ends_a_broadcast_waiting_out_a_429(emu, clock):
    users = [emu.sim.create_user(f"u{i}") for i in range(3)]
    emu.fail("sendMessage", Fault.rate_limit(retry_after=30), chat_id=users[1].id)
    manual = ManualClock(start=0.0)  # never advanced: only the stop can end the wait
    store = MemoryStore()
    bot = Bot(emu.token, api_url=emu.url, flood_clock=manual)
    job = bot.broadcast([u.id for u in users], lambda chat: "x", job_id="x", store=store, concurrency=1)
    eventually(lambda: len(users[0].chat.bot_messages()) == 1)
    manual.advance(1.0)  # the pacer's next slot
    eventually(lambda: bot.flood_gate.deadline(users[1].id) == 31.0)
    bot.stop()
    assert not job.running
    result = job.result()
    assert result.stopped and result.results == {users[0].id: "sent"}
    assert store.get("broadcast", f"x:{users[0].id}") == {"status": "sent"}
    assert store.get("broadcast", f"x:{users[1].id}") is None  # never sent: a resume sends it


def test_a_delegator_bot_keeps_progress_in_its_store_only_for_a_named_job(emu, clock):
    from actorbot import DelegatorBot

    users = [emu.sim.create_user(f"u{i}") for i in range(3)]
    chats = [u.id for u in users]
    bot = DelegatorBot(emu.token, [], api_url=emu.url, flood_clock=clock)
    try:
        assert bot.broadcast(chats, lambda chat: "a").wait(10).sent == 3
        assert bot.broadcast(chats, lambda chat: "a").wait(10).sent == 3  # no job_id: a new broadcast
        assert bot.store.keys("broadcast") == []
        assert bot.broadcast(chats, lambda chat: "b", job_id="b").wait(10).skipped == 0
        again = bot.broadcast(chats, lambda chat: "b", job_id="b").wait(10)
        assert again.skipped == 3 and again.sent == 3
    finally:
        bot.stop()
    assert Counter(c.params["text"] for c in _sends(emu)) == {"a": 6, "b": 3}
