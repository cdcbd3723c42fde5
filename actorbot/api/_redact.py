"""Keeping the bot token out of log lines, exception messages and reprs.

The token travels in every request URL (``/bot<token>/<method>``), so anything
that prints a URL could leak it: urllib3's DEBUG log lines and the messages of
its exceptions. :func:`redact` removes a known token from a text;
:data:`TOKEN_PATTERN` also catches tokens we were not told about, which is what
the :class:`RedactingFilter` installed on urllib3's loggers relies on (it holds
no state, so no token registry is needed).
"""

from __future__ import annotations

import logging
import re
from typing import Any

__all__ = ["REDACTED", "TOKEN_PATTERN", "redact", "scrub_exception", "RedactingFilter", "install_log_filter"]

REDACTED = "<token>"

# ``<bot id>:<secret>`` as Telegram issues them, and the ``bot<token>`` path segment.
TOKEN_PATTERN = re.compile(r"(?<![A-Za-z0-9])(bot)?\d{3,}:[A-Za-z0-9_-]{6,}")

# The ``/bot<token>/`` (or ``/file/bot<token>/``) segment of a Bot API URL, whatever the token looks like.
URL_TOKEN_PATTERN = re.compile(r"(/bot)[^/\s?#]+(?=/)")


def redact(text: str, token: str | None = None) -> str:
    """Return ``text`` with ``token`` (and anything shaped like a bot token) replaced."""
    if token:
        text = text.replace(token, REDACTED)
    text = URL_TOKEN_PATTERN.sub(lambda m: m.group(1) + REDACTED, text)
    return TOKEN_PATTERN.sub(lambda m: (m.group(1) or "") + REDACTED, text)


def _redact_value(value: Any, token: str | None) -> Any:
    if isinstance(value, str):
        return redact(value, token)
    if isinstance(value, tuple):
        return tuple(_redact_value(v, token) for v in value)
    return value


def scrub_exception(exc: BaseException | None, token: str | None) -> None:
    """Redact, in place, the messages of ``exc`` and of everything chained to it.

    urllib3 exceptions keep the URL in ``args`` and sometimes in a ``url``
    attribute; their ``reason`` may be another exception. They are chained as
    ``__cause__`` of actorbot's own exceptions, so a printed traceback would show
    them: they must be clean too.
    """
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        try:
            current.args = tuple(_redact_value(a, token) for a in current.args)
        except Exception:  # pragma: no cover - exotic exception types
            pass
        for attr in ("url", "_url"):
            value = getattr(current, attr, None)
            if isinstance(value, str):
                try:
                    setattr(current, attr, redact(value, token))
                except Exception:  # pragma: no cover
                    pass
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)
        stack.append(current.__cause__)
        stack.append(current.__context__)


class RedactingFilter(logging.Filter):
    """A stateless logging filter that rewrites a record's message without bot tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record: leave it to logging's own error path
            return True
        clean = redact(message)
        if clean != message:
            record.msg = clean
            record.args = None
        return True


_URLLIB3_LOGGERS = (
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
)


def install_log_filter() -> None:
    """Attach one :class:`RedactingFilter` to each urllib3 logger (idempotent)."""
    for name in _URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
