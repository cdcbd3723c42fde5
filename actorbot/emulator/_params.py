"""Request parameters: validation against the Bot API spec and typed accessors.

Telegram accepts every parameter as a string (query, urlencoded or multipart) or
as JSON; objects and arrays may arrive JSON-serialized inside a string. The
accessors coerce and raise :class:`~._errors.ApiError` with Telegram-like wording.
Runs on the HTTP handler thread.
"""

from __future__ import annotations

import builtins
import json
import re
from typing import Any, SupportsFloat, SupportsIndex, TypeGuard

from . import _spec
from ._errors import ApiError, bad_request
from ._wire import Upload

__all__ = ["Params", "validate", "method_names"]

_INT = re.compile(r"\s*-?\d+\s*")
_SCALARS = ("String", "Integer", "Float", "Boolean")


def method_names() -> dict[str, str]:
    """Lower-case method name -> canonical name (Telegram's method names are case-insensitive)."""
    return {name.lower(): name for name in _spec.METHODS}


def _present(value: Any) -> bool:
    return value is not None and value != ""


def _is_int(value: Any) -> TypeGuard[int | float | str]:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str) and bool(_INT.fullmatch(value))


def _is_float(value: Any) -> TypeGuard[SupportsFloat | SupportsIndex | str | bytes | bytearray]:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or str(value).strip().lower() in ("true", "false", "1", "0")


def _as_json(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return None
        return decoded if isinstance(decoded, (dict, list)) else None
    return None


def _accepts(type_name: str, value: Any, name: str, uploads: dict[str, Upload]) -> bool:
    if type_name == "Integer":
        return _is_int(value)
    if type_name == "Float":
        return _is_float(value)
    if type_name == "Boolean":
        return _is_bool(value)
    if type_name == "String":
        return not isinstance(value, (dict, list))
    if type_name == "InputFile":
        return isinstance(value, str) or name in uploads
    return _as_json(value) is not None


def _type_error(name: str, types: tuple[str, ...]) -> ApiError:
    if "Integer" in types or "Float" in types:
        return bad_request(f'field "{name}" must be a valid Number')
    if "Boolean" in types:
        return bad_request(f'field "{name}" must be of type Boolean')
    if "String" in types:
        return bad_request(f'field "{name}" must be of type String')
    return bad_request(f"can't parse {name} JSON object")


def validate(method: str, params: dict[str, Any], uploads: dict[str, Upload]) -> None:
    """Check required and typed parameters of ``method`` (a canonical name); raise ApiError."""
    _returns, fields = _spec.METHODS[method]
    for name, types, required in fields:
        value = params.get(name)
        if value is None or value == "":
            if required and name not in uploads:
                raise missing(name)
            continue
        if "String" in types and not isinstance(value, (dict, list)):
            continue
        if not any(_accepts(t, value, name, uploads) for t in types):
            raise _type_error(name, types)


def missing(name: str) -> ApiError:
    """The error for an absent required parameter, in Telegram's words where known."""
    if name == "chat_id":
        return bad_request("chat_id is empty")
    if name == "text":
        return bad_request("message text is empty")
    if name == "user_id":
        return bad_request("invalid user_id specified")
    return bad_request(f'parameter "{name}" is required')


class Params:
    """Typed read access to one request's parameters and uploads."""

    def __init__(self, raw: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self.raw = raw
        self.uploads = uploads or {}

    def has(self, name: str) -> bool:
        return _present(self.raw.get(name)) or name in self.uploads

    def str(self, name: builtins.str, default: builtins.str | None = None) -> builtins.str | None:
        value = self.raw.get(name)
        if not _present(value):
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def require_str(self, name: builtins.str) -> builtins.str:
        value = self.str(name)
        if value is None:
            raise missing(name)
        return value

    def int(self, name: builtins.str, default: builtins.int | None = None) -> builtins.int | None:
        value = self.raw.get(name)
        if not _present(value):
            return default
        if not _is_int(value):
            raise bad_request(f'field "{name}" must be a valid Number')
        return int(float(value)) if isinstance(value, float) else int(value)

    def require_int(self, name: builtins.str) -> builtins.int:
        value = self.int(name)
        if value is None:
            raise missing(name)
        return value

    def float(self, name: builtins.str, default: builtins.float | None = None) -> builtins.float | None:
        value = self.raw.get(name)
        if not _present(value):
            return default
        if not _is_float(value):
            raise bad_request(f'field "{name}" must be a valid Number')
        return float(value)

    def bool(self, name: builtins.str, default: builtins.bool = False) -> builtins.bool:
        value = self.raw.get(name)
        if not _present(value):
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1")

    def json(self, name: builtins.str, default: Any = None) -> Any:
        value = self.raw.get(name)
        if not _present(value):
            return default
        decoded = _as_json(value)
        if decoded is None:
            raise bad_request(f"can't parse {name} JSON object")
        return decoded
