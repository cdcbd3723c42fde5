"""The emulator's flood limits (on request) and its faults aimed at one chat."""

from __future__ import annotations

from typing import Any

import pytest

from actorbot.api import TelegramLimits
from actorbot.emulator import Emulator, Fault


def _send(api: Any, emu: Emulator, chat_id: Any, **extra: Any) -> Any:
    response = api.request("POST", f"{emu.url}/bot{emu.token}/sendMessage",
                           json={"chat_id": chat_id, "text": "x"} | extra)
    return response.status, response.json()


@pytest.fixture
def api() -> Any:
    import urllib3

    http = urllib3.PoolManager()
    yield http
    http.clear()


def test_a_private_chat_takes_a_burst_of_three_then_one_a_second(emu, api, clock):
    alice = emu.sim.create_user("Alice")
    assert [_send(api, emu, alice.id)[0] for _ in range(3)] == [200, 200, 200]
    status, body = _send(api, emu, alice.id)
    assert status == 429
    assert body == {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1}}
    clock.advance(1.0)
    assert _send(api, emu, alice.id)[0] == 200
    assert emu.calls("sendMessage")[3].fault == "flood_limit"
    assert len(alice.chat.bot_messages()) == 4  # the refused one had no effect
    assert emu.flood_refusals == 1


def test_a_group_takes_twenty_a_minute(emu, api, clock):
    alice = emu.sim.create_user("Alice")
    group = emu.sim.create_chat("group", "G", members=[alice])
    statuses = []
    for _ in range(4):
        statuses.append(_send(api, emu, group.id)[0])
    assert statuses == [200, 200, 200, 429]
    status, body = _send(api, emu, group.id)
    assert body["parameters"]["retry_after"] == 3  # the next slot, 3 s away, in whole seconds
    clock.advance(3.0)
    assert _send(api, emu, group.id)[0] == 200


def test_the_whole_bot_takes_thirty_a_second(emu, api, clock):
    users = [emu.sim.create_user(f"u{i}") for i in range(40)]
    statuses = [_send(api, emu, user.id)[0] for user in users]
    assert statuses.count(200) == 30 and statuses[30:] == [429] * 10
    clock.advance(1 / 30)
    assert _send(api, emu, users[-1].id)[0] == 200


def test_paid_broadcasts_have_their_own_lane(emu, api, clock):
    users = [emu.sim.create_user(f"u{i}") for i in range(100)]
    paid, plain = [], []
    for user in users:  # 1,000 a second
        paid.append(_send(api, emu, user.id, allow_paid_broadcast=True)[0])
        clock.advance(0.001)
    for user in users:
        plain.append(_send(api, emu, user.id, text="again")[0])
        clock.advance(0.001)
    assert paid == [200] * 100
    assert plain.count(429) > 60  # 30 a second without paying


def test_limits_are_off_by_default_and_can_be_switched(api, clock):
    with Emulator(clock=clock.now) as emu:
        alice = emu.sim.create_user("Alice")
        assert [_send(api, emu, alice.id)[0] for _ in range(10)] == [200] * 10
        emu.enforce_limits(TelegramLimits(private_per_second=1, private_burst=1))
        assert [_send(api, emu, alice.id)[0] for _ in range(2)] == [200, 429]
        emu.enforce_limits(False)
        assert _send(api, emu, alice.id)[0] == 200


def test_a_fault_can_target_one_chat(api, clock):
    with Emulator(clock=clock.now) as emu:
        alice, bob = emu.sim.create_user("Alice"), emu.sim.create_user("Bob")
        emu.fail("sendMessage", Fault.rate_limit(retry_after=9), times=2, chat_id=alice.id)
        assert _send(api, emu, bob.id)[0] == 200
        status, body = _send(api, emu, alice.id)
        assert status == 429 and body["parameters"] == {"retry_after": 9}
        assert _send(api, emu, bob.id)[0] == 200
        assert _send(api, emu, alice.id)[0] == 429
        assert _send(api, emu, alice.id)[0] == 200
        assert emu.faults.pending() == 0
