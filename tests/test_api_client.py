"""The HTTP layer against the loopback Bot API: encoding, errors, retries, redaction, pool, proxy."""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import traceback
from dataclasses import FrozenInstanceError, replace
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import urllib3

from actorbot import Bot
from actorbot.api import HttpClient, RetryPolicy, redact, set_api_url, set_proxy
from actorbot.api._redact import scrub_exception
from actorbot.exception import (
    BadHTTPResponse,
    BotWasBlockedError,
    ConflictError,
    ForbiddenError,
    MigratedToSupergroupChatError,
    NetworkError,
    ServerError,
    TelegramError,
    TooManyRequestsError,
    UnauthorizedError,
)
from loopback import TOKEN, Reply, _QuietServer


class RecordingWait:
    """A wait function that records the delays asked for and never sleeps."""

    def __init__(self, on_wait: Any = None) -> None:
        self.waits: list[float] = []
        self.on_wait = on_wait

    def __call__(self, seconds: float) -> bool:
        self.waits.append(seconds)
        if self.on_wait is not None:
            self.on_wait(len(self.waits))
        return False


def make_bot(api: Any, **policy: Any) -> tuple[Bot, RecordingWait]:
    wait = RecordingWait()
    bot = Bot(TOKEN, api_url=api.url, retry=RetryPolicy(wait=wait, **policy))
    return bot, wait


def error(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- request encoding ----------------------------------------------------------------------

def test_plain_call_is_json_with_nested_values_and_no_none(loopback_api):
    bot, _ = make_bot(loopback_api)
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}, {"text": "No", "callback_data": "n"}]]}
    entities = [{"type": "bold", "offset": 0, "length": 5}]
    with bot:
        result = bot.sendMessage(42, "héllo ☃", reply_markup=markup, entities=entities, parse_mode=None)
    req = loopback_api.wait_request("sendMessage")
    assert result is True
    assert req.content_type == "application/json"
    assert req.params == {"chat_id": 42, "text": "héllo ☃", "reply_markup": markup, "entities": entities}
    assert req.token == TOKEN and req.http_method == "POST"


def test_call_without_parameters_sends_an_empty_json_object(loopback_api):
    bot, _ = make_bot(loopback_api)
    with bot:
        me = bot.getMe()
    assert me["username"] == "loopback_bot"
    req = loopback_api.wait_request("getMe")
    assert req.content_type == "application/json" and req.body == b"{}"


def test_upload_is_multipart_with_form_fields_and_file_parts(loopback_api):
    bot, _ = make_bot(loopback_api)
    markup = {"keyboard": [[{"text": "a"}]], "one_time_keyboard": True}
    with bot:
        bot.sendPhoto(42, ("cat.png", io.BytesIO(b"\x89PNG-bytes")), caption="a cat",
                      reply_markup=markup, show_caption_above_media=True)
    req = loopback_api.wait_request("sendPhoto")
    assert req.content_type.startswith("multipart/form-data; boundary=")
    assert req.params == {
        "chat_id": "42",
        "caption": "a cat",
        "reply_markup": json.dumps(markup, separators=(",", ":")),
        "show_caption_above_media": "true",
    }
    assert json.loads(req.params["reply_markup"]) == markup
    assert set(req.uploads) == {"photo"}
    upload = req.uploads["photo"]
    assert (upload.filename, upload.content_type, upload.data) == ("cat.png", "image/png", b"\x89PNG-bytes")


def test_file_object_name_is_used_as_filename_and_string_is_not_uploaded(loopback_api, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7 data")
    bot, _ = make_bot(loopback_api)
    with bot, open(path, "rb") as fh:
        bot.sendDocument(1, fh, thumb=io.BytesIO(b"thumb"))
        bot.sendDocument(1, "BQACAgIAAxkBAAI")
    first, second = loopback_api.calls("sendDocument")
    assert first.uploads["document"].filename == "report.pdf"
    assert first.uploads["document"].data == b"%PDF-1.7 data"
    assert first.uploads["thumbnail"].data == b"thumb"  # amanobot's ``thumb`` is today's ``thumbnail``
    assert second.content_type == "application/json"
    assert second.params == {"chat_id": 1, "document": "BQACAgIAAxkBAAI"}


def test_media_group_attach_names_never_collide_with_the_callers(loopback_api):
    bot, _ = make_bot(loopback_api)
    media = [
        {"type": "photo", "media": io.BytesIO(b"one"), "caption": "first"},
        {"type": "photo", "media": ("file1", io.BytesIO(b"two"))},
        {"type": "photo", "media": "AgACAgIAAxkBAAI-existing"},
        {"type": "video", "media": ("chat_idx", ("clip.mp4", io.BytesIO(b"three"))), "thumbnail": io.BytesIO(b"th")},
        {"type": "photo", "media": io.BytesIO(b"four")},
    ]
    with bot:
        bot.sendMediaGroup(7, media, reply_to_message_id=3)
    req = loopback_api.wait_request("sendMediaGroup")
    assert req.content_type.startswith("multipart/form-data")
    sent = json.loads(req.params["media"])
    assert json.loads(req.params["reply_parameters"]) == {"message_id": 3}
    refs = [m["media"] for m in sent] + [m["thumbnail"] for m in sent if "thumbnail" in m]
    attached = [r[len("attach://"):] for r in refs if r.startswith("attach://")]
    assert sent[2]["media"] == "AgACAgIAAxkBAAI-existing"
    assert sent[1]["media"] == "attach://file1" and sent[3]["media"] == "attach://chat_idx"
    assert len(attached) == len(set(attached)) == 5
    assert set(attached) == set(req.uploads)
    generated = set(attached) - {"file1", "chat_idx"}
    assert len(generated) == 3 and not generated & {"file1", "chat_idx", "chat_id", "media"}
    assert req.uploads[sent[0]["media"][9:]].data == b"one"
    assert req.uploads["file1"].data == b"two"
    assert (req.uploads["chat_idx"].filename, req.uploads["chat_idx"].data) == ("clip.mp4", b"three")
    assert req.uploads[sent[3]["thumbnail"][9:]].data == b"th"
    assert req.uploads[sent[4]["media"][9:]].data == b"four"
    assert sent[0]["caption"] == "first"


def test_media_group_without_uploads_is_json(loopback_api):
    bot, _ = make_bot(loopback_api)
    with bot:
        bot.sendMediaGroup(7, [{"type": "photo", "media": "id1"}, {"type": "photo", "media": "https://x/y.jpg"}])
    req = loopback_api.wait_request("sendMediaGroup")
    assert req.content_type == "application/json"
    assert req.params["media"] == [{"type": "photo", "media": "id1"}, {"type": "photo", "media": "https://x/y.jpg"}]


# -- error answers -------------------------------------------------------------------------

@pytest.mark.parametrize(
    "status, body, cls, attrs",
    [
        (400, error(400, "Bad Request: chat not found"), TelegramError, {}),
        (401, error(401, "Unauthorized"), UnauthorizedError, {}),
        (403, error(403, "Forbidden: bot was blocked by the user"), BotWasBlockedError, {}),
        (403, error(403, "Forbidden: not allowed"), ForbiddenError, {}),
        (409, error(409, "Conflict: terminated by other getUpdates request"), ConflictError, {}),
        (429, error(429, "Too Many Requests: retry after 90", retry_after=90), TooManyRequestsError,
         {"retry_after": 90.0}),
        (400, error(400, "Bad Request: group chat was upgraded to a supergroup chat",
                    migrate_to_chat_id=-1001234), MigratedToSupergroupChatError, {"migrate_to_chat_id": -1001234}),
        (500, error(500, "Internal Server Error"), ServerError, {}),
        (502, error(502, "Bad Gateway"), ServerError, {}),
    ],
)
def test_error_answers_raise_the_right_class_once(loopback_api, status, body, cls, attrs):
    bot, wait = make_bot(loopback_api)
    loopback_api.reply("sendMessage", status=status, json=body)
    with bot, pytest.raises(TelegramError) as info:
        bot.sendMessage(1, "x")
    exc = info.value
    assert type(exc) is cls
    if status == 429:  # past the flood wait allowed: a clear error, chained to the server's
        assert "more than the 60s allowed" in exc.description
        assert isinstance(exc.__cause__, TooManyRequestsError) and exc.__cause__.description == body["description"]
    else:
        assert exc.description == body["description"]
    assert exc.error_code == body["error_code"]
    assert exc.json == body
    for name, value in attrs.items():
        assert getattr(exc, name) == value
    # 429 beyond max_flood_wait (60 s) and every 5xx for sendMessage: never resent
    assert len(loopback_api.calls("sendMessage")) == 1
    assert wait.waits == []


def test_non_json_answer_raises_bad_http_response(loopback_api):
    bot, _ = make_bot(loopback_api)
    loopback_api.reply("sendMessage", status=502, body=b"<html>502 Bad Gateway</html>", content_type="text/html")
    with bot, pytest.raises(BadHTTPResponse) as info:
        bot.sendMessage(1, "x")
    assert info.value.status == 502
    assert info.value.text == "<html>502 Bad Gateway</html>"
    assert "502" in str(info.value)
    assert len(loopback_api.calls("sendMessage")) == 1


def test_json_that_is_not_a_bot_api_answer_is_a_bad_http_response(loopback_api):
    bot, _ = make_bot(loopback_api)
    loopback_api.reply("getMe", status=200, json=["not", "an", "answer"])
    with bot, pytest.raises(BadHTTPResponse):
        bot.getMe()


def test_amanobot_raise_errors_false_returns_the_error_json(loopback_api):
    body = error(400, "Bad Request: message text is empty")
    loopback_api.reply("sendMessage", status=400, json=body)
    with Bot(TOKEN, api_url=loopback_api.url, raise_errors=False) as bot:
        assert bot.sendMessage(1, "") == body


# -- retries -------------------------------------------------------------------------------

def test_429_is_waited_out_for_retry_after_and_sent_exactly_once_more(loopback_api):
    bot, wait = make_bot(loopback_api)
    loopback_api.reply("sendMessage", status=429, json=error(429, "Too Many Requests: retry after 3", retry_after=3))
    loopback_api.reply("sendMessage", {"message_id": 77})
    with bot:
        result = bot.sendMessage(5, "flood")
    assert result == {"message_id": 77}
    assert wait.waits == [3.0]
    sends = loopback_api.calls("sendMessage")
    assert len(sends) == 2 and sends[0].params == sends[1].params == {"chat_id": 5, "text": "flood"}


def test_429_retries_are_bounded(loopback_api):
    bot, wait = make_bot(loopback_api, flood_retries=2)
    for _ in range(3):
        loopback_api.reply("sendMessage", status=429, json=error(429, "Too Many Requests", retry_after=1))
    with bot, pytest.raises(TooManyRequestsError) as info:
        bot.sendMessage(5, "flood")
    assert info.value.retry_after == 1.0
    assert wait.waits == [1.0, 1.0]
    assert len(loopback_api.calls("sendMessage")) == 3


def test_dropped_connection_after_the_body_was_sent_is_not_retried(loopback_api):
    bot, wait = make_bot(loopback_api)
    loopback_api.reply("sendMessage", drop=True)
    with bot, pytest.raises(NetworkError) as info:
        bot.sendMessage(5, "only once")
    assert info.value.sent is True
    assert isinstance(info.value.__cause__, urllib3.exceptions.HTTPError)
    assert len(loopback_api.calls("sendMessage")) == 1
    assert wait.waits == []


def test_read_timeout_is_a_network_error_that_was_sent(loopback_api):
    release = threading.Event()
    loopback_api.reply("sendMessage", hold=release, drop=True)  # drop: never write to the closed socket
    bot = Bot(TOKEN, api_url=loopback_api.url, client=HttpClient(read_timeout=0.2),
              retry=RetryPolicy(wait=RecordingWait()))
    try:
        with pytest.raises(NetworkError) as info:
            bot.sendMessage(5, "slow")
    finally:
        release.set()
        bot.client.close()
    assert info.value.sent is True
    assert len(loopback_api.calls("sendMessage")) == 1


def test_refused_connection_is_retried_with_exponential_backoff_then_raised():
    port = free_port()
    wait = RecordingWait()
    with Bot(TOKEN, api_url=f"http://127.0.0.1:{port}", retry=RetryPolicy(wait=wait)) as bot:
        with pytest.raises(NetworkError) as info:
            bot.sendMessage(1, "x")
    assert info.value.sent is False
    assert isinstance(info.value.__cause__, urllib3.exceptions.NewConnectionError)
    assert wait.waits == [0.5, 1.0, 2.0]


def test_refused_connection_succeeds_once_the_server_is_up():
    port = free_port()
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(self.path.rsplit("/", 1)[-1])
            payload = b'{"ok":true,"result":{"message_id":9}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    servers: list[_QuietServer] = []
    threads: list[threading.Thread] = []

    def start_server_on_second_wait(n: int) -> None:
        if n == 2:
            server = _QuietServer(("127.0.0.1", port), Handler)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            servers.append(server)
            threads.append(thread)

    wait = RecordingWait(start_server_on_second_wait)
    try:
        with Bot(TOKEN, api_url=f"http://127.0.0.1:{port}", retry=RetryPolicy(wait=wait)) as bot:
            assert bot.sendMessage(1, "late") == {"message_id": 9}
    finally:
        for server in servers:
            server.shutdown()
            server.close_connections()
            server.server_close()
        for thread in threads:
            thread.join(5)
    assert wait.waits == [0.5, 1.0]
    assert seen == ["sendMessage"]


def test_5xx_is_retried_for_read_only_methods_only(loopback_api):
    bot, wait = make_bot(loopback_api)
    loopback_api.reply("getChat", status=500, json=error(500, "Internal Server Error"))
    loopback_api.reply("getChat", {"id": 5, "type": "private"})
    with bot:
        assert bot.getChat(5) == {"id": 5, "type": "private"}
    assert wait.waits == [0.5]
    assert len(loopback_api.calls("getChat")) == 2


def test_policy_is_immutable_and_validated():
    policy = RetryPolicy()
    with pytest.raises(FrozenInstanceError):
        policy.flood_retries = 5  # type: ignore[misc]
    assert replace(policy, flood_retries=0).flood_retries == 0
    assert [policy.backoff(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0]
    assert policy.retries_server_errors("getChat") and not policy.retries_server_errors("sendMessage")
    assert not policy.retries_server_errors("getUpdates")
    with pytest.raises(ValueError):
        RetryPolicy(connect_retries=-1)


def test_stop_interrupts_a_flood_wait(loopback_api):
    loopback_api.reply("sendMessage", status=429, json=error(429, "Too Many Requests", retry_after=30))
    bot = Bot(TOKEN, api_url=loopback_api.url)  # default wait: the bot's stop event
    outcome: list[BaseException] = []

    def send() -> None:
        try:
            bot.sendMessage(1, "x")
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            outcome.append(exc)

    thread = threading.Thread(target=send)
    thread.start()
    loopback_api.wait_request("sendMessage")
    bot.stop()
    thread.join(5)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], TooManyRequestsError)
    assert len(loopback_api.calls("sendMessage")) == 1


# -- token redaction -----------------------------------------------------------------------

def _texts(exc: BaseException) -> list[str]:
    out = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    cause = exc.__cause__
    while cause is not None:
        out += [str(cause), repr(cause)]
        cause = cause.__cause__
    return out


def test_token_never_in_logs_exceptions_or_reprs(loopback_api, caplog):
    caplog.set_level(logging.DEBUG)
    collected: list[str] = []
    bot, _ = make_bot(loopback_api, flood_retries=0)
    collected += [repr(bot), str(bot), repr(bot.client), repr(bot.retry)]
    echo = f"<html>cannot route /bot{TOKEN}/sendMessage</html>".encode()
    script = [
        dict(status=502, body=echo, content_type="text/html"),
        dict(status=401, json=error(401, "Unauthorized")),
        dict(status=403, json=error(403, "Forbidden: bot was kicked from the group chat")),
        dict(status=409, json=error(409, "Conflict")),
        dict(status=429, json=error(429, "Too Many Requests", retry_after=5)),
        dict(status=500, json=error(500, "Internal Server Error")),
        dict(drop=True),
    ]
    with bot:
        bot.getMe()
        for reply in script:
            loopback_api.reply("sendMessage", **reply)
            with pytest.raises(Exception) as info:
                bot.sendMessage(1, "x")
            collected += _texts(info.value)
    port = free_port()
    with Bot(TOKEN, api_url=f"http://127.0.0.1:{port}", retry=RetryPolicy(wait=RecordingWait())) as refused:
        with pytest.raises(NetworkError) as info:
            refused.getMe()
        collected += _texts(info.value)
    collected += [r.getMessage() for r in caplog.records]
    # the HTTP layer's DEBUG lines (the wire's request lines) were captured...
    assert any(r.name in ("actorbot.api._wire", "urllib3.connectionpool") for r in caplog.records)
    assert any("/bot<token>/sendMessage" in r.getMessage() for r in caplog.records)  # ...and redacted
    leaks = [text for text in collected if TOKEN in text]
    assert leaks == []


def test_scrub_exception_cleans_urllib3_exceptions_in_place():
    inner = urllib3.exceptions.NewConnectionError(None, f"failed for /bot{TOKEN}/getMe")  # type: ignore[arg-type]
    outer = urllib3.exceptions.MaxRetryError(None, f"/bot{TOKEN}/getMe", inner)  # type: ignore[arg-type]
    scrub_exception(outer, TOKEN)
    assert TOKEN not in str(outer) and TOKEN not in repr(outer) and TOKEN not in outer.url
    assert TOKEN not in str(inner)
    assert redact(f"x {TOKEN} y", TOKEN) == "x <token> y"


# -- pool, proxy, base URL -----------------------------------------------------------------

def test_pool_size_bounds_concurrent_connections_and_callers_queue(loopback_api):
    release = threading.Event()
    loopback_api.on("sendMessage", lambda req: Reply(result={"text": req.params["text"]}, hold=release))
    client = HttpClient(pool_size=2)
    assert client.pool_size == 2
    bot = Bot(TOKEN, api_url=loopback_api.url, client=client, retry=RetryPolicy(wait=RecordingWait()))
    results: list[Any] = []
    # four chats: calls to one chat go one at a time through its flood-control lane
    threads = [threading.Thread(target=lambda i=i: results.append(bot.sendMessage(i + 1, str(i)))) for i in range(4)]
    try:
        for t in threads:
            t.start()
        loopback_api.wait_request("sendMessage", count=2)
        with pytest.raises(AssertionError):  # nobody opens a third connection while two are busy
            loopback_api.wait_request("sendMessage", count=3, timeout=0.3)
        assert bot.requests_in_flight == 4
    finally:
        release.set()
        for t in threads:
            t.join(5)
        client.close()
    assert sorted(r["text"] for r in results) == ["0", "1", "2", "3"]
    assert bot.requests_in_flight == 0


def test_default_pool_is_large():
    # blocking beyond the bound: test_pool_size_bounds_... above and tests/test_api_wire.py
    assert HttpClient().pool_size >= 32


def test_set_proxy_applies_to_bots_created_afterwards(loopback_api):
    before = Bot(TOKEN, api_url=loopback_api.url)
    set_proxy(loopback_api.url, basic_auth=("alice", "s3cret"))
    try:
        after = Bot(TOKEN, api_url="http://api.telegram.invalid")
    finally:
        set_proxy(None)
    with before, after:
        assert after.getMe()["username"] == "loopback_bot"  # went through the "proxy"
        before.getMe()
    via_proxy, direct = loopback_api.calls("getMe")
    assert via_proxy.headers["host"] == "api.telegram.invalid"
    assert via_proxy.headers["proxy-authorization"] == "Basic YWxpY2U6czNjcmV0"
    assert "proxy-authorization" not in direct.headers
    assert "s3cret" not in repr(after.client)
    assert Bot(TOKEN).client.proxy is None


def test_api_url_precedence(loopback_api, monkeypatch):
    monkeypatch.delenv("ACTORBOT_API_URL", raising=False)
    assert Bot(TOKEN).api_url == "https://api.telegram.org"
    set_api_url("http://set-api-url.example/")
    try:
        assert Bot(TOKEN).api_url == "http://set-api-url.example"
        monkeypatch.setenv("ACTORBOT_API_URL", loopback_api.url)
        from_env = Bot(TOKEN)
        assert from_env.api_url == loopback_api.url
        assert Bot(TOKEN, api_url="http://explicit.example").api_url == "http://explicit.example"
    finally:
        set_api_url(None)
    monkeypatch.delenv("ACTORBOT_API_URL")
    assert Bot(TOKEN).api_url == "https://api.telegram.org"
    with from_env:
        from_env.sendMessage(3, "via env")  # an unchanged program reaches the local server
    assert loopback_api.wait_request("sendMessage").params == {"chat_id": 3, "text": "via env"}


def test_long_poll_read_timeout_exceeds_the_poll_timeout(loopback_api):
    release = threading.Event()
    timer_done = threading.Event()
    loopback_api.reply("getUpdates", [{"update_id": 1, "message": {"message_id": 1}}], hold=release)
    client = HttpClient(read_timeout=0.3)
    bot = Bot(TOKEN, api_url=loopback_api.url, client=client, retry=RetryPolicy(wait=RecordingWait()))
    got: list[Any] = []
    thread = threading.Thread(target=lambda: got.append(bot.getUpdates(offset=1, timeout=20)))
    thread.start()
    try:
        loopback_api.wait_request("getUpdates")
        # The answer is held longer than read_timeout: only poll timeout + read_timeout keeps it alive.
        assert not timer_done.wait(0.6)
        assert bot.requests_in_flight == 0  # getUpdates is not counted
    finally:
        release.set()
        thread.join(5)
        client.close()
    assert got == [[{"update_id": 1, "message": {"message_id": 1}}]]
    assert loopback_api.calls("getUpdates")[0].params == {"offset": 1, "timeout": 20}


def test_non_json_gateway_error_is_retried_for_a_read_only_method(loopback_api):
    bot, wait = make_bot(loopback_api)
    loopback_api.reply("getMe", status=504, body=b"Gateway Timeout", content_type="text/plain")
    with bot:
        assert bot.getMe()["username"] == "loopback_bot"
    assert wait.waits == [0.5]
    assert len(loopback_api.calls("getMe")) == 2


def test_url_token_segment_is_redacted_whatever_the_token_looks_like() -> None:
    from actorbot.api import redact

    assert redact("POST /bot123:abc/getUpdates HTTP/1.1") == "POST /bot<token>/getUpdates HTTP/1.1"
    assert redact("GET http://h/file/botXYZ/photos/1.jpg") == "GET http://h/file/bot<token>/photos/1.jpg"


# -- the direct pool path ------------------------------------------------------------------

def test_calls_name_the_client_and_a_path_prefix_of_the_api_url_is_kept(loopback_api):
    client = HttpClient()
    try:
        client.request(loopback_api.url, TOKEN, "getMe")
        client.request(loopback_api.url, TOKEN, "sendPhoto", {"chat_id": 1}, {"photo": ("a.png", b"x")})
        with pytest.raises(UnauthorizedError):  # the loopback finds no token under /prefix
            client.request(loopback_api.url + "/prefix/", TOKEN, "getMe")
    finally:
        client.close()
    first, upload, prefixed = loopback_api.calls()
    assert first.headers["user-agent"] == upload.headers["user-agent"] == "actorbot"
    assert first.path == f"/bot{TOKEN}/getMe"
    assert prefixed.path == f"/prefix/bot{TOKEN}/getMe"


def test_a_closed_client_opens_new_connections_on_the_next_call(loopback_api):
    client = HttpClient()
    try:
        client.request(loopback_api.url, TOKEN, "getMe")
        client.close()
        client.close()
        assert client.request(loopback_api.url, TOKEN, "getMe")["username"] == "loopback_bot"
    finally:
        client.close()


def test_per_call_timeouts_are_built_once_and_remembered_boundedly():
    client = HttpClient(connect_timeout=3, read_timeout=7, upload_timeout=70)
    plain, upload = client._timeout(None, False), client._timeout(None, True)
    assert (plain.connect_timeout, plain.read_timeout) == (3, 7)
    assert upload.read_timeout == 70
    assert client._timeout(None, False) is plain
    assert client._timeout(27.0, False) is client._timeout(27.0, True)
    for seconds in range(1, 1000):
        assert client._timeout(float(seconds), False).read_timeout == seconds
    assert len(client._timeouts) <= client._TIMEOUTS_KEPT
