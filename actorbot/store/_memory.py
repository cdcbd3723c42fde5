"""A store in memory: nothing survives the process. For tests and for trying things out.

Records and journal bodies are kept as JSON text, as the durable stores keep them: a
value read back is a copy, and a value JSON cannot hold fails here as it would there
(:class:`~actorbot.exception.StateNotSerializable`). Every method may be called from any
thread; one lock serialises them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence

from ..exception import StoreError
from ._base import Commit, Json, Store
from ._codec import check_name, decode, encode, encode_update, record_name

__all__ = ["MemoryStore"]

log = logging.getLogger(__name__)


class MemoryStore(Store):
    """A :class:`~actorbot.store.Store` in a dict (``store=":memory:"``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[int, str] = {}  # update_id -> body (JSON text)
        self._done: set[int] = set()
        self._records: dict[str, dict[str, str]] = {}  # namespace -> key -> JSON text
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"{self.describe()} is closed")

    # -- the journal -----------------------------------------------------------------------------
    def accept(self, updates: Sequence[tuple[int, Json]]) -> list[int]:
        bodies = [(update_id, encode_update(update_id, update)) for update_id, update in updates]
        new: list[int] = []
        with self._lock:
            self._check_open()
            for update_id, body in bodies:
                if update_id in self._pending or update_id in self._done:
                    continue
                self._pending[update_id] = body
                new.append(update_id)
        return new

    def pending(self) -> list[tuple[int, Json]]:
        with self._lock:
            self._check_open()
            items = sorted(self._pending.items())
        return [(update_id, decode(body, f"journal entry {update_id}")) for update_id, body in items]

    def forget_done(self, below: int) -> None:
        with self._lock:
            self._check_open()
            self._done = {update_id for update_id in self._done if update_id >= below}

    # -- records ---------------------------------------------------------------------------------
    def get(self, namespace: str, key: str) -> Json | None:
        check_name(namespace, key)
        with self._lock:
            self._check_open()
            text = self._records.get(namespace, {}).get(key)
        return None if text is None else decode(text, f"record {record_name(namespace, key)}")

    def keys(self, namespace: str) -> list[str]:
        with self._lock:
            self._check_open()
            return list(self._records.get(namespace, {}))

    def items(self, namespace: str) -> Iterator[tuple[str, Json]]:
        """``(key, record)`` of ``namespace``: a snapshot taken under the lock."""
        with self._lock:
            self._check_open()
            snapshot = list(self._records.get(namespace, {}).items())
        for key, text in snapshot:
            yield key, decode(text, f"record {record_name(namespace, key)}")

    # -- writing ---------------------------------------------------------------------------------
    def commit(self, commits: Sequence[Commit]) -> None:
        # encode everything first: a value JSON cannot hold fails before anything is written
        writes: list[tuple[str, str, str | None]] = []
        for unit in commits:
            for write in unit.writes:
                check_name(write.namespace, write.key)
                text = None if write.value is None else encode(write.value, write.namespace, write.key)
                writes.append((write.namespace, write.key, text))
        with self._lock:
            self._check_open()
            for namespace, key, text in writes:
                if text is None:
                    records = self._records.get(namespace)
                    if records is not None:
                        records.pop(key, None)
                        if not records:
                            del self._records[namespace]
                else:
                    self._records.setdefault(namespace, {})[key] = text
            for unit in commits:
                for update_id in unit.done:
                    self._pending.pop(update_id, None)
                    self._done.add(update_id)

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._closed = True

    def describe(self) -> str:
        return "memory"
