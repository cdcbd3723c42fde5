"""A vote in a group: ``/vote <question>`` opens a ballot; the tally is edited in live.

Callback queries are routed *dynamically*, by their origin message
(``intercept_callback_query_origin``): the group's ``ChatHandler``, with
``InterceptCallbackQueryMixin``, sends each ballot with Yes/No buttons, and its bot
remembers the message, so presses on that message come back to this handler. Several
ballots can be open at once in one group; each counts its own votes. A ballot closes
when every member has voted, or after 30 seconds (a ``_vote_closed`` event from
``self.scheduler``), with the final tally and without its buttons.

Run it:
    python examples/callback/vote.py                  # no token: simulated users on a local emulator
    BOT_TOKEN=123:abc python examples/callback/vote.py  # a real bot (add it to a group, send /vote ...)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actorbot import DelegatorBot, demo, glance
from actorbot.delegate import create_open, intercept_callback_query_origin, pave_event_space, per_chat_id
from actorbot.exception import EventNotFound
from actorbot.helper import ChatHandler, InterceptCallbackQueryMixin
from actorbot.namedtuple import InlineKeyboardButton, InlineKeyboardMarkup

VOTE_SECONDS = 30
IDLE_SECONDS = 60  # longer than a vote: a group's handler never goes idle with a ballot open
CHOICES = {"yes": "Yes", "no": "No"}
KEYBOARD = InlineKeyboardMarkup(inline_keyboard=[
    [InlineKeyboardButton(text=label, callback_data=data) for data, label in CHOICES.items()]])


@dataclass
class Ballot:
    """One open vote: its question, who voted what, and the event that will close it."""

    question: str
    voters: int
    closing: Any = None
    votes: dict[int, str] = field(default_factory=dict)

    def tally(self) -> str:
        counts = "  ".join(f"{label}: {list(self.votes.values()).count(data)}" for data, label in CHOICES.items())
        return f"{self.question}\n{counts}"


class VoteKeeper(ChatHandler, InterceptCallbackQueryMixin):
    """One group's ballots, all handled on the group's own actor thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ballots: dict[int, Ballot] = {}  # by the ballot message's id

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        content_type, chat_type, chat_id = glance(msg)
        command, _, question = msg.get("text", "").partition(" ")
        if content_type != "text" or command.split("@")[0] != "/vote":
            return
        if not question.strip():
            self.sender.sendMessage("Ask a question: /vote Pizza tonight?")
            return
        ballot = Ballot(question.strip(), voters=self.administrator.getChatMemberCount() - 1)  # not the bot
        sent = self.sender.sendMessage(ballot.tally(), reply_markup=KEYBOARD)
        ballot.closing = self.scheduler.event_later(
            VOTE_SECONDS, ("_vote_closed", {"message_id": sent["message_id"]}))
        self._ballots[sent["message_id"]] = ballot

    def on_callback_query(self, msg: dict[str, Any]) -> None:
        query_id, from_id, choice = glance(msg, flavor="callback_query")
        message_id = msg["message"]["message_id"]
        ballot = self._ballots.get(message_id)
        if ballot is None:  # pressed just before the ballot closed
            self.bot.answerCallbackQuery(query_id, text="This vote is closed.")
            return
        if from_id in ballot.votes:
            self.bot.answerCallbackQuery(query_id, text=f"You have already voted {CHOICES[ballot.votes[from_id]]}.")
            return
        ballot.votes[from_id] = choice
        self.bot.answerCallbackQuery(query_id, text=f"You voted {CHOICES[choice]}.")
        if len(ballot.votes) >= ballot.voters:
            self._close(message_id, "everyone has voted")
        else:
            self.bot.editMessageText((self.chat_id, message_id), ballot.tally(), reply_markup=KEYBOARD)

    def on__vote_closed(self, event: dict[str, Any]) -> None:
        self._close(event["_vote_closed"]["message_id"], "time is up")

    def _close(self, message_id: int, why: str) -> None:
        ballot = self._ballots.pop(message_id, None)
        if ballot is None:  # closed already: the last vote and the timer crossed
            return
        try:
            self.scheduler.cancel(ballot.closing)
        except EventNotFound:
            pass  # closing because of that very event
        # No keyboard: the bot stops routing this message's presses here.
        self.bot.editMessageText((self.chat_id, message_id), f"{ballot.tally()}\nClosed: {why}.", reply_markup=None)


def build(token: str, **bot_kwargs: Any) -> DelegatorBot:
    return DelegatorBot(token, [
        intercept_callback_query_origin(pave_event_space(), origins=["chat"])(
            per_chat_id(types=["group", "supergroup"]), create_open, VoteKeeper, timeout=IDLE_SECONDS),
    ], **bot_kwargs)


def simulate(sim: Any, bot: DelegatorBot) -> None:
    """Three friends vote; Bob tries twice."""
    alice, bob, carol = (sim.create_user(name) for name in ("Alice", "Bob", "Carol"))
    group = sim.create_chat("group", "Friends", members=[alice, bob, carol])
    alice.command("vote", "Pizza tonight?", chat=group)
    ballot = group.wait_for_bot_message()
    bot.settle()  # people take a moment to press; simulated ones wait for the bot to finish /vote
    for user, label in ((alice, "Yes"), (bob, "No"), (bob, "Yes"), (carol, "Yes")):
        user.press(ballot, label=label).wait_answer()
    group.wait_for_bot_message(lambda m: "Closed" in m.get("text", ""))


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
