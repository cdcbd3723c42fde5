"""Dicey clock: ``/roll`` rolls a die, ``/time`` tells the time; that is all it does.

Commands are routed with a :class:`~actorbot.routing.Router` keyed by
``by_chat_command()``: ``/roll`` and ``/time`` have their own handlers, and the two
catch-alls (``None`` for an unknown command, ``(None,)`` for text that is no command)
explain what the bot understands. The die is a ``random.Random`` handed to ``build``,
so a test (or a replay) can pass a seeded one and know every roll in advance.

Run it:
    python examples/simple/diceyclock.py                  # no token: simulated users on a local emulator
    BOT_TOKEN=123:abc python examples/simple/diceyclock.py  # a real bot on Telegram
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from actorbot import Bot, demo
from actorbot.routing import Router, by_chat_command

HELP = "I know two commands: /roll rolls a die, /time tells the time."


class DiceyClock(Bot):
    def __init__(self, token: str, *, die: random.Random, **bot_kwargs: Any) -> None:
        super().__init__(token, **bot_kwargs)
        self._die = die  # used on the update loop's thread only: no lock needed
        self._commands = Router(by_chat_command(), {
            "roll": self.roll,
            "time": self.tell_time,
            None: self.explain,  # a command without an entry
            (None,): self.explain,  # not a command at all
        })

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self._commands.route(msg)

    def roll(self, msg: dict[str, Any]) -> None:
        self.sendMessage(msg["chat"]["id"], str(self._die.randint(1, 6)))

    def tell_time(self, msg: dict[str, Any]) -> None:
        now = datetime.now()
        self.sendMessage(msg["chat"]["id"], f"It is {now:%H:%M:%S} on {now:%A, %d %B %Y}.")

    def explain(self, msg: dict[str, Any]) -> None:
        self.sendMessage(msg["chat"]["id"], HELP)


def build(token: str, *, die: random.Random | None = None, **bot_kwargs: Any) -> DiceyClock:
    """``die``: the random source of ``/roll`` (default: a fresh, unseeded ``random.Random``)."""
    return DiceyClock(token, die=die if die is not None else random.Random(), **bot_kwargs)


def simulate(sim: Any, bot: DiceyClock) -> None:
    """Alice rolls twice, asks the time, then tries something the bot does not know."""
    alice = sim.create_user("Alice")
    for command in ("roll", "roll", "time", "dance"):
        alice.command(command)
        alice.chat.wait_for_bot_message()


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
