"""telepot's global Answerer on a plain Bot: superseding, and stopped with the bot."""

from __future__ import annotations

import threading

from actorbot import Bot
from actorbot.helper import Answerer
from loopback import TOKEN


def query(query_id: str, text: str) -> dict:
    return {"id": query_id, "from": {"id": 9, "is_bot": False, "first_name": "Ann"}, "query": text, "offset": ""}


def test_a_superseded_computation_never_answers_and_stop_ends_the_workers(loopback_api):
    started = threading.Event()

    def slow(text, cancel):  # runs until superseded: the cancel signal reaches it
        started.set()
        assert cancel.wait(10)
        return [{"type": "article", "id": "1", "title": text, "input_message_content": {"message_text": text}}]

    def quick(text):
        return [{"type": "article", "id": "2", "title": text, "input_message_content": {"message_text": text}}]

    bot = Bot(TOKEN, api_url=loopback_api.url)
    answerer = Answerer(bot)
    answerer.answer(query("q1", "sl"), slow, "sl")
    assert started.wait(5)
    answerer.answer(query("q2", "slow"), quick, "slow")  # the same user types on
    answered = loopback_api.wait_request("answerInlineQuery")
    assert answered.params["inline_query_id"] == "q2"
    started.clear()
    answerer.answer(query("q3", "slower"), slow, "slower")
    assert started.wait(5)
    bot.stop()  # supersedes q3 (its cancel event is set) and joins every worker
    assert not any(t.name.startswith("actorbot-answerer") for t in threading.enumerate())
    assert [r.params["inline_query_id"] for r in loopback_api.calls("answerInlineQuery")] == ["q2"]
