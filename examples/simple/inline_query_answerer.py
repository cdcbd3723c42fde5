"""Inline query with an ``Answerer``: slow answers computed aside, and the newest query wins.

Type ``@bot snow`` in any chat: the bot searches Unicode for characters whose name
contains the words typed and offers them (``☃ SNOWMAN``, ``❄ SNOWFLAKE``...); pick one
to send it. Searching takes a while, and a user typing sends a new query for every
letter, so one global :class:`~actorbot.helper.Answerer` computes each answer on a
worker thread and keeps at most one computation per user: a newer query from the same
user supersedes the older one, whose answer is never sent. A search that accepts a
``cancel`` event (set when it is superseded) may stop early. In the private chat, send
the bot a character and it tells you its name.

Run it:
    python examples/simple/inline_query_answerer.py                  # no token: simulated users on a local emulator
    BOT_TOKEN=123:abc python examples/simple/inline_query_answerer.py  # a real bot on Telegram
(enable inline mode for the bot with @BotFather first)
"""

from __future__ import annotations

import sys
import threading
import unicodedata
from collections.abc import Callable
from typing import Any

from actorbot import Bot, demo, glance
from actorbot.helper import Answerer
from actorbot.namedtuple import InlineQueryResultArticle, InputTextMessageContent

MAX_RESULTS = 20
FIRST_CODE = 0x20  # the first printable character
Search = Callable[..., list[InlineQueryResultArticle]]


def search_characters(query: str, cancel: threading.Event | None = None) -> list[InlineQueryResultArticle]:
    """Characters whose Unicode name contains every word of ``query``, as inline results.

    Runs on an ``Answerer`` worker thread; gives up (empty result) once ``cancel`` is set.
    """
    words = query.upper().split()
    results: list[InlineQueryResultArticle] = []
    if not words:
        return results
    for code in range(FIRST_CODE, sys.maxunicode + 1):
        if (code - FIRST_CODE) % 1024 == 0 and cancel is not None and cancel.is_set():
            return []  # superseded: nobody will see this answer
        name = unicodedata.name(chr(code), "")
        if name and all(word in name for word in words):
            results.append(InlineQueryResultArticle(
                id=f"{code:X}", title=f"{chr(code)}  {name}", description=f"U+{code:04X}",
                input_message_content=InputTextMessageContent(message_text=chr(code))))
            if len(results) == MAX_RESULTS:
                break
    return results


class CharacterBot(Bot):
    def __init__(self, token: str, *, search: Search, **bot_kwargs: Any) -> None:
        super().__init__(token, **bot_kwargs)
        self._search = search
        self._answerer = Answerer(self)

    def on_inline_query(self, msg: dict[str, Any]) -> None:
        query_id, from_id, query = glance(msg, flavor="inline_query")
        self._answerer.answer(msg, self._search, query)  # returns at once

    def on_chosen_inline_result(self, msg: dict[str, Any]) -> None:
        pass  # the chosen character arrives as a message too (in a private chat with the bot)

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        content_type, chat_type, chat_id = glance(msg)
        if chat_type != "private":
            return
        text = msg.get("text", "")
        if len(text) == 1:
            name = unicodedata.name(text, "a character without a name")
            self.sendMessage(chat_id, f"{text} is U+{ord(text):04X} {name}.")
        else:
            username = self.getMe()["username"]
            self.sendMessage(chat_id, f"Send me one character, or type @{username} and a name (like snow) in any chat.")


def build(token: str, *, search: Search = search_characters, **bot_kwargs: Any) -> CharacterBot:
    """``search(query[, cancel])``: computes the results of one inline query (default: Unicode names)."""
    return CharacterBot(token, search=search, **bot_kwargs)


def simulate(sim: Any, bot: CharacterBot) -> None:
    """Alice asks for help, types "snowman" letter by letter, picks the first result."""
    alice = sim.create_user("Alice")
    alice.send("hello?")
    alice.chat.wait_for_bot_message()
    typed = [alice.inline_query("snowman"[:n]) for n in range(3, 8)]  # "sno", "snow", ... "snowman"
    results = typed[-1].wait_results()  # the earlier ones may never be answered: superseded
    typed[-1].choose(results[0]["id"])
    alice.chat.wait_for_bot_message()


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
