"""Deep linking: ``https://t.me/<bot>?start=<payload>`` opens the bot with a ``/start <payload>``.

A user who opens such a link and presses START sends the bot ``/start <payload>``, so the
payload (up to 64 characters of ``A-Z a-z 0-9 _ -``) tells the bot where the user came
from. Here ``/invite`` makes a personal invitation link with a random code; whoever
starts the bot through it is greeted with the inviter's name, and the inviter is told.
Commands are routed with ``by_chat_command(pass_args=True)``, which hands the words
after the command to the handler. The invitations live in the bot object (a real bot
would store them); a plain ``Bot`` handles one message at a time on its loop thread,
so they need no lock.

Run it:
    python examples/simple/deeplinking.py                  # no token: simulated users on a local emulator
    BOT_TOKEN=123:abc python examples/simple/deeplinking.py  # a real bot on Telegram
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from typing import Any

from actorbot import Bot, demo
from actorbot.routing import Router, by_chat_command


@dataclass(frozen=True)
class Invitation:
    chat_id: int
    name: str


class InvitingBot(Bot):
    def __init__(self, token: str, **bot_kwargs: Any) -> None:
        super().__init__(token, **bot_kwargs)
        self._invitations: dict[str, Invitation] = {}
        self._commands = Router(by_chat_command(pass_args=True), {
            "start": self.on_start,
            "invite": self.on_invite,
            None: self.on_other,
            (None,): self.on_other,
        })

    @functools.cached_property
    def _username(self) -> str:
        return str(self.getMe()["username"])

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        if msg["chat"]["type"] == "private":
            self._commands.route(msg)

    def on_start(self, msg: dict[str, Any], args: list[str]) -> None:
        chat_id, name = msg["chat"]["id"], msg["from"]["first_name"]
        if not args:
            self.sendMessage(chat_id, f"Hello, {name}! Send /invite to get a link for your friends.")
            return
        invitation = self._invitations.get(args[0])
        if invitation is None:
            self.sendMessage(chat_id, "That invitation link is not valid. Send /invite to make your own.")
        elif invitation.chat_id == chat_id:
            self.sendMessage(chat_id, "That is your own invitation: share it with a friend.")
        else:
            self.sendMessage(chat_id, f"Welcome, {name}! {invitation.name} invited you.")
            self.sendMessage(invitation.chat_id, f"{name} joined through your invitation.")

    def on_invite(self, msg: dict[str, Any], args: list[str]) -> None:
        code = secrets.token_urlsafe(12)  # 16 characters, all allowed in a start payload
        self._invitations[code] = Invitation(msg["chat"]["id"], msg["from"]["first_name"])
        self.sendMessage(msg["chat"]["id"], f"Share this link: https://t.me/{self._username}?start={code}")

    def on_other(self, msg: dict[str, Any], *args: Any) -> None:
        self.sendMessage(msg["chat"]["id"], "Send /invite to get a link for your friends.")


def build(token: str, **bot_kwargs: Any) -> InvitingBot:
    return InvitingBot(token, **bot_kwargs)


def payload_of(link: str) -> str:
    """What Telegram puts after ``/start`` when someone opens ``link``."""
    return link.rsplit("?start=", 1)[1]


def simulate(sim: Any, bot: InvitingBot) -> None:
    """Alice makes an invitation link; Bob opens it; Carol opens a broken one."""
    alice, bob, carol = sim.create_user("Alice"), sim.create_user("Bob"), sim.create_user("Carol")
    alice.command("start")
    alice.chat.wait_for_bot_message()
    alice.command("invite")
    link = alice.chat.wait_for_bot_message()["text"].split()[-1]
    bob.command("start", payload_of(link))  # Bob opened the link and pressed START
    bob.chat.wait_for_bot_message()
    alice.chat.wait_for_bot_message(lambda m: "joined" in m["text"])
    carol.command("start", "no-such-code")
    carol.chat.wait_for_bot_message()


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
