"""Message counter: each chat gets its own count, which resets after 10 idle seconds.

One ``ChatHandler`` per chat (``per_chat_id``), started on the chat's first message and
closed after ``timeout`` seconds without one (``pave_event_space`` gives it the idle
timer). Every chat is served by its own actor: replies within a chat stay in order,
while chats proceed concurrently. The count lives in ``self.state``: with ``--store``
it survives a restart, even ``kill -9``.

Run it:
    python examples/chat/counter.py                  # no token: simulated users on a local emulator
    BOT_TOKEN=123:abc python examples/chat/counter.py  # a real bot on Telegram
    BOT_TOKEN=123:abc python examples/chat/counter.py --store counter.db  # counts survive restarts
"""

from __future__ import annotations

from typing import Any

from actorbot import DelegatorBot, demo
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler

IDLE_SECONDS = 10


class MessageCounter(ChatHandler):
    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.state["count"] = self.state.get("count", 0) + 1
        self.sender.sendMessage(str(self.state["count"]))


def build(token: str, **bot_kwargs: Any) -> DelegatorBot:
    return DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, MessageCounter, timeout=IDLE_SECONDS),
    ], **bot_kwargs)


def simulate(sim: Any, bot: DelegatorBot) -> None:
    """Two users talk at once; each sees their own count."""
    alice, bob = sim.create_user("Alice"), sim.create_user("Bob")
    for text in ("hello", "how are you?", "still counting?"):
        for user in (alice, bob):
            user.send(text)
            user.chat.wait_for_bot_message()


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
