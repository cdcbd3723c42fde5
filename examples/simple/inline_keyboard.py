"""Inline keyboard: buttons under a message, and the bot answering each press.

Any message gets a reply with an inline keyboard built from ``actorbot.namedtuple``
classes: three callback buttons and a URL button. A press arrives as a
``callback_query``; the bot must answer it with ``answerCallbackQuery`` (the user's
client shows a spinner until then) and may show a notification, an alert, or nothing
and edit the message instead. ``Bot.handle`` routes by flavor to ``on_chat_message``
and ``on_callback_query``; both run on the update loop's thread.

Run it:
    python examples/simple/inline_keyboard.py                  # no token: simulated users on a local emulator
    BOT_TOKEN=123:abc python examples/simple/inline_keyboard.py  # a real bot on Telegram
"""

from __future__ import annotations

from typing import Any

from actorbot import Bot, demo, glance, message_identifier
from actorbot.namedtuple import InlineKeyboardButton, InlineKeyboardMarkup

MENU_TEXT = "Press a button."
MENU = InlineKeyboardMarkup(inline_keyboard=[
    [InlineKeyboardButton(text="Notify me", callback_data="notify"),
     InlineKeyboardButton(text="Alert me", callback_data="alert")],
    [InlineKeyboardButton(text="Edit this message", callback_data="edit")],
    [InlineKeyboardButton(text="Read the Bot API", url="https://core.telegram.org/bots/api")],
])


class KeyboardBot(Bot):
    def on_chat_message(self, msg: dict[str, Any]) -> None:
        content_type, chat_type, chat_id = glance(msg)
        self.sendMessage(chat_id, MENU_TEXT, reply_markup=MENU)

    def on_callback_query(self, msg: dict[str, Any]) -> None:
        query_id, from_id, data = glance(msg, flavor="callback_query")
        if data == "notify":
            self.answerCallbackQuery(query_id, text="This is a notification.")
        elif data == "alert":
            self.answerCallbackQuery(query_id, text="This is an alert!", show_alert=True)
        elif data == "edit" and "message" in msg:
            # Without reply_markup the edited message loses its keyboard.
            self.editMessageText(message_identifier(msg["message"]), "Edited. Send anything for a new keyboard.")
            self.answerCallbackQuery(query_id)  # no text: just stop the spinner
        else:
            self.answerCallbackQuery(query_id, text="That button is not mine.")


def build(token: str, **bot_kwargs: Any) -> KeyboardBot:
    return KeyboardBot(token, **bot_kwargs)


def simulate(sim: Any, bot: KeyboardBot) -> None:
    """Alice asks for the keyboard and presses each callback button."""
    alice = sim.create_user("Alice")
    alice.send("hi")
    menu = alice.chat.wait_for_bot_message()
    for label in ("Notify me", "Alert me", "Edit this message"):
        alice.press(menu, label=label).wait_answer()


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
