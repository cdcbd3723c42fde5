"""examples/simple/inline_query_answerer.py: a global Answerer; the newest query of a user wins."""

from __future__ import annotations

import threading
from functools import partial
from typing import Any

from exampleloader import load_example

answerer = load_example("simple/inline_query_answerer.py")


def echo(query: str) -> list[dict[str, Any]]:
    return [{"type": "article", "id": "1", "title": query, "input_message_content": {"message_text": query}}]


def test_a_query_is_answered_with_characters_named_like_it(run_bot):
    harness = run_bot(answerer.build)
    alice = harness.sim.create_user("Alice")
    results = alice.inline_query("snowman").wait_results()
    assert results[0]["id"] == "2603"
    assert results[0]["title"] == "\u2603  SNOWMAN"
    assert results[0]["input_message_content"] == {"message_text": "\u2603"}
    assert all("SNOWMAN" in r["title"] for r in results)
    every_word = alice.inline_query("black snowman").wait_results()
    assert [r["id"] for r in every_word] == ["26C7"]  # BLACK SNOWMAN
    assert alice.inline_query("").wait_results() == []


def test_the_search_gives_up_once_cancelled():
    cancelled = threading.Event()
    cancelled.set()
    assert answerer.search_characters("snowman", cancel=cancelled) == []
    assert len(answerer.search_characters("a")) == answerer.MAX_RESULTS


def test_a_newer_query_from_the_same_user_supersedes_the_older(run_bot):
    first_started, cancelled = threading.Event(), threading.Event()
    workers: list[threading.Thread] = []

    def slow_then_quick(query: str, cancel: threading.Event) -> list[dict[str, Any]]:
        workers.append(threading.current_thread())
        if query == "sn":
            first_started.set()
            if cancel.wait(5):  # still working when "snow" arrives
                cancelled.set()
        return echo(query)  # returned even when superseded: the Answerer must drop it

    harness = run_bot(partial(answerer.build, search=slow_then_quick))
    alice = harness.sim.create_user("Alice")
    older = alice.inline_query("sn")
    assert first_started.wait(5)
    newer = alice.inline_query("snow")
    assert [r["title"] for r in newer.wait_results()] == ["snow"]
    assert cancelled.wait(5)
    for worker in workers:
        worker.join(5)
    harness.settle()
    assert older.answer is None
    assert [call.params["inline_query_id"] for call in harness.sim.calls("answerInlineQuery")] == [newer.id]


def test_queries_of_different_users_do_not_supersede_each_other(run_bot):
    gate = threading.Event()

    def alice_waits(query: str) -> list[dict[str, Any]]:
        if query == "alice":
            gate.wait(5)
        return echo(query)

    harness = run_bot(partial(answerer.build, search=alice_waits))
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    slow = alice.inline_query("alice")
    quick = bob.inline_query("bob")
    assert [r["title"] for r in quick.wait_results()] == ["bob"]
    assert slow.answer is None  # still computing
    gate.set()
    assert [r["title"] for r in slow.wait_results()] == ["alice"]


def test_in_the_chat_it_names_the_character_sent(run_bot):
    harness = run_bot(answerer.build)
    alice = harness.sim.create_user("Alice")
    query = alice.inline_query("snowflake")
    query.choose(query.wait_results()[0]["id"])
    assert alice.chat.wait_for_bot_message()["text"] == "\u2744 is U+2744 SNOWFLAKE."
    alice.send("hello?")
    assert alice.chat.wait_for_bot_message()["text"] == (
        "Send me one character, or type @emulator_bot and a name (like snow) in any chat.")


def test_the_demo_prints_the_conversation(capsys):
    answerer.demo.main(answerer.build, answerer.simulate, answerer.__doc__, argv=[])
    assert capsys.readouterr().out.splitlines() == [
        "[Alice] Alice: hello?",
        "[Alice] bot: Send me one character, or type @emulator_bot and a name (like snow) in any chat.",
        "[Alice] Alice: \u2603 (via @emulator_bot)",
        "[Alice] bot: \u2603 is U+2603 SNOWMAN.",
    ]
