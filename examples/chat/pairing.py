"""Pairing patterns: five seeder/delegator pairs side by side, each answer signed by its pair.

A ``DelegatorBot`` runs every update past every pattern's seeder: the seed says which
delegate the update needs (started if it is not running), and each delegate gets what its
listener captures, so one update may reach several. Here each pattern owns one kind of
work and signs its answers ``[seeder -> delegate]``, so users see who answered:

* ``per_chat_id_in(vip_chat_ids)`` -> ``create_open(VipChat)``: one ``ChatHandler`` per VIP
  chat (a hashable seed: at most one live delegate per seed);
* ``per_chat_id_except(vip_chat_ids)`` -> ``create_open(GuestChat)``: the same for every
  other chat. Both count the chat's messages and offer a die to roll;
* ``per_application()`` -> ``create_open(Census)``: a single ``Monitor`` for the whole bot
  (a constant seed) that sees every update and answers ``/census``;
* ``per_message(flavors=["callback_query"])`` -> ``call(roll_die)``: a fresh function call on
  its own thread for every button press (a non-hashable seed: a new delegate every time);
* ``per_inline_from_id()`` -> ``create_run(InlineSession)``: a run-style delegate per user whose
  ``run`` reads that user's inline queries with ``listener.wait()``, top to bottom, until
  the user chooses a result.

Run it:
    python examples/chat/pairing.py                  # no token: simulated users on a local emulator
    BOT_TOKEN=123:abc python examples/chat/pairing.py  # a real bot (enable inline mode with @BotFather)
"""

from __future__ import annotations

import random
from collections.abc import Collection
from typing import Any

from actorbot import DelegatorBot, demo, flavor, glance, inline_flavors, is_event
from actorbot.delegate import (
    call,
    create_open,
    create_run,
    pave_event_space,
    per_application,
    per_chat_id_except,
    per_chat_id_in,
    per_inline_from_id,
    per_message,
)
from actorbot.helper import ChatHandler, Monitor
from actorbot.namedtuple import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)

IDLE_SECONDS = 60
DEMO_VIP_ID = 1000  # the simulated VIP's user id, which is also her private chat's id
CENSUS = "/census"
ROLL = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Roll a die", callback_data="roll")]])


class CountingChat(ChatHandler):
    """Counts one chat's messages and answers each (but ``/census``: the census answers that)."""

    signature = "[-> CountingChat]"
    greeting = "Hello."

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._count = 0

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        if msg.get("text") == CENSUS:
            return
        self._count += 1
        self.sender.sendMessage(f"{self.signature} {self.greeting} Message {self._count} in this chat.",
                                reply_markup=ROLL)


class VipChat(CountingChat):
    signature, greeting = "[per_chat_id_in -> VipChat]", "Welcome back, VIP!"


class GuestChat(CountingChat):
    signature, greeting = "[per_chat_id_except -> GuestChat]", "Hello, guest."


class Census(Monitor):
    """The one delegate of the whole application: counts every update, answers ``/census``."""

    def __init__(self, seed_tuple: Any) -> None:
        # Capture every update, but no events (such as the chat handlers' idle timers).
        super().__init__(seed_tuple, capture=[[lambda msg: not is_event(msg)]])
        self._updates = 0
        self._users: set[int] = set()

    def on_message(self, msg: dict[str, Any]) -> None:
        self._updates += 1
        self._users.add(msg["from"]["id"])
        if flavor(msg) == "chat" and msg.get("text") == CENSUS:
            _, _, chat_id = glance(msg)
            self.bot.sendMessage(chat_id, f"[per_application -> Census] {self._updates} updates so far; "
                                          f"users seen: {len(self._users)}.")


def roll_die(seed_tuple: Any) -> None:
    """A delegate that is just a function: answers one button press, on its own thread, and ends."""
    bot, press, _ = seed_tuple
    query_id, _, _ = glance(press, flavor="callback_query")
    bot.answerCallbackQuery(query_id, text=f"[per_message -> call(roll_die)] You rolled {random.randint(1, 6)}.")


class InlineSession:
    """A run-style delegate: ``run`` reads one user's inline updates in order, on its own thread."""

    def __init__(self, seed_tuple: Any) -> None:
        self._bot, self._first, user_id = seed_tuple
        self._listener = self._bot.create_listener()
        self._listener.capture([{"from": {"id": user_id}}, lambda msg: flavor(msg) in inline_flavors])

    def run(self) -> None:
        msg, queries = self._first, 0
        while flavor(msg) == "inline_query":
            queries += 1
            query_id, _, text = glance(msg, flavor="inline_query")
            signed = f"[per_inline_from_id -> create_run(InlineSession)] {text} (query {queries} of this session)"
            article = InlineQueryResultArticle(id="echo", title=signed,
                                               input_message_content=InputTextMessageContent(message_text=signed))
            self._bot.answerInlineQuery(query_id, [article], cache_time=0, is_personal=True)
            msg = self._listener.wait()  # blocks this delegate's thread until the user's next inline update
        # A chosen result ends the session; the user's next query starts a new one.


def build(token: str, vip_chat_ids: Collection[int] = (DEMO_VIP_ID,), **bot_kwargs: Any) -> DelegatorBot:
    """The bot; put your own user id in ``vip_chat_ids`` to be a VIP on Telegram."""
    vips = frozenset(vip_chat_ids)
    return DelegatorBot(token, [
        pave_event_space()(per_chat_id_in(vips), create_open, VipChat, timeout=IDLE_SECONDS),
        pave_event_space()(per_chat_id_except(vips), create_open, GuestChat, timeout=IDLE_SECONDS),
        (per_application(), create_open(Census)),
        (per_message(flavors=["callback_query"]), call(roll_die)),
        (per_inline_from_id(), create_run(InlineSession)),
    ], **bot_kwargs)


def simulate(sim: Any, bot: DelegatorBot) -> None:
    """Vera (a VIP) and Gus (a guest) write, roll, type inline queries and ask for the census."""
    vera, gus = sim.create_user("Vera", user_id=DEMO_VIP_ID), sim.create_user("Gus")
    vera.send("Hello!")
    vera.chat.wait_for_bot_message()
    gus.send("Hi.")
    gus.chat.wait_for_bot_message()
    gus.send("Anyone there?")
    offer = gus.chat.wait_for_bot_message()
    gus.press(offer, label="Roll a die").wait_answer()
    vera.inline_query("hel").wait_results()
    query = vera.inline_query("hello")
    query.wait_results()
    query.choose()  # ends her inline session; the shared message is a chat message too
    vera.chat.wait_for_bot_message()
    gus.send(CENSUS)
    gus.chat.wait_for_bot_message()


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
