"""examples/simple/diceyclock.py: /roll with an injected die, /time under frozen time, help."""

from __future__ import annotations

import random
from functools import partial

from freezegun import freeze_time

from exampleloader import load_example

dicey = load_example("simple/diceyclock.py")


def test_roll_answers_with_the_dice_it_was_given(run_bot):
    harness = run_bot(partial(dicey.build, die=random.Random(2030)))
    alice = harness.sim.create_user("Alice")
    for _ in range(10):
        alice.command("roll")
    harness.settle()
    twin = random.Random(2030)
    expected = [str(twin.randint(1, 6)) for _ in range(10)]
    assert [m["text"] for m in alice.chat.bot_messages()] == expected
    assert set(expected) <= set("123456") and len(set(expected)) > 1


def test_time_tells_the_current_time(run_bot):
    with freeze_time("2030-01-01 09:00:00") as frozen:
        harness = run_bot(dicey.build)
        alice = harness.sim.create_user("Alice")
        alice.command("time")
        harness.settle()
        harness.advance(frozen, 90)
        alice.command("time")
        harness.settle()
    assert alice.chat.text() == "\n".join([
        "Alice: /time", "bot: It is 09:00:00 on Tuesday, 01 January 2030.",
        "Alice: /time", "bot: It is 09:01:30 on Tuesday, 01 January 2030.",
    ])


def test_anything_else_gets_the_help(run_bot):
    harness = run_bot(dicey.build)
    alice = harness.sim.create_user("Alice")
    alice.command("start")
    alice.command("dance", "now")
    alice.send("roll please")
    alice.send_photo()
    harness.settle()
    assert [m["text"] for m in alice.chat.bot_messages()] == [dicey.HELP] * 4


def test_the_demo_prints_the_conversation(capsys):
    dicey.demo.main(dicey.build, dicey.simulate, dicey.__doc__, argv=[])
    out = capsys.readouterr().out.splitlines()
    assert out[0::2] == ["[Alice] Alice: /roll", "[Alice] Alice: /roll", "[Alice] Alice: /time",
                         "[Alice] Alice: /dance"]
    rolls, clock, help_line = out[1:4:2], out[5], out[7]
    assert all(line in {f"[Alice] bot: {n}" for n in range(1, 7)} for line in rolls)
    assert clock.startswith("[Alice] bot: It is ")
    assert help_line == f"[Alice] bot: {dicey.HELP}"
