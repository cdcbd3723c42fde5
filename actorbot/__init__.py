"""actorbot: stateful Telegram bots on an actor engine.

The public surface is re-exported here; everything in a module whose name starts
with an underscore is private. Each name's module is imported when the name is first
used (``actorbot.Bot``, ``from actorbot import DelegatorBot``): ``import actorbot`` alone
loads almost nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import attach

if TYPE_CHECKING:
    from . import exception
    from ._bot import Bot
    from ._broadcast import BroadcastJob, BroadcastProgress, BroadcastResult
    from ._delegator import DelegatorBot
    from ._flavor import (
        all_content_types,
        chat_flavors,
        flance,
        flavor,
        flavor_router,
        fleece,
        glance,
        inline_flavors,
        is_event,
        message_identifier,
        origin_identifier,
        peel,
    )
    from ._reporting import ConversationId
    from .actors._memory import MemoryPolicy
    from .actors._supervision import DeadLetter, DeadLetters, RestartPolicy
    from .actors._supervisor import ConversationInfo

# No NullHandler: a program that configured no logging sees actorbot's warnings and errors
# on stderr (Python's last-resort handler); one that did gets them through its own handlers.

__all__ = [
    "exception",
    "flavor",
    "glance",
    "flance",
    "peel",
    "fleece",
    "is_event",
    "message_identifier",
    "origin_identifier",
    "flavor_router",
    "all_content_types",
    "chat_flavors",
    "inline_flavors",
    "Bot",
    "DelegatorBot",
    "RestartPolicy",
    "MemoryPolicy",
    "DeadLetter",
    "DeadLetters",
    "ConversationId",
    "ConversationInfo",
    "BroadcastJob",
    "BroadcastProgress",
    "BroadcastResult",
]

_LAZY = {
    "Bot": "._bot",
    "BroadcastJob": "._broadcast",
    "BroadcastProgress": "._broadcast",
    "BroadcastResult": "._broadcast",
    "DelegatorBot": "._delegator",
    "all_content_types": "._flavor",
    "chat_flavors": "._flavor",
    "flance": "._flavor",
    "flavor": "._flavor",
    "flavor_router": "._flavor",
    "fleece": "._flavor",
    "glance": "._flavor",
    "inline_flavors": "._flavor",
    "is_event": "._flavor",
    "message_identifier": "._flavor",
    "origin_identifier": "._flavor",
    "peel": "._flavor",
    "ConversationId": "._reporting",
    "MemoryPolicy": ".actors._memory",
    "DeadLetter": ".actors._supervision",
    "DeadLetters": ".actors._supervision",
    "RestartPolicy": ".actors._supervision",
    "ConversationInfo": ".actors._supervisor",
}

if not TYPE_CHECKING:  # type checkers read the imports above; an unknown name stays an error for them
    __getattr__, __dir__ = attach(__name__, _LAZY, submodules=["exception", "actors", "api", "helper", "loop", "store"])
