"""A plain Bot's scheduler (telepot's Bot.scheduler): events reach bot.handle, time is frozen."""

from __future__ import annotations

import queue

from freezegun import freeze_time

from actorbot import Bot, flavor
from loopback import TOKEN


class AlarmBot(Bot):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fired: queue.Queue = queue.Queue()

    def on__alarm(self, event):
        self.fired.put(event)


def test_event_later_fires_when_frozen_time_moves(loopback_api):
    with freeze_time("2030-01-01 12:00:00") as frozen, AlarmBot(TOKEN, api_url=loopback_api.url) as bot:
        bot.scheduler.event_later(30, {"_alarm": {"payload": "wake up"}})
        bot.scheduler.settle()
        assert bot.fired.empty()  # not due yet
        frozen.tick(31)
        bot.scheduler.settle()
        event = bot.fired.get(timeout=5)
        assert flavor(event) == "_alarm" and event["_alarm"]["payload"] == "wake up"
