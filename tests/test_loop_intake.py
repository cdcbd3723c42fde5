"""Loops that give updates to the bot's intake (``bot.intake``) instead of calling ``handle``.

The intake here is a small stand-in for a ``DelegatorBot`` without a store: it records
what it accepted, the test says which updates are done, and ``confirmable`` is the first
accepted update not done. The bots are real ``actorbot.Bot`` objects with ``bot.intake``
set, polling the loopback Bot API (a real HTTP server on 127.0.0.1), which answers
``getUpdates`` the way Telegram does: unconfirmed updates stay queued until an offset
confirms them, and a long poll is held (bounded) while there is nothing to send.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from actorbot import Bot, DelegatorBot
from actorbot.api import NO_RETRY
from actorbot.exception import StoreUnavailable
from actorbot.loop import Backoff, MessageLoop, OrderedWebhook, Outcome, Webhook, WebhookApp
from actorbot.loop._intake import Intake
from loopback import TOKEN, LoopbackApi, Reply, TelegramQueue

TIMEOUT = 5.0


def text_update(update_id: int, text: str | None = None) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1700000000,
            "chat": {"id": 42, "type": "private"},
            "text": text if text is not None else f"m{update_id}",
        },
    }


class FakeIntake:
    """The :class:`~actorbot.loop._intake.Intake` protocol, controlled by the test. Thread-safe."""

    def __init__(self, *, known: Sequence[int] = ()) -> None:
        self._cond = threading.Condition()
        self._known: set[int] = set(known)  # accepted before (in "an earlier run")
        self.calls: list[list[int]] = []  # the ids of each accept call that succeeded
        self.failed_calls: list[list[int]] = []  # the ids of each call that raised StoreError
        self.accepted: list[int] = []  # new ids, in the order accepted
        self.done: set[int] = set()
        self.fail = 0  # how many of the next accept calls raise StoreError
        self.stopped = False  # accept raises RuntimeError
        self.gate: threading.Event | None = None  # accept waits for it (bounded) when set
        self.entered = threading.Event()  # set by each accept call
        self.progress_waits: list[float] = []

    # -- the protocol (the loop's thread) -------------------------------------------------------
    def accept(self, updates: Sequence[dict[str, Any]]) -> int:
        ids = [update["update_id"] for update in updates]
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(TIMEOUT)
        with self._cond:
            if self.stopped:
                raise RuntimeError("the bot has stopped")
            if self.fail:
                self.fail -= 1
                self.failed_calls.append(ids)
                self._cond.notify_all()
                raise StoreUnavailable("the store is down (test)")
            new = [i for i in ids if i not in self._known]
            self._known.update(new)
            self.accepted.extend(new)
            self.calls.append(ids)
            self._cond.notify_all()
            return len(new)

    def confirmable(self, next_offset: int) -> int:
        with self._cond:
            unfinished = [i for i in self.accepted if i not in self.done and i < next_offset]
            return min(unfinished, default=next_offset)

    def wait_progress(self, timeout: float) -> None:
        with self._cond:
            self.progress_waits.append(timeout)
            self._cond.wait(timeout)

    # -- the test's side -----------------------------------------------------------------------
    def finish(self, *ids: int) -> None:
        """Mark ``ids`` done (as if their handlers returned)."""
        with self._cond:
            self.done.update(ids)
            self._cond.notify_all()

    def finish_all(self) -> None:
        with self._cond:
            self.done.update(self.accepted)
            self._cond.notify_all()

    def wait_calls(self, count: int, *, failed: bool = False) -> None:
        calls = self.failed_calls if failed else self.calls
        with self._cond:
            assert self._cond.wait_for(lambda: len(calls) >= count, TIMEOUT), (self.calls, self.failed_calls)


def test_the_fake_intake_implements_the_protocol() -> None:
    intake: Intake = FakeIntake()  # mypy checks the protocol here
    assert intake.confirmable(5) == 5


class Telegram(TelegramQueue):
    """The shared getUpdates queue, holding long polls for this module's ``TIMEOUT``."""

    def __init__(self, api: LoopbackApi, *updates: dict[str, Any]) -> None:
        super().__init__(api, *updates, hold=TIMEOUT)

    def wait_offset(self, offset: int, timeout: float = TIMEOUT) -> int:
        return super().wait_offset(offset, timeout)


@pytest.fixture
def intake() -> FakeIntake:
    return FakeIntake()


@pytest.fixture
def bot(loopback_api: LoopbackApi, intake: FakeIntake) -> Iterator[Bot]:
    bot = Bot(TOKEN, api_url=loopback_api.url, retry=NO_RETRY)
    bot.intake = intake  # type: ignore[attr-defined]  # what a DelegatorBot has
    try:
        yield bot
    finally:
        bot.close()


@contextmanager
def running(loop: MessageLoop, telegram: Telegram, **kwargs: Any) -> Iterator[MessageLoop]:
    thread = loop.run_as_thread(**kwargs)
    try:
        yield loop
    finally:
        loop.stop(timeout=0)
        telegram.release()
        assert loop.join(TIMEOUT)
        thread.join(TIMEOUT)
        assert not thread.is_alive()


def confirmations(api: LoopbackApi) -> list[dict[str, Any]]:
    """The confirming getUpdates calls (``limit=1, timeout=0``) the server saw."""
    return [r.params for r in api.calls("getUpdates") if r.params.get("limit") == 1]


# -- MessageLoop -------------------------------------------------------------------------------

def test_the_offset_stays_at_the_first_unfinished_update_until_it_is_done(
    bot: Bot, loopback_api: LoopbackApi, intake: FakeIntake
) -> None:
    telegram = Telegram(loopback_api, text_update(1), text_update(2), text_update(3))
    loop = MessageLoop(bot)
    with running(loop, telegram, relax=0.1):
        intake.wait_calls(1)
        # Telegram sends the unconfirmed updates again: they are not accepted twice.
        before = telegram.wait_offset(1)
        loopback_api.wait_request("getUpdates", count=before + 1)
        assert loop.offset == 1
        intake.finish(1)
        telegram.wait_offset(2)
        intake.finish(3)  # 2 is still unfinished: the offset stays at 2
        assert loop.offset == 2
        intake.finish(2)
        telegram.wait_offset(4)
        telegram.add(text_update(4), text_update(5))
        intake.wait_calls(2)
        intake.finish(4, 5)
        telegram.wait_offset(6)
    assert intake.calls == [[1, 2, 3], [4, 5]]  # one accept call per batch, nothing twice
    assert intake.accepted == [1, 2, 3, 4, 5]
    sent = telegram.offsets()
    assert sent[0] is None
    assert sent[1:] == sorted(sent[1:]), sent  # the offset never goes back
    assert set(sent[1:]) == {1, 2, 4, 6}, sent  # never past an unfinished update (never 3 or 5)
    # With updates unfinished, an empty poll is followed by a wait for progress, not relax.
    assert intake.progress_waits and set(intake.progress_waits) == {0.1}


def test_a_batch_goes_to_accept_in_one_call_without_refused_or_old_updates(
    bot: Bot, loopback_api: LoopbackApi, intake: FakeIntake, caplog: pytest.LogCaptureFixture
) -> None:
    loopback_api.reply("getUpdates", [text_update(10), text_update(11)])
    loopback_api.reply("getUpdates", [text_update(11), {"no": "update_id"}, text_update(12), text_update(13)])
    loopback_api.reply("getUpdates", [text_update(13), text_update(10**9)])  # old, and implausible
    telegram = Telegram(loopback_api)
    with caplog.at_level(logging.WARNING, logger="actorbot"):
        with running(MessageLoop(bot), telegram, relax=0.3):
            intake.wait_calls(2)
            intake.finish_all()
            telegram.wait_offset(14)
    assert intake.calls == [[10, 11], [12, 13]]
    assert telegram.offsets()[:4] == [None, 10, 10, 14]
    warnings = " ".join(r.getMessage() for r in caplog.records)
    assert "without an integer update_id" in warnings


def test_a_store_error_confirms_nothing_and_the_same_updates_are_accepted_again(
    bot: Bot, loopback_api: LoopbackApi, intake: FakeIntake, caplog: pytest.LogCaptureFixture
) -> None:
    waits: list[float] = []
    telegram = Telegram(loopback_api, text_update(1))
    loop = MessageLoop(bot, backoff=Backoff(initial=0.25, factor=2), wait=waits.append)
    with caplog.at_level(logging.WARNING, logger="actorbot"):
        with running(loop, telegram, relax=0.3):
            intake.wait_calls(1)
            intake.finish(1)
            telegram.wait_offset(2)
            intake.fail = 2
            telegram.add(text_update(2), text_update(3))
            intake.wait_calls(2)
            after_retry = len(loopback_api.calls("getUpdates"))
            intake.finish(2, 3)
            telegram.wait_offset(4)
    assert intake.failed_calls == [[2, 3], [2, 3]]
    assert intake.calls == [[1], [2, 3]]
    assert [w for w in waits if w != 0.3] == [0.25, 0.5]  # the backoff (not relax), through the loop's wait
    # Nothing of the failed batch was confirmed: every poll until the retry sent 2.
    sent = telegram.offsets()
    assert sent[: sent.index(2)] == [None, 1][: sent.index(2)]
    assert set(sent[sent.index(2) : after_retry]) == {2}, sent
    failures = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "stored" in r.getMessage()]
    assert len(failures) == 2
    assert "StoreUnavailable" in failures[0] and "the store is down" in failures[0]
    assert "none is confirmed" in failures[0]


def test_a_runtime_error_from_accept_ends_the_loop_quietly(
    bot: Bot, loopback_api: LoopbackApi, intake: FakeIntake
) -> None:
    intake.stopped = True
    loopback_api.reply("getUpdates", [text_update(1)])
    loop = MessageLoop(bot)
    thread = loop.run_as_thread(relax=0)
    assert loop.join(TIMEOUT)
    thread.join(TIMEOUT)
    assert loop.error is None
    assert intake.calls == []
    assert confirmations(loopback_api) == []  # nothing was accepted: nothing to confirm


def held_after(api: LoopbackApi, *batches: list[dict[str, Any]]) -> threading.Event:
    """Answer ``batches``, then hold every long poll (not a ``timeout=0`` call) until the event."""
    release = threading.Event()
    for batch in batches:
        api.reply("getUpdates", batch)
    api.on("getUpdates", lambda req: Reply(result=[], hold=release if req.params.get("timeout") else None))
    return release


def test_stop_confirms_what_is_done_and_confirm_later_what_became_done(
    bot: Bot, loopback_api: LoopbackApi, intake: FakeIntake
) -> None:
    release = held_after(loopback_api, [text_update(1), text_update(2), text_update(3)])
    loop = MessageLoop(bot)
    try:
        thread = loop.run_as_thread(relax=0, timeout=30)
        intake.wait_calls(1)
        assert loopback_api.wait_request("getUpdates", count=2).params["offset"] == 1
        intake.finish(1, 2)  # while the loop's long poll is held
        loop.confirm()  # the loop runs: nothing
        assert loop.stop(timeout=TIMEOUT)
        thread.join(TIMEOUT)
    finally:
        release.set()
    assert confirmations(loopback_api) == [{"offset": 3, "limit": 1, "timeout": 0}]  # on the way out
    loop.confirm()  # nothing moved since
    assert len(confirmations(loopback_api)) == 1
    intake.finish(3)  # done after the loop stopped (a handler finishing in the grace period)
    loop.confirm()
    assert confirmations(loopback_api)[-1] == {"offset": 4, "limit": 1, "timeout": 0}
    loop.confirm()
    assert len(confirmations(loopback_api)) == 2
    assert loop.offset == 4


def test_nothing_unfinished_is_confirmed_at_stop(bot: Bot, loopback_api: LoopbackApi, intake: FakeIntake) -> None:
    release = held_after(loopback_api, [text_update(5), text_update(6)])
    loop = MessageLoop(bot)
    try:
        thread = loop.run_as_thread(relax=0, timeout=30)
        intake.wait_calls(1)
        loopback_api.wait_request("getUpdates", count=2)
        assert loop.stop(timeout=TIMEOUT)
        thread.join(TIMEOUT)
    finally:
        release.set()
    loop.confirm()
    # Never past 5, the first unfinished update (the way out may repeat the offset of the
    # long poll that stop() cut short: whether Telegram got it is unknown).
    assert confirmations(loopback_api) in ([], [{"offset": 5, "limit": 1, "timeout": 0}])
    assert loop.offset == 5


def test_bot_stop_confirms_what_the_handlers_finished_after_the_loops_stopped(
    loopback_api: LoopbackApi, intake: FakeIntake
) -> None:
    class DrainingBot(Bot):
        def _stop_loops(self, grace: float) -> list[Any]:
            loops = super()._stop_loops(grace)
            intake.finish_all()  # stands for the engine draining its mailboxes
            return loops

    release = held_after(loopback_api, [text_update(7), text_update(8)])
    bot = DrainingBot(TOKEN, api_url=loopback_api.url, retry=NO_RETRY)
    bot.intake = intake  # type: ignore[attr-defined]
    try:
        bot.message_loop(timeout=30)
        intake.wait_calls(1)
        loopback_api.wait_request("getUpdates", count=2)
        bot.stop()
    finally:
        release.set()
        bot.stop()
    # The loop's way out repeats (at most) 7, the offset of the cut poll; then 9 once all was done.
    assert confirmations(loopback_api)[-1] == {"offset": 9, "limit": 1, "timeout": 0}
    assert [c["offset"] for c in confirmations(loopback_api)] in ([9], [7, 9])


def test_a_delegator_bot_confirms_after_its_engine_stopped_and_before_http_closes(
    loopback_api: LoopbackApi,
) -> None:
    seen: list[tuple[bool, bool]] = []

    class Traced(DelegatorBot):
        def _confirm_loops(self, loops: list[Any]) -> None:
            seen.append((self.engine.stopped, self._closed))
            super()._confirm_loops(loops)

    bot = Traced(TOKEN, [], api_url=loopback_api.url, retry=NO_RETRY)
    bot.stop()
    assert seen and seen[0] == (True, False)


def test_an_explicit_handler_wins_over_the_intake(bot: Bot, loopback_api: LoopbackApi, intake: FakeIntake) -> None:
    got = threading.Event()
    telegram = Telegram(loopback_api, text_update(1))
    with running(MessageLoop(bot, lambda msg: got.set()), telegram, relax=0):
        assert got.wait(TIMEOUT)
        telegram.wait_offset(2)
    assert intake.calls == []


# -- Webhook and OrderedWebhook ------------------------------------------------------------------

@pytest.fixture(params=[Webhook, OrderedWebhook], ids=["webhook", "ordered"])
def webhook(request: pytest.FixtureRequest, bot: Bot) -> Iterator[Webhook]:
    hook: Webhook = request.param(bot)
    try:
        yield hook
    finally:
        hook.stop(timeout=TIMEOUT)


def post(app: WebhookApp, update: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """One direct WSGI call; returns the status line and the headers."""
    body = json.dumps(update).encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    setup_testing_defaults(environ)
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        answer["status"], answer["headers"] = status, dict(headers)

    b"".join(app(environ, start_response))
    return answer["status"], answer["headers"]


def test_webhook_accepted_duplicate_and_store_error(webhook: Webhook, intake: FakeIntake) -> None:
    webhook.run_as_thread()
    app = WebhookApp(webhook, secret_token=None, allow_unauthenticated=True)
    assert post(app, text_update(1))[0] == "200 OK"
    assert webhook.feed(text_update(2)).wait(TIMEOUT) is Outcome.ACCEPTED
    assert webhook.feed(text_update(2)).wait(TIMEOUT) is Outcome.SKIPPED  # the loop's own memory
    intake.fail = 1
    status, headers = post(app, text_update(3))
    assert status.startswith("503") and "Retry-After" in headers
    # Telegram delivers it again: accepted, not dropped as a duplicate.
    assert webhook.feed(text_update(3)).wait(TIMEOUT) is Outcome.ACCEPTED
    assert intake.failed_calls == [[3]]
    assert intake.calls == [[1], [2], [3]]


def test_webhook_an_update_the_intake_accepted_before_is_skipped_and_acknowledged(
    bot: Bot, loopback_api: LoopbackApi
) -> None:
    intake = FakeIntake(known=[5])  # accepted in an earlier run (journaled)
    bot.intake = intake  # type: ignore[attr-defined]
    webhook = Webhook(bot)
    webhook.run_as_thread()
    try:
        app = WebhookApp(webhook, secret_token=None, allow_unauthenticated=True)
        assert post(app, text_update(5))[0] == "200 OK"
        assert webhook.feed(text_update(6)).wait(TIMEOUT) is Outcome.ACCEPTED
    finally:
        webhook.stop(timeout=TIMEOUT)
    assert intake.calls == [[5], [6]]
    assert intake.accepted == [6]


def test_webhook_accepts_the_updates_queued_meanwhile_in_one_call(webhook: Webhook, intake: FakeIntake) -> None:
    intake.gate = threading.Event()
    webhook.run_as_thread()
    first = webhook.feed(text_update(1))
    assert intake.entered.wait(TIMEOUT)  # the loop is inside accept([1])
    later = [webhook.feed(text_update(i)) for i in (3, 2, 4)]
    intake.gate.set()
    assert first.wait(TIMEOUT) is Outcome.ACCEPTED
    assert [d.wait(TIMEOUT) for d in later] == [Outcome.ACCEPTED] * 3
    expected = [2, 3, 4] if isinstance(webhook, OrderedWebhook) else [3, 2, 4]
    assert intake.calls == [[1], expected]


def test_webhook_a_store_error_refuses_the_whole_group_and_all_come_back(
    webhook: Webhook, intake: FakeIntake, caplog: pytest.LogCaptureFixture
) -> None:
    intake.fail = 1
    queued = [webhook.feed(text_update(i)) for i in (1, 2)]  # queued before the loop runs
    with caplog.at_level(logging.WARNING, logger="actorbot"):
        webhook.run_as_thread()
        assert [d.wait(TIMEOUT) for d in queued] == [Outcome.BUSY] * 2
        again = [webhook.feed(text_update(i)) for i in (1, 2)]
        assert [d.wait(TIMEOUT) for d in again] == [Outcome.ACCEPTED] * 2
    assert intake.failed_calls == [[1, 2]]
    assert [i for call in intake.calls for i in call] == [1, 2]
    assert any("StoreUnavailable" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_webhook_refuses_an_update_without_an_integer_id(webhook: Webhook, intake: FakeIntake) -> None:
    webhook.run_as_thread()
    assert webhook.feed({"update_id": "7", "message": {}}).wait(TIMEOUT) is Outcome.SKIPPED
    assert webhook.feed(text_update(8)).wait(TIMEOUT) is Outcome.ACCEPTED
    assert intake.calls == [[8]]


def test_webhook_stops_when_the_bot_stopped(webhook: Webhook, intake: FakeIntake) -> None:
    intake.stopped = True
    webhook.run_as_thread()
    assert webhook.feed(text_update(1)).wait(TIMEOUT) is Outcome.STOPPED
    assert webhook.join(TIMEOUT)
    assert webhook.error is None
    assert webhook.feed(text_update(2)).outcome is Outcome.STOPPED


def test_relax_zero_does_not_poll_in_a_tight_loop_while_an_update_is_unfinished(
    bot: Bot, loopback_api: LoopbackApi, intake: FakeIntake
) -> None:
    telegram = Telegram(loopback_api, text_update(1))
    with running(MessageLoop(bot), telegram, relax=0):
        intake.wait_calls(1)
        before = telegram.wait_offset(1)
        loopback_api.wait_request("getUpdates", count=before + 1)
        intake.finish(1)
        telegram.wait_offset(2)
    assert intake.progress_waits and set(intake.progress_waits) == {0.05}
