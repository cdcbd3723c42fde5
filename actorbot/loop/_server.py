"""A small standard-library web server for the webhook endpoint: :class:`WebhookServer`.

It is ``wsgiref`` with one thread per request, for small deployments (behind a
TLS-terminating reverse proxy: Telegram only calls HTTPS URLs) and for tests.
Threads: :meth:`WebhookServer.start` starts the accepting thread
(``actorbot-webhook-server``); each request then runs on a thread of its own.
:meth:`WebhookServer.stop` stops accepting and waits for those threads.
"""

from __future__ import annotations

import logging
import socketserver
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

__all__ = ["WebhookServer", "serve_webhook"]

log = logging.getLogger("actorbot.loop")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: How often the accepting thread checks for a stop request (seconds).
_POLL_INTERVAL = 0.05


class _QuietHandler(WSGIRequestHandler):
    timeout = 30  # a client that stops sending cannot hold a request thread forever

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("webhook server: " + format, *args)


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = False
    block_on_close = True  # server_close() joins the request threads
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("webhook server: error while serving %s", client_address, exc_info=True)


class WebhookServer:
    """Serves a WSGI application (normally a :class:`~actorbot.loop.WebhookApp`) with ``wsgiref``.

    The socket is bound at construction, so :attr:`url` is known at once (pass
    ``port=0`` for an ephemeral port). Use :meth:`start` to serve on a background
    thread, or :meth:`serve_forever` to serve on the calling thread; :meth:`stop`
    (from any other thread) ends either. Also a context manager.
    """

    def __init__(self, app: WsgiApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _ThreadingServer((host, port), _QuietHandler)
        self._server.set_app(app)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._serving = False
        self._closed = False

    @property
    def server_address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        """``http://host:port`` of the listening socket."""
        host, port = self.server_address
        return f"http://{host}:{port}"

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
            self._server.serve_forever(poll_interval=_POLL_INTERVAL)
        finally:
            self._close()

    def start(self) -> WebhookServer:
        """Serve on a new daemon thread; returns self."""
        with self._lock:
            self._claim()
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": _POLL_INTERVAL},
                name="actorbot-webhook-server",
                daemon=True,
            )
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop accepting, wait for requests under way (bounded by their own waits), close the socket.

        Idempotent. Must not be called from a request thread.
        """
        with self._lock:
            thread, serving, closed = self._thread, self._serving, self._closed
        if serving and not closed:
            self._server.shutdown()  # returns once serve_forever has returned
        if thread is not None:
            thread.join(timeout)
        self._close()

    def _close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._server.server_close()

    def __enter__(self) -> WebhookServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


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

