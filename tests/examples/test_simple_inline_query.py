"""examples/simple/inline_query.py: inline results answered on the spot, sent formatted."""

from __future__ import annotations

import logging

import pytest

from exampleloader import load_example

inline = load_example("simple/inline_query.py")


def test_a_query_is_offered_three_styles_with_the_text_escaped(run_bot):
    harness = run_bot(inline.build)
    alice = harness.sim.create_user("Alice")
    results = alice.inline_query("a < b & c").wait_results()
    assert [(r["type"], r["id"], r["title"], r["description"]) for r in results] == [
        ("article", "bold", "Bold", "a < b & c"),
        ("article", "italic", "Italic", "a < b & c"),
        ("article", "monospace", "Monospace", "a < b & c"),
    ]
    assert [r["input_message_content"] for r in results] == [
        {"message_text": f"<{tag}>a &lt; b &amp; c</{tag}>", "parse_mode": "HTML"} for tag in ("b", "i", "code")
    ]
    assert alice.inline_query("   ").wait_results() == []


@pytest.mark.parametrize("style, entity", [("bold", "bold"), ("italic", "italic"), ("monospace", "code")])
def test_the_chosen_result_arrives_formatted_in_the_chat(run_bot, style, entity):
    harness = run_bot(inline.build)
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    friends = harness.sim.create_chat("group", "Friends", members=[alice, bob])
    query = alice.inline_query("Dinner at 8 <3")
    query.wait_results()
    sent = query.choose(style, chat=friends)
    harness.settle()
    assert sent["text"] == "Dinner at 8 <3"
    assert sent["entities"] == [{"type": entity, "offset": 0, "length": len("Dinner at 8 <3")}]
    assert friends.text() == "Alice: Dinner at 8 <3 (via @emulator_bot)"  # the bot says nothing in groups


def test_the_choice_is_reported_to_the_bot(run_bot, caplog):
    harness = run_bot(inline.build)
    alice = harness.sim.create_user("Alice")
    query = alice.inline_query("hi")
    query.wait_results()
    with caplog.at_level(logging.INFO, logger=inline.log.name):
        query.choose("italic")
        harness.settle()
    assert [r.getMessage() for r in caplog.records if r.name == inline.log.name] == [
        f"user {alice.id} sent 'hi' in italic"]
    assert alice.chat.text() == "Alice: hi (via @emulator_bot)"  # its own result needs no reply


def test_in_a_private_chat_it_explains_itself(run_bot):
    harness = run_bot(inline.build)
    alice = harness.sim.create_user("Alice")
    alice.send("what do you do?")
    assert alice.chat.wait_for_bot_message()["text"] == "I work inline: type @emulator_bot and some text in any chat."


def test_the_demo_prints_the_conversation(capsys):
    inline.demo.main(inline.build, inline.simulate, inline.__doc__, argv=[])
    assert capsys.readouterr().out.splitlines() == [
        "[Alice] Alice: what do you do?",
        "[Alice] bot: I work inline: type @emulator_bot and some text in any chat.",
        "[Friends] Alice: Dinner at 8 <3 (via @emulator_bot)",
        "[Friends] Bob: see you there",
    ]
