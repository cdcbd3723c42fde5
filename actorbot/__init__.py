"""actorbot: stateful Telegram bots on an actor engine.

The public surface is re-exported here; everything in a module whose name starts
with an underscore is private.
"""

from __future__ import annotations

import logging

from . import exception

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "exception",
    # >>> re-exports (each part adds its names above this line)
]
