"""A bot written with pyTelegramBotAPI (telebot, HTTP via requests) runs unchanged against the emulator."""

from __future__ import annotations

import threading

import pytest

telebot = pytest.importorskip("telebot")
from telebot import apihelper, types  # noqa: E402


@pytest.fixture
def telebot_api_url(emu):
    saved = apihelper.API_URL, apihelper.FILE_URL
    apihelper.API_URL = emu.url + "/bot{0}/{1}"
    apihelper.FILE_URL = emu.url + "/file/bot{0}/{1}"
    try:
        yield
    finally:
        apihelper.API_URL, apihelper.FILE_URL = saved


def make_counter_bot(token: str) -> telebot.TeleBot:
    """An ordinary telebot bot: counts messages per chat, offers a button, answers presses."""
    bot = telebot.TeleBot(token, threaded=False)
    counts: dict[int, int] = {}

    @bot.message_handler(commands=["start"])
    def start(message):
        markup = types.InlineKeyboardMarkup()
        markup.add(types.InlineKeyboardButton("Reset", callback_data="reset"))
        bot.send_message(message.chat.id, "<b>Hi!</b> Send me anything.", parse_mode="HTML", reply_markup=markup)

    @bot.message_handler(func=lambda m: True)
    def count(message):
        counts[message.chat.id] = counts.get(message.chat.id, 0) + 1
        bot.reply_to(message, f"message #{counts[message.chat.id]}")

    @bot.callback_query_handler(func=lambda call: call.data == "reset")
    def reset(call):
        counts[call.message.chat.id] = 0
        bot.answer_callback_query(call.id, "Counter reset")
        bot.edit_message_text("Counter reset.", call.message.chat.id, call.message.message_id)

    return bot


def test_telebot_counter_bot_talks_to_simulated_users(emu, telebot_api_url):
    bot = make_counter_bot(emu.token)
    assert bot.get_me().username == "emulator_bot"
    runner = threading.Thread(target=bot.polling, kwargs={"non_stop": False, "interval": 0, "timeout": 1,
                                                          "long_polling_timeout": 1})
    runner.start()
    try:
        alice = emu.sim.create_user("alice")
        bob = emu.sim.create_user("bob")
        alice.command("start")
        welcome = alice.chat.wait_for_bot_message()
        assert welcome["text"] == "Hi! Send me anything." and welcome["entities"][0]["type"] == "bold"
        alice.send("one")
        assert alice.chat.wait_for_bot_message()["text"] == "message #1"
        bob.send("hello")
        assert bob.chat.wait_for_bot_message()["text"] == "message #1"
        alice.send("two")
        reply = alice.chat.wait_for_bot_message()
        assert reply["text"] == "message #2" and reply["reply_to_message"]["text"] == "two"
        press = alice.press(welcome, label="Reset")
        assert press.wait_answer()["text"] == "Counter reset"
        alice.chat.wait_for_bot_message(lambda m: m["text"] == "Counter reset.")
    finally:
        bot.stop_polling()
        runner.join(10)
    assert not runner.is_alive()
    assert alice.chat.text().splitlines() == [
        "alice: /start",
        "bot: Hi! Send me anything.  [Reset]",
        "alice: one",
        "bot: message #1",
        "alice: two",
        "bot: message #2",
        "alice pressed [Reset]",
        "bot answered: Counter reset",
        "bot edited #2: Counter reset.",
    ]
    sent = [c for c in emu.calls() if c.method == "sendMessage"]
    assert all(c.ok for c in sent) and len(sent) == 4
