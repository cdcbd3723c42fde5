"""A small standard-library web server for the webhook endpoint: :class:`WebhookServer`.

A WSGI server sized for Telegram's webhook traffic (up to 40 concurrent
connections by default, 100 at most), meant to run behind a TLS-terminating
reverse proxy (Telegram only calls HTTPS URLs) and in tests:

* a listen queue of ``backlog`` (1024) connections, so bursts are not reset;
* HTTP/1.1 keep-alive, so Telegram reuses its connections;
* a bounded pool of worker threads (``workers``, default 64; an
  :class:`actorbot._workers.WorkerPool`), each serving one
  connection at a time; at most ``max_pending`` accepted connections wait for a
  worker, beyond that a connection is answered 503 at once (Telegram retries);
  while connections wait, a worker closes its keep-alive connection after the
  current request so waiting ones get their turn;
* a per-request deadline: the head and body of a request must arrive within
  ``read_timeout`` seconds (408 otherwise, then the connection is closed), and an
  idle keep-alive connection is closed after ``idle_timeout`` seconds;
* hostile input is answered before the application runs: 400 for a malformed
  request, 411 without ``Content-Length`` (chunked bodies are not supported),
  413 for a body over ``max_body``, 414/431 for a huge request line or header
  block, or an HTTP version other than 1.0/1.1 (400: never a 5xx for bad input). Refusals are logged in
  aggregate (see :class:`~actorbot.loop._refusals.RefusalLog`), never one line
  each; the access log (DEBUG) redacts long path segments, where a bot token
  placed in the webhook URL would show.

Threads: :meth:`WebhookServer.start` starts the accepting thread
(``actorbot-webhook-server``); workers (``actorbot-webhook-worker-N``) are
started on demand up to ``workers``. :meth:`WebhookServer.stop` stops
accepting, closes idle connections, and joins every thread (bounded).
"""

from __future__ import annotations

import io
import logging
import re
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from .._workers import WorkerPool
from ._refusals import RefusalLog
from ._wsgi import DEFAULT_MAX_BODY

__all__ = [
    "WebhookServer",
    "serve_webhook",
    "DEFAULT_BACKLOG",
    "DEFAULT_WORKERS",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_HEADER",
]

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: The listen queue: far above Telegram's 100 concurrent connections at most.
DEFAULT_BACKLOG = 1024
#: Worker threads (each serves one connection at a time): above Telegram's default of 40 connections.
DEFAULT_WORKERS = 64
#: Accepted connections that may wait for a worker before new ones are answered 503.
DEFAULT_MAX_PENDING = 256
#: Seconds for the head and body of one request to arrive (408 beyond).
DEFAULT_READ_TIMEOUT = 5.0
#: Seconds an idle keep-alive connection is kept open.
DEFAULT_IDLE_TIMEOUT = 15.0
#: The largest request head (request line and headers), in bytes (431 beyond).
DEFAULT_MAX_HEADER = 16 * 1024

_MAX_REQUEST_LINE = 8 * 1024
_MAX_HEADER_LINES = 100
_POLL_INTERVAL = 0.05
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_LONG_SEGMENT = re.compile(r"[^/?]{17,}")
_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}


class _Real:
    """The real monotonic clock, bound at import: a test freezing time (freezegun) must not
    make every deadline of the server expire or never expire."""

    now = staticmethod(time.monotonic)


def redact_path(path: str) -> str:
    """``path`` with every segment over 16 characters replaced (a token in the URL never shows)."""
    return _LONG_SEGMENT.sub("<redacted>", path)


class _Timeout(Exception):
    pass


class _Closed(Exception):
    pass


class _TooLong(Exception):
    pass


class _Refuse(Exception):
    """Answer ``status`` with ``text`` and close the connection."""

    def __init__(self, status: str, text: str, reason: str) -> None:
        super().__init__(status)
        self.status = status
        self.text = text
        self.reason = reason


class _Reader:
    """Buffered reads from a socket, each bounded by an absolute deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = bytearray()

    @property
    def buffered(self) -> bool:
        return bool(self._buf)

    def fill(self, deadline: float) -> None:
        remaining = deadline - _Real.now()
        if remaining <= 0:
            raise _Timeout
        self._sock.settimeout(remaining)
        try:
            chunk = self._sock.recv(65536)
        except TimeoutError:
            raise _Timeout from None
        except OSError:
            raise _Closed from None
        if not chunk:
            raise _Closed
        self._buf += chunk

    def readline(self, limit: int, deadline: float) -> bytes:
        while True:
            end = self._buf.find(b"\n", 0, limit)
            if end >= 0:
                line = bytes(self._buf[: end + 1])
                del self._buf[: end + 1]
                return line
            if len(self._buf) >= limit:
                raise _TooLong
            self.fill(deadline)

    def read(self, size: int, deadline: float) -> bytes:
        while len(self._buf) < size:
            self.fill(deadline)
        data = bytes(self._buf[:size])
        del self._buf[:size]
        return data


def _close(conn: socket.socket) -> None:
    try:
        conn.close()
    except OSError:
        pass


class WebhookServer:
    """Serves a WSGI application (normally a :class:`~actorbot.loop.WebhookApp`).

    The socket is bound at construction, so :attr:`url` is known at once (pass
    ``port=0`` for an ephemeral port). Use :meth:`start` to serve on a background
    thread, or :meth:`serve_forever` to serve on the calling thread; :meth:`stop`
    (from any other thread) ends either. Also a context manager.

    :param backlog: the listen queue length.
    :param workers: the most worker threads (one connection each at a time).
    :param max_pending: accepted connections that may wait for a worker; beyond
        that a new connection is answered 503 with ``Retry-After`` and closed.
    :param read_timeout: seconds for one request's head and body to arrive (408 beyond).
    :param idle_timeout: seconds an idle keep-alive connection stays open.
    :param max_header: the largest request head in bytes (431 beyond).
    :param max_body: the largest body in bytes (413 beyond); by default the
        app's ``max_body`` if it has one, else 1 MiB.
    """

    def __init__(
        self,
        app: WsgiApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        backlog: int = DEFAULT_BACKLOG,
        workers: int = DEFAULT_WORKERS,
        max_pending: int = DEFAULT_MAX_PENDING,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_header: int = DEFAULT_MAX_HEADER,
        max_body: int | None = None,
    ) -> None:
        if workers < 1 or max_pending < 0 or backlog < 1:
            raise ValueError("workers and backlog must be positive, max_pending not negative")
        self.app = app
        self.read_timeout = read_timeout
        self.idle_timeout = idle_timeout
        self.max_header = max_header
        app_limit = getattr(app, "max_body", None)
        self.max_body = (
            max_body if max_body is not None else app_limit if isinstance(app_limit, int) else DEFAULT_MAX_BODY
        )
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.create_server((host, port), family=family, backlog=backlog)
        self._pool: WorkerPool[tuple[socket.socket, Any]] = WorkerPool(
            self._serve_item, workers, max_pending=max_pending, name="actorbot-webhook-worker",
            discard=lambda item: _close(item[0]),
        )
        self.refusals = RefusalLog(log, "webhook requests refused at the HTTP level")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._idle: set[socket.socket] = set()
        self._serving = False
        self._closed = False
        self._loop_done = threading.Event()

    @property
    def server_address(self) -> tuple[str, int]:
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        """``http://host:port`` of the listening socket."""
        host, port = self.server_address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def threads(self) -> int:
        """Worker threads started so far (at most ``workers``)."""
        return self._pool.threads

    def wait_idle(self, workers: int, timeout: float = 5.0) -> bool:
        """Wait (at most ``timeout`` s) until ``workers`` worker threads are idle; True if they are."""
        return self._pool.wait_idle(workers, timeout)

    def _claim(self) -> None:
        # Caller holds self._lock.
        if self._closed:
            raise RuntimeError("this server was stopped")
        if self._serving:
            raise RuntimeError("this server is already running")
        self._serving = True

    def serve_forever(self) -> None:
        """Serve on the calling thread until :meth:`stop` is called from another thread."""
        with self._lock:
            self._claim()
        try:
            self._accept_loop()
        finally:
            self._close(timeout=5.0)

    def start(self) -> WebhookServer:
        """Serve on a new daemon thread; returns self."""
        with self._lock:
            self._claim()
            self._thread = threading.Thread(target=self._accept_loop, name="actorbot-webhook-server", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop accepting, close idle connections, wait for requests under way (bounded), close the socket.

        Idempotent. Must not be called from a worker thread.
        """
        self._stop.set()
        with self._lock:
            thread, serving = self._thread, self._serving
        if thread is not None:
            thread.join(timeout)
        elif serving:
            self._loop_done.wait(timeout)
        self._close(timeout)

    def _close(self, timeout: float | None) -> None:
        self._stop.set()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            idle = list(self._idle)
        _close(self._sock)
        for conn in idle:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._pool.close(timeout)
        self.refusals.flush()
        app_refusals = getattr(self.app, "refusals", None)
        if isinstance(app_refusals, RefusalLog):
            app_refusals.flush()  # what the app counted since its last summary

    def __enter__(self) -> WebhookServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- the accepting thread --------------------------------------------------------
    def _accept_loop(self) -> None:
        try:
            self._sock.setblocking(False)
            with selectors.DefaultSelector() as selector:
                selector.register(self._sock, selectors.EVENT_READ)
                while not self._stop.is_set():
                    if not selector.select(_POLL_INTERVAL):
                        continue
                    while not self._stop.is_set():
                        try:
                            conn, address = self._sock.accept()
                        except (BlockingIOError, InterruptedError):
                            break
                        except OSError:
                            if self._stop.is_set():
                                return
                            log.debug("webhook server: accept failed", exc_info=True)
                            break
                        self._dispatch(conn, address)
        finally:
            self._loop_done.set()

    def _dispatch(self, conn: socket.socket, address: Any) -> None:
        conn.setblocking(True)
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        if self._pool.submit((conn, address)):
            return
        self.refusals.refused("busy (every worker taken)")
        try:
            conn.settimeout(0.5)
            conn.sendall(_response("503 Service Unavailable", [("Retry-After", "1")], b"busy\n", keep_alive=False))
        except OSError:
            pass
        _close(conn)

    # -- a worker thread ---------------------------------------------------------------
    def _serve_item(self, item: tuple[socket.socket, Any]) -> None:
        self._serve_connection(*item)

    def _serve_connection(self, conn: socket.socket, address: Any) -> None:
        reader = _Reader(conn)
        client = str(address[0]) if isinstance(address, tuple) and address else "?"
        try:
            first = True
            while not self._stop.is_set():
                keep = self._serve_request(conn, reader, client, first)
                first = False
                if not keep:
                    break
        except Exception:
            log.exception("webhook server: error while serving a connection")
        finally:
            with self._lock:
                self._idle.discard(conn)
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            _close(conn)

    def _wait_for_request(self, conn: socket.socket, reader: _Reader, first: bool) -> bool:
        """Wait for the first byte of the next request; False when the connection ends idle."""
        if reader.buffered:
            return True
        with self._lock:
            if self._closed:
                return False
            self._idle.add(conn)
        try:
            reader.fill(_Real.now() + (self.read_timeout if first else self.idle_timeout))
            return True
        except (_Timeout, _Closed):
            return False
        finally:
            with self._lock:
                self._idle.discard(conn)

    def _serve_request(self, conn: socket.socket, reader: _Reader, client: str, first: bool) -> bool:
        """Serve one request; True when the connection may be kept open."""
        if not self._wait_for_request(conn, reader, first):
            return False
        deadline = _Real.now() + self.read_timeout
        try:
            try:
                request = self._read_request(conn, reader, deadline)
            except _Timeout:
                raise _Refuse("408 Request Timeout", "request not received in time\n", "slow request") from None
        except _Refuse as refusal:
            self.refusals.refused(refusal.reason)
            self._send(conn, refusal.status, [], refusal.text.encode(), keep_alive=False, head=False)
            return False
        except _Closed:
            return False
        method, target, version, headers, body, keep_alive = request
        status, out_headers, out_body = self._call_app(conn, client, method, target, version, headers, body)
        # while connections wait for a worker, close this one after the answer so they get their turn
        keep_alive = keep_alive and not self._stop.is_set() and not self._pool.waiting
        log.debug(
            'webhook server: %s "%s %s %s" %s %d',
            client,
            method,
            redact_path(target),
            version,
            status.split(" ", 1)[0],
            len(out_body),
        )
        return (
            self._send(conn, status, out_headers, out_body, keep_alive=keep_alive, head=method == "HEAD") and keep_alive
        )

    def _read_request(
        self, conn: socket.socket, reader: _Reader, deadline: float
    ) -> tuple[str, str, str, list[tuple[str, str]], bytes | None, bool]:
        try:
            line = reader.readline(_MAX_REQUEST_LINE, deadline)
        except _TooLong:
            raise _Refuse("414 URI Too Long", "request line too long\n", "request line too long") from None
        if line in (b"\r\n", b"\n"):  # tolerate one empty line between requests (RFC 9112)
            line = reader.readline(_MAX_REQUEST_LINE, deadline)
        parts = line.rstrip(b"\r\n").split(b" ")
        if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not parts[1]:
            raise _Refuse("400 Bad Request", "malformed request line\n", "malformed request")
        method, target, version = (p.decode("latin-1") for p in parts)
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            raise _Refuse("400 Bad Request", "HTTP/1.1 only\n", "bad HTTP version")  # never a 5xx for bad input
        headers = self._read_headers(reader, deadline, len(line))
        fields: dict[str, list[str]] = {}
        for name, value in headers:
            fields.setdefault(name.lower(), []).append(value)
        connection = {t.strip().lower() for v in fields.get("connection", []) for t in v.split(",")}
        keep_alive = "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection
        if "transfer-encoding" in fields:
            raise _Refuse("411 Length Required", "Content-Length required (no chunked bodies)\n", "no length")
        lengths = {v.strip() for v in fields.get("content-length", [])}
        body: bytes | None = None
        if lengths:
            if len(lengths) != 1 or not next(iter(lengths)).isdigit() or len(next(iter(lengths))) > 12:
                raise _Refuse("400 Bad Request", "bad Content-Length\n", "bad length")
            length = int(next(iter(lengths)))
            if length > self.max_body:
                raise _Refuse("413 Content Too Large", f"body over {self.max_body} bytes\n", "body too large")
            if any(v.strip().lower() == "100-continue" for v in fields.get("expect", [])):
                self._send_raw(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
            try:
                body = reader.read(length, deadline)
            except _Closed:
                raise _Refuse("400 Bad Request", "body shorter than Content-Length\n", "short body") from None
        elif method.upper() in ("POST", "PUT", "PATCH"):
            raise _Refuse("411 Length Required", "Content-Length required\n", "no length")
        return method, target, version, headers, body, keep_alive

    def _read_headers(self, reader: _Reader, deadline: float, used: int) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        too_large = _Refuse("431 Request Header Fields Too Large", "headers too large\n", "headers too large")
        while True:
            try:
                line = reader.readline(max(1, self.max_header - used), deadline)
            except _TooLong:
                raise too_large from None
            used += len(line)
            if used > self.max_header:
                raise too_large
            if line in (b"\r\n", b"\n"):
                return headers
            if len(headers) >= _MAX_HEADER_LINES:
                raise too_large
            name, sep, value = line.partition(b":")
            if not sep or not _TOKEN.fullmatch(name):
                raise _Refuse("400 Bad Request", "malformed header\n", "malformed header")
            headers.append((name.decode("latin-1"), value.strip(b" \t\r\n").decode("latin-1")))

    def _environ(
        self, client: str, method: str, target: str, version: str, headers: list[tuple[str, str]], body: bytes | None
    ) -> dict[str, Any]:
        path, _, query = target.partition("?")
        host, port = self.server_address
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": host,
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": version,
            "REMOTE_ADDR": client,
            "CONTENT_LENGTH": str(len(body)) if body is not None else "",
            "CONTENT_TYPE": "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body or b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        for name, value in headers:
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_LENGTH", "CONTENT_TYPE"):
                if key == "CONTENT_TYPE":
                    environ[key] = value
                continue
            key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _call_app(
        self,
        conn: socket.socket,
        client: str,
        method: str,
        target: str,
        version: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        environ = self._environ(client, method, target, version, headers, body)
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def start_response(
            status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            if started and exc_info is None:
                raise AssertionError("start_response called twice without exc_info")
            started[:] = [(status, list(response_headers))]
            return lambda data: None  # the legacy write() callable is not supported

        try:
            result = self.app(environ, start_response)
            try:
                out = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            if not started:
                raise RuntimeError("the application did not call start_response")
        except Exception:
            log.exception("webhook server: the application failed")
            return "500 Internal Server Error", [("Content-Type", "text/plain")], b"internal error\n"
        status, response_headers = started[0]
        return status, response_headers, out

    def _send(
        self,
        conn: socket.socket,
        status: str,
        headers: list[tuple[str, str]],
        body: bytes,
        *,
        keep_alive: bool,
        head: bool,
    ) -> bool:
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers = [("Content-Type", "text/plain; charset=utf-8"), *headers]
        return self._send_raw(
            conn, _response(status, headers, b"" if head else body, keep_alive=keep_alive, length=len(body))
        )

    def _send_raw(self, conn: socket.socket, data: bytes) -> bool:
        try:
            conn.settimeout(self.read_timeout)
            conn.sendall(data)
            return True
        except OSError:
            return False


def _response(
    status: str, headers: list[tuple[str, str]], body: bytes, *, keep_alive: bool, length: int | None = None
) -> bytes:
    lines = [f"HTTP/1.1 {status}"]
    lines += [f"{name}: {value}" for name, value in headers if name.lower() not in _HOP_BY_HOP]
    lines.append(f"Content-Length: {len(body) if length is None else length}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def serve_webhook(app: WsgiApp, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve ``app`` on ``host:port`` on the calling thread until KeyboardInterrupt.

    For a server you can stop from code, use :class:`WebhookServer`.
    """
    server = WebhookServer(app, host, port)
    log.info("serving the webhook on %s", server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("webhook server interrupted")
