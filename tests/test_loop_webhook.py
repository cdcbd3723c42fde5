"""Webhook, OrderedWebhook, the WSGI endpoint and the wsgiref server.

OrderedWebhook's maxhold is driven by a fake clock (moved by the test, then
``wake()``), so nothing sleeps. The endpoint is tested by direct WSGI calls and,
end to end, over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from actorbot.exception import BadUpdate
from actorbot.loop import (
    SECRET_HEADER,
    Delivery,
    OrderedWebhook,
    Outcome,
    Webhook,
    WebhookApp,
    WebhookServer,
)

SECRET = "s3cret_Token-value"
#: An app that explicitly opts out of the secret token (these tests post without one).
OPEN: dict[str, Any] = {"secret_token": None, "allow_unauthenticated": True}


def text_update(update_id: int, text: str | None = None) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1700000000,
            "chat": {"id": 7, "type": "private"},
            "text": text if text is not None else f"m{update_id}",
        },
    }


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Recorder:
    def __init__(self, gate: threading.Event | None = None) -> None:
        self.texts: list[str] = []
        self.gate = gate
        self.entered = threading.Event()

    def __call__(self, msg: dict[str, Any]) -> None:
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(5)
        self.texts.append(msg["text"])


class StubBot:
    def __init__(self) -> None:
        self.handled: list[dict[str, Any]] = []

    def handle(self, msg: dict[str, Any]) -> None:
        self.handled.append(msg)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ordered(clock: FakeClock) -> Iterator[tuple[OrderedWebhook, Recorder]]:
    handler = Recorder()
    webhook = OrderedWebhook(StubBot(), handler, clock=clock)
    thread = webhook.run_as_thread(maxhold=3)
    try:
        yield webhook, handler
    finally:
        assert webhook.stop(timeout=5)
        assert not thread.is_alive()


def pending(delivery: Delivery) -> bool:
    """True if the delivery stays unresolved for a short, bounded while."""
    return delivery.wait(0.1) is None


# -- Webhook ---------------------------------------------------------------------------------

def test_feed_accepts_json_text_bytes_and_dicts() -> None:
    handler = Recorder()
    webhook = Webhook(StubBot(), handler)
    webhook.run_as_thread()
    try:
        deliveries = [
            webhook.feed(json.dumps(text_update(1, "from str"))),
            webhook.feed(json.dumps(text_update(2, "from bytes é")).encode("utf-8")),
            webhook.feed(text_update(3, "from dict")),
        ]
        assert [d.wait(5) for d in deliveries] == [Outcome.ACCEPTED] * 3
    finally:
        assert webhook.stop()
    assert handler.texts == ["from str", "from bytes é", "from dict"]


@pytest.mark.parametrize("data", [b"not json", "{", "[1, 2]", b"\xff\xfe", 42])
def test_feed_refuses_what_is_not_a_json_object(data: Any) -> None:
    webhook = Webhook(StubBot(), Recorder())
    with pytest.raises(BadUpdate):
        webhook.feed(data)
    webhook.stop()


def test_unordered_webhook_handles_in_arrival_order_and_uses_bot_handle() -> None:
    bot = StubBot()
    webhook = Webhook(bot)  # handle=None: bot.handle
    for update_id in (3, 1, 2):
        webhook.feed(text_update(update_id))  # queued before the loop runs
    webhook.run_as_thread()
    try:
        assert webhook.feed(text_update(4)).wait(5) is Outcome.ACCEPTED
    finally:
        webhook.stop()
    assert [m["text"] for m in bot.handled] == ["m3", "m1", "m2", "m4"]


def test_bad_update_and_handler_error_do_not_stop_the_webhook(caplog: pytest.LogCaptureFixture) -> None:
    texts: list[str] = []

    def handle(msg: dict[str, Any]) -> None:
        if msg["text"] == "boom":
            raise RuntimeError("handler bug")
        texts.append(msg["text"])

    webhook = Webhook(StubBot(), handle)
    webhook.run_as_thread()
    try:
        with caplog.at_level(logging.WARNING, logger="actorbot"):
            outcomes = [
                webhook.feed({"update_id": 1, "message": "not an object"}).wait(5),
                webhook.feed(text_update(2, "boom")).wait(5),
                webhook.feed(text_update(3, "fine")).wait(5),
            ]
    finally:
        webhook.stop()
    assert outcomes == [Outcome.SKIPPED, Outcome.FAILED, Outcome.ACCEPTED]
    assert texts == ["fine"]
    assert any(r.levelno == logging.WARNING and "update 1" in r.getMessage() for r in caplog.records)
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)


def test_stop_resolves_queued_updates_as_stopped_and_later_feeds_at_once() -> None:
    webhook = Webhook(StubBot(), Recorder())
    queued = webhook.feed(text_update(1))  # never run
    assert webhook.stop()
    assert queued.wait(1) is Outcome.STOPPED
    assert webhook.feed(text_update(2)).outcome is Outcome.STOPPED
    assert not Outcome.STOPPED.acknowledged and Outcome.FAILED.acknowledged


# -- OrderedWebhook --------------------------------------------------------------------------

def test_ordered_webhook_puts_out_of_order_updates_back_in_order(
    ordered: tuple[OrderedWebhook, Recorder],
) -> None:
    webhook, handler = ordered
    assert webhook.feed(text_update(1)).wait(5) is Outcome.ACCEPTED
    d4 = webhook.feed(text_update(4))
    d3 = webhook.feed(text_update(3))
    assert pending(d4) and pending(d3)
    assert handler.texts == ["m1"]
    d2 = webhook.feed(text_update(2))
    assert [d.wait(5) for d in (d2, d3, d4)] == [Outcome.ACCEPTED] * 3
    assert handler.texts == ["m1", "m2", "m3", "m4"]


def test_maxhold_gives_up_a_missing_update_and_handles_it_late_if_it_comes(
    ordered: tuple[OrderedWebhook, Recorder], clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    webhook, handler = ordered
    assert webhook.feed(text_update(1)).wait(5) is Outcome.ACCEPTED
    d3 = webhook.feed(text_update(3))
    assert pending(d3)
    clock.now += 2.9
    webhook.wake()
    assert pending(d3)
    with caplog.at_level(logging.WARNING, logger="actorbot"):
        clock.now += 0.1  # maxhold (3 s) since update 2 was first missed
        webhook.wake()
        assert d3.wait(5) is Outcome.ACCEPTED
    assert handler.texts == ["m1", "m3"]
    assert any("update 2 did not arrive" in m for m in caplog.messages)
    # The missing one finally arrives: handled late rather than lost; its retry is a duplicate.
    assert webhook.feed(text_update(2)).wait(5) is Outcome.ACCEPTED
    assert webhook.feed(text_update(2)).wait(5) is Outcome.SKIPPED
    assert webhook.feed(text_update(4)).wait(5) is Outcome.ACCEPTED
    assert handler.texts == ["m1", "m3", "m2", "m4"]


def test_several_missing_ids_and_a_later_gap(ordered: tuple[OrderedWebhook, Recorder], clock: FakeClock) -> None:
    webhook, handler = ordered
    webhook.feed(text_update(10)).wait(5)
    d13 = webhook.feed(text_update(13))  # 11, 12 missing from t=1000
    assert pending(d13)
    clock.now += 1
    d16 = webhook.feed(text_update(16))  # 14, 15 missing from t=1001
    d12 = webhook.feed(text_update(12))
    assert pending(d16)
    clock.now += 2  # t=1003: 11 given up -> 12, 13; 14 has until 1004
    webhook.wake()
    assert d12.wait(5) is Outcome.ACCEPTED and d13.wait(5) is Outcome.ACCEPTED
    assert pending(d16)
    clock.now += 1
    webhook.wake()
    assert d16.wait(5) is Outcome.ACCEPTED
    assert handler.texts == ["m10", "m12", "m13", "m16"]


def test_duplicates_are_handled_once(ordered: tuple[OrderedWebhook, Recorder]) -> None:
    webhook, handler = ordered
    assert webhook.feed(text_update(1)).wait(5) is Outcome.ACCEPTED
    assert webhook.feed(text_update(1)).wait(5) is Outcome.SKIPPED  # Telegram sent it again
    held = webhook.feed(text_update(3))
    held_again = webhook.feed(text_update(3))
    assert pending(held_again)
    assert webhook.feed(text_update(2)).wait(5) is Outcome.ACCEPTED
    assert held.wait(5) is Outcome.ACCEPTED and held_again.wait(5) is Outcome.ACCEPTED
    assert handler.texts == ["m1", "m2", "m3"]


def test_an_unreadable_update_takes_its_turn_and_is_skipped(ordered: tuple[OrderedWebhook, Recorder]) -> None:
    webhook, handler = ordered
    webhook.feed(text_update(1)).wait(5)
    d3 = webhook.feed(text_update(3))
    bad = webhook.feed({"update_id": 2, "message": ["not", "a", "message"]})
    no_id = webhook.feed({"message": text_update(9)["message"]})
    assert bad.wait(5) is Outcome.SKIPPED and d3.wait(5) is Outcome.ACCEPTED
    assert no_id.wait(5) is Outcome.SKIPPED
    assert handler.texts == ["m1", "m3"]


def test_stopping_an_ordered_webhook_releases_held_updates_as_stopped(clock: FakeClock) -> None:
    handler = Recorder()
    webhook = OrderedWebhook(StubBot(), handler, clock=clock)
    thread = webhook.run_as_thread(maxhold=3)
    webhook.feed(text_update(1)).wait(5)
    held = webhook.feed(text_update(3))
    assert pending(held)
    assert webhook.stop(timeout=5)
    assert held.wait(1) is Outcome.STOPPED
    assert not thread.is_alive()
    assert "actorbot-ordered-webhook" not in [t.name for t in threading.enumerate()]
    assert handler.texts == ["m1"]


# -- the WSGI endpoint (direct calls) --------------------------------------------------------

class FeedRecorder:
    """Any object with ``feed``: records what the endpoint fed."""

    def __init__(self) -> None:
        self.fed: list[Any] = []

    def feed(self, data: Any) -> None:
        self.fed.append(data)


class NoRead(io.RawIOBase):
    def read(self, *args: Any) -> bytes:  # pragma: no cover - must not be called
        raise AssertionError("the body was read")


def call(
    app: WebhookApp,
    body: bytes = b"",
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    content_length: str | None = "auto",
    stream: Any = None,
    extra: dict[str, Any] | None = None,
) -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ["REQUEST_METHOD"] = method
    environ["wsgi.input"] = stream if stream is not None else io.BytesIO(body)
    environ.pop("CONTENT_LENGTH", None)
    if content_length == "auto":
        environ["CONTENT_LENGTH"] = str(len(body))
    elif content_length is not None:
        environ["CONTENT_LENGTH"] = content_length
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    environ.update(extra or {})
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        answer["status"] = status
        answer["headers"] = dict(response_headers)

    chunks = app(environ, start_response)
    return answer["status"], answer["headers"], b"".join(chunks)


UPDATE_BODY = json.dumps(text_update(1)).encode()


def test_the_right_secret_is_accepted() -> None:
    sink = FeedRecorder()
    status, _, _ = call(WebhookApp(sink, secret_token=SECRET), UPDATE_BODY, headers={SECRET_HEADER: SECRET})
    assert status == "200 OK"
    assert sink.fed == [text_update(1)]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "401 Unauthorized"),
        ({SECRET_HEADER: SECRET + "x"}, "403 Forbidden"),
        ({SECRET_HEADER: "wrong"}, "403 Forbidden"),
        ({SECRET_HEADER: ""}, "403 Forbidden"),
        ({SECRET_HEADER: "sécret"}, "403 Forbidden"),
    ],
)
def test_a_missing_or_wrong_secret_is_refused_before_the_body_is_read(
    headers: dict[str, str], expected: str
) -> None:
    sink = FeedRecorder()
    status, _, _ = call(WebhookApp(sink, secret_token=SECRET), UPDATE_BODY, headers=headers, stream=NoRead())
    assert status == expected
    assert sink.fed == []


def test_the_secret_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    call(WebhookApp(FeedRecorder(), secret_token=SECRET), UPDATE_BODY, headers={SECRET_HEADER: "guess"})
    assert compared == [(b"guess", SECRET.encode())]


def test_explicit_opt_out_accepts_any_request() -> None:
    sink = FeedRecorder()
    assert call(WebhookApp(sink, **OPEN), UPDATE_BODY)[0] == "200 OK"
    assert len(sink.fed) == 1


@pytest.mark.parametrize("bad", ["", "a" * 257, "has space", "dot.ted", "ünï"])
def test_a_secret_telegram_would_refuse_is_refused_here_too(bad: str) -> None:
    with pytest.raises(ValueError):
        WebhookApp(FeedRecorder(), secret_token=bad)


def test_the_secret_is_not_in_the_repr() -> None:
    assert SECRET not in repr(WebhookApp(FeedRecorder(), secret_token=SECRET))


@pytest.mark.parametrize("method", ["GET", "PUT", "HEAD", "DELETE"])
def test_only_post_is_allowed(method: str) -> None:
    sink = FeedRecorder()
    status, headers, _ = call(WebhookApp(sink, **OPEN), UPDATE_BODY, method=method)
    assert status == "405 Method Not Allowed"
    assert headers["Allow"] == "POST"
    assert sink.fed == []


def test_a_declared_length_over_the_limit_is_413_without_reading() -> None:
    sink = FeedRecorder()
    app = WebhookApp(sink, max_body=100, **OPEN)
    status, _, _ = call(app, content_length="101", stream=NoRead())
    assert status == "413 Content Too Large"
    assert call(app, b'{"update_id": 1, "x": "' + b"y" * 70 + b'"}')[0] == "200 OK"  # 94 bytes
    assert len(sink.fed) == 1


def test_an_unannounced_body_over_the_limit_is_413() -> None:
    sink = FeedRecorder()
    app = WebhookApp(sink, max_body=100, **OPEN)
    body = json.dumps({"update_id": 1, "pad": "x" * 200}).encode()
    status, _, _ = call(app, body, content_length=None, extra={"wsgi.input_terminated": True})
    assert status == "413 Content Too Large"
    status, _, _ = call(app, b'{"update_id": 1}', content_length=None, extra={"wsgi.input_terminated": True})
    assert status == "200 OK"
    assert len(sink.fed) == 1


def test_length_problems() -> None:
    sink = FeedRecorder()
    app = WebhookApp(sink, **OPEN)
    assert call(app, UPDATE_BODY, content_length=None)[0] == "411 Length Required"
    assert call(app, UPDATE_BODY, content_length="ten")[0] == "400 Bad Request"
    assert call(app, UPDATE_BODY, content_length="-5")[0] == "400 Bad Request"
    truncated = call(app, UPDATE_BODY[:10], content_length=str(len(UPDATE_BODY)))
    assert truncated[0] == "400 Bad Request"
    assert sink.fed == []


@pytest.mark.parametrize("body", [b"not json", b"{\"update_id\": 1", b"[1, 2, 3]", b"\"text\"", b"\xff\xfe\xfa", b""])
def test_a_body_that_is_not_a_json_object_is_400(body: bytes) -> None:
    sink = FeedRecorder()
    status, _, _ = call(WebhookApp(sink, **OPEN), body)
    assert status == "400 Bad Request"
    assert sink.fed == []


def test_a_path_can_be_required() -> None:
    sink = FeedRecorder()
    app = WebhookApp(sink, path="/hook", **OPEN)
    assert call(app, UPDATE_BODY, extra={"PATH_INFO": "/other"})[0] == "404 Not Found"
    assert call(app, UPDATE_BODY, extra={"PATH_INFO": "/hook"})[0] == "200 OK"


def test_200_is_answered_only_after_the_handler_accepted() -> None:
    gate = threading.Event()
    handler = Recorder(gate)
    webhook = Webhook(StubBot(), handler)
    webhook.run_as_thread()
    app = WebhookApp(webhook, **OPEN)
    answered = threading.Event()
    result: list[tuple[str, dict[str, str], bytes]] = []

    def post() -> None:
        result.append(call(app, UPDATE_BODY))
        answered.set()

    poster = threading.Thread(target=post, name="test-poster")
    poster.start()
    try:
        assert handler.entered.wait(5)
        assert not answered.wait(0.1)  # the handler has not returned: no answer yet
        gate.set()
        assert answered.wait(5)
        assert result[0][0] == "200 OK"
        assert handler.texts == ["m1"]
    finally:
        gate.set()
        poster.join(5)
        webhook.stop()


def test_503_when_not_accepted_in_time_or_the_loop_stopped() -> None:
    gate = threading.Event()
    webhook = Webhook(StubBot(), Recorder(gate))
    webhook.run_as_thread()
    try:
        status, headers, _ = call(WebhookApp(webhook, accept_timeout=0.05, **OPEN), UPDATE_BODY)
        assert status == "503 Service Unavailable"
        assert "Retry-After" in headers
    finally:
        gate.set()
        webhook.stop()
    assert call(WebhookApp(webhook, **OPEN), UPDATE_BODY)[0] == "503 Service Unavailable"


def test_a_handler_error_or_an_unreadable_update_is_still_200() -> None:
    # Telegram would only send them again, with the same result.
    def handle(msg: dict[str, Any]) -> None:
        raise RuntimeError("bug")

    webhook = Webhook(StubBot(), handle)
    webhook.run_as_thread()
    try:
        app = WebhookApp(webhook, **OPEN)
        assert call(app, UPDATE_BODY)[0] == "200 OK"
        assert call(app, json.dumps({"update_id": 5, "message": 3}).encode())[0] == "200 OK"
    finally:
        webhook.stop()


# -- end to end over HTTP ----------------------------------------------------------------------

def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    host_port = url.split("//", 1)[1]
    conn = http.client.HTTPConnection(host_port, timeout=10)
    try:
        conn.request("POST", "/hook", body=body, headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_end_to_end_over_http_with_reordering(clock: FakeClock) -> None:
    handler = Recorder()
    webhook = OrderedWebhook(StubBot(), handler, clock=clock)
    webhook.run_as_thread(maxhold=3)
    server = WebhookServer(WebhookApp(webhook, secret_token=SECRET), "127.0.0.1", 0).start()
    auth = {SECRET_HEADER: SECRET}
    early: list[int] = []
    try:
        assert post(server.url, json.dumps(text_update(1)).encode(), auth)[0] == 200
        assert post(server.url, json.dumps(text_update(2)).encode(), {SECRET_HEADER: "nope"})[0] == 403
        # update 3 arrives before 2: its request is answered only once 2 came and both were handled
        sender = threading.Thread(
            target=lambda: early.append(post(server.url, json.dumps(text_update(3)).encode(), auth)[0]),
            name="test-sender",
        )
        sender.start()
        sender.join(0.2)
        assert early == []
        assert post(server.url, json.dumps(text_update(2)).encode(), auth)[0] == 200
        sender.join(5)
        assert early == [200]
        assert post(server.url, b"nonsense", auth)[0] == 400
        assert handler.texts == ["m1", "m2", "m3"]
    finally:
        server.stop()
        webhook.stop()
    names = [t.name for t in threading.enumerate()]
    assert "actorbot-webhook-server" not in names and "actorbot-ordered-webhook" not in names
    with pytest.raises(OSError):
        post(server.url, b"{}")


def test_server_serve_forever_on_a_thread_of_the_caller_stops_on_request() -> None:
    sink = FeedRecorder()
    server = WebhookServer(WebhookApp(sink, **OPEN), "127.0.0.1", 0)
    runner = threading.Thread(target=server.serve_forever, name="test-serve-forever")
    runner.start()
    try:
        assert post(server.url, UPDATE_BODY)[0] == 200
    finally:
        server.stop()
        runner.join(5)
    assert not runner.is_alive()
    assert sink.fed == [text_update(1)]
