"""Durable stores for a ``DelegatorBot`` (``store=``): SQLite (embedded), Redis, or memory.

:func:`open_store` turns what a user passes as ``store=`` into a :class:`Store`:

- a :class:`Store` object: used as it is;
- ``"sqlite:///path/to/bot.db"`` or a plain path (``"bot.db"``, a ``pathlib.Path``):
  :class:`SQLiteStore` (stdlib ``sqlite3``, WAL);
- ``"redis://host:port/db"`` (or ``rediss://``): :class:`RedisStore` (redis-py);
- ``":memory:"``: :class:`MemoryStore` (nothing survives the process; for tests).

Each name's module is imported when the name is first used: a bot without a store
loads neither ``sqlite3`` nor the Redis client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

if TYPE_CHECKING:
    from ._base import Commit, Json, Store, Write
    from ._memory import MemoryStore
    from ._open import open_store
    from ._redis import RedisStore
    from ._sqlite import SQLiteStore

__all__ = ["Store", "Write", "Commit", "Json", "open_store", "SQLiteStore", "RedisStore", "MemoryStore"]

_LAZY = {
    "Commit": "._base",
    "Json": "._base",
    "Store": "._base",
    "Write": "._base",
    "MemoryStore": "._memory",
    "open_store": "._open",
    "RedisStore": "._redis",
    "SQLiteStore": "._sqlite",
}

if not TYPE_CHECKING:  # type checkers read the imports above; an unknown name stays an error for them
    __getattr__, __dir__ = attach(__name__, _LAZY)
