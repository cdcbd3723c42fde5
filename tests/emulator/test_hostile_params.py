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


def test_webhook_delivery_retries_a_dropped_connection_at_once(api, alice, emu):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler
    from typing import Any

    from loopback import _QuietServer

    state = {"dropped": 0}
    received: list[dict[str, Any]] = []
    cond = threading.Condition()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with cond:
                if state["dropped"] == 0:  # the first request: the connection dies without an answer
                    state["dropped"] += 1
                    self.close_connection = True
                    return
                received.append(body)
                cond.notify_all()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = _QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        api.ok("setWebhook", url=f"http://127.0.0.1:{server.server_address[1]}/hook")
        alice.send("through a reset")
        with cond:
            assert cond.wait_for(lambda: received, 5)
        assert received[0]["message"]["text"] == "through a reset"
        emu.sim.wait_until(lambda: not emu.world.pending, what="acknowledged delivery")
        info = api.ok("getWebhookInfo")
        assert state["dropped"] == 1
        assert "last_error_message" not in info  # retried at once on a new connection: no failure recorded
    finally:
        api.ok("deleteWebhook")
        server.shutdown()
        thread.join(5)
        server.close_connections()
        server.server_close()
