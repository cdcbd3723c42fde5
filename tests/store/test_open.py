"""open_store: what a user passes as store= becomes the right Store."""

from __future__ import annotations

from pathlib import Path

import pytest

from actorbot.store import MemoryStore, RedisStore, SQLiteStore, open_store


def test_a_store_object_is_used_as_it_is():
    store = MemoryStore()
    assert open_store(store) is store


def test_memory():
    store = open_store(":memory:")
    assert isinstance(store, MemoryStore)
    store.close()


@pytest.mark.parametrize("form", ["path", "str", "sqlite-abs"])
def test_sqlite_paths(tmp_path, form):
    path = tmp_path / "bot.db"
    spec = {"path": path, "str": str(path), "sqlite-abs": f"sqlite://{path}"}[form]
    with open_store(spec) as store:
        assert isinstance(store, SQLiteStore)
        assert store.path == str(path)
        assert store.describe() == "SQLite bot.db"
    assert path.exists()


def test_sqlite_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:data.db") as store:
        assert isinstance(store, SQLiteStore)
    assert (tmp_path / "data.db").exists()
    with open_store("plain.db") as store:
        assert isinstance(store, SQLiteStore)
    assert Path(tmp_path / "plain.db").exists()


def test_redis_url(redis_server):
    with open_store(redis_server.url + "?prefix=open") as store:
        assert isinstance(store, RedisStore)
        assert store.describe() == f"Redis 127.0.0.1:{redis_server.port}/0"
        assert store.prefix == "open"


@pytest.mark.parametrize("spec", ["postgres://user:pw@db.example/bot", "mongodb://x", "http://example.com/x"])
def test_unknown_scheme_lists_what_is_accepted(spec):
    with pytest.raises(ValueError) as info:
        open_store(spec)
    message = str(info.value)
    assert "unknown scheme" in message and "sqlite:///" in message and "redis://" in message and ":memory:" in message
    assert ":pw@" not in message


@pytest.mark.parametrize("spec", ["", "sqlite:", "sqlite://"])
def test_empty_specs(spec):
    with pytest.raises(ValueError):
        open_store(spec)


def test_not_a_spec():
    with pytest.raises(TypeError, match="store="):
        open_store(42)  # type: ignore[arg-type]
