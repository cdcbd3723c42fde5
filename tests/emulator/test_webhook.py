"""Webhooks: delivery with the secret header, retries, per-chat order, info, reply methods."""

from __future__ import annotations


def test_webhook_delivers_with_secret_and_info(api, alice, emu, receiver):
    answer = api.call("setWebhook", url=receiver.url, secret_token="s3cret_-X")
    assert answer.json == {"ok": True, "result": True, "description": "Webhook was set"}
    alice.send("over the hook")

    bodies = receiver.wait_for(1)
    headers = receiver.received[0][0]
    assert bodies[0]["message"]["text"] == "over the hook"
    assert headers["x-telegram-bot-api-secret-token"] == "s3cret_-X"
    emu.sim.wait_until(lambda: not emu.world.pending, what="acknowledged delivery")
    info = api.ok("getWebhookInfo")
    assert info["url"] == receiver.url and info["pending_update_count"] == 0 and info["max_connections"] == 40


def test_get_updates_is_refused_while_a_webhook_is_set(api, receiver):
    api.ok("setWebhook", url=receiver.url)
    assert api.error("getUpdates") == (
        409, "Conflict: can't use getUpdates method while webhook is active; "
             "use deleteWebhook to delete the webhook first")
    assert api.call("deleteWebhook").json["description"] == "Webhook was deleted"
    assert api.call("deleteWebhook").json["description"] == "Webhook is already deleted"
    assert api.ok("getUpdates") == []
    assert api.ok("getWebhookInfo") == {"url": "", "has_custom_certificate": False, "pending_update_count": 0}


def test_failed_delivery_is_retried_and_reported(api, alice, emu, receiver):
    receiver.statuses.extend([500, 500])
    api.ok("setWebhook", url=receiver.url)
    alice.send("persist")
    bodies = receiver.wait_for(1)
    assert bodies[0]["message"]["text"] == "persist"
    info = api.ok("getWebhookInfo")
    assert info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    assert isinstance(info["last_error_date"], int)


def test_one_chats_updates_arrive_in_order_even_with_retries(api, alice, emu, receiver):
    bob = emu.sim.create_user("bob")
    receiver.statuses.extend([503])  # the first delivery fails: its chat's later updates must wait
    api.ok("setWebhook", url=receiver.url, max_connections=4)
    for n in range(5):
        alice.send(f"a{n}")
        bob.send(f"b{n}")
    bodies = receiver.wait_for(10)
    by_chat: dict[str, list[str]] = {}
    for body in bodies:
        by_chat.setdefault(body["message"]["from"]["first_name"], []).append(body["message"]["text"])
    assert by_chat == {"alice": [f"a{n}" for n in range(5)], "bob": [f"b{n}" for n in range(5)]}


def test_webhook_answer_can_carry_a_method_call(api, alice, emu, receiver):
    receiver.reply = {"method": "sendMessage", "chat_id": alice.id, "text": "answered inline"}
    api.ok("setWebhook", url=receiver.url)
    alice.send("ping")
    reply = alice.chat.wait_for_bot_message()
    assert reply["text"] == "answered inline"


def test_bad_webhook_parameters(api):
    assert api.error("setWebhook", url="ftp://x") == (
        400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    assert api.error("setWebhook", url="http://127.0.0.1:1/x", secret_token="bad token!") == (
        400, "Bad Request: secret token contains unallowed characters")
