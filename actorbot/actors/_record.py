"""A stored JSON object a handler reads and changes: :class:`Record` (``self.state``,
``self.chat_data``, ``self.user_data``).

A record belongs to one delegate while it handles an update, and is only touched on
the thread running that delegate. It loads lazily (``chat_data`` costs nothing unless
used), refuses at once what JSON cannot store, and tells the delegate, after a
handler run, whether it changed and what to write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from ..exception import StateNotSerializable

__all__ = ["Record", "encode", "seed_text", "parse_conversation_key"]


def encode(value: Any) -> str:
    """Compact JSON text of ``value`` (no NaN or Infinity: other languages could not read them)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False, sort_keys=True)


def seed_text(seed: Any) -> str:
    """A conversation seed as stable text for a store key (JSON, else its repr)."""
    if type(seed) is int:  # a chat or user id, most seeds: JSON's text of an int is str()'s
        return str(seed)
    try:
        return encode(seed)
    except (TypeError, ValueError):
        return repr(seed)


def _tuples(value: Any) -> Any:
    """JSON's lists back as tuples (a seed must be hashable)."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def parse_conversation_key(key: str) -> tuple[int, Any] | None:
    """``(pattern, seed)`` of a stored conversation's key ``"<pattern>:<seed as JSON>"``, or None."""
    pattern, _, text = key.partition(":")
    try:
        return int(pattern), _tuples(json.loads(text))
    except ValueError:
        return None


def _check(label: str, key: Any, value: Any) -> None:
    if not isinstance(key, str):
        raise StateNotSerializable(
            f"{label} keys must be strings (JSON object keys), not {type(key).__name__} ({key!r})", f"{label}[{key!r}]"
        )
    try:
        encode(value)
    except (TypeError, ValueError) as exc:
        raise StateNotSerializable(
            f"{label}[{key!r}] cannot be stored: {type(value).__name__} is not JSON-serialisable ({exc});"
            " store numbers, strings, booleans, None, lists and dicts of them",
            f"{label}[{key!r}]",
        ) from exc


class Record(MutableMapping[str, Any]):
    """A mutable mapping of JSON-serialisable values (string keys), loaded on first use.

    :param label: how errors name it (``"state"``, ``"chat_data"``).
    :param load: returns the stored object (or None); called at most once, on first access.
    :param data: the contents, when there is nothing to load.
    """

    __slots__ = ("_label", "_load", "_data", "_text", "namespace", "key")

    def __init__(
        self,
        label: str,
        load: Callable[[], dict[str, Any] | None] | None = None,
        data: dict[str, Any] | None = None,
        *,
        namespace: str | None = None,
        key: str | None = None,
    ) -> None:
        self.namespace = namespace  # where it is stored, for the writer
        self.key = key
        self._label = label
        self._load = load
        self._data: dict[str, Any] | None = None
        self._text: str | None = None  # the encoding last loaded or written
        if load is None:
            self._set_loaded(data or {})

    def _set_loaded(self, data: dict[str, Any]) -> None:
        self._data = data
        self._text = encode(data)

    @property
    def _d(self) -> dict[str, Any]:
        if self._data is None:
            assert self._load is not None
            self._set_loaded(self._load() or {})
        assert self._data is not None
        return self._data

    @property
    def loaded(self) -> bool:
        return self._data is not None

    # -- the mapping -------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self._d[key]

    def __setitem__(self, key: str, value: Any) -> None:
        _check(self._label, key, value)
        self._d[key] = value

    def __delitem__(self, key: str) -> None:
        del self._d[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __repr__(self) -> str:
        return f"{self._label}({self._d!r})" if self.loaded else f"{self._label}(<not loaded>)"

    # -- for the delegate --------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """A copy of the contents, as stored (a plain dict)."""
        return json.loads(self.changes() or self._text or "{}")

    def changes(self) -> str | None:
        """The new encoding if the contents changed since loaded or last :meth:`mark_written`; else None.

        Checks every value again (a list put in earlier may have been given a set since):
        raises :class:`~actorbot.exception.StateNotSerializable` naming the first bad key.
        """
        if self._data is None:
            return None
        try:
            text = encode(self._data)
        except (TypeError, ValueError) as exc:
            for key, value in self._data.items():
                _check(self._label, key, value)
            raise StateNotSerializable(f"{self._label} cannot be stored as JSON ({exc})", self._label) from exc
        return None if text == self._text else text

    def mark_written(self, text: str) -> None:
        self._text = text

    def reset(self, data: dict[str, Any] | None = None) -> None:
        """Replace the contents (a conversation that starts afresh)."""
        self._set_loaded(dict(data or {}))
