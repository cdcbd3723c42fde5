"""``open_store(spec)``: what a user passes as ``store=`` turned into a :class:`Store`. Any thread."""

from __future__ import annotations

import os
import re

from ._base import Store
from ._memory import MemoryStore

__all__ = ["open_store", "ACCEPTED"]

ACCEPTED = (
    "a Store object, a file path or 'sqlite:///abs/path' / 'sqlite:relative/path' (SQLite), "
    "'redis://host:port/db', 'rediss://...' or 'unix:///path/redis.sock' (Redis), ':memory:' (memory)"
)
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_REDIS_SCHEMES = ("redis", "rediss", "unix")


def open_store(spec: Store | str | os.PathLike[str]) -> Store:
    """The :class:`Store` ``spec`` names (see :mod:`actorbot.store`); opens it now.

    Raises ``ValueError`` for an unknown URL scheme (listing what is accepted), ``TypeError``
    for something that is no store spec at all, and the store's own errors on opening.
    """
    from ._redis import RedisStore
    from ._sqlite import SQLiteStore

    if isinstance(spec, Store):
        return spec
    if isinstance(spec, os.PathLike):
        return SQLiteStore(os.fspath(spec))
    if not isinstance(spec, str):
        raise TypeError(f"store= takes {ACCEPTED}; got {type(spec).__name__}")
    if spec == ":memory:":
        return MemoryStore()
    if spec.lower().startswith("sqlite:"):
        path = spec[len("sqlite:"):]
        if path.startswith("//"):
            path = path[2:]  # sqlite:///abs/path -> /abs/path; sqlite://rel -> rel
        if not path:
            raise ValueError(f"store={spec!r} names no file; store= takes {ACCEPTED}")
        return SQLiteStore(path)
    match = _URL.match(spec)
    if match:
        scheme = match.group(1).lower()
        if scheme in _REDIS_SCHEMES:
            return RedisStore(spec)
        raise ValueError(f"store={_no_password(spec)!r}: unknown scheme {scheme!r}; store= takes {ACCEPTED}")
    if not spec.strip():
        raise ValueError(f"store= is empty; it takes {ACCEPTED}")
    return SQLiteStore(spec)


def _no_password(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``."""
    return re.sub(r"(://)[^/@]*@", r"\1***@", url)
