"""examples/simple/inline_keyboard.py: a namedtuple-built keyboard and an answer for every press."""

from __future__ import annotations

from exampleloader import load_example

keyboard = load_example("simple/inline_keyboard.py")


def test_any_message_gets_the_keyboard(run_bot):
    harness = run_bot(keyboard.build)
    alice = harness.sim.create_user("Alice")
    alice.send("hi")
    menu = alice.chat.wait_for_bot_message()
    assert menu["text"] == "Press a button."
    assert menu["reply_markup"] == {"inline_keyboard": [
        [{"text": "Notify me", "callback_data": "notify"}, {"text": "Alert me", "callback_data": "alert"}],
        [{"text": "Edit this message", "callback_data": "edit"}],
        [{"text": "Read the Bot API", "url": "https://core.telegram.org/bots/api"}],
    ]}


def test_each_press_is_answered_as_its_button_says(run_bot):
    harness = run_bot(keyboard.build)
    alice = harness.sim.create_user("Alice")
    alice.send("hi")
    menu = alice.chat.wait_for_bot_message()
    notify = alice.press(menu, label="Notify me").wait_answer()
    alert = alice.press(menu, label="Alert me").wait_answer()
    assert (notify["text"], notify["show_alert"]) == ("This is a notification.", False)
    assert (alert["text"], alert["show_alert"]) == ("This is an alert!", True)
    assert alice.chat.messages()[-1]["reply_markup"] == menu["reply_markup"]  # untouched so far


def test_the_edit_button_rewrites_the_message_and_drops_the_keyboard(run_bot):
    harness = run_bot(keyboard.build)
    alice = harness.sim.create_user("Alice")
    alice.send("hi")
    menu = alice.chat.wait_for_bot_message()
    answer = alice.press(menu, label="Edit this message").wait_answer()
    harness.settle()
    assert answer["text"] is None and not answer["show_alert"]
    edited = alice.chat.messages()[-1]
    assert edited["message_id"] == menu["message_id"]
    assert edited["text"] == "Edited. Send anything for a new keyboard."
    assert "reply_markup" not in edited
    assert alice.chat.text().splitlines()[-3:] == [
        "Alice pressed [Edit this message]",
        f"bot edited #{menu['message_id']}: Edited. Send anything for a new keyboard.",
        "bot answered: (no text)",
    ]


def test_presses_in_many_chats_are_each_answered(run_bot):
    harness = run_bot(keyboard.build)
    users = [harness.sim.create_user(name) for name in ("Alice", "Bob", "Carol")]
    menus = []
    for user in users:
        user.send("menu please")
        menus.append(user.chat.wait_for_bot_message())
    presses = [user.press(menu, label="Notify me") for user, menu in zip(users, menus, strict=True)]
    assert [press.wait_answer()["text"] for press in presses] == ["This is a notification."] * 3


def test_the_demo_prints_the_conversation(capsys):
    keyboard.demo.main(keyboard.build, keyboard.simulate, keyboard.__doc__, argv=[])
    assert capsys.readouterr().out.splitlines() == [
        "[Alice] Alice: hi",
        "[Alice] bot: Press a button.  [Notify me] [Alert me] | [Edit this message] | [Read the Bot API]",
        "[Alice] Alice pressed [Notify me]",
        "[Alice] bot answered: This is a notification.",
        "[Alice] Alice pressed [Alert me]",
        "[Alice] bot answered: This is an alert! (alert)",
        "[Alice] Alice pressed [Edit this message]",
        "[Alice] bot edited #2: Edited. Send anything for a new keyboard.",
        "[Alice] bot answered: (no text)",
    ]
