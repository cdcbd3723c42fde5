"""actorbot: stateful Telegram bots on an actor engine.

The public surface is re-exported here; everything in a module whose name starts
with an underscore is private.
"""

from __future__ import annotations

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
