"""examples/simple/skeleton.py: one handle for everything; echo text, name other content."""

from __future__ import annotations

import logging

from exampleloader import load_example

skeleton = load_example("simple/skeleton.py")


def test_text_is_echoed_and_other_content_is_named(run_bot):
    harness = run_bot(skeleton.build)
    alice = harness.sim.create_user("Alice")
    alice.send("hello, bot")
    assert alice.chat.wait_for_bot_message()["text"] == "hello, bot"
    alice.send_photo(caption="my cat")
    assert alice.chat.wait_for_bot_message()["text"] == "Got your photo."
    alice.send_document(b"shopping list", filename="list.txt")
    harness.settle()
    assert alice.chat.text() == "\n".join([
        "Alice: hello, bot", "bot: hello, bot",
        "Alice: [photo] my cat", "bot: Got your photo.",
        "Alice: [document list.txt]", "bot: Got your document.",
    ])


def test_replies_follow_the_order_of_the_messages(run_bot):
    harness = run_bot(skeleton.build)
    alice = harness.sim.create_user("Alice")
    group = harness.sim.create_chat("group", "Friends", members=[alice])
    words = [f"word {n}" for n in range(8)]
    for word in words:
        alice.send(word)
    alice.send("in the group", chat=group)
    harness.settle()
    assert [m["text"] for m in alice.chat.bot_messages()] == words
    assert [m["text"] for m in group.bot_messages()] == ["in the group"]


def test_other_flavors_are_glanced_at_and_left_alone(run_bot, caplog):
    harness = run_bot(skeleton.build)
    alice = harness.sim.create_user("Alice")
    with caplog.at_level(logging.INFO, logger=skeleton.log.name):
        query = alice.inline_query("anything")
        harness.settle()
    assert query.answer is None
    assert harness.sim.calls("answerInlineQuery") == []
    assert any(r.getMessage().startswith("inline_query (") and "'anything'" in r.getMessage()
               for r in caplog.records)


def test_the_demo_prints_the_conversation(capsys):
    skeleton.demo.main(skeleton.build, skeleton.simulate, skeleton.__doc__, argv=[])
    assert capsys.readouterr().out.splitlines() == [
        "[Alice] Alice: hello, bot", "[Alice] bot: hello, bot",
        "[Alice] Alice: [photo] my cat", "[Alice] bot: Got your photo.",
        "[Alice] Alice: [document list.txt]", "[Alice] bot: Got your document.",
    ]
