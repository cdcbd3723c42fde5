"""examples/callback/quiz.py: one handler per quiz message (routing by callback-query origin)."""

from __future__ import annotations

from freezegun import freeze_time

from exampleloader import load_example

quiz = load_example("callback/quiz.py")


def is_question(message):
    return message.get("text", "").endswith("= ?")


def current(chat, message):
    """The latest version of ``message`` in ``chat``."""
    return next(m for m in chat.messages() if m["message_id"] == message["message_id"])


def answer(user, chat, offer, right):
    """Answer the question now on ``offer``, wait for the bot to edit it again; returns the
    callback answer's text."""
    question = current(chat, offer)
    assert is_question(question), question
    solution = quiz.solve(question["text"])
    pick = solution if right else next(c for c in quiz.choices(question) if c != solution)
    reply = user.press(question, data=str(pick)).wait_answer()["text"]
    chat.wait_for_bot_message(lambda m: m["message_id"] == offer["message_id"])
    return reply


def start_quizzes(harness, user, count):
    offers = []
    for _ in range(count):
        user.send("quiz")
        offers.append(user.chat.wait_for_bot_message())
    for offer in offers:
        assert offer["text"] == "Ready for some math? Press START."
        assert user.press(offer, label="START").wait_answer()["text"] == "Go!"
    harness.settle()
    return offers


def test_a_quiz_asks_three_questions_and_scores_them(run_bot):
    harness = run_bot(quiz.build)
    alice = harness.sim.create_user("Alice")
    [offer] = start_quizzes(harness, alice, 1)
    answers = []
    for right in (True, False, True):
        answers.append(answer(alice, alice.chat, offer, right))
        harness.settle()
    assert answers[0] == "Right!" and answers[2] == "Right!"
    assert answers[1].startswith("Wrong: it is ")
    final = current(alice.chat, offer)
    assert final["text"] == "Done! You got 2 out of 3 right."
    assert "reply_markup" not in final
    # Every question was an edit of the one offer message, each with four choices.
    edits = [e for e in alice.chat.transcript() if e.kind == "edit"]
    assert {e.message_id for e in edits} == {offer["message_id"]}
    questions = [e for e in edits if is_question(e.message)]
    assert len(questions) == 3
    assert all(len(e.keyboard[0]) == 4 and str(quiz.solve(e.text)) in e.keyboard[0] for e in questions)


def test_quizzes_in_one_chat_stay_independent(run_bot):
    harness = run_bot(quiz.build)
    alice = harness.sim.create_user("Alice")
    first, second = start_quizzes(harness, alice, 2)
    for _ in range(quiz.ROUNDS):  # interleaved: every answer to the first right, to the second wrong
        assert answer(alice, alice.chat, first, right=True) == "Right!"
        assert answer(alice, alice.chat, second, right=False).startswith("Wrong")
    harness.settle()
    assert current(alice.chat, first)["text"] == "Done! You got 3 out of 3 right."
    assert current(alice.chat, second)["text"] == "Done! You got 0 out of 3 right."


def test_an_idle_quiz_ends_with_its_score_while_another_goes_on(run_bot):
    with freeze_time("2030-01-01 12:00:00") as frozen:
        harness = run_bot(quiz.build)
        alice = harness.sim.create_user("Alice")
        first, second = start_quizzes(harness, alice, 2)
        assert answer(alice, alice.chat, first, right=True) == "Right!"
        harness.settle()
        harness.advance(frozen, quiz.QUIZ_IDLE_SECONDS - 2)
        assert answer(alice, alice.chat, second, right=True) == "Right!"  # keeps the second one alive
        harness.settle()
        harness.advance(frozen, 3)
        assert current(alice.chat, first)["text"] == "Time is up. You got 1 out of 1 right."
        assert "reply_markup" not in current(alice.chat, first)
        assert is_question(current(alice.chat, second))
        harness.advance(frozen, quiz.QUIZ_IDLE_SECONDS)
        assert current(alice.chat, second)["text"] == "Time is up. You got 1 out of 1 right."


def test_users_play_in_their_own_chats(run_bot):
    harness = run_bot(quiz.build)
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    [alice_offer] = start_quizzes(harness, alice, 1)
    [bob_offer] = start_quizzes(harness, bob, 1)
    for _ in range(quiz.ROUNDS):
        answer(alice, alice.chat, alice_offer, right=False)
        answer(bob, bob.chat, bob_offer, right=True)
    harness.settle()
    assert current(alice.chat, alice_offer)["text"] == "Done! You got 0 out of 3 right."
    assert current(bob.chat, bob_offer)["text"] == "Done! You got 3 out of 3 right."


def test_the_demo_prints_the_conversation(capsys):
    quiz.demo.main(quiz.build, quiz.simulate, quiz.__doc__, argv=[])
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [
        "[Alice] Alice: quiz me",
        "[Alice] bot: Ready for some math? Press START.  [START]",
        "[Alice] Alice pressed [START]",
        "[Alice] bot answered: Go!",
    ]
    answers = [line.removeprefix("[Alice] bot answered: ") for line in out if "answered" in line]
    assert answers[1] == answers[3] == "Right!"
    assert answers[2].startswith("Wrong: it is ")
    assert out[-1] == "[Alice] bot edited #2: Done! You got 2 out of 3 right."
