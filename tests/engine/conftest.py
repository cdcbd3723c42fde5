"""Fixtures for the engine tests: ``telegram`` (loopback API + recorder) and ``make_bot``."""

from __future__ import annotations

from typing import Any

import pytest

from actorbot import DelegatorBot
from enginekit import TOKEN, Telegram
from loopback import LoopbackApi


@pytest.fixture
def telegram(loopback_api: LoopbackApi) -> Telegram:
    return Telegram(loopback_api)


@pytest.fixture
def make_bot(loopback_api: LoopbackApi) -> Any:
    bots: list[DelegatorBot] = []

    def make(patterns: list[Any], **kwargs: Any) -> DelegatorBot:
        bot = DelegatorBot(TOKEN, patterns, api_url=loopback_api.url, **kwargs)
        bots.append(bot)
        return bot

    yield make
    for bot in bots:
        bot.stop()
