"""The seed scenarios end to end: updates in, Bot API requests out (over real HTTP on loopback)."""

from __future__ import annotations

import threading
from typing import Any

from freezegun import freeze_time

from actorbot import helper
from actorbot.delegate import (
    create_open,
    include_callback_query_chat_id,
    intercept_callback_query_origin,
    pave_event_space,
    per_chat_id,
    per_from_id,
    per_inline_from_id,
    per_invoice_payload,
)
from enginekit import callback_query, chat_message, chosen_inline_result, inline_query

KEYBOARD = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}, {"text": "No", "callback_data": "no"}]]}


# -- user tracker across flavors -------------------------------------------------------------------------


class UserTracker(helper.UserHandler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, flavors="all", **kwargs)
        self._seen: list[str] = []

    def on_message(self, msg: dict[str, Any]) -> None:  # every flavor, one delegate per user
        import actorbot

        self._seen.append(actorbot.flavor(msg))
        self.sender.sendMessage(",".join(self._seen))


def test_user_tracker_follows_one_user_across_chats_and_flavors(make_bot, telegram) -> None:
    bot = make_bot([pave_event_space()(per_from_id(), create_open, UserTracker, timeout=60)])
    bot.handle(chat_message(-100, "in a group", from_id=7, chat_type="group"))
    bot.handle(chat_message(7, "in private"))
    bot.handle(inline_query(7, "search"))
    bot.handle(chosen_inline_result(7, "r1"))
    bot.handle(chat_message(8, "another user"))
    bot.settle()
    assert telegram.texts_to(7) == ["chat", "chat,chat", "chat,chat,inline_query",
                                    "chat,chat,inline_query,chosen_inline_result"]
    assert telegram.texts_to(8) == ["chat"]


# -- inline-only handler with Answerer superseding --------------------------------------------------------------


def test_answerer_supersedes_and_the_superseded_answer_is_never_sent(make_bot, telegram) -> None:
    release_first = threading.Event()
    first_started = threading.Event()
    first_cancelled = threading.Event()

    class InlineHandler(helper.InlineUserHandler, helper.AnswererMixin):
        def on_inline_query(self, msg: dict[str, Any]) -> None:
            def compute(*, cancel: threading.Event) -> list[dict[str, Any]]:
                if msg["query"] == "slow":
                    first_started.set()
                    release_first.wait(5)
                    if cancel.is_set():
                        first_cancelled.set()
                return [{"type": "article", "id": msg["query"], "title": msg["query"],
                         "input_message_content": {"message_text": msg["query"]}}]

            self.answerer.answer(msg, compute)

        def on_chosen_inline_result(self, msg: dict[str, Any]) -> None:
            pass

    bot = make_bot([pave_event_space()(per_inline_from_id(), create_open, InlineHandler, timeout=60)])
    slow = inline_query(5, "slow")
    bot.handle(slow)
    assert first_started.wait(5)
    fast = inline_query(5, "fast")
    bot.handle(fast)
    other = inline_query(6, "other user")
    bot.handle(other)
    telegram.wait("answerInlineQuery", count=2)  # fast and other, while slow is still blocked
    release_first.set()
    bot.settle()
    answered = [r.params["inline_query_id"] for r in telegram.api.calls("answerInlineQuery")]
    assert sorted(answered) == sorted([fast["id"], other["id"]])
    assert first_cancelled.is_set()  # the cancellation signal reached the superseded computation


# -- custom events ------------------------------------------------------------------------------------------------


class AlarmSetter(helper.ChatHandler):
    def on_chat_message(self, msg: dict[str, Any]) -> None:
        command, _, arg = msg["text"].partition(" ")
        if command == "/alarm":
            self._alarm = self.scheduler.event_later(float(arg), ("_alarm", {"payload": arg}))
            self.sender.sendMessage(f"set {arg}")
        elif command == "/cancel":
            self.scheduler.cancel(self._alarm)
            self.sender.sendMessage("cancelled")

    def on__alarm(self, event: dict[str, Any]) -> None:
        self.sender.sendMessage(f"Beep {event['_alarm']['payload']}")


def test_custom_event_alarm_fires_when_frozen_time_passes_it(make_bot, telegram) -> None:
    with freeze_time("2024-01-01") as frozen:
        bot = make_bot([pave_event_space()(per_chat_id(), create_open, AlarmSetter, timeout=None)])
        bot.handle(chat_message(1, "/alarm 5"))
        bot.handle(chat_message(2, "/alarm 8"))
        bot.handle(chat_message(3, "/alarm 6"))
        bot.handle(chat_message(3, "/cancel"))
        bot.settle()
        frozen.tick(5)
        bot.settle()
        assert telegram.texts_to(1) == ["set 5", "Beep 5"]
        assert telegram.texts_to(2) == ["set 8"]
        frozen.tick(100)  # timeout=None: nobody closes, chat 3's alarm was cancelled
        bot.settle()
        assert telegram.texts_to(2) == ["set 8", "Beep 8"]
        assert telegram.texts_to(3) == ["set 6", "cancelled"]
        assert bot.engine.supervisor.live_count == 3


# -- callback queries, static ------------------------------------------------------------------------------------------


class Voter(helper.ChatHandler):
    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.sender.sendMessage("Vote?", reply_markup=KEYBOARD)

    def on_callback_query(self, msg: dict[str, Any]) -> None:
        self.bot.answerCallbackQuery(msg["id"], text=f"got {msg['data']}")
        self.sender.sendMessage(f"voted {msg['data']}")


def test_callback_queries_captured_statically_by_chat(make_bot, telegram) -> None:
    with freeze_time("2024-01-01") as frozen:
        bot = make_bot([include_callback_query_chat_id(pave_event_space())(per_chat_id(), create_open, Voter,
                                                                           timeout=10)])
        bot.handle(chat_message(1, "start"))
        bot.settle()
        question = telegram.api.calls("sendMessage")[0]
        bot.handle(callback_query(1, "yes", chat_id=1, message_id=1000))
        bot.settle()
        assert telegram.texts_to(1) == ["Vote?", "voted yes"]
        assert [r.params["text"] for r in telegram.api.calls("answerCallbackQuery")] == ["got yes"]
        frozen.tick(11)  # the delegate closes; a later click starts a new one (seeded by chat)
        bot.settle()
        bot.handle(callback_query(1, "no", chat_id=1, message_id=1000))
        bot.settle()
        assert telegram.texts_to(1) == ["Vote?", "voted yes", "voted no"]
        assert question.params["reply_markup"] == KEYBOARD


# -- callback queries, dynamic (intercepted origins) ----------------------------------------------------------------


class Asker(helper.ChatHandler, helper.InterceptCallbackQueryMixin):
    def on_chat_message(self, msg: dict[str, Any]) -> None:
        if msg["text"] == "ask":
            sent = self.sender.sendMessage(f"Question for {self.chat_id}", reply_markup=KEYBOARD)
            self._question = (sent["chat"]["id"], sent["message_id"])
        elif msg["text"] == "close keyboard":
            self.bot.editMessageReplyMarkup(self._question, reply_markup=None)
            self.sender.sendMessage("keyboard removed")

    def on_callback_query(self, msg: dict[str, Any]) -> None:
        self.sender.sendMessage(f"{self.chat_id} got {msg['data']} from {msg['from']['id']}")


def test_callback_query_origins_intercepted_dynamically(make_bot, telegram) -> None:
    bot = make_bot([intercept_callback_query_origin(pave_event_space())(per_chat_id(), create_open, Asker, timeout=60)])
    bot.handle(chat_message(1, "ask"))
    bot.settle()
    question = telegram.api.calls("sendMessage")[0]
    # The question was forwarded into another chat: a click there still reaches chat 1's delegate.
    bot.handle(callback_query(99, "yes", chat_id=1, message_id=1000))
    bot.settle()
    assert telegram.texts_to(1)[-1] == "1 got yes from 99"
    assert question.params["reply_markup"] == KEYBOARD
    assert bot.engine.supervisor.live_count == 1  # the click did not start a delegate of its own

    bot.handle(chat_message(1, "close keyboard"))
    bot.settle()
    bot.handle(callback_query(99, "no", chat_id=1, message_id=1000))
    bot.settle()
    assert telegram.texts_to(1) == ["Question for 1", "1 got yes from 99", "keyboard removed"]


def test_intercepted_origin_restarts_its_delegate_after_idle_close(make_bot, telegram) -> None:
    with freeze_time("2024-01-01") as frozen:
        bot = make_bot([intercept_callback_query_origin(pave_event_space())(per_chat_id(), create_open, Asker,
                                                                            timeout=10)])
        bot.handle(chat_message(1, "ask"))
        bot.settle()
        frozen.tick(11)
        bot.settle()
        assert bot.engine.supervisor.live_count == 0
        bot.handle(callback_query(42, "no", chat_id=1, message_id=1000))
        bot.settle()
        assert telegram.texts_to(1) == ["Question for 1", "1 got no from 42"]


class InlineKeyboards(helper.InlineUserHandler, helper.InterceptCallbackQueryMixin):
    def on_inline_query(self, msg: dict[str, Any]) -> None:
        pass

    def on_chosen_inline_result(self, msg: dict[str, Any]) -> None:
        pass  # the coordinator captured msg['inline_message_id'] already

    def on_callback_query(self, msg: dict[str, Any]) -> None:
        self.bot.editMessageText((msg["inline_message_id"],), f"{self.user_id} pressed {msg['data']}",
                                 reply_markup=KEYBOARD)


def test_inline_message_origins_are_intercepted(make_bot, telegram) -> None:
    bot = make_bot([intercept_callback_query_origin(pave_event_space())(per_inline_from_id(), create_open,
                                                                        InlineKeyboards, timeout=60)])
    bot.handle(inline_query(5, "q"))
    bot.handle(chosen_inline_result(5, "r", inline_message_id="IM-1"))
    bot.settle()
    bot.handle(callback_query(77, "yes", inline_message_id="IM-1"))  # someone else presses
    bot.handle(callback_query(77, "no", inline_message_id="IM-unknown"))
    bot.settle()
    edits = telegram.api.calls("editMessageText")
    assert [(r.params["inline_message_id"], r.params["text"]) for r in edits] == [("IM-1", "5 pressed yes")]


# -- invoice flow --------------------------------------------------------------------------------------------


class OrderProcessor(helper.InvoiceHandler):
    def on_shipping_query(self, msg: dict[str, Any]) -> None:
        self.bot.answerShippingQuery(msg["id"], True, shipping_options=[
            {"id": "post", "title": "Post", "prices": [{"label": "Post", "amount": 100}]}])

    def on_pre_checkout_query(self, msg: dict[str, Any]) -> None:
        self.bot.answerPreCheckoutQuery(msg["id"], True)

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        payment = msg["successful_payment"]
        self.bot.sendMessage(msg["chat"]["id"], f"Thanks for order {payment['invoice_payload']}")


class InvoiceSender(helper.ChatHandler):
    def on_chat_message(self, msg: dict[str, Any]) -> None:
        if "successful_payment" in msg:
            return
        self.sender.sendInvoice("Widget", "A widget", f"order-{self.chat_id}", "provider-token", "start",
                                "EUR", [{"label": "Widget", "amount": 500}], need_shipping_address=True,
                                is_flexible=True)


def test_invoice_flow_by_payload(make_bot, telegram) -> None:
    bot = make_bot([
        pave_event_space()(per_chat_id(), create_open, InvoiceSender, timeout=60),
        pave_event_space()(per_invoice_payload(), create_open, OrderProcessor, timeout=60),
    ])
    bot.handle(chat_message(3, "buy"))
    bot.settle()
    invoice = telegram.api.calls("sendInvoice")[0]
    payload = invoice.params["payload"]
    assert payload == "order-3"
    user = {"id": 3, "is_bot": False, "first_name": "U"}
    bot.handle({"id": "sq1", "from": user, "invoice_payload": payload,
                "shipping_address": {"country_code": "DE", "state": "", "city": "B", "street_line1": "s",
                                     "street_line2": "", "post_code": "1"}})
    bot.handle({"id": "pq1", "from": user, "currency": "EUR", "total_amount": 600, "invoice_payload": payload})
    paid = chat_message(3, "")
    del paid["text"]
    paid["successful_payment"] = {"currency": "EUR", "total_amount": 600, "invoice_payload": payload,
                                  "telegram_payment_charge_id": "t", "provider_payment_charge_id": "p"}
    bot.handle(paid)
    bot.settle()
    assert [r.params["shipping_query_id"] for r in telegram.api.calls("answerShippingQuery")] == ["sq1"]
    assert [r.params["pre_checkout_query_id"] for r in telegram.api.calls("answerPreCheckoutQuery")] == ["pq1"]
    assert telegram.texts_to(3) == ["Thanks for order order-3"]


# -- through the polling loop -----------------------------------------------------------------------------------


class Echo(helper.ChatHandler):
    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.sender.sendMessage(msg["text"].upper())


def test_polling_loop_to_delegates_and_back(make_bot, telegram) -> None:
    updates = [{"update_id": 10 + i, "message": chat_message(1 + i % 2, f"m{i}")} for i in range(6)]
    telegram.api.reply("getUpdates", updates)
    bot = make_bot([pave_event_space()(per_chat_id(), create_open, Echo, timeout=60)])
    loop = bot.message_loop(relax=0, timeout=0)
    telegram.wait("sendMessage", count=6)
    telegram.wait("getUpdates", count=2)
    bot.settle()
    bot.stop()  # stops the loop it started, then the engine
    assert not loop.running
    assert telegram.texts_to(1) == ["M0", "M2", "M4"]
    assert telegram.texts_to(2) == ["M1", "M3", "M5"]
    # the offset moves only past handled updates; the last call confirms all six
    # (a poll that stop() cut short may reach the server without its parameters)
    offsets = [int(c.params["offset"]) for c in telegram.api.calls("getUpdates")[1:] if c.params]
    assert offsets == sorted(offsets) and set(offsets) <= set(range(10, 17)), offsets
    assert offsets[-1] == 16
