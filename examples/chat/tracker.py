"""User tracker: one delegate per user follows them across every kind of update.

``per_from_id(flavors=TRACKED)`` seeds by the sender's user id whatever the update is: a
chat message (in any chat), a button press (callback query), an inline query, a chosen
inline result. The paired ``UserHandler`` captures the same flavors from that user, so
one actor sees everything the user does, in order, and keeps their tally. It counts in
``on_message`` and then lets the default router call ``on_chat_message``,
``on_callback_query``, ... which answer in kind: a message gets the tally and a button,
a press gets it as a pop-up, an inline query gets it as a result to share. The tally
starts again after ``IDLE_SECONDS`` of silence.

Run it:
    python examples/chat/tracker.py                  # no token: simulated users on a local emulator
    BOT_TOKEN=123:abc python examples/chat/tracker.py  # a real bot (enable inline mode with @BotFather)
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from actorbot import DelegatorBot, demo, flavor, glance, is_event
from actorbot.delegate import create_open, pave_event_space, per_from_id
from actorbot.helper import UserHandler
from actorbot.namedtuple import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)

IDLE_SECONDS = 60
TRACKED = ("chat", "callback_query", "inline_query", "chosen_inline_result")
LABELS = {"chat": "messages", "callback_query": "presses", "inline_query": "inline queries",
          "chosen_inline_result": "results chosen"}
PRESS_ME = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Press me", callback_data="press")]])


class UserTracker(UserHandler):
    """One user's tally. Every method runs on the user's own actor thread."""

    def __init__(self, seed_tuple: Any, **kwargs: Any) -> None:
        super().__init__(seed_tuple, flavors=TRACKED, **kwargs)
        self._counts: Counter[str] = Counter()

    def on_message(self, msg: dict[str, Any]) -> None:
        if not is_event(msg):  # events (the idle timer's) are not the user's doing
            self._counts[flavor(msg)] += 1
        super().on_message(msg)  # route by flavor to the methods below

    def tally(self) -> str:
        return ", ".join(f"{LABELS[kind]} {self._counts[kind]}" for kind in TRACKED)

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        _, _, chat_id = glance(msg)  # any chat the user wrote in, private or group
        self.bot.sendMessage(chat_id, self.tally(), reply_markup=PRESS_ME)

    def on_callback_query(self, msg: dict[str, Any]) -> None:
        query_id, _, _ = glance(msg, flavor="callback_query")
        self.bot.answerCallbackQuery(query_id, text=self.tally())

    def on_inline_query(self, msg: dict[str, Any]) -> None:
        query_id, _, _ = glance(msg, flavor="inline_query")
        name = msg["from"]["first_name"]
        share = InlineQueryResultArticle(
            id="tally", title="Share my tally", description=self.tally(),
            input_message_content=InputTextMessageContent(message_text=f"{name}'s tally: {self.tally()}"))
        # The answer depends on who asks and when: no caching.
        self.bot.answerInlineQuery(query_id, [share], cache_time=0, is_personal=True)

    def on_chosen_inline_result(self, msg: dict[str, Any]) -> None:
        pass  # counted in on_message; there is nothing to answer


def build(token: str, **bot_kwargs: Any) -> DelegatorBot:
    return DelegatorBot(token, [
        pave_event_space()(per_from_id(flavors=TRACKED), create_open, UserTracker, timeout=IDLE_SECONDS),
    ], **bot_kwargs)


def simulate(sim: Any, bot: DelegatorBot) -> None:
    """Alice does a bit of everything; Bob, meanwhile, only writes."""
    alice, bob = sim.create_user("Alice"), sim.create_user("Bob")
    alice.send("Hello!")
    tally = alice.chat.wait_for_bot_message()
    bob.send("Hi there")
    bob.chat.wait_for_bot_message()
    alice.press(tally, label="Press me").wait_answer()
    query = alice.inline_query("tally")
    query.wait_results()
    query.choose()  # posts Alice's tally in her chat with the bot, which sees that message too
    alice.chat.wait_for_bot_message()
    bob.send("Still just me")
    bob.chat.wait_for_bot_message()


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
