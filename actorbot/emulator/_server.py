"""The HTTP transport: a bounded HTTP/1.1 server that routes ``/bot``, ``/file/bot``, ``/sim/`` and ``/chat``.

Sized for Telegram's concurrency (40 connections by default, 100 at most) and for
connection bursts, without a thread per connection:

* a listen queue of ``backlog`` (1024) connections, so a burst is queued, not reset;
* one *selector thread* (``emulator-http``) accepts connections and watches the
  idle ones (keep-alive connections between requests cost no thread);
* when a request starts to arrive on a connection, the connection is handed to a
  bounded :class:`~actorbot._workers.WorkerPool` of ``workers`` threads
  (``emulator-conn-N``, default 128, started on demand); with every worker busy,
  ready connections wait their turn (never reset). A worker serves the request,
  and any request already buffered behind it, then gives the connection back to
  the selector (registering it from the worker's thread, under the server's lock:
  epoll and kqueue see it at once, ``select`` on Windows at its next 50 ms poll).
  A long poll (``getUpdates`` with a ``timeout``) holds its worker;
* at most ``max_open`` connections are open at once: beyond that the selector
  stops accepting, and new connections wait in the listen queue.

Requests are read by a small HTTP/1.1 reader; each answer is written with a single
``sendall`` and ``TCP_NODELAY`` is set, so keep-alive clients never wait on
Nagle/delayed-ACK. A request must arrive in full within ``request_timeout``
seconds once its first byte has. ``stop()`` closes every open connection and joins
every thread the server started. Request lines are never logged (they hold the token).
"""

from __future__ import annotations

import json
import logging
import selectors
import socket
import threading
import time
import urllib.parse
from http import HTTPStatus
from typing import Any, Protocol

from .._workers import WorkerPool
from ._wire import BodyError, Upload, parse_body

__all__ = ["HttpServer", "Application", "DEFAULT_WORKERS"]

logger = logging.getLogger(__name__)
_JSON = "application/json"

#: Threads serving requests at once: above Telegram's 100 concurrent connections at most.
DEFAULT_WORKERS = 128
#: Connections open at once; more wait in the listen queue.
DEFAULT_MAX_OPEN = 1024
#: The listen queue.
DEFAULT_BACKLOG = 1024
_POLL_INTERVAL = 0.05
_LINGER = 0.002  # seconds a worker waits for the next request on a keep-alive connection
_LINE_LIMIT = 65537


class Application(Protocol):
    """What the server calls; each method returns ``(status, body bytes or None to drop, content type)``."""

    def bot_call(
        self, token: str, method: str, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> tuple[int, bytes | None, str]: ...

    def file(self, token: str, path: str) -> tuple[int, bytes | None, str]: ...

    def sim_call(self, http_method: str, action: str, params: dict[str, Any]) -> tuple[int, bytes | None, str]: ...

    def web_call(self, http_method: str, path: str, params: dict[str, Any]) -> tuple[int, bytes | None, str]: ...


def _error_body(status: int, description: str) -> bytes:
    return json.dumps({"ok": False, "error_code": status, "description": description}).encode()


class _Connection:
    """One client connection and its read buffer.

    Owned by one thread at a time: the selector thread while it is idle, a worker
    while a request is served. Reads block (bounded by the socket's timeout) and
    behave like a file's: a short result means the connection ended.
    """

    __slots__ = ("sock", "_buf", "watched")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buf = bytearray()
        self.watched = False  # registered with the selector (guarded by the server's lock)

    @property
    def buffered(self) -> bool:
        """Bytes of a next request already read."""
        return bool(self._buf)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self._buf += chunk
        return True

    def wait_for_data(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the next bytes (or the end); True if they came. With 0,
        read only what already arrived (a timeout would first wait that long for data)."""
        timeout = self.sock.gettimeout()
        self.sock.settimeout(seconds)
        try:
            chunk = self.sock.recv(65536)
        except (TimeoutError, BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True  # a reset: the worker's read reports it
        finally:
            self.sock.settimeout(timeout)
        self._buf += chunk
        return True

    def fill_now(self) -> bool:
        """Read what already arrived, without waiting; True if anything (or the end) did."""
        return self.wait_for_data(0.0)

    def readline(self, limit: int = _LINE_LIMIT) -> bytes:
        """One line with its end, at most ``limit`` bytes; b"" at the end of the connection."""
        scanned = 0
        while True:
            end = self._buf.find(b"\n", scanned, limit)
            if end >= 0:
                return self._take(end + 1)
            if len(self._buf) >= limit:
                return self._take(limit)
            scanned = len(self._buf)
            if not self._fill():
                return self._take(len(self._buf))

    def read(self, size: int) -> bytes:
        """``size`` bytes, fewer only at the end of the connection."""
        while len(self._buf) < size:
            if not self._fill():
                break
        return self._take(min(size, len(self._buf)))

    def _take(self, size: int) -> bytes:
        data = bytes(self._buf[:size])
        del self._buf[:size]
        return data


class HttpServer:
    """Owns the listening socket, the selector thread and the workers.

    ``start`` starts the selector thread; ``stop`` (any other thread) stops it,
    closes every connection and joins every thread, bounded by ``timeout``.

    :param workers: the most threads serving requests at once.
    :param max_open: the most connections open at once (more wait in the listen queue).
    :param request_timeout: seconds for a request to arrive in full once it began,
        and for an answer to be taken by the client; the connection is closed beyond.
    """

    def __init__(
        self,
        app: Application,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        workers: int = DEFAULT_WORKERS,
        max_open: int = DEFAULT_MAX_OPEN,
        backlog: int = DEFAULT_BACKLOG,
        request_timeout: float = 30.0,
    ) -> None:
        if max_open < 1:
            raise ValueError("max_open must be >= 1")
        self.app = app
        self.max_open = max_open
        self.request_timeout = request_timeout
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.create_server((host, port), family=family, backlog=backlog)
        self._sock.setblocking(False)
        self._pool: WorkerPool[_Connection] = WorkerPool(
            self._serve, workers, max_pending=None, name="emulator-conn", discard=self._close
        )
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()  # guards the selector's registrations, _open and _closing
        self._open: set[_Connection] = set()
        self._accepting = False
        self._closing = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    @property
    def threads(self) -> int:
        """Worker threads started so far (at most ``workers``)."""
        return self._pool.threads

    @property
    def workers(self) -> int:
        """The most worker threads."""
        return self._pool.size

    def start(self) -> None:
        self._thread = threading.Thread(target=self._select_loop, name="emulator-http", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, close every connection (ending the requests under way), join every thread."""
        deadline = time.monotonic() + timeout
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        with self._lock:
            self._closing = True
            connections = list(self._open)
            idle = [key.data for key in self._selector.get_map().values() if key.data is not None]
        self._sock.close()
        for conn in connections:  # a worker blocked reading or writing returns at once
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for conn in idle:
            self._close(conn)
        self._pool.close(max(0.0, deadline - time.monotonic()))
        self._selector.close()

    # -- the selector thread -------------------------------------------------------------
    def _select_loop(self) -> None:
        paused_until = 0.0
        while not self._stop.is_set():
            self._watch_listener(len(self._open) < self.max_open and time.monotonic() >= paused_until)
            for key, _events in self._selector.select(_POLL_INTERVAL):
                conn = key.data
                if conn is None:
                    if not self._accept():
                        paused_until = time.monotonic() + _POLL_INTERVAL  # out of descriptors: wait
                    continue
                with self._lock:
                    self._selector.unregister(conn.sock)
                    conn.watched = False
                if not self._pool.submit(conn):
                    self._close(conn)

    def _watch_listener(self, accept: bool) -> None:
        if accept == self._accepting:
            return
        with self._lock:
            if accept:
                self._selector.register(self._sock, selectors.EVENT_READ, None)
            else:
                self._selector.unregister(self._sock)
        self._accepting = accept

    def _accept(self) -> bool:
        """Accept the connections waiting, up to ``max_open``; False when the system refuses more."""
        while len(self._open) < self.max_open:
            try:
                sock, _address = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return True
            except OSError:
                logger.warning("emulator: cannot accept a connection", exc_info=True)
                return False
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.settimeout(self.request_timeout)
            except OSError:
                sock.close()
                continue
            conn = _Connection(sock)
            with self._lock:
                self._open.add(conn)
            if not conn.fill_now():  # in a burst the request is often there already: no selector round
                if not self._watch(conn):
                    self._close(conn)
            elif not self._pool.submit(conn):
                self._close(conn)
        return True

    def _watch(self, conn: _Connection) -> bool:
        """Have the selector watch ``conn`` until a request arrives; False when the server is closing."""
        with self._lock:
            if self._closing:
                return False
            self._selector.register(conn.sock, selectors.EVENT_READ, conn)
            conn.watched = True
        return True

    def _close(self, conn: _Connection) -> None:
        """Close ``conn`` and forget it (any thread: the one that owns it, or ``stop`` for idle ones)."""
        with self._lock:
            if conn not in self._open:
                return
            self._open.discard(conn)
            if conn.watched:
                self._selector.unregister(conn.sock)
                conn.watched = False
        try:
            conn.sock.close()
        except OSError:
            pass

    # -- a worker thread -------------------------------------------------------------------
    def _serve(self, conn: _Connection) -> None:
        """Serve the requests that are ready on ``conn``, then park it or close it."""
        try:
            while self._one(conn):
                if conn.buffered:
                    continue
                # a client sending request after request sends the next one at once: wait a moment
                # for it here (when no connection waits for a worker) rather than hand the
                # connection to the selector and back
                if not self._pool.waiting and conn.wait_for_data(_LINGER):
                    continue
                if self._watch(conn):  # idle: back to the selector
                    return
                break
        except Exception:  # noqa: BLE001 - a broken connection must not kill the worker
            logger.debug("emulator connection failed", exc_info=True)
        self._close(conn)

    def _one(self, conn: _Connection) -> bool:
        """Serve one request; True when the connection stays open."""
        line = conn.readline()
        if not line:
            return False
        if line in (b"\r\n", b"\n"):
            return True
        try:
            http_method, target, version = line.decode("latin-1").split()
        except ValueError:
            self._answer(conn, 400, _error_body(400, "Bad Request"), _JSON, close=True)
            return False
        headers: dict[str, str] = {}
        while True:
            raw = conn.readline()
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        connection = headers.get("connection", "").lower()
        close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
        try:
            body = self._read_body(conn, headers)
        except (ValueError, OSError):
            return False
        # "Expect: 100-continue": the body was read already; clients that wait for 100 time out and send it
        status, payload, ctype = self._route(http_method.upper(), target, headers, body)
        if payload is None:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return False
        return self._answer(conn, status, payload, ctype, close=close) and not close

    @staticmethod
    def _read_body(conn: _Connection, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(conn.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while conn.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(conn.read(size))
                conn.readline()
        length = int(headers.get("content-length") or 0)
        return conn.read(length) if length else b""

    def _route(self, http_method: str, target: str, headers: dict[str, str],
               body: bytes) -> tuple[int, bytes | None, str]:
        app = self.app
        path, _, query = target.partition("?")
        if path.startswith("http://") or path.startswith("https://"):
            path = "/" + path.split("/", 3)[-1]
        try:
            if path.startswith("/bot"):
                token, _, method = path[4:].partition("/")
                params, uploads = parse_body(headers.get("content-type", ""), body, query)
                return app.bot_call(token, method, params, uploads)
            if path.startswith("/file/bot"):
                token, _, file_path = path[9:].partition("/")
                return app.file(token, urllib.parse.unquote(file_path))
            if path.startswith("/sim/"):
                params, _uploads = parse_body(headers.get("content-type", ""), body, query)
                return app.sim_call(http_method, path[5:].strip("/"), params)
            if path == "/chat" or path.startswith("/chat/"):
                params, _uploads = parse_body(headers.get("content-type", ""), body, query)
                return app.web_call(http_method, path, params)
        except BodyError as exc:
            return 400, _error_body(400, f"Bad Request: {exc}"), _JSON
        except (ValueError, OverflowError) as exc:  # a parameter no check caught: answer, never drop
            logger.debug("emulator: bad parameters", exc_info=True)
            return 400, _error_body(400, f"Bad Request: {type(exc).__name__}"), _JSON
        except Exception:  # noqa: BLE001 - an emulator bug: answer 500 instead of dropping the connection
            logger.exception("emulator: a request failed")
            return 500, _error_body(500, "Internal Server Error"), _JSON
        return 404, _error_body(404, "Not Found"), _JSON

    @staticmethod
    def _answer(conn: _Connection, status: int, payload: bytes, ctype: str, *, close: bool) -> bool:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Error"
        head = (
            f"HTTP/1.1 {status} {reason}\r\nServer: actorbot-emulator\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: {'close' if close else 'keep-alive'}\r\n\r\n"
        ).encode("latin-1")
        try:
            conn.sock.sendall(head + payload)
        except OSError:
            return False
        return True
