"""examples/simple/skeleton_route.py: a flavor routing table; buttons, inline mode, a catch-all."""

from __future__ import annotations

import logging

from exampleloader import load_example

route = load_example("simple/skeleton_route.py")


def test_text_is_echoed_with_two_voice_buttons(run_bot):
    harness = run_bot(route.build)
    alice = harness.sim.create_user("Alice")
    alice.send("Hello there")
    echo = alice.chat.wait_for_bot_message()
    assert echo["text"] == "Hello there"
    assert echo["reply_markup"] == {"inline_keyboard": [[
        {"text": "SHOUT", "callback_data": "shout"}, {"text": "whisper", "callback_data": "whisper"},
    ]]}
    alice.send_photo()
    assert alice.chat.wait_for_bot_message()["text"] == "Got your photo."


def test_a_press_rewrites_the_echo_and_is_answered(run_bot):
    harness = run_bot(route.build)
    alice = harness.sim.create_user("Alice")
    alice.send("Hello there")
    echo = alice.chat.wait_for_bot_message()
    assert alice.press(echo, label="SHOUT").wait_answer()["text"] == "You chose to shout."
    assert alice.press(echo, label="SHOUT").wait_answer()["text"] == "You chose to shout."  # nothing to edit
    assert alice.press(echo, label="whisper").wait_answer()["text"] == "You chose to whisper."
    harness.settle()
    assert alice.chat.text() == "\n".join([
        "Alice: Hello there",
        "bot: Hello there  [SHOUT] [whisper]",
        "Alice pressed [SHOUT]",
        "bot edited #2: HELLO THERE!  [SHOUT] [whisper]",
        "bot answered: You chose to shout.",
        "Alice pressed [SHOUT]",
        "bot answered: You chose to shout.",
        "Alice pressed [whisper]",
        "bot edited #2: hello there...  [SHOUT] [whisper]",
        "bot answered: You chose to whisper.",
    ])
    assert all(call.ok for call in harness.sim.calls("editMessageText"))


def test_an_inline_query_offers_both_voices_and_the_choice_is_logged(run_bot, caplog):
    harness = run_bot(route.build)
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    group = harness.sim.create_chat("group", "Friends", members=[alice, bob], bot_status="left")
    query = alice.inline_query("good morning")
    results = query.wait_results()
    assert [(r["id"], r["title"], r["input_message_content"]["message_text"]) for r in results] == [
        ("shout", "GOOD MORNING!", "GOOD MORNING!"), ("whisper", "good morning...", "good morning..."),
    ]
    assert alice.inline_query("").wait_results() == []
    with caplog.at_level(logging.INFO, logger=route.log.name):
        query.choose("whisper", chat=group)
        harness.settle()
    assert group.text() == "Alice: good morning... (via @emulator_bot)"
    assert [r.getMessage() for r in caplog.records if r.name == route.log.name] == [
        f"user {alice.id} chose to whisper 'good morning'"]


def test_a_flavor_without_an_entry_goes_to_the_catch_all(run_bot, caplog):
    harness = run_bot(route.build)
    alice = harness.sim.create_user("Alice")
    with caplog.at_level(logging.DEBUG, logger=route.log.name):
        alice.block()  # the bot gets a my_chat_member update: flavor "chat_member"
        harness.settle()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert any(r.getMessage().startswith("ignored a message:") for r in caplog.records)


def test_the_demo_prints_the_conversation(capsys):
    route.demo.main(route.build, route.simulate, route.__doc__, argv=[])
    assert capsys.readouterr().out.splitlines() == [
        "[Alice] Alice: Hello there",
        "[Alice] bot: Hello there  [SHOUT] [whisper]",
        "[Alice] Alice pressed [SHOUT]",
        "[Alice] bot edited #2: HELLO THERE!  [SHOUT] [whisper]",
        "[Alice] bot answered: You chose to shout.",
        "[Alice] Alice pressed [whisper]",
        "[Alice] bot edited #2: hello there...  [SHOUT] [whisper]",
        "[Alice] bot answered: You chose to whisper.",
        "[Alice] Alice: GOOD MORNING! (via @emulator_bot)",
        "[Alice] bot: GOOD MORNING!  [SHOUT] [whisper]",
        "[Alice] Alice: [photo]",
        "[Alice] bot: Got your photo.",
    ]
