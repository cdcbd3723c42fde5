"""Stores that cannot be used: corrupt or foreign files, a second opener, Redis down or foreign."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actorbot.exception import StoreCorrupt, StoreError, StoreLocked, StoreUnavailable
from actorbot.store import Commit, RedisStore, SQLiteStore, Write
from actorbot.store._sqlite import APPLICATION_ID
from redisserver import RedisServer, free_port

REPO = Path(__file__).resolve().parents[2]


# -- SQLite ------------------------------------------------------------------------------------------
def test_a_file_of_random_bytes_is_corrupt(tmp_path):
    path = tmp_path / "bot.db"
    path.write_bytes(random.Random(9).randbytes(8192))
    with pytest.raises(StoreCorrupt) as info:
        SQLiteStore(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value.__cause__, sqlite3.DatabaseError)
    SQLiteStore(tmp_path / "other.db").close()  # the failed open released its lock and nothing leaked


def test_a_text_file_is_corrupt(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("SQLite format 2 -- not really\n" * 100)
    with pytest.raises(StoreCorrupt, match="notes.txt"):
        SQLiteStore(path)


def test_another_programs_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO users (name) VALUES ('ann')")
    conn.close()
    with pytest.raises(StoreCorrupt) as info:
        SQLiteStore(path)
    message = str(info.value)
    assert str(path) in message and "another program" in message and "users" in message
    with sqlite3.connect(path) as conn:  # and it was not touched
        assert conn.execute("SELECT name FROM users").fetchall() == [("ann",)]
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0
    conn.close()


def test_a_database_with_another_application_id_is_refused(tmp_path):
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1234")
    conn.commit()
    conn.close()
    with pytest.raises(StoreCorrupt, match=r"application_id 0x4d2"):
        SQLiteStore(path)


def test_a_store_of_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "bot.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with pytest.raises(StoreCorrupt, match="schema version 2"):
        SQLiteStore(path)


def test_the_file_is_marked_as_an_actorbot_store_in_wal_mode(tmp_path):
    path = tmp_path / "bot.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_corrupt_json_read_back_is_store_corrupt(tmp_path):
    path = tmp_path / "bot.db"
    with SQLiteStore(path) as store:
        store.put("conv", "1", {"ok": True})
        store.accept([(1, {})])
    conn = sqlite3.connect(path)
    conn.execute("UPDATE records SET value = '{not json' WHERE key = '1'")
    conn.execute("UPDATE journal SET body = '[1, 2]' WHERE update_id = 1")
    conn.commit()
    conn.close()
    with SQLiteStore(path) as store:
        with pytest.raises(StoreCorrupt, match="conv/1"):
            store.get("conv", "1")
        with pytest.raises(StoreCorrupt, match="journal entry 1"):
            store.pending()


def test_a_second_store_on_the_same_file_in_this_process_is_locked(tmp_path):
    path = tmp_path / "bot.db"
    with SQLiteStore(path):
        with pytest.raises(StoreLocked) as info:
            SQLiteStore(str(path))
        assert str(path) in str(info.value) and f"process {os.getpid()}" in str(info.value)
    SQLiteStore(path).close()  # closing released the lock


def test_a_second_process_on_the_same_file_is_locked_at_once(tmp_path):
    path = tmp_path / "bot.db"
    script = (
        "import sys\n"
        "from actorbot.store import SQLiteStore\n"
        "from actorbot.exception import StoreLocked\n"
        "try:\n"
        "    SQLiteStore(sys.argv[1])\n"
        "except StoreLocked as exc:\n"
        "    print('StoreLocked:', exc)\n"
        "    sys.exit(3)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with SQLiteStore(path):
        started = time.monotonic()
        child = subprocess.run([sys.executable, "-c", script, str(path)], env=env, capture_output=True, text=True,
                               timeout=60)
        assert child.returncode == 3, child.stderr
        assert time.monotonic() - started < 30
        assert str(path) in child.stdout and f"process {os.getpid()}" in child.stdout
    # once we closed it, the other process gets it
    child = subprocess.run([sys.executable, "-c", script, str(path)], env=env, capture_output=True, text=True,
                           timeout=60)
    assert child.returncode == 0, child.stdout + child.stderr


def test_a_directory_that_does_not_exist_is_unavailable(tmp_path):
    with pytest.raises(StoreUnavailable, match="lock"):
        SQLiteStore(tmp_path / "no" / "such" / "dir" / "bot.db")


def test_memory_and_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="MemoryStore"):
        SQLiteStore(":memory:")
    with pytest.raises(ValueError, match="synchronous"):
        SQLiteStore(tmp_path / "bot.db", synchronous="SOMETIMES")


# -- Redis ---------------------------------------------------------------------------------------------
def test_redis_down_is_unavailable_within_a_bounded_time():
    port = free_port()  # nothing listens there
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as info:
        RedisStore(f"redis://:s3cret@127.0.0.1:{port}/0", socket_timeout=1, retries=2)
    assert time.monotonic() - started < 5
    assert f"127.0.0.1:{port}/0" in str(info.value)
    assert "s3cret" not in str(info.value)
    assert info.value.__cause__ is not None


def test_redis_going_away_mid_use_is_unavailable_and_names_no_password(tmp_path):
    server = RedisServer(tmp_path / "redis", password="s3cret").start()
    try:
        store = RedisStore(server.url, socket_timeout=1, retries=2)
        try:
            store.accept([(1, {"a": 1})])
            store.put("conv", "1", {"ok": True})
            server.stop()
            started = time.monotonic()
            with pytest.raises(StoreUnavailable) as info:
                store.commit([Commit((Write("conv", "1", {"ok": False}),), done=(1,))])
            assert time.monotonic() - started < 5
            message = str(info.value)
            assert f"Redis 127.0.0.1:{server.port}/0" in message and "commit" in message
            assert "s3cret" not in message and "s3cret" not in str(info.value.__cause__)
            assert "s3cret" not in store.describe()
        finally:
            store.close()
    finally:
        server.stop()


def test_redis_wrong_password_is_unavailable_and_names_no_password(tmp_path):
    with RedisServer(tmp_path / "redis", password="s3cret") as server:
        with pytest.raises(StoreUnavailable) as info:
            RedisStore(f"redis://:wr0ng-pass@127.0.0.1:{server.port}/0", retries=0)
        assert "wr0ng-pass" not in str(info.value) and "s3cret" not in str(info.value)


@pytest.fixture
def redis_client(redis_server):
    import redis

    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    client.close()


@pytest.mark.parametrize(
    ("key", "setup"),
    [
        ("journal", lambda c, k: c.set(k, "someone else's")),
        ("pending", lambda c, k: c.rpush(k, "1")),
        ("done", lambda c, k: c.hset(k, "a", "b")),
        ("schema", lambda c, k: c.sadd(k, "1")),
    ],
)
def test_redis_foreign_data_at_the_prefix_is_corrupt(redis_server, redis_client, key, setup):
    prefix = f"foreign-{key}"
    setup(redis_client, f"actorbot:{{{prefix}}}:{key}")
    with pytest.raises(StoreCorrupt) as info:
        RedisStore(redis_server.url, prefix=prefix)
    assert f"actorbot:{{{prefix}}}:{key}" in str(info.value)


def test_redis_unknown_schema_or_data_without_schema_is_corrupt(redis_server, redis_client):
    redis_client.set("actorbot:{newer}:schema", "2")
    with pytest.raises(StoreCorrupt, match="schema"):
        RedisStore(redis_server.url, prefix="newer")
    redis_client.hset("actorbot:{orphan}:journal", "1", "{}")
    with pytest.raises(StoreCorrupt, match="no actorbot:\\{orphan\\}:schema"):
        RedisStore(redis_server.url, prefix="orphan")


def test_redis_foreign_record_keys_are_corrupt(redis_server, redis_client):
    with RedisStore(redis_server.url, prefix="records") as store:
        redis_client.hset("actorbot:{records}:rec:conv:1", "a", "b")
        redis_client.set("actorbot:{records}:rec:conv:2", "{not json")
        redis_client.set("actorbot:{records}:keys:chat", "not a set")
        with pytest.raises(StoreCorrupt):
            store.get("conv", "1")
        with pytest.raises(StoreCorrupt, match="conv/2"):
            store.get("conv", "2")
        with pytest.raises(StoreCorrupt):
            store.put("chat", "1", {"x": 1})
        store.put("conv", "3", {"fine": True})  # the rest still works
        assert store.get("conv", "3") == {"fine": True}


def test_redis_prefix_from_the_url_and_keys_under_it(redis_server, redis_client):
    with RedisStore(redis_server.url + "?prefix=urlbot") as store:
        assert store.prefix == "urlbot"
        store.accept([(1, {"u": 1}), (2, {"u": 2})])
        store.commit([Commit((Write("conv", "9", {"s": 1}),), done=(1,))])
    keys = sorted(redis_client.scan_iter("actorbot:{urlbot}:*"))
    assert [key for key in keys if ":ack:" not in key] == [
        "actorbot:{urlbot}:done",
        "actorbot:{urlbot}:journal",
        "actorbot:{urlbot}:keys:conv",
        "actorbot:{urlbot}:pending",
        "actorbot:{urlbot}:rec:conv:9",
        "actorbot:{urlbot}:schema",
    ]
    assert redis_client.hkeys("actorbot:{urlbot}:journal") == ["2"]  # a done update's body is dropped
    with pytest.raises(ValueError, match="prefix"):
        RedisStore(redis_server.url, prefix="a}b")


def test_redis_accept_retried_after_a_lost_reply_gives_the_same_answer(redis_server):
    """The accept script records its answer under a token: running it again answers the same."""
    with RedisStore(redis_server.url, prefix="retry") as store:
        keys = [store._k_journal, store._k_pending, store._k_done, f"{store._base}ack:fixed-token"]
        args = [60, 1, "{}", 2, "{}"]
        assert store._accept_script(keys=keys, args=args) == "1,2"
        assert store._accept_script(keys=keys, args=args) == "1,2"  # a retry of the same call
        assert store.accept([(1, {}), (2, {})]) == []  # a new call: both known


def test_without_redis_py_actorbot_imports_and_redis_store_says_what_to_install():
    script = (
        "import sys\n"
        "sys.modules['redis'] = None\n"
        "import actorbot, actorbot.store\n"
        "from actorbot.exception import StoreError\n"
        "try:\n"
        "    actorbot.store.RedisStore('redis://127.0.0.1:1/0')\n"
        "except StoreError as exc:\n"
        "    print(exc)\n"
    )
    child = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(REPO)},
                           capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    assert "pip install 'actorbot[redis]'" in child.stdout


def test_store_errors_are_store_errors():
    assert issubclass(StoreCorrupt, StoreError) and issubclass(StoreLocked, StoreError)
    assert issubclass(StoreUnavailable, StoreError)


def test_a_database_held_by_another_connection_is_retried_then_unavailable(tmp_path):
    path = tmp_path / "bot.db"
    with SQLiteStore(path, busy_timeout=0.1) as store:
        store.put("conv", "1", {"v": 1})
        other = sqlite3.connect(path, isolation_level=None)  # a backup tool, say: not a store
        try:
            other.execute("BEGIN EXCLUSIVE")
            started = time.monotonic()
            with pytest.raises(StoreUnavailable) as info:
                store.put("conv", "1", {"v": 2})
            assert time.monotonic() - started < 5
            assert "SQLite bot.db" in str(info.value) and "commit" in str(info.value)
            assert isinstance(info.value.__cause__, sqlite3.OperationalError)
            other.execute("ROLLBACK")
        finally:
            other.close()
        store.put("conv", "1", {"v": 3})  # usable again once the other let go
        assert store.get("conv", "1") == {"v": 3}


def test_redis_unavailable_is_temporary_the_store_works_once_redis_is_back(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    try:
        store = RedisStore(server.url, socket_timeout=1, retries=1)
        try:
            store.put("conv", "1", {"v": 1})
            server.stop()
            with pytest.raises(StoreUnavailable):
                store.get("conv", "1")
            server = RedisServer(tmp_path / "redis2", port=server.port).start()  # no persistence: empty
            store.put("conv", "1", {"v": 2})
            assert store.get("conv", "1") == {"v": 2}
        finally:
            store.close()
    finally:
        server.stop()
