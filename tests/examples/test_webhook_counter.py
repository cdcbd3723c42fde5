"""examples/webhook/counter_webhook.py: the counter fed by webhook POSTs, guarded by a secret token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import urllib3
from freezegun import freeze_time

from actorbot.loop import SECRET_HEADER, OrderedWebhook
from exampleloader import load_example

counter_webhook = load_example("webhook/counter_webhook.py")

SECRET = "only-telegram_knows-this"


@contextmanager
def counter_on_webhook(emulator: Any) -> Iterator[Any]:
    """The example's bot, its webhook served on a loopback port and registered with the emulator."""
    bot = counter_webhook.build(emulator.token, api_url=emulator.url)
    try:
        with counter_webhook.webhook(bot, None, secret=SECRET):
            yield bot
    finally:
        bot.stop()


def settle(emulator: Any, bot: Any) -> None:
    """Every update delivered and handled, every reply sent (bounded waits)."""
    emulator.sim.wait_until(emulator.idle, 5.0, what="the webhook deliveries")
    bot.settle(timeout=5.0)
    emulator.sim.wait_until(lambda: emulator.idle() and bot.requests_in_flight == 0, 5.0, what="the replies")


def forged_update(user: Any, text: str) -> bytes:
    chat = {"id": user.id, "type": "private", "first_name": user.first_name}
    message = {"message_id": 99, "from": {"id": user.id, "is_bot": False, "first_name": user.first_name},
               "chat": chat, "date": 0, "text": text}
    return json.dumps({"update_id": 1, "message": message}).encode()


def test_the_webhook_is_registered_with_a_secret_and_removed_after(emulator):
    with counter_on_webhook(emulator) as bot:
        info = bot.getWebhookInfo()
        assert info["url"].startswith("http://127.0.0.1:")
        assert info["pending_update_count"] == 0
    (registered,) = emulator.calls("setWebhook")
    assert registered.params["secret_token"] == SECRET
    assert [call.method for call in emulator.calls() if "Webhook" in call.method] == ["setWebhook", "getWebhookInfo",
                                                                                     "deleteWebhook"]
    assert emulator.calls("getUpdates") == []


def test_a_post_without_the_right_secret_is_refused(emulator):
    http = urllib3.PoolManager(retries=False)
    try:
        with counter_on_webhook(emulator) as bot:
            url = bot.getWebhookInfo()["url"]
            alice = emulator.sim.create_user("Alice")
            missing = http.request("POST", url, body=forged_update(alice, "forged"),
                                   headers={"Content-Type": "application/json"})
            wrong = http.request("POST", url, body=forged_update(alice, "forged"),
                                 headers={"Content-Type": "application/json", SECRET_HEADER: "guessed"})
            assert (missing.status, wrong.status) == (401, 403)
            alice.send("hi")
            settle(emulator, bot)
            assert alice.chat.text() == "Alice: hi\nbot: 1"  # the forged messages were not counted
    finally:
        http.clear()


def test_the_conversation_arrives_in_order(emulator):
    with counter_on_webhook(emulator) as bot:
        alice, bob = emulator.sim.create_user("Alice"), emulator.sim.create_user("Bob")
        for user in (alice, bob):
            user.send("hi")
            user.chat.wait_for_bot_message()
        for n in range(8):  # both chats at once: the emulator POSTs the two chats' updates concurrently
            alice.send(f"alice {n}")
            bob.send(f"bob {n}")
        settle(emulator, bot)
        assert [m["text"] for m in alice.chat.bot_messages()] == [str(n) for n in range(1, 10)]
        assert [m["text"] for m in bob.chat.bot_messages()] == [str(n) for n in range(1, 10)]
        info = bot.getWebhookInfo()
        assert info["pending_update_count"] == 0 and "last_error_message" not in info


def test_the_count_restarts_after_the_idle_timeout(emulator):
    with freeze_time("2030-01-01 09:00:00") as frozen, counter_on_webhook(emulator) as bot:
        alice = emulator.sim.create_user("Alice")
        for text, seconds in (("one", 0), ("two", counter_webhook.IDLE_SECONDS - 1),
                              ("three", counter_webhook.IDLE_SECONDS + 1), ("four", 0)):
            frozen.tick(seconds)
            settle(emulator, bot)  # the engine's scheduler fires what became due
            alice.send(text)
            settle(emulator, bot)
    assert alice.chat.text() == "\n".join([
        "Alice: one", "bot: 1", "Alice: two", "bot: 2", "Alice: three", "bot: 1", "Alice: four", "bot: 2",
    ])


def test_a_real_bot_needs_a_public_url(capsys, monkeypatch):
    monkeypatch.delenv(counter_webhook.URL_ENV, raising=False)
    with pytest.raises(SystemExit) as exit_info:
        counter_webhook.main(["--token", "123:abc"])
    assert exit_info.value.code == 2
    assert "a real bot needs the public URL Telegram POSTs to: --url or $WEBHOOK_URL" in capsys.readouterr().err


def test_the_demo_prints_the_conversation(capsys, monkeypatch):
    monkeypatch.delenv(counter_webhook.demo.TOKEN_ENV, raising=False)
    counter_webhook.main(argv=[])
    assert capsys.readouterr().out.splitlines() == [
        f"[{name}] {line}"
        for text, count in (("hello", 1), ("how are you?", 2), ("still counting?", 3))
        for name in ("Alice", "Bob")
        for line in (f"{name}: {text}", f"bot: {count}")
    ]


def test_an_update_overtaken_by_the_very_first_one_is_still_handled():
    handled: list[int] = []

    class Recorder:
        def handle(self, msg: dict[str, Any]) -> None:
            handled.append(msg["message_id"])

    def update(update_id: int) -> dict[str, Any]:
        chat = {"id": update_id, "type": "private"}
        return {"update_id": update_id, "message": {"message_id": update_id, "chat": chat, "date": 0, "text": "hi"}}

    updates = OrderedWebhook(Recorder())
    updates.run_as_thread(maxhold=1)
    try:
        updates.feed(update(2)).wait(5)  # two chats' first messages, POSTed at once: 2 won the race
        updates.feed(update(1)).wait(5)
    finally:
        updates.stop()
    assert sorted(handled) == [1, 2]
