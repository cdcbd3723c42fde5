"""The simulation side: buttons, inline mode, payments, groups and admins, transcripts, waits, /sim/."""

from __future__ import annotations

import pytest

from actorbot.emulator import SimulationError, SimulationTimeout

MENU = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}, {"text": "No", "callback_data": "no"}]]}
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


def _updates(api):
    updates = api.ok("getUpdates")
    if updates:
        api.ok("getUpdates", offset=updates[-1]["update_id"] + 1)
    return updates


def test_press_by_label_and_data_then_answer_once(api, alice):
    menu = api.ok("sendMessage", chat_id=alice.id, text="Sure?", reply_markup=MENU)
    press = alice.press(menu, label="No")
    [update] = _updates(api)
    query = update["callback_query"]
    assert query["data"] == "no" and query["from"]["id"] == alice.id
    assert query["message"]["message_id"] == menu["message_id"]
    assert api.ok("answerCallbackQuery", callback_query_id=query["id"], text="Noted") is True
    assert press.wait_answer(timeout=2)["text"] == "Noted"
    assert api.error("answerCallbackQuery", callback_query_id=query["id"]) == (400, QUERY_INVALID)
    assert api.error("answerCallbackQuery", callback_query_id="nope") == (400, QUERY_INVALID)
    alice.press(menu, data="yes")
    assert _updates(api)[0]["callback_query"]["data"] == "yes"
    with pytest.raises(SimulationError):
        alice.press(menu, label="Maybe")
    assert alice.chat.text() == "bot: Sure?  [Yes] [No]\nalice pressed [No]\nbot answered: Noted\nalice pressed [Yes]"


def test_inline_query_and_chosen_result_with_inline_message_edit(api, alice):
    handle = alice.inline_query("cats")
    [update] = _updates(api)
    assert update["inline_query"]["query"] == "cats"
    results = [
        {"type": "article", "id": "a1", "title": "Cat",
         "input_message_content": {"message_text": "*meow*", "parse_mode": "Markdown"},
         "reply_markup": MENU},
        {"type": "article", "id": "a2", "title": "Dog", "input_message_content": {"message_text": "woof"}},
    ]
    assert api.error("answerInlineQuery", inline_query_id=handle.id, results=[results[0], results[0]]) == (
        400, "Bad Request: RESULT_ID_DUPLICATE")
    assert api.ok("answerInlineQuery", inline_query_id=handle.id, results=results) is True
    assert [r["id"] for r in handle.wait_results()] == ["a1", "a2"]
    assert api.error("answerInlineQuery", inline_query_id=handle.id, results=results) == (400, QUERY_INVALID)
    message = handle.choose("a1")
    assert message["text"] == "meow" and message["via_bot"]["username"] == "emulator_bot"
    kinds = {list(u)[1]: u for u in _updates(api)}
    chosen = kinds["chosen_inline_result"]["chosen_inline_result"]
    assert chosen["result_id"] == "a1" and chosen["query"] == "cats"
    inline_id = chosen["inline_message_id"]
    assert api.ok("editMessageText", inline_message_id=inline_id, text="purr", reply_markup=MENU) is True
    assert alice.chat.messages()[-1]["text"] == "purr"
    alice.press(inline_id, label="Yes")
    assert _updates(api)[0]["callback_query"]["inline_message_id"] == inline_id


def test_payment_flexible_invoice(api, alice):
    invoice = api.ok("sendInvoice", chat_id=alice.id, title="Book", description="A book", payload="order-1",
                     currency="USD", prices=[{"label": "Book", "amount": 1000}], is_flexible=True, provider_token="")
    payment = alice.pay(invoice, order_info={"name": "Alice"})
    [update] = _updates(api)
    shipping = update["shipping_query"]
    assert shipping["invoice_payload"] == "order-1" and shipping["shipping_address"]["country_code"] == "US"
    api.ok("answerShippingQuery", shipping_query_id=shipping["id"], ok=True,
           shipping_options=[{"id": "post", "title": "Post", "prices": [{"label": "Post", "amount": 250}]}])
    [update] = _updates(api)
    checkout = update["pre_checkout_query"]
    assert checkout["total_amount"] == 1250 and checkout["shipping_option_id"] == "post"
    assert checkout["order_info"] == {"name": "Alice"}
    api.ok("answerPreCheckoutQuery", pre_checkout_query_id=checkout["id"], ok=True)
    assert payment.wait(2) == "paid"
    [update] = _updates(api)
    paid = update["message"]["successful_payment"]
    assert paid["total_amount"] == 1250 and paid["invoice_payload"] == "order-1" and paid["currency"] == "USD"
    assert api.error("answerPreCheckoutQuery", pre_checkout_query_id=checkout["id"], ok=True) == (400, QUERY_INVALID)
    assert "alice: [paid 1250 USD]" in alice.chat.text()


def test_payment_refused_at_pre_checkout(api, alice):
    invoice = api.ok("sendInvoice", chat_id=alice.id, title="T", description="D", payload="p", currency="EUR",
                     prices=[{"label": "x", "amount": 5}])
    payment = alice.pay(invoice)
    [update] = _updates(api)
    api.ok("answerPreCheckoutQuery", pre_checkout_query_id=update["pre_checkout_query"]["id"], ok=False,
           error_message="Sold out")
    assert payment.wait(2) == "failed" and payment.error == "Sold out"
    assert "payment failed: Sold out" in alice.chat.text()


def test_groups_members_and_admin_methods(api, alice, emu):
    bob = emu.sim.create_user("bob")
    group = emu.sim.create_chat("supergroup", "Club", members=[alice, bob], owner=alice)
    bob.send("hello group", chat=group)
    assert _updates(api)[0]["message"]["chat"]["title"] == "Club"
    assert api.ok("getChatMemberCount", chat_id=group.id) == 3
    assert api.ok("getChatMember", chat_id=group.id, user_id=bob.id)["status"] == "member"
    assert [m["user"]["first_name"] for m in api.ok("getChatAdministrators", chat_id=group.id)] == ["alice"]
    assert api.error("banChatMember", chat_id=group.id, user_id=bob.id) == (
        400, "Bad Request: not enough rights to restrict/unrestrict chat member")
    emu.sim.set_bot_status(group, "administrator", by=alice)
    assert api.ok("banChatMember", chat_id=group.id, user_id=bob.id) is True
    assert api.ok("getChatMember", chat_id=group.id, user_id=bob.id)["status"] == "kicked"
    with pytest.raises(SimulationError):
        bob.send("let me in", chat=group)
    assert api.error("banChatMember", chat_id=group.id, user_id=alice.id) == (
        400, "Bad Request: can't remove chat owner")
    api.ok("unbanChatMember", chat_id=group.id, user_id=bob.id)
    assert api.ok("getChatMember", chat_id=group.id, user_id=bob.id)["status"] == "left"
    api.ok("setChatTitle", chat_id=group.id, title="Club 2")
    assert api.ok("getChat", chat_id=group.id)["title"] == "Club 2"
    sent = api.ok("sendMessage", chat_id=group.id, text="pin me")
    api.ok("pinChatMessage", chat_id=group.id, message_id=sent["message_id"])
    assert api.ok("getChat", chat_id=group.id)["pinned_message"]["text"] == "pin me"
    api.ok("promoteChatMember", chat_id=group.id, user_id=bob.id, can_delete_messages=True)
    assert api.ok("getChatMember", chat_id=group.id, user_id=bob.id)["status"] == "administrator"
    api.ok("leaveChat", chat_id=group.id)
    assert api.error("sendMessage", chat_id=group.id, text="x") == (
        403, "Forbidden: bot is not a member of the supergroup chat")


def test_channel_posts(api, alice, emu):
    channel = emu.sim.create_chat("channel", "News", owner=alice, bot_status="administrator", username="newsroom")
    post = api.ok("sendMessage", chat_id="@newsroom", text="headline")
    assert post["sender_chat"]["id"] == channel.id and "from" not in post
    alice.send("from the owner", chat=channel)
    assert _updates(api)[0]["channel_post"]["text"] == "from the owner"


def test_user_photo_document_and_command(api, alice, emu):
    alice.command("start", "deep")
    alice.send_photo(caption="me")
    alice.send_document(b"data", "d.bin")
    updates = [u["message"] for u in _updates(api)]
    assert updates[0]["text"] == "/start deep" and updates[0]["entities"] == [{"type": "bot_command", "offset": 0,
                                                                               "length": 6}]
    photo_id = updates[1]["photo"][-1]["file_id"]
    path = api.ok("getFile", file_id=photo_id)["file_path"]
    assert api.raw("GET", f"/file/bot{api.token}/{path}").raw.startswith(b"\x89PNG")
    assert updates[2]["document"]["file_name"] == "d.bin"
    assert alice.chat.text().splitlines() == ["alice: /start deep", "alice: [photo] me", "alice: [document d.bin]"]


def test_wait_for_bot_message_is_bounded_and_sees_only_newer_replies(api, alice, emu):
    api.ok("sendMessage", chat_id=alice.id, text="old reply")
    alice.send("hi")
    with pytest.raises(SimulationTimeout) as excinfo:
        alice.chat.wait_for_bot_message(timeout=0.2)
    assert "bot: old reply" in str(excinfo.value)
    api.ok("sendMessage", chat_id=alice.id, text="new reply")
    assert alice.chat.wait_for_bot_message(lambda m: "new" in m["text"], timeout=2)["text"] == "new reply"
    mark = emu.sim.mark()
    api.ok("getMe")
    assert emu.sim.wait_for_call("getMe", after=mark).ok


def test_sim_http_api(api, emu):
    user = api.raw("POST", "/sim/users", json={"first_name": "hal"}).json["result"]
    api.raw("POST", "/sim/send", json={"user_id": user["id"], "text": "hello"})
    [update] = _updates(api)
    assert update["message"]["text"] == "hello"
    menu = api.ok("sendMessage", chat_id=user["id"], text="Pick", reply_markup=MENU)
    pressed = api.raw("POST", "/sim/press", json={"user_id": user["id"], "chat_id": user["id"],
                                                  "message_id": menu["message_id"], "label": "Yes"}).json["result"]
    [update] = _updates(api)
    assert update["callback_query"]["id"] == pressed["callback_query_id"]
    transcript = api.raw("GET", f"/sim/transcript?chat_id={user['id']}")
    assert transcript.raw.decode() == "hal: hello\nbot: Pick  [Yes] [No]\nhal pressed [Yes]"
    calls = api.raw("GET", "/sim/calls?method=sendMessage").json["result"]
    assert [c["params"]["text"] for c in calls] == ["Pick"]
    assert api.raw("POST", "/sim/faults", json={"method": "getMe", "kind": "rate_limit", "retry_after": 3}).json["ok"]
    assert api.call("getMe").status == 429
    bad = api.raw("POST", "/sim/send", json={"user_id": 1, "text": "x"})
    assert bad.status == 400 and bad.json["description"] == "Bad Request: no user 1"
    assert api.raw("GET", "/sim/nothing").status == 404
