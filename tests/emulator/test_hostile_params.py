"""Hostile parameters get a 400 answer, never a dropped connection."""

from __future__ import annotations


def test_chat_id_infinity_is_a_bad_request(api, alice):
    for params in ({"chat_id": "Infinity"}, {"chat_id": "NaN"}, {"chat_id": "-Infinity"}, {"chat_id": "1e400"}):
        answer = api.form("sendMessage", text="hi", **params)
        assert answer.status == 400, (params, answer.status)
        assert answer.json["ok"] is False
    raw = api.raw("POST", f"/bot{api.token}/sendMessage", body=b'{"chat_id": Infinity, "text": "x"}',
                  headers={"Content-Type": "application/json"})
    assert raw.status == 400
    chat = alice.id if hasattr(alice, "id") else alice.user_id
    assert api.ok("sendMessage", chat_id=chat, text="still fine")["text"] == "still fine"


def test_text_with_a_lone_surrogate_is_a_bad_request(api, alice):
    chat = alice.id if hasattr(alice, "id") else alice.user_id
    raw = api.raw("POST", f"/bot{api.token}/sendMessage", body=b'{"chat_id": %d, "text": "a\\ud800b"}' % chat,
                  headers={"Content-Type": "application/json"})
    assert raw.status == 400
    assert raw.json["ok"] is False
    assert api.ok("sendMessage", chat_id=chat, text="after")["text"] == "after"
