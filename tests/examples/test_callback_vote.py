"""examples/callback/vote.py: ballots routed back by origin message, live tally, closing."""

from __future__ import annotations

import threading

from freezegun import freeze_time

from actorbot import DelegatorBot
from actorbot.delegate import create_open, intercept_callback_query_origin, pave_event_space, per_chat_id
from actorbot.helper import InterceptCallbackQueryMixin
from exampleloader import load_example

vote = load_example("callback/vote.py")


def current(chat, message):
    return next(m for m in chat.messages() if m["message_id"] == message["message_id"])


def open_ballot(harness, user, chat, question):
    user.command("vote", question, chat=chat)
    ballot = chat.wait_for_bot_message()
    harness.settle()
    return ballot


def test_the_tally_is_edited_in_and_the_ballot_closes_when_everyone_voted(run_bot):
    harness = run_bot(vote.build)
    alice, bob, carol = (harness.sim.create_user(n) for n in ("Alice", "Bob", "Carol"))
    group = harness.sim.create_chat("group", "Friends", members=[alice, bob, carol])
    ballot = open_ballot(harness, alice, group, "Pizza tonight?")
    assert ballot["text"] == "Pizza tonight?\nYes: 0  No: 0"
    assert [b["text"] for b in ballot["reply_markup"]["inline_keyboard"][0]] == ["Yes", "No"]

    assert alice.press(ballot, label="Yes").wait_answer()["text"] == "You voted Yes."
    harness.settle()
    assert current(group, ballot)["text"] == "Pizza tonight?\nYes: 1  No: 0"
    assert bob.press(ballot, label="No").wait_answer()["text"] == "You voted No."
    assert bob.press(ballot, label="Yes").wait_answer()["text"] == "You have already voted No."
    harness.settle()
    assert current(group, ballot)["text"] == "Pizza tonight?\nYes: 1  No: 1"
    assert "reply_markup" in current(group, ballot)

    assert carol.press(ballot, label="Yes").wait_answer()["text"] == "You voted Yes."
    harness.settle()
    final = current(group, ballot)
    assert final["text"] == "Pizza tonight?\nYes: 2  No: 1\nClosed: everyone has voted."
    assert "reply_markup" not in final
    # One message, edited in place: no other bot message in the group.
    assert [m["message_id"] for m in group.bot_messages()] == [ballot["message_id"]]


def test_ballots_in_one_group_count_separately(run_bot):
    harness = run_bot(vote.build)
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    group = harness.sim.create_chat("supergroup", "Club", members=[alice, bob])
    pizza = open_ballot(harness, alice, group, "Pizza?")
    sushi = open_ballot(harness, bob, group, "Sushi?")
    alice.press(pizza, label="Yes").wait_answer()
    alice.press(sushi, label="No").wait_answer()
    harness.settle()
    assert current(group, pizza)["text"] == "Pizza?\nYes: 1  No: 0"
    assert current(group, sushi)["text"] == "Sushi?\nYes: 0  No: 1"
    bob.press(sushi, label="No").wait_answer()
    harness.settle()
    assert current(group, sushi)["text"] == "Sushi?\nYes: 0  No: 2\nClosed: everyone has voted."
    assert current(group, pizza)["text"] == "Pizza?\nYes: 1  No: 0"  # still open
    assert "reply_markup" in current(group, pizza)


def test_time_is_up_after_the_vote_seconds(run_bot):
    with freeze_time("2030-05-01 18:00:00") as frozen:
        harness = run_bot(vote.build)
        alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
        group = harness.sim.create_chat("group", "Pair", members=[alice, bob])
        ballot = open_ballot(harness, alice, group, "Walk?")
        bob.press(ballot, label="No").wait_answer()
        harness.settle()
        harness.advance(frozen, vote.VOTE_SECONDS - 1)
        assert current(group, ballot)["text"] == "Walk?\nYes: 0  No: 1"
        harness.advance(frozen, 2)
        final = current(group, ballot)
        assert final["text"] == "Walk?\nYes: 0  No: 1\nClosed: time is up."
        assert "reply_markup" not in final
        # The group's handler goes idle later; a new vote starts afresh.
        harness.advance(frozen, vote.IDLE_SECONDS)
        again = open_ballot(harness, alice, group, "Walk now?")
        assert again["text"] == "Walk now?\nYes: 0  No: 0"


def test_a_vote_needs_a_question_and_other_messages_are_ignored(run_bot):
    harness = run_bot(vote.build)
    alice = harness.sim.create_user("Alice")
    group = harness.sim.create_chat("group", "Solo", members=[alice])
    alice.send("hello", chat=group)
    alice.command("vote", chat=group)
    harness.settle()
    assert [m["text"] for m in group.bot_messages()] == ["Ask a question: /vote Pizza tonight?"]
    alice.command("vote", chat=alice.chat)  # private chats have no votes
    harness.settle()
    assert alice.chat.bot_messages() == []


def test_the_demo_prints_the_conversation(capsys):
    vote.demo.main(vote.build, vote.simulate, vote.__doc__, argv=[])
    out = capsys.readouterr().out
    assert out.startswith("[Friends] Alice: /vote Pizza tonight?\n"
                          "[Friends] bot: Pizza tonight?\nYes: 0  No: 0  [Yes] [No]\n")
    answers = [line for line in out.splitlines() if "answered" in line]
    assert answers == [
        "[Friends] bot answered: You voted Yes.",
        "[Friends] bot answered: You voted No.",
        "[Friends] bot answered: You have already voted No.",
        "[Friends] bot answered: You voted Yes.",
    ]
    assert out.endswith("[Friends] bot edited #2: Pizza tonight?\nYes: 2  No: 1\nClosed: everyone has voted.\n")


def test_a_press_racing_the_capture_of_its_message_is_still_heard(run_bot):
    released = threading.Event()

    class LateCoordinator(InterceptCallbackQueryMixin.CallbackQueryCoordinator):
        def capture_origin(self, msg_identifier, notify=True):
            released.wait(5)  # widen the window between "the message exists" and "it is captured"
            super().capture_origin(msg_identifier, notify)

    class LateVoteKeeper(vote.VoteKeeper):
        CallbackQueryCoordinator = LateCoordinator

    def build(token, **bot_kwargs):
        return DelegatorBot(token, [
            intercept_callback_query_origin(pave_event_space(), origins=["chat"])(
                per_chat_id(types=["group"]), create_open, LateVoteKeeper, timeout=vote.IDLE_SECONDS),
        ], **bot_kwargs)

    harness = run_bot(build)
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    group = harness.sim.create_chat("group", "Quick", members=[alice, bob])
    alice.command("vote", "Now?", chat=group)
    ballot = group.wait_for_bot_message()
    try:
        press = alice.press(ballot, label="Yes")
        harness.sim.wait_until(harness.emulator.idle, 5, what="the press to be taken by the bot")
    finally:
        released.set()
    assert press.wait_answer(timeout=1)["text"] == "You voted Yes."
