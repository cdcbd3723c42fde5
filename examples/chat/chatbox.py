"""Chatbox: people leave messages with the bot, and its owner reads them later.

Two delegation patterns split the private chats by who is talking:
``per_chat_id_in({owner_id})`` gives the owner's chat an ``OwnerHandler`` that answers
``/unread`` (who wrote, how many) and ``/next`` (forwards the next sender's messages);
``per_chat_id_except({owner_id})`` gives every other chat a ``VisitorHandler`` that files
what they write. Both kinds of handler are built with the same ``Mailbox`` (an argument
passed through ``create_open``): visitors put messages in, the owner takes them out.
Each handler runs on its own actor thread, so the mailbox takes a lock. A starting point
for customer support: customers write to the bot, staff answer behind it. Messages are
kept in memory only; a real bot would use a database.

Run it:
    python examples/chat/chatbox.py      # no token: simulated owner and visitors on a local emulator
    BOT_TOKEN=123:abc CHATBOX_OWNER_ID=<your user id> python examples/chat/chatbox.py  # a real bot
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

from actorbot import DelegatorBot, demo
from actorbot.delegate import create_open, pave_event_space, per_chat_id_except, per_chat_id_in
from actorbot.helper import ChatHandler

OWNER_ENV = "CHATBOX_OWNER_ID"
DEMO_OWNER_ID = 1000  # the simulated owner's user id, when $CHATBOX_OWNER_ID is not set
IDLE_SECONDS = 300
HELP = "/unread tells who wrote and how much; /next forwards the next sender's messages."


@dataclass(frozen=True)
class Letter:
    """One message a visitor left: where it is, and who wrote it."""

    chat_id: int
    message_id: int
    sender: str


class Mailbox:
    """Unread letters by chat, in the order the chats first wrote.

    Thread-safe: visitors' handlers and the owner's handler call it from their own threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._letters: dict[int, list[Letter]] = {}

    def put(self, letter: Letter) -> int:
        """File ``letter``; return how many letters from its chat are now unread."""
        with self._lock:
            pile = self._letters.setdefault(letter.chat_id, [])
            pile.append(letter)
            return len(pile)

    def unread(self) -> list[tuple[str, int]]:
        """``(sender, count)`` for every chat with unread letters."""
        with self._lock:
            return [(pile[0].sender, len(pile)) for pile in self._letters.values()]

    def take_next(self) -> list[Letter]:
        """Remove and return the letters of the chat that has waited longest (``[]`` if none)."""
        with self._lock:
            if not self._letters:
                return []
            return self._letters.pop(next(iter(self._letters)))


class OwnerHandler(ChatHandler):
    """The owner's chat: reads the mailbox. Runs on its own actor thread."""

    def __init__(self, seed_tuple: Any, mailbox: Mailbox, **kwargs: Any) -> None:
        super().__init__(seed_tuple, **kwargs)
        self._mailbox = mailbox

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        command = msg.get("text", "").strip().lower()
        if command == "/unread":
            lines = [f"{sender}: {count} unread" for sender, count in self._mailbox.unread()]
            self.sender.sendMessage("\n".join(lines) or "No unread messages.")
        elif command == "/next":
            letters = self._mailbox.take_next()
            if not letters:
                self.sender.sendMessage("No unread messages.")
                return
            sender = letters[0].sender
            self.sender.sendMessage(f"From {sender}:")
            for letter in letters:  # forwarding keeps photos, files, ... as they were sent
                self.bot.forwardMessage(self.chat_id, letter.chat_id, letter.message_id)
            waiting = len(self._mailbox.unread())
            rest = f"Senders still waiting: {waiting}." if waiting else "Nothing else is unread."
            self.sender.sendMessage(f"That was all from {sender}. {rest}")
        else:
            self.sender.sendMessage(HELP)


class VisitorHandler(ChatHandler):
    """Anybody else's chat: files what they write. Runs on the chat's own actor thread."""

    def __init__(self, seed_tuple: Any, mailbox: Mailbox, **kwargs: Any) -> None:
        super().__init__(seed_tuple, **kwargs)
        self._mailbox = mailbox

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        if msg.get("text", "").startswith("/"):  # /start and other commands are not for the owner
            self.sender.sendMessage("Hi! Leave a message here and the owner will read it soon.")
            return
        count = self._mailbox.put(Letter(self.chat_id, msg["message_id"], msg["from"]["first_name"]))
        self.sender.sendMessage(f"Saved for the owner ({count} unread from you).")


class ChatBox(DelegatorBot):
    """A DelegatorBot with one owner, who reads what everybody else leaves in its mailbox."""

    def __init__(self, token: str, owner_id: int, **bot_kwargs: Any) -> None:
        self.owner_id = owner_id
        mailbox = Mailbox()
        owner, private = {owner_id}, ["private"]
        super().__init__(token, [
            pave_event_space()(per_chat_id_in(owner, types=private), create_open, OwnerHandler, mailbox,
                               timeout=IDLE_SECONDS),
            pave_event_space()(per_chat_id_except(owner, types=private), create_open, VisitorHandler, mailbox,
                               timeout=IDLE_SECONDS),
        ], **bot_kwargs)


def build(token: str, owner_id: int | None = None, **bot_kwargs: Any) -> ChatBox:
    """The bot; its owner is ``owner_id``, else ``$CHATBOX_OWNER_ID``, else the simulated owner."""
    if owner_id is None:
        owner_id = int(os.environ.get(OWNER_ENV, DEMO_OWNER_ID))
    return ChatBox(token, owner_id, **bot_kwargs)


def simulate(sim: Any, bot: ChatBox) -> None:
    """Alice and Bob leave messages; the owner, Olivia, reads them one sender at a time."""
    olivia = sim.create_user("Olivia", user_id=bot.owner_id)
    alice, bob = sim.create_user("Alice"), sim.create_user("Bob")

    def act(user: Any, text: str) -> None:
        user.send(text)
        user.chat.wait_for_bot_message()

    act(alice, "/start")
    act(alice, "Hello! Has my order shipped?")
    act(bob, "Do you open on Sundays?")
    act(alice, "It is order 1234.")
    act(olivia, "/unread")
    for _ in range(3):
        olivia.send("/next")
        olivia.chat.wait_for_bot_message(lambda msg: msg.get("text", "").startswith(("That was all", "No ")))
    act(bob, "Also: do you deliver?")
    act(olivia, "/unread")


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
