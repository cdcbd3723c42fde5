"""Bot.message_loop: telepot's one-call loop, owned and stopped by the bot."""

from __future__ import annotations

import queue
import threading
import time

from actorbot import Bot
from actorbot.loop import MessageLoop
from loopback import TOKEN, LoopbackApi, Reply


def one_update_then_long_polls(loopback_api: LoopbackApi) -> threading.Event:
    """getUpdates answers update 7 ("hi" in chat 5), then, like Telegram, holds each long poll
    (timeout > 0) until the returned event is set, and answers timeout=0 at once."""
    update = {"update_id": 7, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
                                          "text": "hi"}}
    release = threading.Event()
    loopback_api.reply("getUpdates", [update])
    loopback_api.on("getUpdates", lambda req: Reply(result=[], hold=release if req.params.get("timeout") else None))
    return release


def test_message_loop_delivers_and_bot_stop_ends_it(loopback_api: LoopbackApi) -> None:
    release = one_update_then_long_polls(loopback_api)
    got: queue.Queue = queue.Queue()
    bot = Bot(TOKEN, api_url=loopback_api.url)
    try:
        loop = bot.message_loop(got.put, timeout=30)
        assert got.get(timeout=5)["text"] == "hi"
        second = loopback_api.wait_request("getUpdates", count=2)
        assert second.params["offset"] == 8  # the handled update is acknowledged
        started = time.monotonic()
        bot.stop()
        assert time.monotonic() - started < 3.0
        assert loop.thread is not None and not loop.thread.is_alive()
    finally:
        release.set()
        bot.stop()


def test_bot_stop_ends_a_message_loop_the_program_runs_itself(loopback_api: LoopbackApi) -> None:
    release = one_update_then_long_polls(loopback_api)
    got: queue.Queue = queue.Queue()
    bot = Bot(TOKEN, api_url=loopback_api.url)
    try:
        loop = MessageLoop(bot, got.put)
        loop.run_as_thread(timeout=30)  # the seeds' idiom: not started by bot.message_loop
        assert got.get(timeout=5)["text"] == "hi"
        loopback_api.wait_request("getUpdates", count=2)  # the long poll is under way
        started = time.monotonic()
        bot.stop()
        assert time.monotonic() - started < 3.0
        assert not loop.running and loop.thread is not None and not loop.thread.is_alive()
        assert loopback_api.calls("getUpdates")[-1].params["offset"] == 8  # what it handled is confirmed
    finally:
        release.set()
        bot.stop()


def test_message_loop_from_a_webhook_queue(loopback_api: LoopbackApi) -> None:
    source: queue.Queue = queue.Queue()
    got: queue.Queue = queue.Queue()
    with Bot(TOKEN, api_url=loopback_api.url) as bot:
        bot.message_loop({"chat": got.put}, source=source, ordered=False)
        source.put('{"update_id": 3, "message": {"message_id": 1, "date": 0, '
                   '"chat": {"id": 1, "type": "private"}, "text": "q"}}')
        assert got.get(timeout=5)["text"] == "q"
