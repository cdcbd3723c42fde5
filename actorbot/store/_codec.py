"""JSON encoding of records and journal bodies, shared by every store.

Records are JSON objects written with ``allow_nan=False``: a value :func:`json.dumps`
refuses (a ``datetime``, a ``set``, NaN) raises
:class:`~actorbot.exception.StateNotSerializable` naming the record and the path inside it.
Text read back that is not a JSON object raises :class:`~actorbot.exception.StoreCorrupt`.
What JSON accepts but does not give back is json's rule, the same in every store: a tuple
comes back a list, an int/float/bool/None dict key comes back a string.
Pure functions; safe on any thread.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..exception import StateNotSerializable, StoreCorrupt
from ._base import Json

__all__ = ["encode", "encode_update", "decode", "check_name", "record_name"]

_SCALARS = (str, int, bool, type(None))


def record_name(namespace: str, key: str) -> str:
    """How messages name a record: ``conv/42``."""
    return f"{namespace}/{key}"


def check_name(namespace: str, key: str) -> None:
    """A record's namespace and key are non-empty strings (TypeError/ValueError otherwise)."""
    if not isinstance(namespace, str) or not isinstance(key, str):
        raise TypeError(f"a record's namespace and key are str, not {type(namespace).__name__}/{type(key).__name__}")
    if not namespace:
        raise ValueError("a record's namespace is a non-empty string")


def encode(value: Any, namespace: str, key: str) -> str:
    """``value`` (a JSON object) as compact ASCII JSON text, or :class:`StateNotSerializable`."""
    name = record_name(namespace, key)
    if not isinstance(value, dict):
        raise StateNotSerializable(
            f"cannot store record {name}: a record is a JSON object (dict), not {type(value).__name__}", name
        )
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as exc:
        where = _find_bad(value, "") or ""
        raise StateNotSerializable(f"cannot store record {name} as JSON: {where or 'value'}: {exc}", name) from exc


def _find_bad(value: Any, path: str, depth: int = 0) -> str | None:
    """The path (``['when']``, ``['items'][2]``) of the first value JSON cannot hold, if found."""
    if depth > 100:
        return path + " (nested too deep)"
    if isinstance(value, float):
        return None if math.isfinite(value) else path + f" = {value!r}"
    if isinstance(value, _SCALARS):
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                return path + f" (key {k!r} of type {type(k).__name__})"
            found = _find_bad(v, path + f"[{k!r}]", depth + 1)
            if found is not None:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _find_bad(v, path + f"[{i}]", depth + 1)
            if found is not None:
                return found
        return None
    return path + f" (a {type(value).__name__})"


def decode(text: str | bytes, where: str) -> Json:
    """The JSON object ``text`` read from ``where`` (a message's words), or :class:`StoreCorrupt`."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise StoreCorrupt(f"{where} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise StoreCorrupt(f"{where} is JSON {type(value).__name__}, not an object")
    return value


def encode_update(update_id: int, update: Any) -> str:
    """A journal body (an update as received) as JSON text."""
    if isinstance(update_id, bool) or not isinstance(update_id, int):
        raise TypeError(f"update_id must be an int, not {type(update_id).__name__}")
    return encode(update, "journal", str(update_id))
