"""Shared fixtures. Every test must leave no live actor and no stray thread (daemon or not)."""

from __future__ import annotations

import threading
import time

import pykka
import pytest

from loopback import TOKEN, LoopbackApi

pytest_plugins = ["actorbot.testing"]  # the kit users get: `emulator` and `run_bot` fixtures


@pytest.fixture
def loopback_api():
    """A scriptable Bot API stand-in on 127.0.0.1 (see tests/loopback.py)."""
    api = LoopbackApi(TOKEN).start()
    try:
        yield api
    finally:
        api.stop()


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
