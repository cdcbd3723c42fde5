"""``TelegramLimits`` pacing: sends paced ahead of any 429, answers before edits before sends."""

from __future__ import annotations

import threading

import pytest
from floodkit import Sends, eventually

from actorbot import Bot
from actorbot.api import FloodGate, ManualClock, TelegramLimits
from actorbot.api._pacing import RateBucket, chat_kind, paced_priority


def test_policy_values():
    limits = TelegramLimits()
    assert (limits.private_per_second, limits.group_per_minute, limits.overall_per_second,
            limits.paid_per_second) == (1.0, 20.0, 30.0, 1000.0)
    with pytest.raises(ValueError):
        TelegramLimits(overall_per_second=0)
    assert chat_kind("42") == "private" and chat_kind("-100123") == "group" and chat_kind("@news") == "group"
    assert paced_priority("answerCallbackQuery", {}) == 0
    assert paced_priority("editMessageText", {}) == 1
    assert paced_priority("sendPhoto", {}) == 2
    assert paced_priority("getChat", {}) is None and paced_priority("sendChatAction", {}) is None


def test_a_bucket_takes_a_burst_then_the_rate():
    bucket = RateBucket(rate=2.0, burst=2)
    for t in (0.0, 0.0):
        assert bucket.ready_at(t) <= t
        bucket.take(t)
    assert bucket.ready_at(0.0) == 0.5
    bucket.take(0.5)
    assert bucket.ready_at(0.5) == 1.0


def test_one_chat_is_paced_to_its_limit_without_a_429(emu, clock):
    alice = emu.sim.create_user("Alice")
    with Bot(emu.token, api_url=emu.url, flood_limits=TelegramLimits(), flood_clock=clock) as bot:
        for n in range(13):
            bot.sendMessage(alice.id, str(n))
    calls = emu.calls("sendMessage")
    assert [c.status for c in calls] == [200] * 13
    dates = [c.date for c in calls]
    # a burst of 3 (each 1/30 s apart: the overall rate), then 1 every 1.05 s (the jitter margin)
    assert [round(d, 6) for d in dates] == [0.0, round(1 / 30, 6), round(2 / 30, 6)] + [
        round(1.05 * n, 6) for n in range(1, 11)]


def test_many_chats_at_once_are_paced_overall_without_a_429(emu, clock):
    users = [emu.sim.create_user(f"u{i}") for i in range(120)]
    with Bot(emu.token, api_url=emu.url, flood_limits=TelegramLimits(), flood_clock=clock) as bot:
        threads = [threading.Thread(target=bot.sendMessage, args=(u.id, "hello")) for u in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    calls = emu.calls("sendMessage")
    assert len(calls) == 120 and emu.flood_refusals == 0
    dates = sorted(c.date for c in calls)
    # 120 slots 1/30 s apart from 0: the last cannot be sent before 119/30 s (30 a second)
    assert dates[-1] >= 119 / 30 - 1e-9


def test_answers_go_before_edits_before_sends():
    clock = ManualClock(start=0.0)
    gate = FloodGate(clock=clock, limits=TelegramLimits())
    sends = Sends(gate)
    sends.call("first", 1, [None])  # takes the overall slot at 0: the next is at 1/30
    sends.start("send", 3, [None], "sendMessage")
    eventually(lambda: len(gate._paced_ready) == 1)
    sends.start("edit", 2, [None], "editMessageText")
    eventually(lambda: len(gate._paced_ready) == 2)
    sends.start("answer", None, [None], "answerCallbackQuery")
    eventually(lambda: len(gate._paced_ready) == 3)
    for n in range(1, 4):
        clock.advance(1 / 30)
        eventually(lambda n=n: len(sends.attempts) == 1 + n)
    sends.join()
    assert sends.order() == ["first", "answer", "edit", "send"]
