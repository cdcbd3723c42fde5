"""Plausible answers for methods the emulator does not model: a minimal valid value.

A value of a Bot API type is built from the generated spec: every required field
gets the smallest valid value of its type, discriminator fields get their constant.
Pure functions.
"""

from __future__ import annotations

from typing import Any

from . import _spec

__all__ = ["minimal_value", "minimal_result"]

_SCALAR_DEFAULTS: dict[str, Any] = {"Integer": 0, "Float": 0.0, "Boolean": True, "String": "", "True": True}


def minimal_value(type_name: str, _depth: int = 0) -> Any:
    """The smallest valid JSON value of ``type_name`` (e.g. ``"Array of User"``, ``"ChatMember"``)."""
    if type_name.startswith("Array of "):
        return []
    if type_name in _SCALAR_DEFAULTS:
        return _SCALAR_DEFAULTS[type_name]
    entry = _spec.TYPES.get(type_name)
    if entry is None or _depth > 8:
        return {}
    fields, subtypes = entry
    if subtypes:
        return minimal_value(subtypes[0], _depth + 1)
    constants = _spec.CONSTANTS.get(type_name, {})
    value: dict[str, Any] = {}
    for name, types, required in fields:
        if not required:
            continue
        if name in constants:
            value[name] = constants[name]
        elif types[0] == "Boolean":
            value[name] = False
        else:
            value[name] = minimal_value(types[0], _depth + 1)
    return value


def minimal_result(method: str) -> Any:
    """A minimal valid result for ``method`` (its first return type)."""
    returns, _fields = _spec.METHODS[method]
    return minimal_value(returns[0]) if returns else True
