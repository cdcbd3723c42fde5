"""Faults on demand: 429 with retry_after, 5xx, dropped connections, slow answers."""

from __future__ import annotations

import time

import pytest
import urllib3

from actorbot.emulator import Fault


def test_rate_limit_for_the_next_n_calls(api, alice, emu):
    emu.fail("sendMessage", Fault.rate_limit(retry_after=7), times=2)
    for _ in range(2):
        answer = api.call("sendMessage", chat_id=alice.id, text="x")
        assert answer.status == 429
        assert answer.json == {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                               "parameters": {"retry_after": 7}}
    assert api.ok("sendMessage", chat_id=alice.id, text="x")["text"] == "x"
    assert [c.fault for c in emu.calls("sendMessage")] == ["rate_limit", "rate_limit", None]
    assert len(alice.chat.messages()) == 1  # refused calls had no effect


def test_server_error(api, alice, emu):
    emu.fail("getMe", Fault.server_error(502))
    answer = api.call("getMe")
    assert answer.status == 502 and answer.json["description"] == "Bad Gateway"
    assert api.ok("getMe")["is_bot"]


def test_dropped_connection_before_and_after_processing(api, alice, emu):
    emu.fail("sendMessage", Fault.drop())
    with pytest.raises(urllib3.exceptions.ProtocolError):
        api.http.request("POST", f"{emu.url}/bot{api.token}/sendMessage", json={"chat_id": alice.id, "text": "lost"})
    assert alice.chat.messages() == []
    emu.fail("sendMessage", Fault.drop(processed=True))
    with pytest.raises(urllib3.exceptions.ProtocolError):
        api.http.request("POST", f"{emu.url}/bot{api.token}/sendMessage", json={"chat_id": alice.id, "text": "done"})
    assert [m["text"] for m in alice.chat.messages()] == ["done"]  # only the answer was lost
    assert [c.status for c in emu.calls("sendMessage")] == [0, 0]


def test_slow_answer(api, alice, emu):
    emu.fail("*", Fault.slow(0.5))
    started = time.monotonic()
    assert api.ok("sendMessage", chat_id=alice.id, text="eventually")["text"] == "eventually"
    assert time.monotonic() - started >= 0.5
    started = time.monotonic()
    api.ok("getMe")
    assert time.monotonic() - started < 0.5
    assert emu.faults.pending() == 0
