"""examples/callback/datecalc.py: inline results with a keyboard, votes routed by inline message."""

from __future__ import annotations

from freezegun import freeze_time

from exampleloader import load_example

datecalc = load_example("callback/datecalc.py")

WEDNESDAY = "2030-01-02 10:00:00"


def inline_message(chat):
    """The chat's only message, as it is now (the proposal posted through inline mode)."""
    [message] = chat.messages()
    return message


def propose(harness, user, query, chat, index=0):
    handle = user.inline_query(query)
    handle.wait_results()
    message = handle.choose(index=index, chat=chat)
    harness.settle()  # the proposer's handler has taken the chosen result
    return message


def test_a_weekday_becomes_its_next_three_dates(run_bot):
    with freeze_time(WEDNESDAY):
        harness = run_bot(datecalc.build)
        alice = harness.sim.create_user("Alice")
        results = alice.inline_query("Fri").wait_results()
        everything = alice.inline_query("").wait_results()
        nothing = alice.inline_query("someday").wait_results()
    assert [(r["id"], r["title"], r["description"]) for r in results] == [
        ("2030-01-04", "Friday, in 2 days", "Friday, 4 January 2030"),
        ("2030-01-11", "Friday, in 9 days", "Friday, 11 January 2030"),
        ("2030-01-18", "Friday, in 16 days", "Friday, 18 January 2030"),
    ]
    assert results[0]["input_message_content"]["message_text"] == "How about Friday, 4 January 2030?"
    assert [b["text"] for b in results[0]["reply_markup"]["inline_keyboard"][0]] == ["Yes", "No"]
    assert len(everything) == 21 and everything[2]["title"] == "Wednesday, in 7 days"
    assert nothing == []


def test_presses_on_the_inline_message_are_answered_and_edit_it(run_bot):
    with freeze_time(WEDNESDAY):
        harness = run_bot(datecalc.build)
        alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
        group = harness.sim.create_chat("group", "Friends", members=[alice, bob], bot_status="left")
        posted = propose(harness, alice, "sat", group)
        assert posted["text"] == "How about Saturday, 5 January 2030?"
        assert alice.press(posted, label="Yes").wait_answer()["text"] == "You voted Yes."
        harness.settle()
        assert inline_message(group)["text"] == "How about Saturday, 5 January 2030?\nYes: 1  No: 0"
        assert bob.press(posted, label="No").wait_answer()["text"] == "You voted No."
        assert bob.press(posted, label="Yes").wait_answer()["text"] == "You have already voted No."
        harness.settle()
    assert inline_message(group)["text"] == "How about Saturday, 5 January 2030?\nYes: 1  No: 1"
    # The edits addressed the inline message, not a chat message.
    edits = harness.sim.calls("editMessageText")
    assert len(edits) == 2
    assert all(set(call.params) >= {"inline_message_id", "text"} and "chat_id" not in call.params for call in edits)
    assert group.bot_messages() == []  # the bot never wrote in the group: it is not even in it
    assert [m["text"] for m in alice.chat.bot_messages()] == [
        "You proposed Saturday, 5 January 2030. I am counting the votes."]


def test_proposals_count_their_own_votes(run_bot):
    with freeze_time(WEDNESDAY):
        harness = run_bot(datecalc.build)
        alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
        group = harness.sim.create_chat("group", "Friends", members=[alice, bob], bot_status="left")
        monday = propose(harness, alice, "mon", group)
        tuesday = propose(harness, bob, "tue", group, index=1)
        for user in (alice, bob):
            user.press(monday, label="Yes").wait_answer()
            user.press(tuesday, label="No").wait_answer()
        harness.settle()
    texts = {m["message_id"]: m["text"] for m in group.messages()}
    assert texts[monday["message_id"]] == "How about Monday, 7 January 2030?\nYes: 2  No: 0"
    assert texts[tuesday["message_id"]] == "How about Tuesday, 15 January 2030?\nYes: 0  No: 2"


def test_a_proposer_the_bot_cannot_write_to_still_gets_the_votes(run_bot):
    harness = run_bot(datecalc.build)
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    group = harness.sim.create_chat("group", "Friends", members=[alice, bob], bot_status="left")
    alice.block()  # the private note is refused (403)
    posted = propose(harness, alice, "sun", group)
    assert bob.press(posted, label="Yes").wait_answer()["text"] == "You voted Yes."
    harness.settle()
    assert inline_message(group)["text"].endswith("\nYes: 1  No: 0")
    assert [c.status for c in harness.sim.calls("sendMessage")] == [403]


def test_voting_closes_when_the_proposer_goes_idle(run_bot):
    with freeze_time(WEDNESDAY) as frozen:
        harness = run_bot(datecalc.build)
        alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
        group = harness.sim.create_chat("group", "Friends", members=[alice, bob], bot_status="left")
        posted = propose(harness, alice, "thu", group)
        harness.advance(frozen, datecalc.IDLE_SECONDS - 5)
        bob.press(posted, label="Yes").wait_answer()  # a vote keeps it open
        harness.settle()
        harness.advance(frozen, datecalc.IDLE_SECONDS - 5)
        assert "reply_markup" in inline_message(group)
        harness.advance(frozen, 10)
    final = inline_message(group)
    assert final["text"] == "How about Thursday, 3 January 2030?\nYes: 1  No: 0\nVoting closed."
    assert "reply_markup" not in final


def test_the_demo_prints_the_conversation(capsys):
    datecalc.demo.main(datecalc.build, datecalc.simulate, datecalc.__doc__, argv=[])
    out = capsys.readouterr().out
    first, note = out.splitlines()[:2]
    assert first.startswith("[Friends] Alice: How about Friday, ") and first.endswith("(via @emulator_bot)  [Yes] [No]")
    assert note.startswith("[Alice] bot: You proposed Friday, ") and note.endswith(". I am counting the votes.")
    answers = [line for line in out.splitlines() if "answered" in line]
    assert answers == [
        "[Friends] bot answered: You voted Yes.",
        "[Friends] bot answered: You voted Yes.",
        "[Friends] bot answered: You voted No.",
        "[Friends] bot answered: You have already voted No.",
    ]
    assert "Yes: 2  No: 1 (via @emulator_bot)  [Yes] [No]" in out
