"""The webhook under hostile input: every bad request gets a 4xx fast, and a good update afterwards is handled.

Everything runs on 127.0.0.1 with a real :class:`WebhookServer`; the assertions are
on what a client sees (status, headers) and on what the handler received.
"""

from __future__ import annotations

import io
import json
import logging
import queue
import socket
import threading
import time
from typing import Any

import pytest
from webhook_client import SECRET, StubBot, exchange, post_update, read_answer, request_bytes, running, text_update

from actorbot._bot import Bot
from actorbot.loop import (
    SECRET_HEADER,
    MessageLoop,
    Outcome,
    QueueLoop,
    Webhook,
    WebhookApp,
    new_secret_token,
)


def assert_still_serves(url: str, handler: Any, update_id: int, expected: int) -> None:
    answer = post_update(url, text_update(update_id))
    assert answer is not None and answer.status == 200
    assert f"m{update_id}" in handler.wait_for(expected)


# -- secret token --------------------------------------------------------------------------
def test_missing_and_wrong_secret_are_refused_then_a_good_update_is_handled() -> None:
    with running() as (server, _, handler):
        missing = post_update(server.url, text_update(1), secret=None)
        wrong = post_update(server.url, text_update(1), secret="guess")
        assert (missing and missing.status, wrong and wrong.status) == (401, 403)
        assert handler.texts == []
        assert_still_serves(server.url, handler, 1, 1)


def test_the_app_generates_a_secret_by_default_and_passes_it_to_set_webhook() -> None:
    class Recording:
        def __init__(self) -> None:
            self.calls: list[tuple[str, dict[str, Any]]] = []

        def setWebhook(self, url: str, **kwargs: Any) -> bool:
            self.calls.append((url, kwargs))
            return True

    app = WebhookApp(Webhook(StubBot(), lambda msg: None))
    assert app.secret_token is not None and len(app.secret_token) >= 32
    assert app.secret_token not in repr(app)
    bot = Recording()
    app.set_webhook(bot, "https://example.invalid/hook", max_connections=40)
    assert bot.calls == [("https://example.invalid/hook", {"max_connections": 40, "secret_token": app.secret_token})]
    assert new_secret_token() != new_secret_token()


def test_no_secret_needs_an_explicit_opt_out_which_warns(caplog: pytest.LogCaptureFixture) -> None:
    webhook = Webhook(StubBot(), lambda msg: None)
    with pytest.raises(ValueError, match="allow_unauthenticated"):
        WebhookApp(webhook, secret_token=None)
    with caplog.at_level(logging.WARNING, logger="actorbot.loop"):
        WebhookApp(webhook, secret_token=None, allow_unauthenticated=True)
    assert any("forge" in r.getMessage() for r in caplog.records)


def test_refusals_are_logged_in_aggregate(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="actorbot.loop"), running() as (server, _, handler):
        for _ in range(30):
            answer = post_update(server.url, text_update(1), secret="guess")
            assert answer is not None and answer.status == 403
        assert_still_serves(server.url, handler, 1, 1)
    lines = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert 1 <= len(lines) <= 2, lines  # the first at once, the other 29 in the summary at stop
    assert sum(int(line.split()[0]) for line in lines) == 30
    assert all("wrong secret token" in line for line in lines)


# -- malformed HTTP ------------------------------------------------------------------------
def test_no_content_length_is_411_and_chunked_is_411() -> None:
    with running() as (server, _, handler):
        bare = exchange(server.url, request_bytes(None))
        chunked = exchange(
            server.url, request_bytes(None, headers={"Transfer-Encoding": "chunked"}) + b"2\r\n{}\r\n0\r\n\r\n"
        )
        assert (bare and bare.status, chunked and chunked.status) == (411, 411)
        assert_still_serves(server.url, handler, 1, 1)


def test_an_oversized_body_is_413_without_reading_it() -> None:
    with running(app_options={"max_body": 1000}) as (server, _, handler):
        # announce 10 MB but send none of it: the answer comes at once
        answer = exchange(server.url, request_bytes(None, length=10_000_000))
        assert answer is not None and answer.status == 413
        assert_still_serves(server.url, handler, 1, 1)


def test_huge_headers_are_431() -> None:
    with running() as (server, _, handler):
        one_huge = exchange(server.url, request_bytes(b"{}", headers={"X-Big": "a" * 100_000}))
        many = exchange(server.url, request_bytes(b"{}", headers={f"X-{i}": "v" for i in range(500)}))
        assert (one_huge and one_huge.status, many and many.status) == (431, 431)
        assert_still_serves(server.url, handler, 1, 1)


def test_garbage_request_lines_are_4xx() -> None:
    with running() as (server, _, handler):
        for raw in (b"\x00\x01\x02\r\n\r\n", b"POST\r\n\r\n", b"POST / HTTP/9.9\r\n\r\n", b"GET /" + b"a" * 20_000):
            answer = exchange(server.url, raw)
            assert answer is not None and 400 <= answer.status < 500, raw[:20]
        assert_still_serves(server.url, handler, 1, 1)


def test_a_short_body_from_an_idle_client_gets_408_quickly() -> None:
    with running(server_options={"read_timeout": 0.5}) as (server, _, handler):
        started = time.monotonic()
        answer = exchange(server.url, request_bytes(None, length=100) + b'{"upd')
        elapsed = time.monotonic() - started
        assert answer is not None and answer.status == 408
        assert elapsed < 3.0
        assert_still_serves(server.url, handler, 1, 1)


# -- malformed JSON ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # RecursionError in json, not a 500
        (b'{"a":' * 200) + b"1" + b"}" * 200,  # parses, but deeper than max_depth
        b'{"update_id": 1, "message": {"text": "\xff\xfe"}}',  # not UTF-8
        b"[1, 2, 3]",
        b'"a string"',
        b"null",
        b'{"update_id": NaN}',
        b'{"update_id": Infinity}',
        b'{"update_id": ' + b"9" * 5000 + b"}",  # over Python's 4,300-digit limit
        b"{",
        b"",
    ],
    ids=[
        "deep-list",
        "deep-dict",
        "bad-utf8",
        "list",
        "string",
        "null",
        "nan",
        "infinity",
        "huge-int",
        "truncated",
        "empty",
    ],
)
def test_bad_json_is_400_and_a_good_update_still_works(body: bytes) -> None:
    with running(app_options={"max_body": 1 << 20}) as (server, _, handler):
        answer = exchange(server.url, request_bytes(body))
        assert answer is not None and answer.status == 400
        assert_still_serves(server.url, handler, 1, 1)


# -- update_id plausibility and duplicates -------------------------------------------------
def test_a_bogus_huge_update_id_neither_wedges_nor_switches_off_ordering() -> None:
    with running() as (server, _, handler):
        assert_still_serves(server.url, handler, 1, 1)
        bogus = post_update(server.url, text_update(10**30))
        assert bogus is not None and bogus.status == 200  # dropped: re-sending it would not help
        assert_still_serves(server.url, handler, 2, 2)
        assert_still_serves(server.url, handler, 3, 3)
        assert handler.texts == ["m1", "m2", "m3"]


def test_the_plain_webhook_drops_duplicates_with_bounded_memory() -> None:
    handler_calls: list[int] = []
    webhook = Webhook(StubBot(), lambda msg: handler_calls.append(msg["message_id"]), dedup_memory=3)
    webhook.run_as_thread()
    try:
        assert webhook.feed(text_update(1)).wait(5) is Outcome.ACCEPTED
        assert webhook.feed(text_update(1)).wait(5) is Outcome.SKIPPED
        for update_id in (2, 3, 4, 5):
            assert webhook.feed(text_update(update_id)).wait(5) is Outcome.ACCEPTED
        # 1 fell out of the bounded memory
        assert webhook.feed(text_update(1)).wait(5) is Outcome.ACCEPTED
    finally:
        webhook.stop()
    assert handler_calls == [1, 2, 3, 4, 5, 1]


def test_message_loop_is_not_wedged_by_one_bogus_update_id() -> None:
    batches = [[text_update(1), text_update(10**30)], [text_update(2)], [text_update(3)]]
    handled: list[int] = []

    class FakeBot:
        def __init__(self) -> None:
            self.offsets: list[Any] = []

        def getUpdates(self, offset: Any = None, **kwargs: Any) -> list[dict[str, Any]]:
            self.offsets.append(offset)
            if batches:
                return batches.pop(0)
            loop.stop()
            return []

    bot = FakeBot()
    loop = MessageLoop(bot, lambda msg: handled.append(msg["message_id"]), wait=lambda s: None)
    loop.run_forever()
    assert handled == [1, 2, 3]
    assert bot.offsets[:4] == [None, 2, 3, 4]


# -- stopping and backpressure -------------------------------------------------------------
def test_a_stopping_bot_answers_503_with_retry_after_and_loses_nothing() -> None:
    bot = StubBot()
    with running(bot=bot) as (server, _, handler):
        bot.accepting = False
        answer = post_update(server.url, text_update(1))
        assert answer is not None and answer.status == 503 and "retry-after" in answer.headers
        assert handler.texts == []
        bot.accepting = True  # Telegram delivers it again
        assert_still_serves(server.url, handler, 1, 1)


def test_a_full_buffer_answers_503_so_telegram_retries() -> None:
    release = threading.Event()
    handled: list[int] = []

    def slow(msg: dict[str, Any]) -> None:
        release.wait(10)
        handled.append(msg["message_id"])

    webhook = Webhook(StubBot(), slow, max_pending=2)
    webhook.run_as_thread()
    app = WebhookApp(webhook, secret_token=SECRET, accept_timeout=0.01)
    try:
        first, second = webhook.feed(text_update(1)), webhook.feed(text_update(2))
        assert webhook.feed(text_update(3)).outcome is Outcome.BUSY
        statuses: list[str] = []
        environ = {
            "REQUEST_METHOD": "POST",
            "CONTENT_LENGTH": str(len(json.dumps(text_update(4)))),
            "HTTP_" + SECRET_HEADER.upper().replace("-", "_"): SECRET,
        }
        environ["wsgi.input"] = io.BytesIO(json.dumps(text_update(4)).encode())
        app(environ, lambda status, headers: statuses.append(status))
        assert statuses == ["503 Service Unavailable"]
        release.set()
        assert (first.wait(5), second.wait(5)) == (Outcome.ACCEPTED, Outcome.ACCEPTED)
        assert webhook.feed(text_update(3)).wait(5) is Outcome.ACCEPTED  # the retry is handled
    finally:
        release.set()
        webhook.stop()
    assert handled == [1, 2, 3]


# -- serving model ----------------------------------------------------------------------------
def test_keep_alive_serves_several_requests_on_one_connection() -> None:
    with running() as (server, _, handler):
        host, port = server.server_address
        with socket.create_connection((host, port), timeout=10) as sock:
            for update_id in (1, 2, 3):
                sock.sendall(request_bytes(json.dumps(text_update(update_id)).encode()))
                answer = read_answer(sock)
                assert answer is not None and answer.status == 200
                assert answer.headers["connection"] == "keep-alive"
        assert handler.wait_for(3) == ["m1", "m2", "m3"]


def test_worker_threads_are_bounded_and_excess_connections_get_503() -> None:
    options = {"workers": 2, "max_pending": 1, "read_timeout": 5.0}
    with running(server_options=options) as (server, _, handler):
        host, port = server.server_address
        idle = [socket.create_connection((host, port), timeout=10) for _ in range(6)]
        try:
            # 2 connections hold the workers, 1 waits; the other 3 are answered 503 at once
            busy = [read_answer(sock) for sock in idle[3:]]
            assert [a.status if a else None for a in busy] == [503, 503, 503]
            assert server.threads == 2
        finally:
            for sock in idle:
                sock.close()
        assert server.wait_idle(2), "the workers did not come free after their clients left"
        assert_still_serves(server.url, handler, 1, 1)
        assert server.threads == 2


def test_the_token_never_shows_in_the_access_log_or_in_repr(caplog: pytest.LogCaptureFixture) -> None:
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    path = f"/webhook/{token}"
    with (
        caplog.at_level(logging.DEBUG, logger="actorbot"),
        running(app_options={"path": path}) as (server, _, _handler),
    ):
        answer = exchange(server.url, request_bytes(json.dumps(text_update(1)).encode(), path=path))
        assert answer is not None and answer.status == 200
        wrong = exchange(server.url, request_bytes(b"{}", path=path + "x"))
        assert wrong is not None and wrong.status == 404
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST /webhook/<redacted>" in text
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in text
    assert "nocolontokensecret" not in repr(Bot("nocolontokensecret"))
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in repr(Bot(token))


def test_a_copy_fed_while_the_first_is_pending_shares_its_outcome() -> None:
    release = threading.Event()
    calls: list[int] = []

    def slow(msg: dict[str, Any]) -> None:
        release.wait(10)
        calls.append(msg["message_id"])

    webhook = Webhook(StubBot(), slow)
    webhook.run_as_thread()
    try:
        first, copy = webhook.feed(text_update(1)), webhook.feed(text_update(1))
        release.set()
        assert (first.wait(5), copy.wait(5)) == (Outcome.ACCEPTED, Outcome.ACCEPTED)
        assert webhook.pending == 0
    finally:
        release.set()
        webhook.stop()
    assert calls == [1]


def test_queue_loop_takes_no_more_than_max_pending_and_loses_nothing() -> None:
    source: queue.Queue[Any] = queue.Queue()
    for update_id in range(1, 3001):
        source.put(text_update(update_id, chat_id=update_id % 7))
    seen: list[int] = []
    peak = [0]
    done = threading.Event()

    def handle(msg: dict[str, Any]) -> None:
        peak[0] = max(peak[0], loop.webhook.pending)
        seen.append(msg["message_id"])
        if len(seen) == 3000:
            done.set()

    loop = QueueLoop(StubBot(), source, handle, max_pending=50)
    loop.run_as_thread(maxhold=1)
    try:
        assert done.wait(60)
    finally:
        loop.stop()
    assert seen == list(range(1, 3001))  # nothing lost, in order
    assert peak[0] <= 50
