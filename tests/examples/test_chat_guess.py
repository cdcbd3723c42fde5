"""examples/chat/guess.py: a secret per chat, hints, a new game after a win, idle expiry."""

from __future__ import annotations

import random

from freezegun import freeze_time

from exampleloader import load_example

guess = load_example("chat/guess.py")

GREETING = "Guess my number: it is between 0 and 99."


class Secrets(random.Random):
    """A random source whose ``randint`` returns the given numbers, in order."""

    def __init__(self, *numbers: int) -> None:
        super().__init__(0)
        self._numbers = list(numbers)

    def randint(self, a: int, b: int) -> int:
        number = self._numbers.pop(0)
        assert a <= number <= b
        return number


def texts(user) -> list[str]:
    return [m["text"] for m in user.chat.bot_messages()]


def test_every_chat_plays_against_its_own_secret(run_bot):
    harness = run_bot(lambda token, **kw: guess.build(token, rng=Secrets(30, 70), **kw))
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    alice.send("play")
    harness.settle()  # Alice's game picks first: 30
    bob.send("me too")
    harness.settle()
    for number in ("50", "30"):  # both players guess at the same time
        alice.send(number)
        bob.send(number)
    harness.settle()
    bob.send("70")
    harness.settle()
    assert texts(alice) == [GREETING, "Lower!", "Correct! 30 in 2 guesses."]
    assert texts(bob) == [GREETING, "Higher!", "Higher!", "Correct! 70 in 3 guesses."]


def test_anything_but_a_number_is_not_a_guess(run_bot):
    harness = run_bot(lambda token, **kw: guess.build(token, rng=Secrets(5), **kw))
    alice = harness.sim.create_user("Alice")
    alice.send("hi")
    harness.settle()
    alice.send("five")
    harness.settle()
    alice.send_photo()
    harness.settle()
    alice.send("5")
    harness.settle()
    assert texts(alice) == [GREETING, "Give me a number, please.", "Give me a number, please.",
                            "Correct! 5 in 1 guess."]


def test_after_a_win_the_next_message_starts_a_new_game(run_bot):
    harness = run_bot(lambda token, **kw: guess.build(token, rng=Secrets(1, 2), **kw))
    alice = harness.sim.create_user("Alice")
    for text in ("start", "1", "again", "1", "2"):
        alice.send(text)
        harness.settle()
    assert texts(alice) == [GREETING, "Correct! 1 in 1 guess.", GREETING, "Higher!", "Correct! 2 in 2 guesses."]


def test_an_idle_game_expires_and_tells_the_answer(run_bot):
    with freeze_time("2030-01-01 09:00:00") as frozen:
        harness = run_bot(lambda token, **kw: guess.build(token, rng=Secrets(42, 7), **kw))
        alice = harness.sim.create_user("Alice")
        alice.send("start")
        harness.settle()
        harness.advance(frozen, guess.IDLE_SECONDS - 1)
        alice.send("10")  # still playing: the idle countdown starts again
        harness.settle()
        harness.advance(frozen, guess.IDLE_SECONDS - 1)
        assert texts(alice) == [GREETING, "Higher!"]
        harness.advance(frozen, 2)
        assert texts(alice) == [GREETING, "Higher!", "Game expired. My number was 42."]
        alice.send("7")  # a new game, with a new secret
        harness.settle()
    assert texts(alice)[-1] == GREETING


def test_the_demo_prints_both_games(capsys):
    guess.demo.main(guess.build, guess.simulate, guess.__doc__, argv=[])
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == ["[Alice] Alice: Let's play!", f"[Alice] bot: {GREETING}",
                       "[Bob] Bob: Let's play!", f"[Bob] bot: {GREETING}"]
    for name in ("Alice", "Bob"):
        lines = [line for line in out if line.startswith(f"[{name}] bot: ")]
        assert lines[-1].startswith(f"[{name}] bot: Correct! ")
        assert set(lines[1:-1]) <= {f"[{name}] bot: Higher!", f"[{name}] bot: Lower!"}
        assert len(lines) <= 1 + 7  # halving finds any of 100 numbers in at most 7 guesses
