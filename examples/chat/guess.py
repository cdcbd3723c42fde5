"""Guess a number: every chat plays its own game, and many players play at once.

Send anything to start a game: the bot picks a secret number from 0 to 99 and answers each
guess with "Higher!" or "Lower!" until you find it. One ``ChatHandler`` per chat
(``per_chat_id``) holds that chat's secret, so games never mix, and each runs on its own
actor, so players never wait for one another. A game left alone for ``IDLE_SECONDS`` ends:
the handler's ``on__idle`` tells the player the answer and closes it. The random source is
a parameter of ``build``, so a test can choose the secrets.

Run it:
    python examples/chat/guess.py                  # no token: simulated players on a local emulator
    BOT_TOKEN=123:abc python examples/chat/guess.py  # a real bot on Telegram
"""

from __future__ import annotations

import random
from typing import Any

from actorbot import DelegatorBot, demo, glance
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler

IDLE_SECONDS = 30
LOWEST, HIGHEST = 0, 99


class Player(ChatHandler):
    """One game in one chat.

    Built on the supervisor's thread (so the shared ``rng`` is only ever used there);
    ``open``, ``on_chat_message`` and ``on__idle`` run on the chat's own actor thread.
    """

    def __init__(self, seed_tuple: Any, rng: random.Random, **kwargs: Any) -> None:
        super().__init__(seed_tuple, **kwargs)
        self._secret = rng.randint(LOWEST, HIGHEST)
        self._guesses = 0

    def open(self, initial_msg: dict[str, Any], seed: Any) -> bool:
        self.sender.sendMessage(f"Guess my number: it is between {LOWEST} and {HIGHEST}.")
        return True  # the message that started the game is not a guess

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        content_type, _, _ = glance(msg)
        try:
            guess = int(msg["text"]) if content_type == "text" else None
        except ValueError:
            guess = None
        if guess is None:
            self.sender.sendMessage("Give me a number, please.")
            return
        self._guesses += 1
        if guess < self._secret:
            self.sender.sendMessage("Higher!")
        elif guess > self._secret:
            self.sender.sendMessage("Lower!")
        else:
            tries = "1 guess" if self._guesses == 1 else f"{self._guesses} guesses"
            self.sender.sendMessage(f"Correct! {self._secret} in {tries}.")
            self.close()  # the next message starts a new game

    def on__idle(self, event: dict[str, Any]) -> None:
        self.sender.sendMessage(f"Game expired. My number was {self._secret}.")
        self.close()


def build(token: str, rng: random.Random | None = None, **bot_kwargs: Any) -> DelegatorBot:
    """The bot; ``rng`` picks the secrets (default: a fresh ``random.Random``)."""
    return DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, Player,
                           rng=rng or random.Random(), timeout=IDLE_SECONDS),
    ], **bot_kwargs)


def simulate(sim: Any, bot: DelegatorBot) -> None:
    """Two players take turns, each narrowing down their own secret by halving the range."""
    players = {sim.create_user("Alice"): (LOWEST, HIGHEST), sim.create_user("Bob"): (LOWEST, HIGHEST)}
    for user in players:
        user.send("Let's play!")
        user.chat.wait_for_bot_message()
    while players:
        for user, (low, high) in list(players.items()):
            guess = (low + high) // 2
            user.send(str(guess))
            hint = user.chat.wait_for_bot_message()["text"]
            if hint == "Higher!":
                players[user] = (guess + 1, high)
            elif hint == "Lower!":
                players[user] = (low, guess - 1)
            else:
                del players[user]


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
