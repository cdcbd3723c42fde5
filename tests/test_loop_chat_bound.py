"""The per-chat bound on updates accepted but not handled (``max_unfinished_per_chat``), with a
real ``DelegatorBot`` behind a real ``MessageLoop`` or ``OrderedWebhook`` and the loopback API.

What a user sees: every reply, in order per chat; what the server sees: the polls. Every wait
is bounded (events, requests, futures); nothing sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from test_loop_intake import post

from actorbot import DelegatorBot
from actorbot.actors._chats import ChatCounts, chat_of
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler
from actorbot.loop import MessageLoop, OrderedWebhook, Outcome, Webhook, WebhookApp
from loopback import TOKEN, LoopbackApi, Reply, TelegramQueue

WAIT = 5.0


def update(update_id: int, chat: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "date": 0, "chat": {"id": chat, "type": "private"},
                    "from": {"id": chat, "is_bot": False, "first_name": "U"}, "text": text},
    }


class Gate:
    """Chat 1's first message waits (bounded) for :attr:`release`."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.seen: list[int] = []  # unfinished updates of the chat as each of its handlers starts


class Replier(ChatHandler):
    gate: Gate

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        chat = msg["chat"]["id"]
        if chat == 1:
            self.gate.seen.append(self.bot.intake.unfinished_in(1))
            if msg["text"] == "block":
                self.gate.entered.set()
                assert self.gate.release.wait(WAIT)
        self.sender.sendMessage(msg["text"])


@pytest.fixture
def gate(loopback_api: LoopbackApi) -> Iterator[Gate]:
    g = Replier.gate = Gate()
    loopback_api.on("sendMessage", lambda req: Reply(result={"message_id": 1, "date": 0, "chat": {
        "id": int(req.params["chat_id"]), "type": "private"}, "text": req.params.get("text", "")}))
    yield g
    g.release.set()


def make_bot(api: LoopbackApi) -> DelegatorBot:
    return DelegatorBot(TOKEN, [pave_event_space()(per_chat_id(), create_open, Replier, timeout=60)],
                        api_url=api.url, runtime="pool")


def replies(api: LoopbackApi, chat: int) -> list[str]:
    return [r.params["text"] for r in api.calls("sendMessage") if int(r.params["chat_id"]) == chat]


# -- the counting ----------------------------------------------------------------------------------------------
def test_chat_of_counts_by_chat_else_sender() -> None:
    assert chat_of(update(1, 7, "x")) == 7
    press = {"update_id": 2, "callback_query": {"id": "q", "from": {"id": 9}, "message": {"chat": {"id": -100}}}}
    assert chat_of(press) == -100
    assert chat_of({"update_id": 3, "inline_query": {"id": "i", "from": {"id": 9}, "query": ""}}) == 9
    assert chat_of({"update_id": 4, "poll": {"id": "p"}}) is None
    assert chat_of({"update_id": 5}) is None and chat_of("junk") is None


def test_chat_counts_track_the_busiest_chat_and_forget_idle_ones() -> None:
    counts = ChatCounts()
    for chat in (1, 1, 1, 2, 2):
        counts.add(chat)
    assert counts.busiest == 3 and counts.of(1) == 3 and counts.of(2) == 2
    counts.remove(1)
    counts.remove(1)
    assert counts.busiest == 2
    counts.remove(2)
    counts.remove(2)
    assert counts.busiest == 1 and len(counts) == 1
    counts.remove(1)
    assert counts.busiest == 0 and len(counts) == 0


# -- polling ---------------------------------------------------------------------------------------------------
def test_polling_takes_a_batch_up_to_the_chat_bound_and_pauses(loopback_api: LoopbackApi, gate: Gate) -> None:
    """Chat 1 floods (20 updates, its first one blocked), chat 2 comes after: the loop accepts 5 of
    chat 1 and stops fetching (one stream, one offset); once chat 1 moves everything arrives, in order."""
    flood = [update(n, 1, "block" if n == 1 else f"c1-{n}") for n in range(1, 21)]
    later = [update(n, 2, f"c2-{n}") for n in range(21, 24)]
    telegram = TelegramQueue(loopback_api, *flood, *later, hold=WAIT)
    bot = make_bot(loopback_api)
    loop = MessageLoop(bot, max_unfinished=50, max_unfinished_per_chat=5)
    loop.run_as_thread(relax=0, timeout=1)
    try:
        assert gate.entered.wait(WAIT)
        with pytest.raises(AssertionError):  # paused: no second poll while chat 1 holds 5
            loopback_api.wait_request("getUpdates", count=2, timeout=0.3)
        assert bot.intake.unfinished_in(1) == 5 and bot.intake.unfinished() == 5
        assert replies(loopback_api, 2) == []  # behind chat 1 in the stream: it waits too (the price)
        gate.release.set()
        loopback_api.wait_request("sendMessage", count=23, timeout=WAIT)
    finally:
        loop.stop()
        telegram.release()
        bot.stop()
    assert replies(loopback_api, 1) == ["block"] + [f"c1-{n}" for n in range(2, 21)]
    assert replies(loopback_api, 2) == [f"c2-{n}" for n in range(21, 24)]
    assert max(gate.seen) <= 5, gate.seen  # never more than 5 of chat 1 accepted and unfinished


# -- webhook ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", [OrderedWebhook, Webhook])
def test_a_webhook_refuses_only_the_chat_at_its_bound(loopback_api: LoopbackApi, gate: Gate, kind: type) -> None:
    """Chat 1 holds 3 unfinished: its next update gets 503 (Telegram delivers it again, and holds
    chat 1's later ones meanwhile); chat 2 is answered at once, even by an OrderedWebhook holding
    a gap for 30 s; chat 1's re-delivered update is accepted once there is room, in order."""
    bot = make_bot(loopback_api)
    hook = kind(bot, max_unfinished_per_chat=3)
    if kind is OrderedWebhook:
        hook.run_as_thread(maxhold=30)
    else:
        hook.run_as_thread()
    app = WebhookApp(hook, secret_token=None, allow_unauthenticated=True)
    try:
        assert post(app, update(1, 1, "block"))[0] == "200 OK"
        assert gate.entered.wait(WAIT)
        assert post(app, update(2, 1, "two"))[0] == "200 OK"
        assert post(app, update(3, 1, "three"))[0] == "200 OK"
        status, headers = post(app, update(4, 1, "four"))
        assert status.startswith("503") and headers.get("Retry-After") == "1"
        assert post(app, update(5, 2, "other chat"))[0] == "200 OK"
        loopback_api.wait_request("sendMessage", count=1, timeout=WAIT)  # not 30 s of maxhold
        assert replies(loopback_api, 2) == ["other chat"]
        gate.release.set()
        loopback_api.wait_request("sendMessage", count=4, timeout=WAIT)
        assert post(app, update(4, 1, "four"))[0] == "200 OK"  # Telegram's next attempt
        loopback_api.wait_request("sendMessage", count=5, timeout=WAIT)
    finally:
        hook.stop()
        bot.stop()
    assert replies(loopback_api, 1) == ["block", "two", "three", "four"]
    assert max(gate.seen) <= 3, gate.seen


def test_a_webhook_refuses_everyone_at_the_overall_bound(loopback_api: LoopbackApi, gate: Gate) -> None:
    bot = make_bot(loopback_api)
    hook = Webhook(bot, max_unfinished=2)
    hook.run_as_thread()
    try:
        assert hook.feed(update(1, 1, "block")).wait(WAIT) is Outcome.ACCEPTED
        assert gate.entered.wait(WAIT)
        assert hook.feed(update(2, 1, "two")).wait(WAIT) is Outcome.ACCEPTED
        assert hook.feed(update(3, 2, "other")).wait(WAIT) is Outcome.BUSY  # 2 unfinished: no room
        gate.release.set()
        loopback_api.wait_request("sendMessage", count=2, timeout=WAIT)
        bot.settle(WAIT)  # both done
        assert hook.feed(update(3, 2, "other")).wait(WAIT) is Outcome.ACCEPTED  # Telegram's next attempt
        loopback_api.wait_request("sendMessage", count=3, timeout=WAIT)
    finally:
        hook.stop()
        bot.stop()
    assert replies(loopback_api, 1) == ["block", "two"] and replies(loopback_api, 2) == ["other"]


def test_the_reorderer_does_not_wait_for_a_refused_id() -> None:
    from actorbot.loop import Reorderer

    r: Reorderer[str] = Reorderer(maxhold=30)
    assert r.push(1, "a", 0).ready == ("a",)
    assert r.skip(2, 0) == ()
    assert r.push(3, "c", 0).ready == ("c",)  # at once, not after 30 s
    assert r.push(2, "b", 1).ready == ("b",)  # the copy delivered again: released as it comes
    assert r.skip(9, 1) == () and r.next_deadline() == 31  # 5..8 not seen yet: waited for
    assert r.push(4, "d", 2).ready == ("d",)
    assert r.push(2, "b", 3).rejected == "b"  # a duplicate now
