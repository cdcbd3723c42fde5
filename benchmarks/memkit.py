"""What the memory benchmarks share: the counter handler, a private chat's message, the RSS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from actorbot.helper import ChatHandler


class Counter(ChatHandler):
    """Counts its chat's messages in ``self.state`` (sends nothing: no server needed)."""

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.state["count"] = self.state.get("count", 0) + 1


def rss_mib() -> float:
    """This process's resident set size (``VmRSS``) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def message(chat: int, n: int) -> dict[str, Any]:
    """Message ``n`` of private chat ``chat``."""
    user = {"id": chat, "is_bot": False, "first_name": f"u{chat}"}
    return {"message_id": n, "date": 0, "chat": {"id": chat, "type": "private"}, "from": user, "text": "hi"}
