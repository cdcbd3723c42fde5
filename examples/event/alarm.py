"""Alarm clock: custom events on the bot's scheduler, routed by flavor to a handler method.

``/alarm 5`` sets an alarm: the chat's ``ChatHandler`` schedules the custom event
``('_alarm', {...})`` with ``self.scheduler.event_later(5, ...)``. When it is due, the
event comes back to the same handler like a message, and the router sends its flavor,
``_alarm``, to ``on__alarm``, which rings. ``/cancel`` calls ``self.scheduler.cancel``.
Event flavors start with an underscore so they never collide with Telegram's, and
``pave_event_space`` gives this pattern's handlers an event space of their own, so each
chat's events come back to that chat's handler. A handler closes after ``IDLE_SECONDS``
of silence, but not while its alarm is pending.

Run it:
    python examples/event/alarm.py                  # no token: simulated users on a local emulator
    BOT_TOKEN=123:abc python examples/event/alarm.py  # a real bot on Telegram
"""

from __future__ import annotations

import contextlib
from typing import Any

from actorbot import DelegatorBot, demo, glance
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.exception import EventNotFound
from actorbot.helper import ChatHandler

IDLE_SECONDS = 60
MAX_SECONDS = 24 * 60 * 60
USAGE = "Send /alarm 5 to hear from me in 5 seconds, /cancel to call it off."


class AlarmClock(ChatHandler):
    """One chat's alarm (at most one at a time). Every method runs on the chat's actor thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._alarm: Any = None  # the scheduled event, while one is pending
        # The default router would find ``on__alarm`` by name anyway; saying so in the
        # routing table (as telepot's examples did) makes the route explicit.
        self.router.routing_table["_alarm"] = self.on__alarm

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        content_type, _, _ = glance(msg)
        command, _, argument = msg["text"].partition(" ") if content_type == "text" else ("", "", "")
        if command == "/alarm":
            self._set(argument)
        elif command == "/cancel":
            self.sender.sendMessage("Alarm cancelled." if self._cancel_pending() else "No alarm to cancel.")
        else:
            self.sender.sendMessage(USAGE)

    def _set(self, argument: str) -> None:
        try:
            seconds = float(argument)
        except ValueError:
            seconds = 0.0
        if not 0 < seconds <= MAX_SECONDS:
            self.sender.sendMessage(f"How many seconds? For example: /alarm 5 (at most {MAX_SECONDS}).")
            return
        replaced = self._cancel_pending()
        self._alarm = self.scheduler.event_later(seconds, ("_alarm", {"seconds": seconds}))
        note = " The previous alarm is cancelled." if replaced else ""
        self.sender.sendMessage(f"Alarm set for {seconds:g} s from now.{note}")

    def _cancel_pending(self) -> bool:
        """Cancel the pending alarm, if any; True if there was one."""
        alarm, self._alarm = self._alarm, None
        if alarm is None:
            return False
        with contextlib.suppress(EventNotFound):  # it fired just now: on__alarm will drop it
            self.scheduler.cancel(alarm)
        return True

    def on__alarm(self, event: dict[str, Any]) -> None:
        if self._alarm is None or event is not self._alarm.data:
            return  # cancelled or replaced while it was already on its way
        self._alarm = None
        self.sender.sendMessage(f"Beep beep! {event['_alarm']['seconds']:g} s are up.")
        self.idle_event_coordinator.refresh()  # the idle countdown starts from the ring

    def on__idle(self, event: dict[str, Any]) -> None:
        if self._alarm is None:
            super().on__idle(event)  # closes the handler
        # else: stay open for the pending alarm


def build(token: str, **bot_kwargs: Any) -> DelegatorBot:
    return DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, AlarmClock, timeout=IDLE_SECONDS),
    ], **bot_kwargs)


def simulate(sim: Any, bot: DelegatorBot) -> None:
    """Alice sets a short alarm and hears it ring; Bob sets one and cancels it."""
    alice, bob = sim.create_user("Alice"), sim.create_user("Bob")
    alice.command("alarm", "1.5")
    alice.chat.wait_for_bot_message()
    bob.command("alarm", "3")
    bob.chat.wait_for_bot_message()
    bob.command("cancel")
    bob.chat.wait_for_bot_message()
    alice.chat.wait_for_bot_message(lambda msg: msg["text"].startswith("Beep"))


if __name__ == "__main__":
    demo.main(build, simulate, __doc__)
