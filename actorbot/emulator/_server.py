"""The HTTP transport: a ``ThreadingHTTPServer`` that routes ``/bot``, ``/file/bot`` and ``/sim/``.

One thread per connection (keep-alive, HTTP/1.1); requests are read by a small
HTTP/1.1 reader. Each answer is written with a
single ``sendall`` and ``TCP_NODELAY`` is set, so keep-alive clients never wait
on Nagle/delayed-ACK. ``stop()`` closes every open connection and joins every
thread the server started. Request lines are never logged (they hold the token).
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import urllib.parse
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from socketserver import StreamRequestHandler
from typing import Any, Protocol

from ._wire import BodyError, Upload, parse_body

__all__ = ["HttpServer", "Application"]

logger = logging.getLogger(__name__)
_JSON = "application/json"


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


class _Handler(StreamRequestHandler):
    """One keep-alive connection; runs on the connection's thread.

    A small HTTP/1.1 reader replaces ``BaseHTTPRequestHandler``'s email-based
    header parsing, which dominated the cost of a request.
    """

    server: _Server
    rbufsize = 65536

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        while self._one():
            pass

    def _one(self) -> bool:
        line = self.rfile.readline(65537)
        if not line:
            return False
        if line in (b"\r\n", b"\n"):
            return True
        try:
            http_method, target, version = line.decode("latin-1").split()
        except ValueError:
            self._answer(400, _error_body(400, "Bad Request"), _JSON, close=True)
            return False
        headers: dict[str, str] = {}
        while True:
            raw = self.rfile.readline(65537)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        connection = headers.get("connection", "").lower()
        close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
        try:
            body = self._read_body(headers)
        except (ValueError, OSError):
            return False
        if headers.get("expect", "").lower() == "100-continue":
            pass  # body already read: clients that wait for 100 time out and send it anyway
        status, payload, ctype = self._route(http_method.upper(), target, headers, body)
        if payload is None:
            self._drop()
            return False
        return self._answer(status, payload, ctype, close=close) and not close

    def _read_body(self, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _route(self, http_method: str, target: str, headers: dict[str, str],
               body: bytes) -> tuple[int, bytes | None, str]:
        app = self.server.app
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

    def _answer(self, status: int, payload: bytes, ctype: str, *, close: bool) -> bool:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Error"
        head = (
            f"HTTP/1.1 {status} {reason}\r\nServer: actorbot-emulator\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: {'close' if close else 'keep-alive'}\r\n\r\n"
        ).encode("latin-1")
        try:
            self.connection.sendall(head + payload)
        except OSError:
            return False
        return True

    def _drop(self) -> None:
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # the listen queue: connection bursts are queued, not reset
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: Application) -> None:
        self.app = app
        self._conn_lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._closing = False
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection, args=(request, client_address), name="emulator-conn", daemon=True
        )
        with self._conn_lock:
            if self._closing:
                self.shutdown_request(request)
                return
            self._connections[request] = thread
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - a broken connection must not kill the server
            logger.debug("emulator connection failed", exc_info=True)
        finally:
            self.shutdown_request(request)
            with self._conn_lock:
                self._connections.pop(request, None)

    def close_connections(self, timeout: float) -> None:
        with self._conn_lock:
            self._closing = True
            items = list(self._connections.items())
        for sock, _thread in items:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for _sock, thread in items:
            thread.join(timeout)


class HttpServer:
    """Owns the listening socket and the accept thread (started by ``start``, joined by ``stop``)."""

    def __init__(self, app: Application, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), app)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="emulator-http", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout)
            self._thread = None
        self._server.close_connections(timeout)
        self._server.server_close()
