"""Where errors go: one :class:`ErrorReporter` per bot, calling the program's ``on_error``.

Every error the library catches on the program's behalf reaches the reporter: handlers
(``open``, ``on_message``, ``on_close``), seeders and delegators, scheduled-event
handling, the update loops, and the supervisor's decisions
(:class:`~actorbot.exception.ConversationQuarantined`,
:class:`~actorbot.exception.PoisonUpdate`, :class:`~actorbot.exception.HandlerTimeout`).
It calls ``on_error(exc, update, conversation)``, where ``update`` is the update (or
event) being handled, or None, and ``conversation`` a :class:`ConversationId`, or None
outside a conversation.

Threads: :meth:`ErrorReporter.report` runs ``on_error`` on the calling thread (the
delegate's, the loop's, the supervisor's...), one report at a time. Keep ``on_error``
quick; an exception it raises is logged and swallowed.

Without ``on_error``, :class:`DefaultErrorOutput` writes each error to the
``actorbot.errors`` logger at ERROR: one line per error, the traceback the first time
an error of that type is raised at that place. actorbot adds no handler to its loggers,
so a program that configured no logging still sees these lines (and warnings) on
stderr through Python's last-resort handler; one that did configure logging gets them
through its own handlers.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .exception import ConversationQuarantined, PoisonUpdate

__all__ = ["ConversationId", "OnError", "ErrorReporter", "DefaultErrorOutput", "describe_update"]

logger = logging.getLogger("actorbot.errors")


@dataclass(frozen=True)
class ConversationId:
    """Names a conversation: the delegation pattern's index and the seed it was started for."""

    pattern: int
    seed: Any

    def __str__(self) -> str:
        return f"conversation {self.seed!r} (pattern {self.pattern})"


OnError = Callable[[BaseException, Any, "ConversationId | None"], Any]
"""``on_error(exc, update, conversation)``; see :mod:`actorbot._reporting`."""


def describe_update(update: Any) -> str:
    """A short, token-free description of an update or event for a log line."""
    if isinstance(update, dict):
        if "update_id" in update:
            return f"update {update['update_id']}"
        if "message_id" in update and isinstance(update.get("chat"), dict):
            return f"message {update['message_id']} in chat {update['chat'].get('id')}"
        if "id" in update and "from" in update:
            return f"query {update['id']!r}"
        if len(update) == 1:
            return f"event {next(iter(update))!r}"
    if update is None:
        return "no update"
    return type(update).__name__


class DefaultErrorOutput:
    """The ``on_error`` used when the program gives none: a log line per error, each traceback once."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str, int]] = set()
        self._lock = threading.Lock()

    def __call__(self, exc: BaseException, update: Any, conversation: ConversationId | None) -> None:
        text = str(exc)
        where = ""
        if conversation is not None:
            where = f"{conversation}: "
            text = text.removeprefix(where)  # a supervision error names its conversation itself
        about = f" (handling {describe_update(update)})" if update is not None else ""
        line = f"{where}{type(exc).__name__}: {text}{about}"
        if _is_decision(exc):
            # the supervisor's verdict on an error already reported with its traceback
            cause = exc.__cause__
            logger.error("%s%s", line, f" (after {type(cause).__name__}: {cause})" if cause is not None else "")
            return
        place = _origin(exc)
        with self._lock:
            first = place not in self._seen
            self._seen.add(place)
        if first:
            logger.error("%s", line, exc_info=(type(exc), exc, exc.__traceback__))
        else:
            logger.error("%s (traceback shown before)", line)


def _is_decision(exc: BaseException) -> bool:
    return isinstance(exc, (ConversationQuarantined, PoisonUpdate))


def _origin(exc: BaseException) -> tuple[str, str, int]:
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ is not None else []
    if frames:
        last = frames[-1]
        return (type(exc).__qualname__, last.filename, last.lineno or 0)
    return (type(exc).__qualname__, str(exc), 0)


class ErrorReporter:
    """Calls ``on_error`` (or the default output) for each error; never raises.

    Observers added with :meth:`observe` see every report too (the test kit uses one).
    """

    def __init__(self, on_error: OnError | None = None) -> None:
        self._on_error: OnError = on_error if on_error is not None else DefaultErrorOutput()
        self._lock = threading.RLock()
        self._observers: list[Callable[[BaseException, Any, ConversationId | None], None]] = []
        self.count = 0

    @property
    def on_error(self) -> OnError:
        return self._on_error

    def observe(self, fn: Callable[[BaseException, Any, ConversationId | None], None]) -> None:
        """Have ``fn(exc, update, conversation)`` called for every later report (before ``on_error``)."""
        with self._lock:
            self._observers.append(fn)

    def report(self, exc: BaseException, update: Any = None, conversation: ConversationId | None = None) -> None:
        """Hand one error to the observers and ``on_error``, on this thread. Never raises."""
        with self._lock:
            self.count += 1
            for fn in (*self._observers, self._on_error):
                try:
                    fn(exc, update, conversation)
                except Exception:
                    logger.exception("on_error raised while reporting %s", type(exc).__name__)
