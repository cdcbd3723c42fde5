"""A math quiz per message: every quiz the bot offers has its own handler and its own score.

Two delegation patterns work together. A ``ChatHandler`` per chat answers any message
with a new quiz offer (a message with a START button). The button presses are routed
by their *origin*, the message they come from (``per_callback_query_origin``): each
offer gets its own ``CallbackQueryOriginHandler``, which edits that message into the
next question and keeps that quiz's score. Several quizzes in one chat run side by side
without mixing. A quiz ends with its score after three questions, or after 10 seconds
without an answer.

Run it:
    python examples/callback/quiz.py                  # no token: simulated users on a local emulator
    BOT_TOKEN=123:abc python examples/callback/quiz.py  # a real bot on Telegram
"""

from __future__ import annotations

import operator
import random
import re
from dataclasses import dataclass
from typing import Any

from actorbot import DelegatorBot, demo, glance
from actorbot.delegate import create_open, pave_event_space, per_callback_query_origin, per_chat_id
from actorbot.helper import CallbackQueryOriginHandler, ChatHandler
from actorbot.namedtuple import InlineKeyboardButton, InlineKeyboardMarkup

OFFER_IDLE_SECONDS = 60
QUIZ_IDLE_SECONDS = 10
ROUNDS = 3
OPERATIONS = {"+": operator.add, "-": operator.sub, "x": operator.mul}
START = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="START", callback_data="start")]])


@dataclass(frozen=True)
class Question:
    """A sum to solve and the four choices offered (one of them right)."""

    text: str
    answer: int
    choices: tuple[int, ...]

    @classmethod
    def draw(cls, rng: random.Random) -> Question:
        x, y = rng.randint(1, 50), rng.randint(1, 50)
        sign = rng.choice(list(OPERATIONS))
        answer = OPERATIONS[sign](x, y)
        wrong = rng.sample([n for n in range(answer - 20, answer + 21) if n != answer], 3)
        return cls(f"{x} {sign} {y} = ?", answer, tuple(sorted([answer, *wrong])))

    def keyboard(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text=str(c), callback_data=str(c)) for c in self.choices]])


class QuizOffer(ChatHandler):
    """Offers a new quiz for every message in its chat (on the chat's actor thread)."""

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.sender.sendMessage("Ready for some math? Press START.", reply_markup=START)


class Quizzer(CallbackQueryOriginHandler):
    """One quiz: the presses on one message, on that message's own actor thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rng = random.Random()
        self._question: Question | None = None
        self._right = self._asked = 0

    def on_callback_query(self, msg: dict[str, Any]) -> None:
        query_id, from_id, data = glance(msg, flavor="callback_query")
        if self._question is None:  # START
            self.bot.answerCallbackQuery(query_id, text="Go!")
        else:
            self._asked += 1
            if int(data) == self._question.answer:
                self._right += 1
                self.bot.answerCallbackQuery(query_id, text="Right!")
            else:
                self.bot.answerCallbackQuery(query_id, text=f"Wrong: it is {self._question.answer}.")
        if self._asked == ROUNDS:
            self._finish("Done!")
            return
        self._question = Question.draw(self._rng)
        self.editor.editMessageText(self._question.text, reply_markup=self._question.keyboard())

    def on__idle(self, event: dict[str, Any]) -> None:
        self._finish("Time is up.")

    def _finish(self, why: str) -> None:
        self.editor.editMessageText(f"{why} You got {self._right} out of {self._asked} right.", reply_markup=None)
        self.close()


def build(token: str, **bot_kwargs: Any) -> DelegatorBot:
    return DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, QuizOffer, timeout=OFFER_IDLE_SECONDS),
        pave_event_space()(per_callback_query_origin(), create_open, Quizzer, timeout=QUIZ_IDLE_SECONDS),
    ], **bot_kwargs)


def solve(question_text: str) -> int:
    """The simulated player's arithmetic: the answer to a question worded ``"12 x 3 = ?"``."""
    match = re.fullmatch(r"(\d+) ([-+x]) (\d+) = \?", question_text)
    assert match is not None, question_text
    return OPERATIONS[match[2]](int(match[1]), int(match[3]))


def choices(question: dict[str, Any]) -> list[int]:
    """The numbers on a question's buttons."""
    return [int(button["callback_data"]) for row in question["reply_markup"]["inline_keyboard"] for button in row]


def simulate(sim: Any, bot: DelegatorBot) -> None:
    """Alice plays a quiz and gets two of three right."""
    alice = sim.create_user("Alice")
    alice.send("quiz me")
    alice.press(alice.chat.wait_for_bot_message(), label="START").wait_answer()
    for right in (True, False, True):
        question = alice.chat.wait_for_bot_message(lambda m: m.get("text", "").endswith("= ?"))
        answer = solve(question["text"])
        pick = answer if right else next(c for c in choices(question) if c != answer)
        alice.press(question, data=str(pick)).wait_answer()
    alice.chat.wait_for_bot_message(lambda m: m.get("text", "").startswith("Done!"))


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
