"""Skeleton with a routing table: each flavor of message goes to its own function.

A table ``{flavor: function}`` routes every message: ``chat`` messages are echoed with
two buttons, pressing a button (``callback_query``) rewrites the echo and answers the
press, an ``inline_query`` (``@bot some text`` in any chat) is answered with two
articles, a ``chosen_inline_result`` is logged, and the ``None`` entry catches every
other flavor. ``flavor_router(table)`` is what ``bot.message_loop(table)`` and
``MessageLoop(bot, table)`` use when you start the loop yourself; here it is the bot's
``handle``, so whoever starts the loop (the demo runner, the test kit) routes through it.

Run it:
    python examples/simple/skeleton_route.py                  # no token: simulated users on a local emulator
    BOT_TOKEN=123:abc python examples/simple/skeleton_route.py  # a real bot on Telegram
(for inline queries, enable inline mode and inline feedback with @BotFather first)
"""

from __future__ import annotations

import logging
from typing import Any

from actorbot import Bot, demo, flavor_router, glance, message_identifier
from actorbot.namedtuple import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)

log = logging.getLogger(__name__)

VOICES = InlineKeyboardMarkup(inline_keyboard=[[
    InlineKeyboardButton(text="SHOUT", callback_data="shout"),
    InlineKeyboardButton(text="whisper", callback_data="whisper"),
]])


def in_voice(voice: str, text: str) -> str:
    return text.upper() + "!" if voice == "shout" else text.lower() + "..."


class RoutedSkeleton(Bot):
    def __init__(self, token: str, **bot_kwargs: Any) -> None:
        super().__init__(token, **bot_kwargs)
        self._route = flavor_router({
            "chat": self.on_chat_message,
            "callback_query": self.on_callback_query,
            "inline_query": self.on_inline_query,
            "chosen_inline_result": self.on_chosen_inline_result,
            None: self.on_anything_else,
        })

    def handle(self, msg: dict[str, Any]) -> None:
        self._route(msg)

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        content_type, chat_type, chat_id = glance(msg)
        if content_type == "text":
            self.sendMessage(chat_id, msg["text"], reply_markup=VOICES)
        else:
            self.sendMessage(chat_id, f"Got your {content_type.replace('_', ' ')}.")

    def on_callback_query(self, msg: dict[str, Any]) -> None:
        query_id, from_id, voice = glance(msg, flavor="callback_query")
        echo = msg.get("message", {})
        if "text" not in echo:  # too old for Telegram to include: nothing to rewrite
            self.answerCallbackQuery(query_id, text="That message is too old.")
            return
        text = in_voice(voice, echo["text"].rstrip("!."))
        if text != echo["text"]:  # Telegram refuses an edit that changes nothing
            self.editMessageText(message_identifier(echo), text, reply_markup=VOICES)
        self.answerCallbackQuery(query_id, text=f"You chose to {voice}.")

    def on_inline_query(self, msg: dict[str, Any]) -> None:
        query_id, from_id, query = glance(msg, flavor="inline_query")
        results = [
            InlineQueryResultArticle(id=voice, title=in_voice(voice, query),
                                     input_message_content=InputTextMessageContent(message_text=in_voice(voice, query)))
            for voice in ("shout", "whisper")
        ] if query.strip() else []
        self.answerInlineQuery(query_id, results, cache_time=0)

    def on_chosen_inline_result(self, msg: dict[str, Any]) -> None:
        result_id, from_id, query = glance(msg, flavor="chosen_inline_result")
        log.info("user %s chose to %s %r", from_id, result_id, query)

    def on_anything_else(self, msg: dict[str, Any]) -> None:
        log.debug("ignored a message: %s", msg)


def build(token: str, **bot_kwargs: Any) -> RoutedSkeleton:
    return RoutedSkeleton(token, **bot_kwargs)


def simulate(sim: Any, bot: RoutedSkeleton) -> None:
    """Alice talks, presses both buttons, then shouts through inline mode."""
    alice = sim.create_user("Alice")
    alice.send("Hello there")
    echo = alice.chat.wait_for_bot_message()
    alice.press(echo, label="SHOUT").wait_answer()
    alice.press(echo, label="whisper").wait_answer()
    query = alice.inline_query("good morning")
    query.wait_results()
    query.choose("shout")  # the chosen text is posted in Alice's chat with the bot, which echoes it
    alice.chat.wait_for_bot_message()
    alice.send_photo()
    alice.chat.wait_for_bot_message()


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
