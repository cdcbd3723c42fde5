"""actorbot's own Bot against the emulator (skipped while actorbot.Bot is unavailable)."""

from __future__ import annotations

import pytest

from actorbot.exception import BotWasBlockedError, TelegramError

actorbot = pytest.importorskip("actorbot")


def test_actorbot_bot_calls_the_emulator(emu, alice):
    if not hasattr(actorbot, "Bot"):
        pytest.skip("actorbot.Bot not available")
    with actorbot.Bot(emu.token, api_url=emu.url) as bot:
        assert bot.getMe()["username"] == "emulator_bot"
        sent = bot.sendMessage(alice.id, "*hi*", parse_mode="Markdown")
        assert sent["text"] == "hi" and sent["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
        alice.send("yo")
        assert bot.getUpdates(timeout=1)[0]["message"]["text"] == "yo"
        with pytest.raises(TelegramError) as excinfo:
            bot.sendMessage(alice.id, "")
        assert excinfo.value.description == "Bad Request: message text is empty"
        alice.block()
        with pytest.raises(BotWasBlockedError):
            bot.sendMessage(alice.id, "anyone?")
    assert alice.chat.text().splitlines()[:2] == ["bot: hi", "alice: yo"]
