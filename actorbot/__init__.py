"""actorbot: stateful Telegram bots on an actor engine.

The public surface is re-exported here; everything in a module whose name starts
with an underscore is private.
"""

from __future__ import annotations

import logging

from . import exception
from ._bot import Bot
from ._delegator import DelegatorBot
from ._flavor import (
    all_content_types,
    chat_flavors,
    fleece,
    flance,
    flavor,
    flavor_router,
    glance,
    inline_flavors,
    is_event,
    message_identifier,
    origin_identifier,
    peel,
)

logging.getLogger(__name__).addHandler(logging.NullHandler())

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
]
