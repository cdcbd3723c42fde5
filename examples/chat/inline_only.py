"""Inline-only handler: restyle text from any chat with ``@yourbot some text``.

``per_inline_from_id()`` seeds inline queries and chosen inline results by the user who
sent them, and ``InlineUserHandler`` captures just those two flavors, so every user gets
one delegate for their inline activity and nothing else. ``AnswererMixin`` gives it an
``Answerer``: results are computed on a worker thread, and a newer query from the same
user supersedes one still being computed, whose answer is then never sent. The handler
notes which results its user chooses (``on_chosen_inline_result``) and lists that user's
favourite styles first from then on, until ``IDLE_SECONDS`` without inline activity.

Run it:
    python examples/chat/inline_only.py                  # no token: a simulated user on a local emulator
    BOT_TOKEN=123:abc python examples/chat/inline_only.py  # a real bot (enable inline mode with @BotFather)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from actorbot import DelegatorBot, demo, glance
from actorbot.delegate import create_open, pave_event_space, per_inline_from_id
from actorbot.helper import AnswererMixin, InlineUserHandler
from actorbot.namedtuple import InlineQueryResultArticle, InputTextMessageContent

IDLE_SECONDS = 300
STYLES: dict[str, Callable[[str], str]] = {
    "upper": str.upper,
    "lower": str.lower,
    "title": str.title,
    "reversed": lambda text: text[::-1],
}


def styled(text: str, order: list[str]) -> list[InlineQueryResultArticle]:
    """One article per style, in ``order``. Pure: runs on an Answerer's worker thread."""
    return [
        InlineQueryResultArticle(id=style, title=style, description=STYLES[style](text),
                                 input_message_content=InputTextMessageContent(message_text=STYLES[style](text)))
        for style in order
    ]


class InlineStyler(InlineUserHandler, AnswererMixin):
    """One user's inline queries and choices. Runs on the user's own actor thread."""

    def __init__(self, seed_tuple: Any, **kwargs: Any) -> None:
        super().__init__(seed_tuple, **kwargs)
        self._chosen: Counter[str] = Counter()  # style -> times this user chose it

    def on_inline_query(self, msg: dict[str, Any]) -> None:
        query_id, _, text = glance(msg, flavor="inline_query")
        if not text.strip():
            self.bot.answerInlineQuery(query_id, [], cache_time=0, is_personal=True)
            return
        # Favourites first (ties keep STYLES' order). The worker gets this list, not self.
        order = sorted(STYLES, key=lambda style: -self._chosen[style])
        self.answerer.answer(msg, lambda: {"results": styled(text, order), "cache_time": 0, "is_personal": True})

    def on_chosen_inline_result(self, msg: dict[str, Any]) -> None:
        result_id, _, _ = glance(msg, flavor="chosen_inline_result")
        self._chosen[result_id] += 1


def build(token: str, **bot_kwargs: Any) -> DelegatorBot:
    return DelegatorBot(token, [
        pave_event_space()(per_inline_from_id(), create_open, InlineStyler, timeout=IDLE_SECONDS),
    ], **bot_kwargs)


def simulate(sim: Any, bot: DelegatorBot) -> None:
    """Alice shares a reversed text once; from then on "reversed" is her first result."""
    alice = sim.create_user("Alice")
    query = alice.inline_query("hello")
    query.wait_results()
    query.choose("reversed")
    query = alice.inline_query("good night")
    query.wait_results()
    query.choose()  # the first result: now her favourite style
    bob = sim.create_user("Bob")
    query = bob.inline_query("good night")
    query.wait_results()
    query.choose()  # Bob has no favourite yet


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
