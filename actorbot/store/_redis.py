"""A store in Redis (redis-py, imported when a :class:`RedisStore` is made).

Key layout (schema version 1). Every key of one bot starts with ``actorbot:{<prefix>}:``;
the braces are a Redis Cluster *hash tag*, so all of one bot's keys live in one slot and
the multi-key operations below (a Lua script, MULTI/EXEC) stay legal on a cluster::

    actorbot:{p}:schema          string  "1"; checked on opening
    actorbot:{p}:journal         hash    update_id -> update (JSON), for pending updates only
    actorbot:{p}:pending         zset    update_id scored by update_id: accepted, not done
    actorbot:{p}:done            zset    update_id scored by update_id: done (for dedupe);
                                         forget_done(below) trims it with ZREMRANGEBYSCORE
    actorbot:{p}:rec:<ns>:<key>  string  one record (JSON object); <ns> has ':' and '%'
                                         escaped as %3A and %25, so names never collide
    actorbot:{p}:keys:<ns>       set     the keys of namespace <ns> (for keys() / items())
    actorbot:{p}:ack:<token>     string  an accept()'s answer for 60 s (safe retries)

**One key per record** rather than one hash per namespace: a chat's state is then a key of
its own, which a later multi-process engine can WATCH (optimistic locking per chat) and
hand between workers consuming a Redis Stream, without touching other chats' data; a
big namespace is never one huge value to rewrite or migrate. The per-namespace set keeps
``keys()`` cheap (no SCAN over the database). The shared hash tag keeps one bot in one
cluster slot; spreading *chats* over *workers* needs no more than that (several bots
spread over a cluster by their prefixes).

**Atomicity.** :meth:`~RedisStore.accept` is one Lua script (check both zsets, add the new
ids, record its answer under a random token so a retry after a lost reply gets the same
answer); :meth:`~RedisStore.commit` is one MULTI/EXEC. Redis does not roll a transaction
back when a command fails on a key of the wrong type; such foreign data at our prefix is
reported as :class:`~actorbot.exception.StoreCorrupt`, and opening checks the fixed keys'
types and the schema first.

**Durability** is the server's: with ``appendonly yes`` and ``appendfsync everysec`` a
commit may be lost with the last second of writes if the *server* crashes.

**Errors.** A connection error or timeout is retried ``retries`` times with a short
backoff (every operation here is idempotent, accept() by its token), then raises
:class:`~actorbot.exception.StoreUnavailable` naming ``host:port/db``, never a password.

**Threads.** One redis-py client, which is thread-safe (its pool gives each call a
connection): methods may be called from any thread, at once, and run on the caller's
thread; a lock only guards closing.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from ..exception import StoreCorrupt, StoreError, StoreUnavailable
from ._base import Commit, Json, Store
from ._codec import check_name, decode, encode, encode_update, record_name

__all__ = ["RedisStore", "SCHEMA_VERSION", "DEFAULT_PREFIX"]

log = logging.getLogger(__name__)

#: The key layout this module writes and reads (the ``…:schema`` key).
SCHEMA_VERSION = "1"
#: The prefix when neither ``prefix=`` nor ``?prefix=`` in the URL names one.
DEFAULT_PREFIX = "default"
_ACK_SECONDS = 60
_T = TypeVar("_T")

# KEYS: journal, pending, done, ack; ARGV: ack seconds, then update_id, body pairs.
# Returns the new ids joined by ",", the same answer again when ack exists (a retry).
_ACCEPT_LUA = """
local prev = redis.call('GET', KEYS[4])
if prev then return prev end
local new = {}
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  if not redis.call('ZSCORE', KEYS[2], id) and not redis.call('ZSCORE', KEYS[3], id) then
    redis.call('HSET', KEYS[1], id, ARGV[i + 1])
    redis.call('ZADD', KEYS[2], id, id)
    new[#new + 1] = id
  end
end
local answer = table.concat(new, ',')
redis.call('SET', KEYS[4], answer, 'EX', ARGV[1])
return answer
"""


def _import_redis() -> Any:
    try:
        import redis
    except ImportError as exc:
        raise StoreError("RedisStore needs redis-py: pip install 'actorbot[redis]'") from exc
    return redis


def _escape(namespace: str) -> str:
    return namespace.replace("%", "%25").replace(":", "%3A")


class RedisStore(Store):
    """A :class:`~actorbot.store.Store` in Redis (see the module docstring).

    ``url``: ``redis://[:password@]host:port/db``, ``rediss://…`` (TLS) or
    ``unix:///path/redis.sock?db=0``; a ``prefix`` query parameter names the prefix when
    ``prefix=`` does not. ``socket_timeout`` bounds connecting and each reply (seconds);
    ``retries`` is how many times a failed operation is tried again.

    Opening connects and checks the schema: :class:`StoreUnavailable` if Redis cannot be
    reached, :class:`StoreCorrupt` if the keys at the prefix are not ours.
    """

    def __init__(self, url: str, *, prefix: str | None = None, socket_timeout: float = 5, retries: int = 3) -> None:
        redis = _import_redis()
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        if retries < 0:
            raise ValueError(f"retries must be >= 0, not {retries}")
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        from_url = [value for name, value in query if name == "prefix"]
        query = [(name, value) for name, value in query if name != "prefix"]
        if prefix is None:
            prefix = from_url[-1] if from_url else DEFAULT_PREFIX
        if not isinstance(prefix, str) or not prefix or "{" in prefix or "}" in prefix:
            raise ValueError(f"prefix must be a non-empty string without braces, not {prefix!r}")
        url = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
        self._secrets = [s for s in (parts.password, urllib.parse.unquote(parts.password or "")) if s]
        self._redis = redis
        self._retries = retries
        self._prefix = prefix
        self._lock = threading.Lock()
        self._closed = False
        try:
            self._client = redis.Redis.from_url(
                url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=socket_timeout,
                decode_responses=True,
                retry=Retry(NoBackoff(), 0),  # our own retries (see _call)
            )
        except (ValueError, redis.RedisError) as exc:
            raise ValueError(self._scrub(f"not a Redis URL: {url!r}: {exc}")) from exc
        kwargs = self._client.connection_pool.connection_kwargs
        db = kwargs.get("db", 0)
        if kwargs.get("path"):
            self._where = f"unix:{kwargs['path']}/{db}"
        else:
            self._where = f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{db}"
        base = f"actorbot:{{{prefix}}}:"
        self._base = base
        self._k_schema = base + "schema"
        self._k_journal = base + "journal"
        self._k_pending = base + "pending"
        self._k_done = base + "done"
        self._accept_script = self._client.register_script(_ACCEPT_LUA)
        try:
            self._call("open", self._check_schema)
        except BaseException:
            self._client.close()
            raise
        log.debug("opened %s (prefix %r)", self.describe(), prefix)

    @property
    def prefix(self) -> str:
        """The prefix naming this bot's keys (``actorbot:{<prefix>}:…``)."""
        return self._prefix

    def _record_key(self, namespace: str, key: str) -> str:
        return f"{self._base}rec:{_escape(namespace)}:{key}"

    def _index_key(self, namespace: str) -> str:
        return f"{self._base}keys:{_escape(namespace)}"

    # -- running operations ------------------------------------------------------------------------
    def _call(self, what: str, operation: Callable[[], _T]) -> _T:
        """Run ``operation``; retry connection errors, translate driver errors."""
        redis = self._redis
        with self._lock:
            if self._closed:
                raise StoreError(f"{self.describe()} is closed")
        # redis-py's client is thread-safe (each call takes a pooled connection): no lock while it runs
        attempts = 1 + self._retries
        for attempt in range(1, attempts + 1):
            try:
                return operation()
            except redis.AuthenticationError as exc:
                message = f"{self.describe()}: {what}: authentication failed: {exc}"
                raise StoreUnavailable(self._scrub(message)) from exc
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                if attempt < attempts:
                    log.warning("%s: %s failed (%s), retrying (%d/%d)", self.describe(), what,
                                self._scrub(str(exc)), attempt, self._retries)
                    time.sleep(min(0.05 * 2 ** (attempt - 1), 0.5))
                    continue
                raise StoreUnavailable(
                    self._scrub(f"{self.describe()} unavailable: {what} failed after {attempts} attempts: "
                                f"{type(exc).__name__}: {exc}")
                ) from exc
            except redis.ResponseError as exc:
                text = str(exc)
                if "WRONGTYPE" in text:
                    raise StoreCorrupt(
                        self._scrub(f"{self.describe()}: {what}: keys under {self._base}* hold data that is "
                                    f"not actorbot's (foreign data at this prefix?): {text}")
                    ) from exc
                if isinstance(exc, (redis.ReadOnlyError, redis.OutOfMemoryError)) or text.startswith(
                    ("LOADING", "MASTERDOWN", "BUSY", "TRYAGAIN", "CLUSTERDOWN")
                ):
                    raise StoreUnavailable(self._scrub(f"{self.describe()}: {what}: {text}")) from exc
                raise StoreError(self._scrub(f"{self.describe()}: {what}: {text}")) from exc
            except redis.RedisError as exc:
                raise StoreError(self._scrub(f"{self.describe()}: {what}: {type(exc).__name__}: {exc}")) from exc
        raise AssertionError("unreachable")

    def _scrub(self, message: str) -> str:
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return message

    def _check_schema(self) -> None:
        expected = {self._k_schema: "string", self._k_journal: "hash", self._k_pending: "zset", self._k_done: "zset"}
        pipe = self._client.pipeline(transaction=True)
        for key in expected:
            pipe.type(key)
        found = dict(zip(expected, pipe.execute(), strict=True))
        for key, kind in found.items():
            if kind not in ("none", expected[key]):
                raise StoreCorrupt(
                    f"{self.describe()}: {key} is a {kind}, not a {expected[key]}: foreign data at "
                    f"prefix {self._prefix!r} (choose another prefix= or database)"
                )
        if found[self._k_schema] == "none":
            if any(kind != "none" for kind in found.values()):
                raise StoreCorrupt(f"{self.describe()}: data at prefix {self._prefix!r} but no {self._k_schema} key")
            self._client.set(self._k_schema, SCHEMA_VERSION, nx=True)
            log.info("%s: new actorbot store at prefix %r", self.describe(), self._prefix)
        version = self._client.get(self._k_schema)
        if version != SCHEMA_VERSION:
            raise StoreCorrupt(
                f"{self.describe()}: {self._k_schema} is {version!r}; this actorbot reads schema {SCHEMA_VERSION}"
            )

    # -- the journal -----------------------------------------------------------------------------
    def accept(self, updates: Sequence[tuple[int, Json]]) -> list[int]:
        args: list[Any] = [_ACK_SECONDS]
        for update_id, update in updates:
            args += [update_id, encode_update(update_id, update)]
        if len(args) == 1:
            return []
        keys = [self._k_journal, self._k_pending, self._k_done, f"{self._base}ack:{secrets.token_hex(8)}"]
        answer = self._call("accept", lambda: self._accept_script(keys=keys, args=args))
        return [int(update_id) for update_id in answer.split(",")] if answer else []

    def pending(self) -> list[tuple[int, Json]]:
        def read() -> list[Any]:
            pipe = self._client.pipeline(transaction=True)
            pipe.zrange(self._k_pending, 0, -1)
            pipe.hgetall(self._k_journal)
            result: list[Any] = pipe.execute()
            return result

        ids, bodies = self._call("pending", read)
        entries = []
        for update_id in ids:
            body = bodies.get(update_id)
            if body is None:
                raise StoreCorrupt(f"{self.describe()}: pending update {update_id} has no body in {self._k_journal}")
            entries.append((int(update_id), decode(body, f"{self.describe()}: journal entry {update_id}")))
        return entries

    def forget_done(self, below: int) -> None:
        self._call("forget_done", lambda: self._client.zremrangebyscore(self._k_done, "-inf", f"({int(below)}"))

    # -- records ---------------------------------------------------------------------------------
    def get(self, namespace: str, key: str) -> Json | None:
        check_name(namespace, key)
        text = self._call("get", lambda: self._client.get(self._record_key(namespace, key)))
        return None if text is None else decode(text, f"{self.describe()}: record {record_name(namespace, key)}")

    def keys(self, namespace: str) -> list[str]:
        return list(self._call("keys", lambda: self._client.smembers(self._index_key(namespace))))

    def items(self, namespace: str) -> Iterator[tuple[str, Json]]:
        """``(key, record)`` of ``namespace``: two round trips (SMEMBERS, MGET)."""
        keys = self.keys(namespace)
        if not keys:
            return
        texts = self._call("items", lambda: self._client.mget([self._record_key(namespace, key) for key in keys]))
        for key, text in zip(keys, texts, strict=True):
            if text is not None:
                yield key, decode(text, f"{self.describe()}: record {record_name(namespace, key)}")

    # -- writing ---------------------------------------------------------------------------------
    def commit(self, commits: Sequence[Commit]) -> None:
        # encode first (a value JSON cannot hold fails before anything is sent); the last
        # write of a record wins, as if applied in order
        final: dict[tuple[str, str], str | None] = {}
        done: list[int] = []
        for unit in commits:
            for write in unit.writes:
                check_name(write.namespace, write.key)
                ident = (write.namespace, write.key)
                final.pop(ident, None)
                final[ident] = None if write.value is None else encode(write.value, write.namespace, write.key)
            done.extend(unit.done)
        if not (final or done):
            return

        # final has one write per record, so sets and deletes are disjoint: a few multi-key
        # commands (MSET, DEL, SADD/SREM per namespace) instead of two per record
        sets: dict[str, str] = {}
        deletes: list[str] = []
        added: dict[str, list[str]] = {}
        removed: dict[str, list[str]] = {}
        for (namespace, key), text in final.items():
            if text is None:
                deletes.append(self._record_key(namespace, key))
                removed.setdefault(self._index_key(namespace), []).append(key)
            else:
                sets[self._record_key(namespace, key)] = text
                added.setdefault(self._index_key(namespace), []).append(key)

        def apply() -> None:
            pipe = self._client.pipeline(transaction=True)
            if sets:
                pipe.mset(sets)
            if deletes:
                pipe.delete(*deletes)
            for index, keys in added.items():
                pipe.sadd(index, *keys)
            for index, keys in removed.items():
                pipe.srem(index, *keys)
            if done:
                pipe.zadd(self._k_done, {str(update_id): update_id for update_id in done})
                pipe.zrem(self._k_pending, *done)
                pipe.hdel(self._k_journal, *done)
            pipe.execute()

        self._call("commit", apply)

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._client.close()
            except self._redis.RedisError as exc:  # pragma: no cover - closing sockets
                log.debug("%s: closing: %s", self.describe(), self._scrub(str(exc)))
        log.debug("closed %s", self.describe())

    def describe(self) -> str:
        return f"Redis {self._where}"
