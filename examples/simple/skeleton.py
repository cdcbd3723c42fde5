"""Skeleton: one ``handle`` for every message; it glances at each one and answers.

The smallest useful bot. ``handle`` receives every message of every flavor; ``flance``
tells the flavor and gives ``glance``'s summary of the message, here
``(content_type, chat_type, chat_id)`` for a chat message. The bot echoes text and
names any other kind of content ("Got your photo."). A plain ``Bot`` handles messages
one at a time on its update loop's thread, in the order they arrive.

Run it:
    python examples/simple/skeleton.py                  # no token: simulated users on a local emulator
    BOT_TOKEN=123:abc python examples/simple/skeleton.py  # a real bot on Telegram
"""

from __future__ import annotations

import logging
from typing import Any

from actorbot import Bot, demo, flance

log = logging.getLogger(__name__)


class Skeleton(Bot):
    def handle(self, msg: dict[str, Any]) -> None:
        flavor, summary = flance(msg)
        log.info("%s %s", flavor, summary)
        if flavor != "chat":
            return  # inline queries, callback queries...: a skeleton ignores them
        content_type, chat_type, chat_id = summary
        if content_type == "text":
            self.sendMessage(chat_id, msg["text"])
        else:
            self.sendMessage(chat_id, f"Got your {content_type.replace('_', ' ')}.")


def build(token: str, **bot_kwargs: Any) -> Skeleton:
    return Skeleton(token, **bot_kwargs)


def simulate(sim: Any, bot: Skeleton) -> None:
    """Alice says hello, sends a photo, then a document."""
    alice = sim.create_user("Alice")
    alice.send("hello, bot")
    alice.chat.wait_for_bot_message()
    alice.send_photo(caption="my cat")
    alice.chat.wait_for_bot_message()
    alice.send_document(b"shopping list", filename="list.txt")
    alice.chat.wait_for_bot_message()


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
