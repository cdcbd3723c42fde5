"""examples/callback/lover.py: static callback routing by chat, asking until yes, idle goodbye."""

from __future__ import annotations

from freezegun import freeze_time

from exampleloader import load_example

lover = load_example("callback/lover.py")

BUTTONS = "  [Yes] [Um...] [No]"


def open_question(chat):
    return chat.wait_for_bot_message(lambda m: "reply_markup" in m)


def test_keeps_asking_until_yes(run_bot):
    harness = run_bot(lover.build)
    alice = harness.sim.create_user("Alice")
    alice.send("hello")
    answers = [alice.press(open_question(alice.chat), label=label).wait_answer() for label in ("Um...", "No", "Yes")]
    harness.settle()
    assert [a["text"] for a in answers] == [
        "Take your time. I will ask again.", "Ok. But I am going to keep asking.", "Really?!"]
    assert alice.chat.text() == "\n".join([
        "Alice: hello",
        "bot: Do you love me?" + BUTTONS,
        "Alice pressed [Um...]",
        "bot answered: Take your time. I will ask again.",
        "bot edited #2: Do you love me?",
        "bot: 2. Do you love me?" + BUTTONS,
        "Alice pressed [No]",
        "bot answered: Ok. But I am going to keep asking.",
        "bot edited #3: 2. Do you love me?",
        "bot: 3. Do you love me?" + BUTTONS,
        "Alice pressed [Yes]",
        "bot answered: Really?!",
        "bot edited #4: 3. Do you love me?",
        "bot: Thank you! I love you too.",
    ])
    # Only the last word has buttons left: none, once she said yes.
    assert not [m for m in alice.chat.messages() if "reply_markup" in m]


def test_a_new_message_withdraws_the_open_question(run_bot):
    harness = run_bot(lover.build)
    bob = harness.sim.create_user("Bob")
    bob.send("hi")
    harness.settle()
    bob.send("hi again")
    harness.settle()
    with_buttons = [m["text"] for m in bob.chat.messages() if "reply_markup" in m]
    assert with_buttons == ["2. Do you love me?"]


def test_each_private_chat_has_its_own_suitor(run_bot):
    harness = run_bot(lover.build)
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    alice.send("hi")
    bob.send("hi")
    alice.press(open_question(alice.chat), label="No").wait_answer()
    bob.press(open_question(bob.chat), label="Yes").wait_answer()
    harness.settle()
    assert [m["text"] for m in alice.chat.bot_messages()] == ["Do you love me?", "2. Do you love me?"]
    assert [m["text"] for m in bob.chat.bot_messages()] == ["Do you love me?", "Thank you! I love you too."]


def test_groups_are_ignored(run_bot):
    harness = run_bot(lover.build)
    alice = harness.sim.create_user("Alice")
    group = harness.sim.create_chat("group", "Friends", members=[alice])
    alice.send("anyone?", chat=group)
    harness.settle()
    assert group.bot_messages() == []


def test_idle_goodbye_then_a_late_press_is_still_heard(run_bot):
    with freeze_time("2030-01-01 20:00:00") as frozen:
        harness = run_bot(lover.build)
        alice = harness.sim.create_user("Alice")
        alice.send("hi")
        harness.settle()
        harness.advance(frozen, lover.IDLE_SECONDS - 1)
        assert alice.chat.bot_messages()[-1]["text"] == "Do you love me?"  # still waiting
        harness.advance(frozen, 2)
        assert alice.chat.bot_messages()[-1]["text"] == (
            "I know you may need a little time. I will always be here for you.")
        # The handler closed, but the question kept its buttons: a press opens a new one.
        question = alice.chat.bot_messages()[0]
        answer = alice.press(question, label="Yes").wait_answer()
        harness.settle()
    assert answer["text"] == "Really?!"
    assert alice.chat.text().splitlines()[-4:] == [
        "Alice pressed [Yes]",
        "bot answered: Really?!",
        "bot edited #2: Do you love me?",
        "bot: Thank you! I love you too.",
    ]


def test_the_demo_prints_the_conversation(capsys):
    lover.demo.main(lover.build, lover.simulate, lover.__doc__, argv=[])
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["[Alice] Alice: Hi!", "[Alice] bot: Do you love me?" + BUTTONS, "[Alice] Alice pressed [Um...]"]
    assert out[-1] == "[Alice] bot: Thank you! I love you too."
