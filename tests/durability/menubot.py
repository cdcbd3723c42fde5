"""A handler the durability tests share: a button whose presses count in ``self.state``."""

from __future__ import annotations

from typing import Any

from actorbot.helper import ChatHandler, InterceptCallbackQueryMixin


class Menu(ChatHandler, InterceptCallbackQueryMixin):
    """"menu" sends a message with a button; a press counts in self.state and says so."""

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        keyboard = {"inline_keyboard": [[{"text": "Press me", "callback_data": "pressed"}]]}
        self.sender.sendMessage("menu", reply_markup=keyboard)

    def on_callback_query(self, msg: dict[str, Any]) -> None:
        self.state["presses"] = self.state.get("presses", 0) + 1
        self.bot.answerCallbackQuery(msg["id"])
        self.sender.sendMessage(f"press {self.state['presses']}")
