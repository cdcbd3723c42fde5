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
import secrets
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ..exception import BadUpdate
from ._outcome import Delivery, Outcome
from ._refusals import RefusalLog

__all__ = ["WebhookApp", "SECRET_HEADER", "DEFAULT_MAX_BODY", "DEFAULT_MAX_DEPTH", "new_secret_token"]

log = logging.getLogger(__name__)

#: The header Telegram sends when ``setWebhook(..., secret_token=...)`` was given.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_ENVIRON = "HTTP_" + SECRET_HEADER.upper().replace("-", "_")
_SECRET_FORM = re.compile(r"[A-Za-z0-9_-]{1,256}")

#: Default body limit: 1 MiB, far above any update Telegram sends.
DEFAULT_MAX_BODY = 1 << 20
#: Default limit of JSON nesting (an update is about ten levels deep).
DEFAULT_MAX_DEPTH = 64

StartResponse = Callable[..., Any]
Answer = tuple[str, list[tuple[str, str]], bytes]


class _Generate:
    """The default of ``secret_token``: generate one."""

    def __repr__(self) -> str:
        return "GENERATE"


#: ``WebhookApp(secret_token=GENERATE)`` (the default) makes a new random secret token.
GENERATE = _Generate()


def new_secret_token() -> str:
    """A new random secret token for ``setWebhook(secret_token=...)`` (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


class _Feedable(Protocol):
    def feed(self, data: Any) -> Any: ...


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _too_deep(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists/dicts deeper than ``limit`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values() if isinstance(child, (dict, list)))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item if isinstance(child, (dict, list)))
    return False


class WebhookApp:
    """A WSGI application that receives Telegram's webhook POSTs and feeds them to ``webhook``.

    **Secure by default.** Without a secret token anyone who finds the URL can
    forge updates, so a secret is required:

    * by default (``secret_token`` omitted) the app generates one with
      :func:`new_secret_token`; read it from :attr:`secret_token` and pass it to
      ``setWebhook`` (or call :meth:`set_webhook`, which does);
    * or pass the ``secret_token`` given to ``setWebhook``;
    * ``secret_token=None`` is refused (``ValueError``) unless
      ``allow_unauthenticated=True`` too; then a WARNING is logged once.

    A request without the ``X-Telegram-Bot-Api-Secret-Token`` header is answered
    401, one with a different value 403 (compared in constant time).

    :param webhook: an :class:`~actorbot.loop.OrderedWebhook` (or :class:`Webhook`,
        or any object with ``feed(update_dict)``).
    :param max_body: the largest body accepted, in bytes (413 beyond).
    :param max_depth: the deepest JSON nesting accepted (400 beyond).
    :param accept_timeout: how long a request waits for the loop to accept its
        update before answering 503 (Telegram then sends it again).
    :param path: when given, only this ``PATH_INFO`` is served (404 otherwise).
    :param bot: the bot whose ``accepting`` is checked; by default ``webhook.bot``.

    Answers: 200 once the update was accepted (handled, or skipped because it
    can never be handled: re-sending would not help); 400 for a body that is
    not a JSON object (bad UTF-8, ``NaN``/``Infinity``, nesting deeper than
    ``max_depth``, an integer of over 4,300 digits) or is shorter than announced;
    401/403 for a missing/wrong secret; 405 for a method other than POST; 411
    without a length; 413 for a body over ``max_body``; 503 with ``Retry-After``
    when the bot is stopping (``bot.accepting`` is False), the loop holds its
    ``max_pending`` updates, the bot's store could not take the update (a loop
    with the bot's intake), the loop stopped, or it did not accept the update
    within ``accept_timeout``: Telegram delivers it again later, so nothing is
    lost. Refusals are logged in aggregate (:attr:`refusals`), never one WARNING each.
    """

    def __init__(
        self,
        webhook: _Feedable,
        *,
        secret_token: str | None | _Generate = GENERATE,
        allow_unauthenticated: bool = False,
        max_body: int = DEFAULT_MAX_BODY,
        max_depth: int = DEFAULT_MAX_DEPTH,
        accept_timeout: float = 10.0,
        path: str | None = None,
        bot: Any = None,
    ) -> None:
        if isinstance(secret_token, _Generate):
            secret_token = new_secret_token()
            log.info("webhook: generated a secret token; pass app.secret_token to setWebhook (or call app.set_webhook)")
        if secret_token is None:
            if not allow_unauthenticated:
                raise ValueError(
                    "a webhook without a secret token accepts forged updates: pass secret_token (or omit it to"
                    " generate one), or secret_token=None with allow_unauthenticated=True to opt out"
                )
            log.warning("webhook: no secret token, anyone who finds the URL can forge updates (allow_unauthenticated)")
        elif not _SECRET_FORM.fullmatch(secret_token):
            raise ValueError("secret_token must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        if max_body < 1 or max_depth < 1:
            raise ValueError("max_body and max_depth must be positive")
        self.webhook = webhook
        self._secret_token = secret_token
        self._secret = secret_token.encode("ascii") if secret_token is not None else None
        self.max_body = max_body
        self.max_depth = max_depth
        self.accept_timeout = accept_timeout
        self.path = path
        self._bot = bot if bot is not None else getattr(webhook, "bot", None)
        self.refusals = RefusalLog(log, "webhook requests refused")

    @property
    def secret_token(self) -> str | None:
        """The secret token to pass to ``setWebhook`` (None when unauthenticated)."""
        return self._secret_token

    def set_webhook(self, bot: Any, url: str, **kwargs: Any) -> Any:
        """Call ``bot.setWebhook(url, secret_token=self.secret_token, **kwargs)``."""
        if self._secret_token is not None:
            kwargs["secret_token"] = self._secret_token
        return bot.setWebhook(url, **kwargs)

    def __repr__(self) -> str:  # never shows the secret
        secret = "set" if self._secret is not None else "none"
        return f"WebhookApp(webhook={self.webhook!r}, secret_token={secret}, max_body={self.max_body})"

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = self._respond(environ)
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))), *headers]
        start_response(status, headers)
        return [body]

    # -- request handling (on the server's request thread) -------------------------
    def _refuse(self, status: str, text: str, reason: str, headers: list[tuple[str, str]] | None = None) -> Answer:
        self.refusals.refused(reason)
        return status, headers or [], text.encode()

    def _respond(self, environ: dict[str, Any]) -> Answer:
        if self.path is not None and environ.get("PATH_INFO", "") != self.path:
            return self._refuse("404 Not Found", "not found\n", "wrong path")
        if str(environ.get("REQUEST_METHOD", "GET")).upper() != "POST":
            return self._refuse("405 Method Not Allowed", "only POST\n", "not POST", [("Allow", "POST")])
        if self._secret is not None:
            given = environ.get(_SECRET_ENVIRON)
            if given is None:
                return self._refuse("401 Unauthorized", "secret token missing\n", "secret token missing")
            # WSGI header values are latin-1 strings: this recovers the raw bytes.
            if not hmac.compare_digest(str(given).encode("latin-1", errors="replace"), self._secret):
                return self._refuse("403 Forbidden", "wrong secret token\n", "wrong secret token")
        if self._bot is not None and not getattr(self._bot, "accepting", True):
            return "503 Service Unavailable", [("Retry-After", "5")], b"the bot is stopping\n"
        body_or_error = self._read_body(environ)
        if isinstance(body_or_error, tuple):
            return body_or_error
        try:
            update = json.loads(body_or_error, parse_constant=_no_constant)
        except RecursionError:
            return self._refuse("400 Bad Request", "JSON nested too deep\n", "nested too deep")
        except ValueError:  # includes UnicodeDecodeError and integers of over 4,300 digits
            return self._refuse("400 Bad Request", "body is not JSON\n", "not JSON")
        if not isinstance(update, dict):
            return self._refuse("400 Bad Request", "body is not a JSON object\n", "not a JSON object")
        if _too_deep(update, self.max_depth):
            return self._refuse("400 Bad Request", "JSON nested too deep\n", "nested too deep")
        return self._feed(update)

    def _read_body(self, environ: dict[str, Any]) -> bytes | Answer:
        stream = environ.get("wsgi.input")
        raw_length = str(environ.get("CONTENT_LENGTH") or "").strip()
        if not raw_length:
            if not environ.get("wsgi.input_terminated") or stream is None:
                return self._refuse("411 Length Required", "Content-Length required\n", "no length")
            body = _read_up_to(stream, self.max_body + 1)
            if len(body) > self.max_body:
                return self._refuse("413 Content Too Large", f"body over {self.max_body} bytes\n", "body too large")
            return body
        if not raw_length.isdigit():
            return self._refuse("400 Bad Request", "bad Content-Length\n", "bad length")
        length = int(raw_length)
        if length > self.max_body:
            return self._refuse("413 Content Too Large", f"body over {self.max_body} bytes\n", "body too large")
        body = _read_up_to(stream, length) if stream is not None else b""
        if len(body) < length:
            return self._refuse("400 Bad Request", "body shorter than Content-Length\n", "short body")
        return body

    def _feed(self, update: dict[str, Any]) -> Answer:
        try:
            result = self.webhook.feed(update)
        except BadUpdate as exc:
            return self._refuse("400 Bad Request", f"{exc.reason}\n", "unreadable update")
        except Exception:
            log.exception("feeding a webhook update failed")
            return "500 Internal Server Error", [], b"internal error\n"
        if isinstance(result, Delivery):
            outcome = result.wait(self.accept_timeout)
            if outcome is None:
                self.refusals.refused(f"not accepted within accept_timeout={self.accept_timeout:g} s (503)")
                return "503 Service Unavailable", [("Retry-After", "1")], b"not accepted in time\n"
            if outcome is Outcome.BUSY:
                return "503 Service Unavailable", [("Retry-After", "1")], b"busy: deliver again later\n"
            if not outcome.acknowledged:
                return "503 Service Unavailable", [("Retry-After", "5")], b"the loop is stopped\n"
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
