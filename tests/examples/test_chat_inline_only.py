"""examples/chat/inline_only.py: per-user InlineUserHandler with an Answerer that learns favourites."""

from __future__ import annotations

from freezegun import freeze_time

from exampleloader import load_example

inline_only = load_example("chat/inline_only.py")

DEFAULT_ORDER = ["upper", "lower", "title", "reversed"]


def ids(results) -> list[str]:
    return [r["id"] for r in results]


def test_a_query_gets_one_article_per_style(run_bot):
    harness = run_bot(inline_only.build)
    alice = harness.sim.create_user("Alice")
    query = alice.inline_query("Good Morning")
    results = query.wait_results()
    assert [(r["type"], r["title"], r["input_message_content"]["message_text"]) for r in results] == [
        ("article", "upper", "GOOD MORNING"), ("article", "lower", "good morning"),
        ("article", "title", "Good Morning"), ("article", "reversed", "gninroM dooG"),
    ]
    assert query.answer["cache_time"] == 0 and query.answer["is_personal"] is True
    query.choose("title")
    harness.settle()
    assert alice.chat.text() == "Alice: Good Morning (via @emulator_bot)"


def test_chosen_styles_come_first_for_that_user_only(run_bot):
    harness = run_bot(inline_only.build)
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    for style in ("reversed", "title", "reversed"):
        query = alice.inline_query("abc")
        query.wait_results()
        query.choose(style)
        harness.settle()
    assert ids(alice.inline_query("abc").wait_results()) == ["reversed", "title", "upper", "lower"]
    assert ids(bob.inline_query("abc").wait_results()) == DEFAULT_ORDER


def test_an_empty_query_gets_no_results(run_bot):
    harness = run_bot(inline_only.build)
    alice = harness.sim.create_user("Alice")
    assert alice.inline_query("   ").wait_results() == []


def test_chat_messages_are_not_its_business(run_bot):
    harness = run_bot(inline_only.build)
    alice = harness.sim.create_user("Alice")
    alice.send("hello?")
    harness.settle()
    assert alice.chat.bot_messages() == []
    assert harness.sim.calls("sendMessage") == []


def test_favourites_are_forgotten_after_the_idle_timeout(run_bot):
    with freeze_time("2030-01-01 12:00:00") as frozen:
        harness = run_bot(inline_only.build)
        alice = harness.sim.create_user("Alice")
        query = alice.inline_query("abc")
        query.wait_results()
        query.choose("lower")
        harness.settle()
        harness.advance(frozen, inline_only.IDLE_SECONDS - 1)
        assert ids(alice.inline_query("abc").wait_results())[0] == "lower"
        harness.settle()
        harness.advance(frozen, inline_only.IDLE_SECONDS + 1)
        assert ids(alice.inline_query("abc").wait_results()) == DEFAULT_ORDER


def test_the_demo_prints_the_shared_texts(capsys):
    inline_only.demo.main(inline_only.build, inline_only.simulate, inline_only.__doc__, argv=[])
    assert capsys.readouterr().out.splitlines() == [
        "[Alice] Alice: olleh (via @emulator_bot)",
        "[Alice] Alice: thgin doog (via @emulator_bot)",
        "[Bob] Bob: GOOD NIGHT (via @emulator_bot)",
    ]
