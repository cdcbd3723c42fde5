"""Inline query: type ``@bot some text`` in any chat and pick how to send it.

The bot answers every ``inline_query`` at once with three articles (the text in bold,
in italics, in monospace), built with ``actorbot.namedtuple`` classes and formatted with
HTML (the user's text is escaped first). When the user picks one, Telegram posts it in
the chat the user was typing in and, with inline feedback on, tells the bot which one
was chosen (``chosen_inline_result``). Everything runs on the update loop's thread:
fine for an answer this quick (for slow ones, see ``inline_query_answerer.py``).

Run it:
    python examples/simple/inline_query.py                  # no token: simulated users on a local emulator
    BOT_TOKEN=123:abc python examples/simple/inline_query.py  # a real bot on Telegram
(enable inline mode and inline feedback for the bot with @BotFather first)
"""

from __future__ import annotations

import html
import logging
from typing import Any

from actorbot import Bot, demo, glance
from actorbot.namedtuple import InlineQueryResultArticle, InputTextMessageContent

log = logging.getLogger(__name__)

STYLES = {"bold": "b", "italic": "i", "monospace": "code"}  # result id -> HTML tag


class InlineBot(Bot):
    def on_inline_query(self, msg: dict[str, Any]) -> None:
        query_id, from_id, query = glance(msg, flavor="inline_query")
        text = html.escape(query)
        results = [
            InlineQueryResultArticle(
                id=style, title=style.capitalize(), description=query,
                input_message_content=InputTextMessageContent(message_text=f"<{tag}>{text}</{tag}>",
                                                              parse_mode="HTML"))
            for style, tag in STYLES.items()
        ] if query.strip() else []
        self.answerInlineQuery(query_id, results)

    def on_chosen_inline_result(self, msg: dict[str, Any]) -> None:
        result_id, from_id, query = glance(msg, flavor="chosen_inline_result")
        log.info("user %s sent %r in %s", from_id, query, result_id)

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        content_type, chat_type, chat_id = glance(msg)
        if "via_bot" in msg or chat_type != "private":
            return  # our own inline result, or a group: nothing to say
        username = self.getMe()["username"]
        self.sendMessage(chat_id, f"I work inline: type @{username} and some text in any chat.")


def build(token: str, **bot_kwargs: Any) -> InlineBot:
    return InlineBot(token, **bot_kwargs)


def simulate(sim: Any, bot: InlineBot) -> None:
    """Alice asks the bot what it does, then sends a bold line to a group through inline mode."""
    alice, bob = sim.create_user("Alice"), sim.create_user("Bob")
    friends = sim.create_chat("group", "Friends", members=[alice, bob])
    alice.send("what do you do?")
    alice.chat.wait_for_bot_message()
    query = alice.inline_query("Dinner at 8 <3")
    results = query.wait_results()
    query.choose(results[0]["id"], chat=friends)
    bob.send("see you there", chat=friends)


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
