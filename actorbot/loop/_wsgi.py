"""The webhook endpoint as a WSGI application: :class:`WebhookApp`.

Any WSGI server can host it (gunicorn, uWSGI, waitress, or the standard
library's ``wsgiref`` via :class:`~actorbot.loop.WebhookServer`). Each request
runs on whatever thread the server gives it; the app only validates the
request, decodes the update, feeds it, and waits (bounded) until the loop
accepted it before answering 200.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ..exception import BadUpdate
from ._outcome import Delivery

__all__ = ["WebhookApp", "SECRET_HEADER", "DEFAULT_MAX_BODY"]

log = logging.getLogger("actorbot.loop")

#: The header Telegram sends when ``setWebhook(..., secret_token=...)`` was given.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_ENVIRON = "HTTP_" + SECRET_HEADER.upper().replace("-", "_")
_SECRET_FORM = re.compile(r"[A-Za-z0-9_-]{1,256}")

#: Default body limit: 1 MiB, far above any update Telegram sends.
DEFAULT_MAX_BODY = 1 << 20

StartResponse = Callable[..., Any]


class _Feedable(Protocol):
    def feed(self, data: Any) -> Any: ...


class WebhookApp:
    """A WSGI application that receives Telegram's webhook POSTs and feeds them to ``webhook``.

    :param webhook: an :class:`~actorbot.loop.OrderedWebhook` (or :class:`Webhook`,
        or any object with ``feed(update_dict)``).
    :param secret_token: the ``secret_token`` given to ``setWebhook``; when set,
        a request without the ``X-Telegram-Bot-Api-Secret-Token`` header is
        answered 401 and one with a different value 403 (compared in constant time).
    :param max_body: the largest body accepted, in bytes (413 beyond).
    :param accept_timeout: how long a request waits for the loop to accept its
        update before answering 503 (Telegram then sends it again).
    :param path: when given, only this ``PATH_INFO`` is served (404 otherwise).

    Answers: 200 once the update was accepted (handled, or skipped because it
    can never be handled: re-sending would not help); 400 for a body that is
    not a JSON object or is shorter than announced; 405 for a method other than
    POST; 411 without a length; 413 for a body over ``max_body``; 503 when the
    loop stopped or did not accept the update within ``accept_timeout``.
    """

    def __init__(
        self,
        webhook: _Feedable,
        *,
        secret_token: str | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        accept_timeout: float = 10.0,
        path: str | None = None,
    ) -> None:
        if secret_token is not None and not _SECRET_FORM.fullmatch(secret_token):
            raise ValueError("secret_token must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        if max_body < 1:
            raise ValueError("max_body must be positive")
        self.webhook = webhook
        self._secret = secret_token.encode("ascii") if secret_token is not None else None
        self.max_body = max_body
        self.accept_timeout = accept_timeout
        self.path = path

    def __repr__(self) -> str:  # never shows the secret
        secret = "set" if self._secret is not None else "none"
        return f"WebhookApp(webhook={self.webhook!r}, secret_token={secret}, max_body={self.max_body})"

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = self._respond(environ)
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))), *headers]
        start_response(status, headers)
        return [body]

    # -- request handling (on the server's request thread) -------------------------
    def _respond(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        if self.path is not None and environ.get("PATH_INFO", "") != self.path:
            return "404 Not Found", [], b"not found\n"
        if environ.get("REQUEST_METHOD", "GET").upper() != "POST":
            return "405 Method Not Allowed", [("Allow", "POST")], b"only POST\n"
        if self._secret is not None:
            given = environ.get(_SECRET_ENVIRON)
            if given is None:
                log.warning("webhook request without the %s header refused", SECRET_HEADER)
                return "401 Unauthorized", [], b"secret token missing\n"
            # WSGI header values are latin-1 strings: this recovers the raw bytes.
            if not hmac.compare_digest(given.encode("latin-1", errors="replace"), self._secret):
                log.warning("webhook request with a wrong %s header refused", SECRET_HEADER)
                return "403 Forbidden", [], b"wrong secret token\n"
        body_or_error = self._read_body(environ)
        if isinstance(body_or_error, tuple):
            return body_or_error
        try:
            update = json.loads(body_or_error)
        except ValueError:  # includes UnicodeDecodeError
            return "400 Bad Request", [], b"body is not JSON\n"
        if not isinstance(update, dict):
            return "400 Bad Request", [], b"body is not a JSON object\n"
        return self._feed(update)

    def _read_body(self, environ: dict[str, Any]) -> bytes | tuple[str, list[tuple[str, str]], bytes]:
        stream = environ.get("wsgi.input")
        raw_length = (environ.get("CONTENT_LENGTH") or "").strip()
        too_large: tuple[str, list[tuple[str, str]], bytes] = ("413 Content Too Large", [],
                                                               f"body over {self.max_body} bytes\n".encode())
        if not raw_length:
            if not environ.get("wsgi.input_terminated") or stream is None:
                return "411 Length Required", [], b"Content-Length required\n"
            body = _read_up_to(stream, self.max_body + 1)
            return too_large if len(body) > self.max_body else body
        if not raw_length.isdigit():
            return "400 Bad Request", [], b"bad Content-Length\n"
        length = int(raw_length)
        if length > self.max_body:
            return too_large
        body = _read_up_to(stream, length) if stream is not None else b""
        if len(body) < length:
            return "400 Bad Request", [], b"body shorter than Content-Length\n"
        return body

    def _feed(self, update: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        try:
            result = self.webhook.feed(update)
        except BadUpdate as exc:
            return "400 Bad Request", [], f"{exc.reason}\n".encode()
        except Exception:
            log.exception("feeding a webhook update failed")
            return "500 Internal Server Error", [], b"internal error\n"
        if isinstance(result, Delivery):
            outcome = result.wait(self.accept_timeout)
            if outcome is None:
                log.warning(
                    "update %s was not accepted within %.1f s; answering 503 so Telegram sends it again",
                    result.update_id,
                    self.accept_timeout,
                )
                return "503 Service Unavailable", [("Retry-After", "1")], b"not accepted in time\n"
            if not outcome.acknowledged:
                return "503 Service Unavailable", [], b"the loop is stopped\n"
        return "200 OK", [], b""


def _read_up_to(stream: Any, limit: int) -> bytes:
    """Read until ``limit`` bytes or the end of ``stream`` (``read`` may return less)."""
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = stream.read(min(remaining, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
