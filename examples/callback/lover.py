"""A bot in love: it asks "Do you love me?" and keeps asking until you press Yes.

Callback queries are routed *statically*, by chat: ``include_callback_query_chat_id``
sends a button press to the handler of the chat the pressed message is in, so one
``ChatHandler`` per private chat both asks (sends the keyboard) and hears the answers.
After 10 idle seconds the handler says a polite goodbye and closes, but the routing
stays: pressing a button on the last question opens a new handler that takes it up.

Run it:
    python examples/callback/lover.py                  # no token: simulated users on a local emulator
    BOT_TOKEN=123:abc python examples/callback/lover.py  # a real bot on Telegram
"""

from __future__ import annotations

from typing import Any

from actorbot import DelegatorBot, demo, glance, message_identifier
from actorbot.delegate import create_open, include_callback_query_chat_id, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler
from actorbot.namedtuple import InlineKeyboardButton, InlineKeyboardMarkup

IDLE_SECONDS = 10

QUESTION = "Do you love me?"
KEYBOARD = InlineKeyboardMarkup(inline_keyboard=[[
    InlineKeyboardButton(text="Yes", callback_data="yes"),
    InlineKeyboardButton(text="Um...", callback_data="um"),
    InlineKeyboardButton(text="No", callback_data="no"),
]])
REPLIES = {"yes": "Really?!", "um": "Take your time. I will ask again.", "no": "Ok. But I am going to keep asking."}


class Lover(ChatHandler):
    """One private chat's suitor; all of it runs on the chat's own actor thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._asked = 0
        self._question: tuple[int, int] | None = None  # the open question (with buttons), if any

    def _propose(self) -> None:
        if self._question is not None:  # never two open questions at once
            self._take_buttons_off(self._question)
        self._asked += 1
        text = QUESTION if self._asked == 1 else f"{self._asked}. {QUESTION}"
        sent = self.sender.sendMessage(text, reply_markup=KEYBOARD)
        self._question = message_identifier(sent)

    def _take_buttons_off(self, question: tuple[int, int]) -> None:
        self.bot.editMessageReplyMarkup(question, reply_markup=None)
        if question == self._question:
            self._question = None

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self._propose()

    def on_callback_query(self, msg: dict[str, Any]) -> None:
        query_id, from_id, answer = glance(msg, flavor="callback_query")
        self.bot.answerCallbackQuery(query_id, text=REPLIES.get(answer))
        # The pressed question travels with the query: after a restart it is not one we sent.
        self._take_buttons_off(message_identifier(msg["message"]))
        if answer == "yes":
            self.sender.sendMessage("Thank you! I love you too.")
            self.close()
        else:
            self._propose()

    def on__idle(self, event: dict[str, Any]) -> None:
        # The question keeps its buttons: pressing one later brings a new handler back.
        self.sender.sendMessage("I know you may need a little time. I will always be here for you.")
        self.close()


def build(token: str, **bot_kwargs: Any) -> DelegatorBot:
    return DelegatorBot(token, [
        include_callback_query_chat_id(pave_event_space(), types=["private"])(
            per_chat_id(types=["private"]), create_open, Lover, timeout=IDLE_SECONDS),
    ], **bot_kwargs)


def simulate(sim: Any, bot: DelegatorBot) -> None:
    """Alice hesitates twice, then says yes."""
    alice = sim.create_user("Alice")
    alice.send("Hi!")
    for label in ("Um...", "No", "Yes"):
        question = alice.chat.wait_for_bot_message(lambda m: "reply_markup" in m)
        alice.press(question, label=label).wait_answer()
    alice.chat.wait_for_bot_message(lambda m: m.get("text", "").startswith("Thank you"))


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
