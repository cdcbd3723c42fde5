"""examples/chat/counter.py: per-chat counts, concurrency across chats, idle reset."""

from __future__ import annotations

from freezegun import freeze_time

from exampleloader import load_example

counter = load_example("chat/counter.py")


def test_each_chat_counts_on_its_own(run_bot):
    harness = run_bot(counter.build)
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    for _ in range(3):
        alice.send("hi")
        bob.send("hey")
    harness.settle()
    assert [m["text"] for m in alice.chat.bot_messages()] == ["1", "2", "3"]
    assert [m["text"] for m in bob.chat.bot_messages()] == ["1", "2", "3"]


def test_count_restarts_after_the_idle_timeout(run_bot):
    with freeze_time("2030-01-01 09:00:00") as frozen:
        harness = run_bot(counter.build)
        alice = harness.sim.create_user("Alice")
        alice.send("one")
        harness.settle()
        alice.send("two")
        harness.settle()
        harness.advance(frozen, counter.IDLE_SECONDS - 1)
        alice.send("three")  # within the timeout: the count goes on
        harness.settle()
        harness.advance(frozen, counter.IDLE_SECONDS + 1)
        alice.send("four")  # the old conversation closed: a fresh count
        harness.settle()
    assert alice.chat.text() == "\n".join([
        "Alice: one", "bot: 1", "Alice: two", "bot: 2", "Alice: three", "bot: 3", "Alice: four", "bot: 1",
    ])


def test_the_demo_prints_the_conversation(capsys):
    counter.demo.main(counter.build, counter.simulate, counter.__doc__, argv=[])
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == ["[Alice] Alice: hello", "[Alice] bot: 1", "[Bob] Bob: hello", "[Bob] bot: 1"]
    assert out[-2:] == ["[Bob] Bob: still counting?", "[Bob] bot: 3"]
