"""start_message_loop (what Bot.message_loop does) and QueueLoop (telepot's source=queue)."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from actorbot._bot import Bot
from actorbot.api import NO_RETRY
from actorbot.exception import UnauthorizedError
from actorbot.loop import MessageLoop, OrderedWebhook, QueueLoop, Webhook, start_message_loop
from loopback import TOKEN, LoopbackApi


def text_update(update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "date": 0, "chat": {"id": 1, "type": "private"}, "text": f"m{update_id}"},
    }


class Collector:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self._cond = threading.Condition()

    def __call__(self, msg: dict[str, Any]) -> None:
        with self._cond:
            self.texts.append(msg["text"])
            self._cond.notify_all()

    def wait_for(self, count: int) -> list[str]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.texts) >= count, 5), self.texts
            return list(self.texts)


@pytest.fixture
def bot(loopback_api: LoopbackApi) -> Iterator[Bot]:
    bot = Bot(TOKEN, api_url=loopback_api.url, retry=NO_RETRY)
    try:
        yield bot
    finally:
        bot.close()


def test_polling_source(bot: Bot, loopback_api: LoopbackApi) -> None:
    loopback_api.reply("getUpdates", [text_update(5), text_update(6)])
    collector = Collector()
    loop = start_message_loop(bot, collector, relax=0.05, timeout=0, allowed_updates=["message"])
    try:
        assert isinstance(loop, MessageLoop)
        assert collector.wait_for(2) == ["m5", "m6"]
        second = loopback_api.wait_request("getUpdates", count=2)
    finally:
        assert loop.stop()
    first = loopback_api.calls("getUpdates")[0]
    assert first.params == {"timeout": 0, "allowed_updates": ["message"]}
    assert second.params == {"offset": 7, "timeout": 0}
    assert loop.thread is not None and not loop.thread.is_alive()


def test_queue_source_ordered(bot: Bot) -> None:
    source: queue.Queue[Any] = queue.Queue()
    collector = Collector()
    loop = start_message_loop(bot, collector, source=source, maxhold=30)
    try:
        assert isinstance(loop, QueueLoop) and isinstance(loop.webhook, OrderedWebhook)
        source.put(json.dumps(text_update(1)))
        assert collector.wait_for(1) == ["m1"]
        source.put(json.dumps(text_update(3)).encode())  # held until 2 arrives
        source.put(b"garbage")  # logged and skipped
        source.put(text_update(2))
        assert collector.wait_for(3) == ["m1", "m2", "m3"]
    finally:
        assert loop.stop()
    assert not any(t.name in ("actorbot-queue-loop", "actorbot-ordered-webhook") for t in threading.enumerate())


def test_queue_source_unordered_uses_the_routing_table(bot: Bot) -> None:
    source: queue.Queue[Any] = queue.Queue()
    collector = Collector()
    loop = start_message_loop(bot, {"chat": collector}, source=source, ordered=False)
    try:
        assert isinstance(loop.webhook, Webhook) and not isinstance(loop.webhook, OrderedWebhook)
        for update_id in (3, 1, 2):
            source.put(text_update(update_id))
        assert collector.wait_for(3) == ["m3", "m1", "m2"]
    finally:
        assert loop.stop()


def test_queue_loop_stop_is_immediate_while_waiting_on_the_queue(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    import actorbot.loop._queue_source as queue_source

    monkeypatch.setattr(queue_source, "_RECHECK", 30.0)  # only the wake-up item can end the wait early
    source: queue.Queue[Any] = queue.Queue(maxsize=1)
    loop = QueueLoop(bot, source, Collector())
    thread = loop.run_as_thread(maxhold=3)
    assert loop.running
    started = time.monotonic()
    assert loop.stop(timeout=5)
    assert time.monotonic() - started < 2.0
    assert not thread.is_alive()


def test_an_invalid_source_is_refused(bot: Bot) -> None:
    with pytest.raises(ValueError):
        start_message_loop(bot, Collector(), source=[1, 2, 3])


def test_run_forever_blocks_until_the_loop_ends_and_raises_its_error(bot: Bot, loopback_api: LoopbackApi) -> None:
    loopback_api.reply(
        "getUpdates", status=401, json={"ok": False, "error_code": 401, "description": "Unauthorized"}
    )
    with pytest.raises(UnauthorizedError):
        start_message_loop(bot, Collector(), relax=0, run_forever="Listening ...")
    assert len(loopback_api.calls("getUpdates")) == 1
