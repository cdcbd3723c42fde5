"""``SafeDict``: a dict whose item access is guarded by a lock."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["SafeDict"]


class SafeDict(dict):  # type: ignore[type-arg]
    """A ``dict`` whose ``d[k]``, ``d[k] = v`` and ``del d[k]`` are thread-safe (one lock)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.RLock()

    def __getitem__(self, key: Any) -> Any:
        with self._lock:
            return super().__getitem__(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        with self._lock:
            super().__delitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        with self._lock:
            return super().get(key, default)

    def pop(self, key: Any, *default: Any) -> Any:
        with self._lock:
            return super().pop(key, *default)
