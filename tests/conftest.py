"""Shared fixtures. Every test must leave no live actor and no stray thread (daemon or not)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pykka
import pytest

from loopback import TOKEN, LoopbackApi
from redisserver import RedisServer, RedisServerMissing

pytest_plugins = ["actorbot.testing"]  # the kit users get: `emulator` and `run_bot` fixtures


@pytest.fixture
def loopback_api():
    """A scriptable Bot API stand-in on 127.0.0.1 (see tests/loopback.py)."""
    api = LoopbackApi(TOKEN).start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on a free 127.0.0.1 port for the whole session (fails if missing)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    missing = ""
    try:
        server.start()
    except RedisServerMissing as exc:
        missing = str(exc)
    if missing:
        pytest.fail(missing, pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _no_leaks():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5.0
    leaked = []
    for thread in set(threading.enumerate()) - before:
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            leaked.append(thread.name)
    actors = pykka.ActorRegistry.get_all()
    if actors:
        pykka.ActorRegistry.stop_all(timeout=5)
    assert not leaked, f"test left threads running: {leaked}"
    assert not actors, f"test left actors running: {[a.actor_class.__name__ for a in actors]}"
