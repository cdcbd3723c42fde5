"""examples/chat/tracker.py: one UserHandler per user sees messages, presses and inline updates."""

from __future__ import annotations

from freezegun import freeze_time

from exampleloader import load_example

tracker = load_example("chat/tracker.py")


def tally(messages: int = 0, presses: int = 0, queries: int = 0, chosen: int = 0) -> str:
    return f"messages {messages}, presses {presses}, inline queries {queries}, results chosen {chosen}"


def test_one_delegate_counts_every_kind_of_update_from_its_user(run_bot):
    harness = run_bot(tracker.build)
    alice = harness.sim.create_user("Alice")
    alice.send("Hello!")
    harness.settle()
    first = alice.chat.bot_messages()[0]
    assert first["reply_markup"] == {"inline_keyboard": [[{"text": "Press me", "callback_data": "press"}]]}
    assert alice.press(first, label="Press me").wait_answer()["text"] == tally(1, 1)
    query = alice.inline_query("anything")
    results = query.wait_results()
    assert [(r["type"], r["title"], r["description"]) for r in results] == [
        ("article", "Share my tally", tally(1, 1, 1))]
    assert query.answer["cache_time"] == 0 and query.answer["is_personal"] is True
    query.choose()
    harness.settle()
    assert alice.chat.text() == "\n".join([
        "Alice: Hello!", f"bot: {tally(1)}  [Press me]",
        "Alice pressed [Press me]", f"bot answered: {tally(1, 1)}",
        f"Alice: Alice's tally: {tally(1, 1, 1)} (via @emulator_bot)",
        f"bot: {tally(2, 1, 1, 1)}  [Press me]",  # the shared result is a message in the chat too
    ])


def test_each_user_has_a_tally_of_their_own(run_bot):
    harness = run_bot(tracker.build)
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    for _ in range(3):
        alice.send("a")
        bob.send("b")
    bob.inline_query("q")
    harness.settle()
    assert [m["text"] for m in alice.chat.bot_messages()] == [tally(1), tally(2), tally(3)]
    bob.send("b")
    harness.settle()
    assert [m["text"] for m in bob.chat.bot_messages()] == [tally(1), tally(2), tally(3), tally(4, 0, 1)]


def test_the_tracker_follows_its_user_into_groups(run_bot):
    harness = run_bot(tracker.build)
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    group = harness.sim.create_chat("group", "Friends", members=[alice, bob])
    alice.send("hi")
    harness.settle()
    alice.send("hello friends", chat=group)
    harness.settle()
    in_group = group.bot_messages()[0]
    assert in_group["text"] == tally(2)  # Alice's private and group messages, one tracker
    # Bob presses the button under Alice's tally: the press is Bob's, so Bob's tracker answers.
    assert bob.press(in_group, label="Press me").wait_answer()["text"] == tally(0, 1)
    assert alice.press(in_group, label="Press me").wait_answer()["text"] == tally(2, 1)


def test_the_tally_starts_again_after_the_idle_timeout(run_bot):
    with freeze_time("2030-01-01 12:00:00") as frozen:
        harness = run_bot(tracker.build)
        alice = harness.sim.create_user("Alice")
        alice.send("one")
        harness.settle()
        harness.advance(frozen, tracker.IDLE_SECONDS - 1)
        alice.send("two")
        harness.settle()
        harness.advance(frozen, tracker.IDLE_SECONDS + 1)
        alice.send("three")
        harness.settle()
    assert [m["text"] for m in alice.chat.bot_messages()] == [tally(1), tally(2), tally(1)]


def test_the_demo_prints_both_users(capsys):
    tracker.demo.main(tracker.build, tracker.simulate, tracker.__doc__, argv=[])
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if line.startswith("[Alice]")] == [
        "[Alice] Alice: Hello!", f"[Alice] bot: {tally(1)}  [Press me]",
        "[Alice] Alice pressed [Press me]", f"[Alice] bot answered: {tally(1, 1)}",
        f"[Alice] Alice: Alice's tally: {tally(1, 1, 1)} (via @emulator_bot)",
        f"[Alice] bot: {tally(2, 1, 1, 1)}  [Press me]",
    ]
    assert [line for line in out if line.startswith("[Bob]")] == [
        "[Bob] Bob: Hi there", f"[Bob] bot: {tally(1)}  [Press me]",
        "[Bob] Bob: Still just me", f"[Bob] bot: {tally(2)}  [Press me]",
    ]
