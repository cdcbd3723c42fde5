"""Interrupting a request that is already waiting for its answer.

A long-polled ``getUpdates`` waits up to its ``timeout`` for an answer; stopping a
bot must not wait that long. :class:`InflightRegistry` knows which pooled
connection serves which Bot API method right now, and :meth:`InflightRegistry.abort`
shuts down the sockets of those serving a given method, so the blocked thread
gets a connection error at once.

urllib3 builds connections through its pools' ``ConnectionCls``; :func:`tracked_pool_classes`
returns pool classes whose connections report themselves to one registry.
Which method a connection serves is taken from the calling thread
(:meth:`InflightRegistry.calling`), because urllib3 does not pass anything of ours
down to the connection.
"""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection

__all__ = ["InflightRegistry", "tracked_pool_classes"]


class InflightRegistry:
    """Connections currently carrying a request, with the Bot API method each serves.

    Thread-safe: requests register from their own threads, :meth:`abort` is called
    from any thread (typically the one stopping the bot).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self._active: dict[int, tuple[Any, str | None]] = {}
        self._aborted: set[int] = set()

    @contextmanager
    def calling(self, method: str) -> Iterator[None]:
        """Mark requests made by this thread inside the block as serving ``method``."""
        self._local.method = method
        try:
            yield
        finally:
            self._local.method = None

    def begin(self, conn: Any) -> None:
        with self._lock:
            self._active[id(conn)] = (conn, getattr(self._local, "method", None))

    def end(self, conn: Any) -> None:
        with self._lock:
            self._active.pop(id(conn), None)
            self._aborted.discard(id(conn))

    def check(self, conn: Any) -> None:
        """Called once the request is written: honour an abort that came before the socket existed."""
        with self._lock:
            aborted = id(conn) in self._aborted
        if aborted:
            _shutdown(conn)

    def abort(self, method: str) -> int:
        """Cut the connections now serving ``method``; return how many there were."""
        with self._lock:
            victims = [conn for conn, m in self._active.values() if m == method]
            self._aborted.update(id(conn) for conn in victims)
        for conn in victims:
            _shutdown(conn)
        return len(victims)


def _shutdown(conn: Any) -> None:
    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


class _Tracked:
    """Mixin for urllib3 connection classes: report the request's lifetime to ``registry``."""

    registry: InflightRegistry

    def request(self, *args: Any, **kwargs: Any) -> None:
        self.registry.begin(self)
        try:
            super().request(*args, **kwargs)  # type: ignore[misc]
        except BaseException:
            self.registry.end(self)
            raise
        self.registry.check(self)

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().getresponse(*args, **kwargs)  # type: ignore[misc]
        finally:
            self.registry.end(self)


def tracked_pool_classes(registry: InflightRegistry) -> dict[str, type]:
    """Pool classes (for ``PoolManager.pool_classes_by_scheme``) reporting to ``registry``."""
    http_conn = type("TrackedHTTPConnection", (_Tracked, HTTPConnection), {"registry": registry})
    https_conn = type("TrackedHTTPSConnection", (_Tracked, HTTPSConnection), {"registry": registry})
    return {
        "http": type("TrackedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("TrackedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }
