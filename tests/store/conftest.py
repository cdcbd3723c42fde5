"""Fixtures for the store tests: a real ``redis-server`` for the session, and ``backend``.

``backend`` is parametrized over memory, SQLite (a file in ``tmp_path``) and Redis (the
session's server, a prefix of the test's own); ``durable_backend`` over SQLite and Redis.
A backend's ``open()`` makes a new store object on the same data (a reopen) and closes
every store it made at the end of the test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from actorbot.store import MemoryStore, RedisStore, SQLiteStore, Store


class Backend:
    """Opens stores of one kind on the same data; closes them all at the end."""

    def __init__(self, kind: str, tmp_path: Path, redis_url: str = "") -> None:
        self.kind = kind
        self.path = tmp_path / "bot.db"
        self.redis_url = redis_url
        self.prefix = f"t-{uuid.uuid4().hex[:12]}"
        self.stores: list[Store] = []
        self._memory: MemoryStore | None = None

    def open(self) -> Store:
        """A store object; for SQLite and Redis, closing the previous one first (a reopen)."""
        store: Store
        if self.kind == "memory":
            self._memory = self._memory or MemoryStore()
            return self._memory
        for old in self.stores:
            old.close()
        if self.kind == "sqlite":
            store = SQLiteStore(self.path)
        else:
            store = RedisStore(self.redis_url, prefix=self.prefix)
        self.stores.append(store)
        return store

    def close_all(self) -> None:
        for store in self.stores:
            store.close()
        if self._memory is not None:
            self._memory.close()


def _backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    url = request.getfixturevalue("redis_server").url if kind == "redis" else ""
    backend = Backend(kind, tmp_path, url)
    try:
        yield backend
    finally:
        backend.close_all()


@pytest.fixture(params=["memory", "sqlite", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request.param, request, tmp_path)


@pytest.fixture(params=["sqlite", "redis"])
def durable_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request.param, request, tmp_path)


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open()
