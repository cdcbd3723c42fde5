"""The one exception tree of actorbot.

Everything actorbot raises on purpose derives from :class:`ActorbotException`.
Errors reported by the Bot API are :class:`TelegramError` instances; the most
specific subclass is chosen by the *structure* of the answer first (HTTP status,
``parameters.retry_after``, ``parameters.migrate_to_chat_id``) and then refined by
``DESCRIPTION_PATTERNS``, the regular-expression mechanism telepot documented, so
users can still add their own subclasses::

    class MessageNotModified(TelegramError):
        DESCRIPTION_PATTERNS = ['message is not modified']

No exception message ever contains the bot token.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

__all__ = [
    "ActorbotException",
    "BadFlavor",
    "BadHTTPResponse",
    "NetworkError",
    "RequestCancelled",
    "BadUpdate",
    "SupervisionError",
    "ConversationQuarantined",
    "PoisonUpdate",
    "HandlerTimeout",
    "EngineFault",
    "StoreError",
    "StoreUnavailable",
    "StoreCorrupt",
    "StoreLocked",
    "StateNotSerializable",
    "EventNotFound",
    "WaitTooLong",
    "IdleTerminate",
    "StopListening",
    "TelegramError",
    "UnauthorizedError",
    "ForbiddenError",
    "BotWasKickedError",
    "BotWasBlockedError",
    "ConflictError",
    "TooManyRequestsError",
    "MigratedToSupergroupChatError",
    "NotEnoughRightsError",
    "ServerError",
]


class ActorbotException(Exception):
    """Base class of every exception actorbot raises on purpose."""


class BadFlavor(ActorbotException):
    """A message whose flavor cannot be used where it was given."""

    def __init__(self, offender: Any) -> None:
        super().__init__(offender)

    @property
    def offender(self) -> Any:
        return self.args[0]


class BadHTTPResponse(ActorbotException):
    """The Bot API (or something in front of it) answered with a body that is not JSON."""

    def __init__(self, status: int, text: str, response: Any = None) -> None:
        super().__init__(status, text, response)

    @property
    def status(self) -> int:
        return self.args[0]

    @property
    def text(self) -> str:
        return self.args[1]

    @property
    def response(self) -> Any:
        return self.args[2]

    def __str__(self) -> str:
        snippet = self.text if len(self.text) <= 200 else self.text[:200] + "..."
        return f"HTTP {self.status} with a non-JSON body: {snippet!r}"


class NetworkError(ActorbotException):
    """The request could not be completed: connection refused, reset, dropped or timed out.

    ``sent`` tells whether the request may have reached the server (so whether
    retrying it could duplicate its effect). The original urllib3 exception is
    chained as ``__cause__``.
    """

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class RequestCancelled(NetworkError):
    """The request was cancelled through its :class:`~actorbot.api.CancelToken` (the bot is stopping).

    ``sent`` tells whether it may have reached the server before it was cut.
    """


class BadUpdate(ActorbotException):
    """An update that cannot be understood (not a dict, no ``update_id``, no payload).

    Loops log it and skip it; it never stops a loop.
    """

    def __init__(self, reason: str, update: Any = None) -> None:
        super().__init__(reason, update)

    @property
    def reason(self) -> str:
        return self.args[0]

    @property
    def update(self) -> Any:
        return self.args[1]

    def __str__(self) -> str:
        return self.reason


class EventNotFound(ActorbotException):
    """An event to cancel is not (or no longer) scheduled."""

    def __init__(self, event: Any) -> None:
        super().__init__(event)

    @property
    def event(self) -> Any:
        return self.args[0]


class WaitTooLong(ActorbotException):
    """No message arrived within the allowed number of seconds."""

    def __init__(self, seconds: float | None) -> None:
        super().__init__(seconds)

    @property
    def seconds(self) -> float | None:
        return self.args[0]


class IdleTerminate(WaitTooLong):
    """A delegate was idle for too long; raised to close it (a normal ending, not a failure)."""


class StopListening(ActorbotException):
    """Raised by a delegate to close itself normally."""


class SupervisionError(ActorbotException):
    """A decision of the engine's supervisor about a conversation, reported to ``on_error``.

    ``conversation`` names it (a :class:`~actorbot.actors.ConversationId`). The handler's own
    exception, where there is one, is chained as ``__cause__``.
    """

    def __init__(self, message: str, conversation: Any = None) -> None:
        super().__init__(message)
        self.conversation = conversation


class ConversationQuarantined(SupervisionError):
    """A conversation failed more often than its :class:`~actorbot.RestartPolicy` allows.

    Its later updates are kept as dead letters (``bot.dead_letters``) until a program retries
    them; other conversations are not affected. Reported to ``on_error`` once.
    """


class PoisonUpdate(SupervisionError):
    """One update made a conversation's handler raise several times in a row.

    It was moved to the dead letters; the conversation goes on with its next update.
    """


class HandlerTimeout(SupervisionError):
    """A handler has been running longer than ``handler_timeout``.

    ``stack`` is where it was when this was noticed (formatted, the handler's thread).
    Reported to ``on_error``; the handler is not interrupted and its conversation's
    updates keep queueing in order.
    """

    def __init__(self, message: str, conversation: Any = None, *, stack: str = "", seconds: float = 0.0) -> None:
        super().__init__(message, conversation)
        self.stack = stack
        self.seconds = seconds


class EngineFault(ActorbotException):
    """An internal fault of the engine (not of user code); the bot stops with it."""


class StoreError(ActorbotException):
    """A store (``store=`` of a ``DelegatorBot``) failed; the driver's error is chained as ``__cause__``.

    Messages name the store by :meth:`~actorbot.store.Store.describe` (never a password).
    """


class StoreUnavailable(StoreError):
    """The store cannot be reached now (Redis down, connection lost, disk full): try again later."""


class StoreCorrupt(StoreError):
    """The store's data cannot be read: a corrupt or foreign file, or records this version does not know."""


class StoreLocked(StoreError):
    """Another process already uses this store (a second copy of the bot on the same SQLite file)."""


class StateNotSerializable(StoreError, TypeError):
    """A value put in ``self.state``, ``chat_data`` or ``user_data`` cannot be stored as JSON.

    ``key`` names the entry (``"state['when']"``, say).
    """

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key


class TelegramError(ActorbotException):
    """An error answer of the Bot API: ``{"ok": false, "error_code": ..., "description": ...}``.

    ``TelegramError.create(json)`` picks the most specific subclass. Subclasses may
    define ``DESCRIPTION_PATTERNS``, a list of regular expressions searched
    case-insensitively in the description.
    """

    DESCRIPTION_PATTERNS: ClassVar[list[str]] = []

    def __init__(self, description: str, error_code: int, json: dict[str, Any]) -> None:
        super().__init__(description, error_code, json)

    @property
    def description(self) -> str:
        return self.args[0]

    @property
    def error_code(self) -> int:
        return self.args[1]

    @property
    def json(self) -> dict[str, Any]:
        return self.args[2]

    @property
    def parameters(self) -> dict[str, Any]:
        params = self.json.get("parameters") if isinstance(self.json, dict) else None
        return params if isinstance(params, dict) else {}

    def __str__(self) -> str:
        return f"[{self.error_code}] {self.description}"

    @classmethod
    def create(cls, json: dict[str, Any], status: int | None = None) -> TelegramError:
        """Build the most specific exception for an error answer.

        The class is chosen by structure first (``parameters``, then the error code
        or HTTP status), then refined among that class's descendants by
        ``DESCRIPTION_PATTERNS``; the deepest matching class wins.
        """
        description = str(json.get("description", "")) if isinstance(json, dict) else ""
        code = json.get("error_code") if isinstance(json, dict) else None
        if not isinstance(code, int):
            code = status if status is not None else 0
        base = _structural_class(json, code)
        chosen = _refine_by_description(base, description)
        return chosen(description, code, json)


def _structural_class(json: dict[str, Any], code: int) -> type[TelegramError]:
    params = json.get("parameters") if isinstance(json, dict) else None
    params = params if isinstance(params, dict) else {}
    if "migrate_to_chat_id" in params:
        return MigratedToSupergroupChatError
    if code == 429 or "retry_after" in params:
        return TooManyRequestsError
    return _BY_CODE.get(code, ServerError if code >= 500 else TelegramError)


def _refine_by_description(base: type[TelegramError], description: str) -> type[TelegramError]:
    best, best_depth = base, len(base.__mro__)
    stack = list(base.__subclasses__())
    while stack:
        candidate = stack.pop()
        stack.extend(candidate.__subclasses__())
        patterns = candidate.__dict__.get("DESCRIPTION_PATTERNS", ())
        if any(re.search(p, description, re.IGNORECASE) for p in patterns):
            depth = len(candidate.__mro__)
            if depth > best_depth:
                best, best_depth = candidate, depth
    return best


class UnauthorizedError(TelegramError):
    """401: the token is wrong or was revoked."""

    DESCRIPTION_PATTERNS = ["unauthorized"]


class ForbiddenError(TelegramError):
    """403: the bot may not act on that chat or user."""


class BotWasKickedError(ForbiddenError):
    DESCRIPTION_PATTERNS = ["bot.*kicked"]


class BotWasBlockedError(ForbiddenError):
    DESCRIPTION_PATTERNS = ["bot.*blocked"]


class ConflictError(TelegramError):
    """409: another getUpdates is running, or a webhook is set while polling."""


class TooManyRequestsError(TelegramError):
    """429: flood control. ``retry_after`` is the number of seconds Telegram asks to wait."""

    DESCRIPTION_PATTERNS = ["too *many *requests"]

    @property
    def retry_after(self) -> float | None:
        value = self.parameters.get("retry_after")
        return float(value) if isinstance(value, (int, float)) else None


class MigratedToSupergroupChatError(TelegramError):
    """The group became a supergroup; ``migrate_to_chat_id`` is its new id."""

    DESCRIPTION_PATTERNS = ["migrated.*supergroup *chat"]

    @property
    def migrate_to_chat_id(self) -> int | None:
        value = self.parameters.get("migrate_to_chat_id")
        return value if isinstance(value, int) else None


class NotEnoughRightsError(TelegramError):
    DESCRIPTION_PATTERNS = ["not *enough *rights"]


class ServerError(TelegramError):
    """5xx: a Telegram-side failure; usually worth retrying later."""


_BY_CODE: dict[int, type[TelegramError]] = {
    401: UnauthorizedError,
    403: ForbiddenError,
    409: ConflictError,
}
