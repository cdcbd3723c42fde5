"""A date calculator for inline mode: type "@bot fri" in a chat, propose a date, let friends vote.

Inline queries come from one user, so each user gets an ``InlineUserHandler``
(``per_inline_from_id``) that answers them with an ``Answerer`` (``AnswererMixin``):
"fri" becomes the next three Fridays, as article results with Yes/No buttons. The chosen
one is posted as an *inline message*, in a chat the bot need not be a member of, and the
proposer gets a private note. ``intercept_callback_query_origin`` and
``InterceptCallbackQueryMixin`` route the presses on that message, by its
``inline_message_id``, back to the proposer's handler, whoever presses: it answers each
press and edits the tally into the message (``editMessageText`` on the inline message).
After 60 seconds without a query or a vote, voting ends: each proposal shows its final
count without buttons.

Run it:
    python examples/callback/datecalc.py                  # no token: simulated users on a local emulator
    BOT_TOKEN=123:abc python examples/callback/datecalc.py  # a real bot (enable inline mode and
                                                          # inline feedback with @BotFather)
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from actorbot import DelegatorBot, demo, glance
from actorbot.delegate import create_open, intercept_callback_query_origin, pave_event_space, per_inline_from_id
from actorbot.exception import ForbiddenError
from actorbot.helper import AnswererMixin, InlineUserHandler, InterceptCallbackQueryMixin
from actorbot.namedtuple import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)

IDLE_SECONDS = 60
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CHOICES = {"yes": "Yes", "no": "No"}
KEYBOARD = InlineKeyboardMarkup(inline_keyboard=[
    [InlineKeyboardButton(text=label, callback_data=data) for data, label in CHOICES.items()]])


def spell(day: datetime.date) -> str:
    return f"{day:%A}, {day.day} {day:%B %Y}"


def suggest(query: str, today: datetime.date) -> list[InlineQueryResultArticle]:
    """The next three dates of every weekday whose name starts with ``query``, soonest first
    (runs on the answerer's worker thread)."""
    wanted = query.strip().lower()
    results = []
    for weeks in range(3):
        for weekday, name in enumerate(WEEKDAYS):
            if not name.startswith(wanted):
                continue
            ahead = (weekday - today.weekday() - 1) % 7 + 1 + 7 * weeks  # 1 to 7 days, then whole weeks
            day = today + datetime.timedelta(days=ahead)
            results.append(InlineQueryResultArticle(
                id=day.isoformat(), title=f"{name.capitalize()}, in {ahead} days", description=spell(day),
                input_message_content=InputTextMessageContent(message_text=f"How about {spell(day)}?"),
                reply_markup=KEYBOARD))
    return results


@dataclass
class Proposal:
    """A proposed date and the votes on it (by user id)."""

    day: datetime.date
    votes: dict[int, str] = field(default_factory=dict)

    def text(self, *, closed: bool = False) -> str:
        counts = "  ".join(f"{label}: {list(self.votes.values()).count(data)}" for data, label in CHOICES.items())
        return f"How about {spell(self.day)}?\n{counts}" + ("\nVoting closed." if closed else "")


class DateCalculator(InlineUserHandler, AnswererMixin, InterceptCallbackQueryMixin):
    """One user's inline queries and the votes on their proposals, on the user's own actor thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._proposals: dict[str, Proposal] = {}  # by inline_message_id

    def on_inline_query(self, msg: dict[str, Any]) -> None:
        query_id, from_id, query = glance(msg, flavor="inline_query")
        self.answerer.answer(msg, suggest, query, datetime.date.today())

    def on_chosen_inline_result(self, msg: dict[str, Any]) -> None:
        # The inline message's presses now come here (the mixin captured its origin).
        result_id, from_id, query = glance(msg, flavor="chosen_inline_result")
        proposal = Proposal(datetime.date.fromisoformat(result_id))
        self._proposals[msg["inline_message_id"]] = proposal
        try:
            self.sender.sendMessage(f"You proposed {spell(proposal.day)}. I am counting the votes.")
        except ForbiddenError:  # inline mode works for users who never opened a chat with the bot
            pass

    def on_callback_query(self, msg: dict[str, Any]) -> None:
        query_id, from_id, choice = glance(msg, flavor="callback_query")
        inline_message_id = msg["inline_message_id"]
        proposal = self._proposals.get(inline_message_id)
        if proposal is None:  # pressed just as voting closed
            self.bot.answerCallbackQuery(query_id, text="Voting has closed.")
        elif from_id in proposal.votes:
            self.bot.answerCallbackQuery(query_id, text=f"You have already voted {CHOICES[proposal.votes[from_id]]}.")
        else:
            proposal.votes[from_id] = choice
            self.bot.answerCallbackQuery(query_id, text=f"You voted {CHOICES[choice]}.")
            self.bot.editMessageText((inline_message_id,), proposal.text(), reply_markup=KEYBOARD)

    def on__idle(self, event: dict[str, Any]) -> None:
        for inline_message_id, proposal in self._proposals.items():
            self.bot.editMessageText((inline_message_id,), proposal.text(closed=True), reply_markup=None)
        self.close()


def build(token: str, **bot_kwargs: Any) -> DelegatorBot:
    return DelegatorBot(token, [
        intercept_callback_query_origin(pave_event_space(), origins=["inline"])(
            per_inline_from_id(), create_open, DateCalculator, timeout=IDLE_SECONDS),
    ], **bot_kwargs)


def simulate(sim: Any, bot: DelegatorBot) -> None:
    """Alice proposes next Friday to her friends (the bot is not in their group); they vote."""
    alice, bob, carol = (sim.create_user(name) for name in ("Alice", "Bob", "Carol"))
    group = sim.create_chat("group", "Friends", members=[alice, bob, carol], bot_status="left")
    query = alice.inline_query("fri")
    query.wait_results()
    proposal = query.choose(index=1, chat=group)  # next week's Friday
    alice.chat.wait_for_bot_message()  # the bot has taken her choice: "You proposed ..."
    for user, label in ((alice, "Yes"), (bob, "Yes"), (carol, "No"), (carol, "Yes")):
        user.press(proposal, label=label).wait_answer()


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
