"""Giving memory back after conversations close: :class:`MemoryPolicy`, :func:`compacted`,
:func:`return_free_memory`.

Closing a conversation frees its Python objects at once, but the process's resident memory
need not drop: a ``dict`` keeps the table it grew to after its entries are deleted, CPython
returns an arena to the system only once every object in it is gone (one long-lived object
allocated amid a flood of conversations pins a whole arena), and glibc's ``malloc`` keeps
freed heap pages for later. So after a large close sweep, and when the bot stops, the
engine (by its :class:`MemoryPolicy`) rebuilds its per-conversation tables at their
current size and asks glibc to return the free pages (``malloc_trim(0)``; on other C
libraries that step is skipped silently).

Pure functions and an immutable value; the supervisor calls :func:`compacted` on its own
thread, :func:`return_free_memory` runs on whichever thread the engine releases from.
"""

from __future__ import annotations

import ctypes
import logging
import os
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["MemoryPolicy", "compacted", "return_free_memory"]

logger = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class MemoryPolicy:
    """When a ``DelegatorBot`` gives memory back (``DelegatorBot(memory=...)``).

    :param release_after_closes: after this many conversations closed (or were unloaded)
        since the last release, the supervisor compacts its tables and the free heap is
        returned to the system (None: never while running). A release costs a copy of the
        tables of the live conversations and one ``malloc_trim`` (milliseconds), so every
        10,000 closes it is noise.
    :param at_stop: release when the bot stops (after every conversation closed).
    """

    release_after_closes: int | None = 10_000
    at_stop: bool = True

    def __post_init__(self) -> None:
        if self.release_after_closes is not None and self.release_after_closes < 1:
            raise ValueError("release_after_closes must be positive (or None: never while running)")


def compacted(table: dict[K, V]) -> dict[K, V]:
    """A copy of ``table`` sized for what it holds now (a dict never shrinks as keys go)."""
    return dict(table)


def return_free_memory() -> bool:
    """Ask the C library to return free heap pages to the system; True if it did.

    glibc only (``malloc_trim(0)``); anywhere else (musl, macOS, Windows) a no-op that
    returns False. Never raises.
    """
    try:
        libc_version = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):
        return False
    if not libc_version or not libc_version.startswith("glibc"):
        return False
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        logger.debug("malloc_trim is not available", exc_info=True)
        return False
