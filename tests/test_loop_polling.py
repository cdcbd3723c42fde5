"""MessageLoop against a real HTTP server on 127.0.0.1 (the loopback Bot API stand-in).

``TelegramQueue`` (``tests/loopback.py``) answers ``getUpdates`` the way Telegram does: updates stay
queued until a later call's ``offset`` confirms them, and a long poll is held
until an update arrives (bounded). So the offsets the server saw are exactly what
a real server would have been told.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from actorbot import flavor
from actorbot._bot import Bot
from actorbot.api import NO_RETRY
from actorbot.exception import UnauthorizedError
from actorbot.loop import Backoff, MessageLoop
from loopback import TOKEN, LoopbackApi, Reply, TelegramQueue


def text_update(update_id: int, text: str, chat_id: int = 42) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id * 10,
            "date": 1700000000,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Ann"},
            "text": text,
        },
    }


def error_json(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def offsets(api: LoopbackApi) -> list[Any]:
    return [r.params.get("offset") for r in api.calls("getUpdates")]


@pytest.fixture
def bot(loopback_api: LoopbackApi) -> Iterator[Bot]:
    bot = Bot(TOKEN, api_url=loopback_api.url, retry=NO_RETRY)
    try:
        yield bot
    finally:
        bot.close()


@contextmanager
def running(loop: MessageLoop, telegram: TelegramQueue | None = None, **kwargs: Any) -> Iterator[MessageLoop]:
    thread = loop.run_as_thread(**kwargs)
    try:
        yield loop
    finally:
        loop.stop(timeout=0)
        if telegram is not None:
            telegram.release()
        assert loop.join(5)
        thread.join(5)
        assert not thread.is_alive()


class Recorder:
    """A handler that records messages and lets a test wait for the n-th one."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self._cond = threading.Condition()

    def __call__(self, msg: dict[str, Any]) -> None:
        with self._cond:
            self.messages.append(msg)
            self._cond.notify_all()

    def texts(self) -> list[str]:
        with self._cond:
            return [m.get("text", "?") for m in self.messages]

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.messages) >= count, timeout), self.messages


def no_token_in(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        if record.exc_text:
            assert TOKEN not in record.exc_text


# -- acknowledgement -------------------------------------------------------------------------

def test_offset_moves_past_each_update_once_handled(bot: Bot, loopback_api: LoopbackApi) -> None:
    telegram = TelegramQueue(loopback_api, text_update(10, "a"), text_update(11, "b"))
    handler = Recorder()
    loop = MessageLoop(bot, handler)
    with running(loop, telegram, relax=0, timeout=20, allowed_updates=["message"]):
        handler.wait_for(2)
        loopback_api.wait_request("getUpdates", count=2)
        telegram.add(text_update(12, "c"))
        handler.wait_for(3)
        loopback_api.wait_request("getUpdates", count=3)
    assert handler.texts() == ["a", "b", "c"]
    calls = loopback_api.calls("getUpdates")
    assert offsets(loopback_api)[:3] == [None, 12, 13]
    assert calls[0].params["timeout"] == 20
    # allowed_updates goes with the first call only: Telegram keeps it.
    assert calls[0].params["allowed_updates"] == ["message"]
    assert "allowed_updates" not in calls[1].params
    assert loop.offset == 13


def test_initial_offset_is_sent(bot: Bot, loopback_api: LoopbackApi) -> None:
    telegram = TelegramQueue(loopback_api, text_update(7, "old"), text_update(8, "new"))
    handler = Recorder()
    with running(MessageLoop(bot, handler), telegram, relax=0, offset=8):
        handler.wait_for(1)
        loopback_api.wait_request("getUpdates", count=2)
    assert handler.texts() == ["new"]
    assert offsets(loopback_api)[:2] == [8, 9]


class Crash(BaseException):
    """Stands for the process dying inside the handler (not an ordinary handler error)."""


def test_crash_mid_batch_then_restart_refetches_the_unhandled_updates(bot: Bot, loopback_api: LoopbackApi) -> None:
    telegram = TelegramQueue(loopback_api, text_update(1, "one"), text_update(2, "two"), text_update(3, "three"))
    first_run: list[str] = []

    def crashing(msg: dict[str, Any]) -> None:
        if msg["text"] == "two":
            raise Crash()
        first_run.append(msg["text"])

    with pytest.raises(Crash):
        MessageLoop(bot, crashing).run_forever(relax=0)
    assert first_run == ["one"]
    # The way out confirmed update 1 only (offset 2); 2 and 3 stay with Telegram.
    calls = loopback_api.calls("getUpdates")
    assert [(c.params.get("offset"), c.params.get("limit"), c.params.get("timeout")) for c in calls] == [
        (None, None, 20),
        (2, 1, 0),
    ]

    handler = Recorder()
    with running(MessageLoop(bot, handler), telegram, relax=0):
        handler.wait_for(2)
        loopback_api.wait_request("getUpdates", count=4)
    assert handler.texts() == ["two", "three"]
    assert offsets(loopback_api)[2:4] == [None, 4]


def test_handler_exception_is_logged_and_the_loop_goes_on(
    bot: Bot, loopback_api: LoopbackApi, caplog: pytest.LogCaptureFixture
) -> None:
    telegram = TelegramQueue(loopback_api, text_update(1, "one"), text_update(2, "boom"), text_update(3, "three"))
    handler = Recorder()

    def handle(msg: dict[str, Any]) -> None:
        if msg["text"] == "boom":
            raise ValueError("handler bug")
        handler(msg)

    with caplog.at_level(logging.WARNING, logger="actorbot"):
        with running(MessageLoop(bot, handle), telegram, relax=0):
            handler.wait_for(2)
            loopback_api.wait_request("getUpdates", count=2)
    assert handler.texts() == ["one", "three"]
    assert offsets(loopback_api)[:2] == [None, 4]
    [failure] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "update 2" in failure.getMessage()
    assert failure.exc_info is not None and failure.exc_info[0] is ValueError
    no_token_in(caplog)


def test_bad_updates_are_skipped_and_the_offset_still_advances(
    bot: Bot, loopback_api: LoopbackApi, caplog: pytest.LogCaptureFixture
) -> None:
    telegram = TelegramQueue(
        loopback_api,
        text_update(1, "one"),
        {"update_id": 2, "message": "not an object"},
        {"update_id": 3, "message": {"text": "no message_id, no chat"}},
        {"update_id": 4},
        {"no": "update_id"},
        text_update(5, "five"),
    )
    handler = Recorder()
    with caplog.at_level(logging.WARNING, logger="actorbot"):
        with running(MessageLoop(bot, handler), telegram, relax=0):
            handler.wait_for(2)
            loopback_api.wait_request("getUpdates", count=2)
    assert handler.texts() == ["one", "five"]
    assert offsets(loopback_api)[:2] == [None, 6]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for update_id in (2, 3, 4):
        assert any(f"update {update_id}" in w for w in warnings), warnings
    assert any("without an integer update_id" in w for w in warnings)
    no_token_in(caplog)


def test_an_unknown_update_kind_is_delivered_by_its_key(bot: Bot, loopback_api: LoopbackApi) -> None:
    telegram = TelegramQueue(
        loopback_api,
        {"update_id": 1, "future_kind": {"id": "f1", "stars": 3}},
        text_update(2, "after"),
    )
    seen: list[tuple[str, dict[str, Any]]] = []
    done = threading.Event()

    def on_future(msg: dict[str, Any]) -> None:
        seen.append((flavor(msg), msg))

    def on_chat(msg: dict[str, Any]) -> None:
        seen.append((flavor(msg), msg))
        done.set()

    # A routing table by flavor as the handler.
    with running(MessageLoop(bot, {"future_kind": on_future, "chat": on_chat}), telegram, relax=0):
        assert done.wait(5)
    assert seen[0] == ("future_kind", {"future_kind": {"id": "f1", "stars": 3}})
    assert seen[1][0] == "chat"


def test_no_handle_means_bot_handle(loopback_api: LoopbackApi) -> None:
    got: list[str] = []
    done = threading.Event()

    class EchoBot(Bot):
        def on_chat_message(self, msg: dict[str, Any]) -> None:
            got.append(msg["text"])
            done.set()

    telegram = TelegramQueue(loopback_api, text_update(1, "hello"))
    bot = EchoBot(TOKEN, api_url=loopback_api.url, retry=NO_RETRY)
    try:
        with running(MessageLoop(bot), telegram, relax=0):
            assert done.wait(5)
    finally:
        bot.close()
    assert got == ["hello"]


# -- failures of getUpdates ------------------------------------------------------------------

def test_network_errors_and_5xx_back_off_exponentially_then_reset(
    bot: Bot, loopback_api: LoopbackApi, caplog: pytest.LogCaptureFixture
) -> None:
    waits: list[float] = []
    loopback_api.reply("getUpdates", status=502, json=error_json(502, "Bad Gateway"))
    loopback_api.reply("getUpdates", drop=True)  # connection closed without an answer
    loopback_api.reply("getUpdates", status=500, body=b"<html>oops</html>", content_type="text/html")
    loopback_api.reply("getUpdates", [text_update(1, "one")])
    loopback_api.reply("getUpdates", status=503, json=error_json(503, "Service Unavailable"))
    telegram = TelegramQueue(loopback_api)
    handler = Recorder()
    loop = MessageLoop(bot, handler, backoff=Backoff(initial=0.5, factor=2, maximum=1.5), wait=waits.append)
    with caplog.at_level(logging.WARNING, logger="actorbot"):
        with running(loop, telegram, relax=0):
            handler.wait_for(1)
            loopback_api.wait_request("getUpdates", count=6)
    assert handler.texts() == ["one"]
    # three failures in a row (capped at 1.5), a success resets, one more failure
    assert waits == [0.5, 1.0, 1.5, 0.5]
    assert offsets(loopback_api)[:6] == [None, None, None, None, 2, 2]
    assert sum("retrying" in r.getMessage() for r in caplog.records) == 4
    no_token_in(caplog)


def test_429_waits_retry_after(bot: Bot, loopback_api: LoopbackApi, caplog: pytest.LogCaptureFixture) -> None:
    waits: list[float] = []
    loopback_api.reply(
        "getUpdates", status=429, json=error_json(429, "Too Many Requests: retry after 7", retry_after=7)
    )
    telegram = TelegramQueue(loopback_api, text_update(1, "one"))
    handler = Recorder()
    with caplog.at_level(logging.WARNING, logger="actorbot"):
        with running(MessageLoop(bot, handler, wait=waits.append), telegram, relax=0):
            handler.wait_for(1)
    assert waits == [7.0]
    assert any("429" in r.getMessage() and "7.0 s" in r.getMessage() for r in caplog.records)


def test_409_conflict_is_reported_clearly_and_retried(
    bot: Bot, loopback_api: LoopbackApi, caplog: pytest.LogCaptureFixture
) -> None:
    waits: list[float] = []
    description = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
    loopback_api.reply("getUpdates", status=409, json=error_json(409, description))
    loopback_api.reply("getUpdates", status=409, json=error_json(409, description))
    telegram = TelegramQueue(loopback_api, text_update(1, "one"))
    handler = Recorder()
    with caplog.at_level(logging.WARNING, logger="actorbot"):
        with running(MessageLoop(bot, handler, wait=waits.append), telegram, relax=0):
            handler.wait_for(1)
    assert waits == [0.5, 1.0]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert "409 Conflict" in errors[0]
    assert "another getUpdates" in errors[0] and "webhook" in errors[0] and "deleteWebhook" in errors[0]
    no_token_in(caplog)


def test_401_stops_the_loop_and_is_raised_to_run_forever(
    bot: Bot, loopback_api: LoopbackApi, caplog: pytest.LogCaptureFixture
) -> None:
    loopback_api.reply("getUpdates", status=401, json=error_json(401, "Unauthorized"))
    with caplog.at_level(logging.WARNING, logger="actorbot"):
        with pytest.raises(UnauthorizedError):
            MessageLoop(bot, Recorder()).run_forever(relax=0)
    assert len(loopback_api.calls("getUpdates")) == 1  # no retry, no confirmation call
    [error] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "401 Unauthorized" in error and "token" in error and "stops" in error
    no_token_in(caplog)


def test_401_with_run_as_thread_is_kept_in_error(loopback_api: LoopbackApi) -> None:
    # A bot that returns error answers instead of raising them (amanobot's raise_errors=False).
    loopback_api.reply("getUpdates", status=401, json=error_json(401, "Unauthorized"))
    bot = Bot(TOKEN, api_url=loopback_api.url, retry=NO_RETRY, raise_errors=False)
    try:
        loop = MessageLoop(bot, Recorder())
        thread = loop.run_as_thread(relax=0)
        assert loop.join(5)
        thread.join(5)
    finally:
        bot.close()
    assert not thread.is_alive()
    assert isinstance(loop.error, UnauthorizedError)
    assert TOKEN not in str(loop.error)


# -- stopping ----------------------------------------------------------------------------------

def test_stop_interrupts_the_relax_wait_at_once_and_leaves_no_thread(bot: Bot, loopback_api: LoopbackApi) -> None:
    loopback_api.reply("getUpdates", [text_update(1, "one")])
    handler = Recorder()
    loop = MessageLoop(bot, handler)
    thread = loop.run_as_thread(relax=60, timeout=0)
    handler.wait_for(1)
    assert loop.running
    started = time.monotonic()
    assert loop.stop(timeout=5)
    assert time.monotonic() - started < 1.0
    assert not thread.is_alive()
    assert not loop.running
    assert "actorbot-message-loop" not in [t.name for t in threading.enumerate()]
    # The handled update was confirmed: by the next poll when it finished before stop()
    # (the loop polls again at once after a batch), else by a confirming call on the way out.
    last = loopback_api.calls("getUpdates")[-1].params
    assert last in ({"offset": 2, "limit": 1, "timeout": 0}, {"offset": 2, "timeout": 0})


def test_stop_interrupts_a_backoff_wait(bot: Bot, loopback_api: LoopbackApi) -> None:
    loopback_api.on("getUpdates", lambda req: Reply(status=502, json=error_json(502, "Bad Gateway")))
    loop = MessageLoop(bot, Recorder(), backoff=Backoff(initial=60))
    thread = loop.run_as_thread(relax=0)
    loopback_api.wait_request("getUpdates")
    started = time.monotonic()
    assert loop.stop(timeout=5)
    assert time.monotonic() - started < 1.0
    assert not thread.is_alive()
    assert len(loopback_api.calls("getUpdates")) == 1


def test_stop_from_inside_the_handler_leaves_the_rest_of_the_batch_unconfirmed(
    bot: Bot, loopback_api: LoopbackApi
) -> None:
    telegram = TelegramQueue(loopback_api, text_update(1, "one"), text_update(2, "two"))
    handled: list[str] = []
    loop = MessageLoop(bot, lambda msg: (handled.append(msg["text"]), loop.stop()))
    thread = loop.run_as_thread(relax=0)
    assert loop.join(5)
    thread.join(5)
    assert not thread.is_alive()
    assert handled == ["one"]
    assert [c.params for c in loopback_api.calls("getUpdates")] == [
        {"timeout": 20},
        {"offset": 2, "limit": 1, "timeout": 0},
    ]
    del telegram


def test_a_stopped_loop_does_not_run_again(bot: Bot, loopback_api: LoopbackApi) -> None:
    loop = MessageLoop(bot, Recorder())
    loop.stop()
    loop.run_forever(relax=0)  # returns at once
    assert loopback_api.calls("getUpdates") == []


def test_running_twice_at_once_is_refused(bot: Bot, loopback_api: LoopbackApi) -> None:
    telegram = TelegramQueue(loopback_api)
    loop = MessageLoop(bot, Recorder())
    with running(loop, telegram, relax=0):
        with pytest.raises(RuntimeError):
            loop.run_as_thread()


def test_stop_cuts_a_long_poll_short(loopback_api: LoopbackApi) -> None:
    # The server holds the long poll (as Telegram does for `timeout` seconds).
    release = threading.Event()
    loopback_api.on("getUpdates", lambda req: Reply(result=[], hold=release))
    bot = Bot(TOKEN, api_url=loopback_api.url)
    loop = MessageLoop(bot, lambda msg: None)
    try:
        loop.run_as_thread(timeout=30)
        loopback_api.wait_request("getUpdates")
        started = time.monotonic()
        assert loop.stop(timeout=3.0), "the loop thread still waits for its long poll"
        assert time.monotonic() - started < 2.0
        assert loop.error is None
    finally:
        release.set()
        bot.stop()


def test_stop_while_the_poll_is_still_connecting_is_prompt(
    loopback_api: LoopbackApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Widen the race: the loop's getUpdates is held inside connect() until stop() has
    # cancelled the token, so the cancel lands before the connection exists. The server
    # would then hold the long poll for 30 s.
    from actorbot.api import _wire

    connecting = threading.Event()
    held = threading.Event()
    loopback_api.on("getUpdates", lambda req: Reply(result=[], hold=held))
    bot = Bot(TOKEN, api_url=loopback_api.url)
    loop = MessageLoop(bot, lambda msg: None)
    real_connect = _wire.create_connection

    def slow_connect(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is loop.thread:
            connecting.set()
            assert loop._stop_requested.wait(5)  # stop() has been called: the token is cancelled
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(_wire, "create_connection", slow_connect)
    try:
        loop.run_as_thread(timeout=30)
        assert connecting.wait(5)
        started = time.monotonic()
        assert loop.stop(timeout=5.0), "the loop thread still waits for its long poll"
        assert time.monotonic() - started < 1.0
        assert loop.error is None
    finally:
        held.set()
        bot.stop()


def test_relax_is_waited_only_after_a_poll_that_returned_nothing(bot: Bot, loopback_api: LoopbackApi) -> None:
    waits: list[float] = []
    loopback_api.reply("getUpdates", [text_update(1, "one")])
    loopback_api.reply("getUpdates", [text_update(2, "two")])
    loopback_api.reply("getUpdates", [])
    telegram = TelegramQueue(loopback_api, text_update(3, "three"))
    handler = Recorder()
    with running(MessageLoop(bot, handler, wait=waits.append), telegram, relax=0.25):
        handler.wait_for(3)
    assert handler.texts() == ["one", "two", "three"]
    assert offsets(loopback_api)[:4] == [None, 2, 3, 3]
    assert waits == [0.25]  # once, after the empty poll


def test_a_persistent_409_stops_the_loop_and_reaches_on_error(loopback_api: LoopbackApi) -> None:
    from actorbot.exception import ConflictError

    reports: list[tuple[BaseException, Any, Any]] = []
    description = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
    loopback_api.on("getUpdates", lambda req: Reply(status=409, json=error_json(409, description)))
    bot = Bot(TOKEN, api_url=loopback_api.url, retry=NO_RETRY, on_error=lambda *a: reports.append(a))
    waits: list[float] = []
    try:
        with pytest.raises(ConflictError) as caught:
            MessageLoop(bot, Recorder(), wait=waits.append, conflict_limit=3).run_forever(relax=0)
    finally:
        bot.close()
    assert len(loopback_api.calls("getUpdates")) == 3
    assert waits == [0.5, 1.0]
    assert "3 times in a row" in str(caught.value) and "another copy" in str(caught.value)
    assert caught.value.error_code == 409
    [(exc, update, conversation)] = reports
    assert exc is caught.value and update is None and conversation is None


def test_handler_errors_of_a_plain_loop_reach_on_error(loopback_api: LoopbackApi) -> None:
    reports: list[tuple[BaseException, Any, Any]] = []
    telegram = TelegramQueue(loopback_api, text_update(1, "boom"), text_update(2, "fine"))
    bot = Bot(TOKEN, api_url=loopback_api.url, retry=NO_RETRY, on_error=lambda *a: reports.append(a))
    handler = Recorder()

    def handle(msg: dict[str, Any]) -> None:
        if msg["text"] == "boom":
            raise KeyError("txt")
        handler(msg)

    try:
        with running(MessageLoop(bot, handle), telegram, relax=0):
            handler.wait_for(1)
    finally:
        bot.close()
    [(exc, update, conversation)] = reports
    assert isinstance(exc, KeyError) and update["update_id"] == 1 and conversation is None
