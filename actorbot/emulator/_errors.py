"""Bot API error answers with Telegram's wording.

Method handlers raise :class:`ApiError`; the dispatcher turns it into the
``{"ok": false, "error_code": ..., "description": ...}`` envelope.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "Described", "bad_request", "forbidden", "unauthorized", "not_found", "conflict"]


class ApiError(Exception):
    """An error answer: HTTP status/``error_code``, ``description`` and optional ``parameters``."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(code, description, parameters)
        self.code = code
        self.description = description
        self.parameters = parameters

    def envelope(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return body

    def __str__(self) -> str:
        return f"[{self.code}] {self.description}"


def bad_request(text: str) -> ApiError:
    """400 ``Bad Request: <text>``."""
    return ApiError(400, f"Bad Request: {text}")


def forbidden(text: str) -> ApiError:
    """403 ``Forbidden: <text>``."""
    return ApiError(403, f"Forbidden: {text}")


def unauthorized() -> ApiError:
    """401 ``Unauthorized`` (a wrong token)."""
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    """404 ``Not Found`` (an unknown method)."""
    return ApiError(404, "Not Found")


def conflict(text: str) -> ApiError:
    """409 ``Conflict: <text>``."""
    return ApiError(409, f"Conflict: {text}")


class Described:
    """A successful result that carries a ``description`` too (e.g. ``"Webhook was set"``)."""

    __slots__ = ("result", "description")

    def __init__(self, result: Any, description: str) -> None:
        self.result = result
        self.description = description
