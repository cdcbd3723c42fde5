"""An embedded store: one SQLite file (stdlib :mod:`sqlite3`) in WAL mode.

Layout (schema version 1, also in ``PRAGMA user_version`` and ``meta``)::

    journal(update_id INTEGER PRIMARY KEY, body TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)
    records(namespace TEXT, key TEXT, value TEXT, PRIMARY KEY (namespace, key)) WITHOUT ROWID
    meta(name TEXT PRIMARY KEY, value)

``PRAGMA application_id`` holds :data:`APPLICATION_ID` so a file of another program is told
apart from ours (:class:`~actorbot.exception.StoreCorrupt`, naming what was found). A done
journal entry keeps its body until :meth:`~SQLiteStore.forget_done` drops it.

**One process per file.** The store holds ``fcntl.flock(LOCK_EX | LOCK_NB)`` on a sidecar
``<path>.lock`` (which names the holder's pid) for its whole life: a second store on the
same file, in this process or another, fails at once with
:class:`~actorbot.exception.StoreLocked`. (flock does not work across NFS hosts; keep the
file on a local disk.)

**Durability.** Every transaction is committed on return. With ``synchronous="NORMAL"``
(the default) in WAL mode a commit survives the process crashing but the last commits may
be lost if the *machine* loses power; ``synchronous="FULL"`` survives that too, at the
cost of an fsync per transaction (see ``benchmarks/store.py``).

**Threads.** Two connections (``check_same_thread=False``), each guarded by its lock: one
writes (``accept``, ``commit``), one reads (``get``, ``keys``, ``items``, ``pending``), so a
read never waits behind a commit (WAL: it sees the last commit). Every method may be called
from any thread and runs on the caller's thread.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from ..exception import StoreCorrupt, StoreError, StoreLocked, StoreUnavailable
from ._base import Commit, Json, Store
from ._codec import check_name, decode, encode, encode_update, record_name

__all__ = ["SQLiteStore", "APPLICATION_ID", "SCHEMA_VERSION"]

log = logging.getLogger(__name__)

#: ``PRAGMA application_id`` of an actorbot store: "ACTB" as a big-endian 32-bit number.
APPLICATION_ID = 0x41435442
#: The layout this module writes and reads (``PRAGMA user_version`` and ``meta.schema``).
SCHEMA_VERSION = 1

_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
_BUSY_ATTEMPTS = 3  # attempts of one operation on "database is locked" / transient I/O errors
_T = TypeVar("_T")

# primary result codes (sqlite3.Error.sqlite_errorcode & 0xFF)
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_IOERR, _SQLITE_CORRUPT = 5, 6, 10, 11
_SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 13, 14, 26

_CREATE = """
CREATE TABLE journal (
    update_id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX journal_pending ON journal (update_id) WHERE done = 0;
CREATE TABLE records (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE TABLE meta (name TEXT PRIMARY KEY, value);
"""


class SQLiteStore(Store):
    """A :class:`~actorbot.store.Store` in one SQLite file (see the module docstring).

    Opening checks the file (ours, a fresh one, or :class:`StoreCorrupt`) and takes the
    lock (or :class:`StoreLocked`); a directory that cannot be written gives
    :class:`StoreUnavailable`. ``synchronous`` is SQLite's ``PRAGMA synchronous`` (see the
    module docstring). ``busy_timeout`` (seconds) is how long SQLite waits for a file another
    connection holds (a backup tool, say) before an operation is retried; after
    3 attempts it raises :class:`StoreUnavailable`.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, synchronous: str = "NORMAL", busy_timeout: float = 2.0
    ) -> None:
        self._path = os.fspath(path)
        self._busy_timeout = busy_timeout
        if self._path in ("", ":memory:") or self._path.startswith("file:"):
            raise ValueError(f"SQLiteStore needs a file path, not {self._path!r} (use MemoryStore for memory)")
        synchronous = synchronous.upper()
        if synchronous not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, not {synchronous!r}")
        self._lock = threading.Lock()  # the writing connection
        self._read_lock = threading.Lock()  # the reading one: reads never wait behind a commit
        self._closed = False
        self._lock_fd = _take_file_lock(self._path)
        try:
            self._conn = self._connect(synchronous)
            self._reader = self._open_reader()
        except BaseException:
            if getattr(self, "_conn", None) is not None:
                self._conn.close()
            os.close(self._lock_fd)
            raise
        log.debug("opened %s (synchronous=%s)", self.describe(), synchronous)

    # -- opening ---------------------------------------------------------------------------------
    def _connect(self, synchronous: str) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise self._error(exc, "cannot open") from exc
        try:
            self._check_or_create(conn)
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("%s: journal_mode is %s, not wal", self.describe(), mode)
            conn.execute(f"PRAGMA synchronous={synchronous}")
            conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout * 1000)}")
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc, "cannot open") from exc
            raise
        return conn

    def _open_reader(self) -> sqlite3.Connection:
        """A second connection for reads: in WAL mode it reads the last commit while the
        writer writes, so a conversation loading its state does not wait for the committer."""
        try:
            reader = sqlite3.connect(self._path, timeout=self._busy_timeout, isolation_level=None,
                                     check_same_thread=False)
            reader.execute("PRAGMA query_only=1")
        except sqlite3.Error as exc:
            raise self._error(exc, "cannot open") from exc
        return reader

    def _check_or_create(self, conn: sqlite3.Connection) -> None:
        """Accept our own file, initialise an empty one, refuse anything else (StoreCorrupt)."""
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]  # reads the header
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id == APPLICATION_ID:
            if version != SCHEMA_VERSION:
                raise StoreCorrupt(
                    f"{self._path} is an actorbot store of schema version {version}; "
                    f"this actorbot reads version {SCHEMA_VERSION}"
                )
            tables = _tables(conn)
            if not {"journal", "records", "meta"} <= tables:
                raise StoreCorrupt(f"{self._path} is an actorbot store missing tables (found: {_list(tables)})")
            row = conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
            if row is None or row[0] != SCHEMA_VERSION:
                raise StoreCorrupt(f"{self._path}: meta.schema is {row and row[0]!r}, not {SCHEMA_VERSION}")
            return
        tables = _tables(conn)
        if app_id != 0 or version != 0 or tables:
            raise StoreCorrupt(
                f"{self._path} is an SQLite database of another program, not an actorbot store "
                f"(application_id {app_id:#x}, user_version {version}, tables: {_list(tables)})"
            )
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _CREATE.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO meta (name, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
        log.info("created an actorbot store in %s", self._path)

    # -- running operations ------------------------------------------------------------------------
    def _run(self, what: str, operation: Callable[[sqlite3.Connection], _T], write: bool = False) -> _T:
        """Run ``operation`` under the lock (in a ``BEGIN IMMEDIATE`` transaction if ``write``).

        A busy/locked file or a transient I/O error is retried (bounded), then raises
        :class:`StoreUnavailable`; other driver errors become :class:`StoreError` subclasses.
        """
        with self._lock if write else self._read_lock:
            if self._closed:
                raise StoreError(f"{self.describe()} is closed")
            conn = self._conn if write else self._reader
            for attempt in range(1, _BUSY_ATTEMPTS + 1):
                try:
                    if not write:
                        return operation(conn)
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        result = operation(conn)
                        conn.execute("COMMIT")
                    except BaseException:
                        _rollback(conn)
                        raise
                    return result
                except sqlite3.Error as exc:
                    if _retryable(exc) and attempt < _BUSY_ATTEMPTS:
                        log.warning("%s: %s failed (%s), retrying (%d/%d)", self.describe(), what, exc, attempt,
                                    _BUSY_ATTEMPTS)
                        time.sleep(0.05 * attempt)
                        continue
                    raise self._error(exc, f"{what} failed") from exc
            raise AssertionError("unreachable")

    def _error(self, exc: sqlite3.Error, doing: str) -> StoreError:
        code = getattr(exc, "sqlite_errorcode", -1) & 0xFF
        message = f"{self.describe()} ({self._path}): {doing}: {exc}"
        if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "not a database" in str(exc) or "malformed" in str(exc):
            return StoreCorrupt(f"{self._path} is not a readable actorbot store (corrupt or not SQLite): {exc}")
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN) or isinstance(
            exc, sqlite3.OperationalError
        ):
            return StoreUnavailable(message)
        return StoreError(message)

    # -- the journal -----------------------------------------------------------------------------
    def accept(self, updates: Sequence[tuple[int, Json]]) -> list[int]:
        rows = [(update_id, encode_update(update_id, update)) for update_id, update in updates]
        if not rows:
            return []

        def insert(conn: sqlite3.Connection) -> list[int]:
            new = []
            for row in rows:
                if conn.execute("INSERT OR IGNORE INTO journal (update_id, body) VALUES (?, ?)", row).rowcount:
                    new.append(row[0])
            return new

        return self._run("accept", insert, write=True)

    def pending(self) -> list[tuple[int, Json]]:
        query = "SELECT update_id, body FROM journal WHERE done = 0 ORDER BY update_id"
        rows = self._run("pending", lambda conn: conn.execute(query).fetchall())
        return [(update_id, decode(body, f"{self._path}: journal entry {update_id}")) for update_id, body in rows]

    def forget_done(self, below: int) -> None:
        self._run(
            "forget_done",
            lambda conn: conn.execute("DELETE FROM journal WHERE done = 1 AND update_id < ?", (below,)),
            write=True,
        )

    # -- records ---------------------------------------------------------------------------------
    def get(self, namespace: str, key: str) -> Json | None:
        check_name(namespace, key)
        row = self._run(
            "get",
            lambda conn: conn.execute(
                "SELECT value FROM records WHERE namespace = ? AND key = ?", (namespace, key)
            ).fetchone(),
        )
        return None if row is None else decode(row[0], f"{self._path}: record {record_name(namespace, key)}")

    def keys(self, namespace: str) -> list[str]:
        rows = self._run(
            "keys", lambda conn: conn.execute("SELECT key FROM records WHERE namespace = ?", (namespace,)).fetchall()
        )
        return [row[0] for row in rows]

    def items(self, namespace: str) -> Iterator[tuple[str, Json]]:
        """``(key, record)`` of ``namespace``, read in one query."""
        rows = self._run(
            "items",
            lambda conn: conn.execute("SELECT key, value FROM records WHERE namespace = ?", (namespace,)).fetchall(),
        )
        for key, text in rows:
            yield key, decode(text, f"{self._path}: record {record_name(namespace, key)}")

    # -- writing ---------------------------------------------------------------------------------
    def commit(self, commits: Sequence[Commit]) -> None:
        # encode first (a value JSON cannot hold fails before anything is written); the last
        # write of a record wins, as if applied in order
        final: dict[tuple[str, str], str | None] = {}
        done: list[tuple[int]] = []
        for unit in commits:
            for write in unit.writes:
                check_name(write.namespace, write.key)
                ident = (write.namespace, write.key)
                final.pop(ident, None)  # keep the order of last writes
                final[ident] = None if write.value is None else encode(write.value, write.namespace, write.key)
            done.extend((update_id,) for update_id in unit.done)
        upserts = [(ns, key, text) for (ns, key), text in final.items() if text is not None]
        deletes = [(ns, key) for (ns, key), text in final.items() if text is None]
        if not (upserts or deletes or done):
            return

        def apply(conn: sqlite3.Connection) -> None:
            if deletes:
                conn.executemany("DELETE FROM records WHERE namespace = ? AND key = ?", deletes)
            if upserts:
                conn.executemany(
                    "INSERT INTO records (namespace, key, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
                    upserts,
                )
            if done:
                conn.executemany(
                    "INSERT INTO journal (update_id, body, done) VALUES (?, '{}', 1) "
                    "ON CONFLICT (update_id) DO UPDATE SET done = 1",
                    done,
                )

        self._run("commit", apply, write=True)

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock, self._read_lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._reader.close()
                self._conn.close()
            except sqlite3.Error as exc:  # pragma: no cover - close of a healthy connection
                log.warning("%s: closing: %s", self.describe(), exc)
            finally:
                os.close(self._lock_fd)  # releases the flock
        log.debug("closed %s", self.describe())

    def describe(self) -> str:
        return f"SQLite {os.path.basename(self._path) or self._path}"

    @property
    def path(self) -> str:
        """The database file, as given."""
        return self._path


def _take_file_lock(path: str) -> int:
    """Open ``<path>.lock`` and flock it (exclusive, non-blocking); write our pid in it."""
    lock_path = path + ".lock"
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise StoreUnavailable(f"cannot open the lock file {lock_path}: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = _read_pid(fd)
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            by = f"process {holder}" if holder else "another process"
            raise StoreLocked(
                f"{path} is in use by {by} (lock file {lock_path}); one bot per store file"
            ) from exc
        raise StoreUnavailable(f"cannot lock {lock_path}: {exc.strerror or exc}") from exc
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError as exc:  # the lock holds even if the pid cannot be written
        log.warning("cannot write the pid to %s: %s", lock_path, exc)
    return fd


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error as exc:  # the transaction is gone with the error already
        log.debug("rollback: %s", exc)


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _list(names: set[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def _retryable(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", -1) & 0xFF
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_IOERR):
        return True
    text = str(exc).lower()
    return "database is locked" in text or "disk i/o error" in text
