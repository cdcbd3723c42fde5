"""getUpdates: acknowledgement, negative offsets, limit, long polls, allowed_updates, conflicts, clock."""

from __future__ import annotations

import threading
import time

import freezegun
from emukit import TOKEN, Client

from actorbot.emulator import Emulator


def _texts(updates):
    return [u["message"]["text"] for u in updates]


def test_offset_acknowledges_and_limit_caps(api, alice):
    for n in range(5):
        alice.send(f"m{n}")
    first = api.ok("getUpdates", limit=2)
    assert _texts(first) == ["m0", "m1"]
    assert api.ok("getUpdates", limit=2) == first  # not acknowledged yet
    rest = api.ok("getUpdates", offset=first[-1]["update_id"] + 1)
    assert _texts(rest) == ["m2", "m3", "m4"]
    assert [u["update_id"] for u in first + rest] == list(range(first[0]["update_id"], first[0]["update_id"] + 5))


def test_negative_offset_keeps_only_the_last_updates(api, alice):
    for n in range(4):
        alice.send(f"m{n}")
    assert _texts(api.ok("getUpdates", offset=-2)) == ["m2", "m3"]
    assert _texts(api.ok("getUpdates")) == ["m2", "m3"]  # earlier ones are forgotten


def test_long_poll_is_woken_by_a_new_update(api, alice, emu):
    result = {}

    def poll():
        result["updates"] = Client(emu).ok("getUpdates", timeout=30)

    poller = threading.Thread(target=poll)
    started = time.monotonic()
    poller.start()
    emu.sim.wait_until(lambda: emu.world.poll_generation >= 1, what="the poll to start waiting")
    alice.send("wake up")
    poller.join(10)
    assert _texts(result["updates"]) == ["wake up"]
    assert time.monotonic() - started < 10


def test_long_poll_times_out_empty(api):
    started = time.monotonic()
    assert api.ok("getUpdates", timeout=1) == []
    assert 0.9 <= time.monotonic() - started < 5


def test_allowed_updates_are_remembered(api, alice, emu):
    chat_message = alice.send("ignored later?")
    api.ok("getUpdates", offset=-1, allowed_updates=["callback_query"])
    api.ok("getUpdates", offset=10**6)  # acknowledge everything
    alice.send("not wanted")
    api.ok("sendMessage", chat_id=alice.id, text="menu",
           reply_markup={"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]})
    menu = emu.sim.messages(alice.chat)[-1]
    alice.press(menu, label="Go")
    updates = api.ok("getUpdates")  # no allowed_updates: the previous setting holds
    assert [list(u)[1] for u in updates] == ["callback_query"]
    assert chat_message["text"] == "ignored later?"


def test_default_allowed_updates_exclude_chat_member(api, alice, emu):
    group = emu.sim.create_chat("group", "G", members=[alice])
    bob = emu.sim.create_user("bob")
    group.add_member(bob)
    kinds = [list(u)[1] for u in api.ok("getUpdates")]
    assert kinds == ["message"]  # the join message, not chat_member
    api.ok("getUpdates", offset=-1, allowed_updates=["chat_member", "message"])
    api.ok("getUpdates", offset=10**6)
    carol = emu.sim.create_user("carol")
    group.add_member(carol)
    assert [list(u)[1] for u in api.ok("getUpdates")] == ["chat_member", "message"]


def test_a_second_poll_terminates_the_first_with_409(api, emu):
    result = {}

    def poll():
        result["answer"] = Client(emu).call("getUpdates", timeout=20)

    first = threading.Thread(target=poll)
    first.start()
    emu.sim.wait_until(lambda: emu.world.poll_generation >= 1, what="the first poll")
    assert api.ok("getUpdates", timeout=0) == []
    first.join(10)
    assert result["answer"].status == 409
    assert result["answer"].json["description"] == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")


def test_frozen_clock_stamps_dates_and_long_polls_still_end():
    with freezegun.freeze_time("2030-01-02 03:04:05"):
        with Emulator(TOKEN) as emu:
            client = Client(emu)
            user = emu.sim.create_user("zoe")
            sent = client.ok("sendMessage", chat_id=user.id, text="hi")
            assert sent["date"] == 1893553445
            assert user.send("yo")["date"] == 1893553445
            client.ok("getUpdates", offset=10**6)
            assert client.ok("getUpdates", timeout=1) == []  # returns after 1 real second
            client.http.clear()


def test_injected_clock_is_used_for_dates():
    now = [1_700_000_000.0]
    with Emulator(TOKEN, clock=lambda: now[0]) as emu:
        client = Client(emu)
        user = emu.sim.create_user("kim")
        assert client.ok("sendMessage", chat_id=user.id, text="a")["date"] == 1_700_000_000
        now[0] += 60
        assert client.ok("sendMessage", chat_id=user.id, text="b")["date"] == 1_700_000_060
        client.http.clear()
