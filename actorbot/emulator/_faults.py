"""Faults on demand: for the next N calls of a method, answer 429, 5xx, drop the connection, or stall.

A fault may target one chat: ``add(method, fault, chat_id=42)`` applies only to calls of
``method`` whose ``chat_id`` is 42 (planned as ``"method@42"``); those are taken before
the faults for the method in general.

A :class:`FaultPlan` is safe to use from any thread (its own lock).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Literal

__all__ = ["Fault", "FaultPlan", "ANY_METHOD"]

ANY_METHOD = "*"
FaultKind = Literal["rate_limit", "server_error", "drop", "slow"]


@dataclass(frozen=True)
class Fault:
    """One kind of misbehaviour.

    * ``rate_limit``: 429 ``Too Many Requests: retry after N`` with ``parameters.retry_after``;
    * ``server_error``: ``status`` (5xx) with a JSON error body;
    * ``drop``: the connection is closed without an answer (``processed=True``
      performs the call first, so only the answer is lost);
    * ``slow``: the answer is delayed by ``delay`` seconds (real time), then served.
    """

    kind: FaultKind
    retry_after: int = 1
    status: int = 500
    delay: float = 0.0
    processed: bool = False

    @classmethod
    def rate_limit(cls, retry_after: int = 1) -> Fault:
        """429 Too Many Requests with ``parameters.retry_after``."""
        return cls("rate_limit", retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        """A ``status`` (5xx) answer with a JSON error body."""
        return cls("server_error", status=status)

    @classmethod
    def drop(cls, *, processed: bool = False) -> Fault:
        """Close the connection without an answer (after performing the call if ``processed``)."""
        return cls("drop", processed=processed)

    @classmethod
    def slow(cls, delay: float) -> Fault:
        """Serve the answer ``delay`` real seconds late."""
        return cls("slow", delay=delay)

    @property
    def description(self) -> str:
        if self.kind == "rate_limit":
            return f"Too Many Requests: retry after {self.retry_after}"
        return {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                504: "Gateway Timeout"}.get(self.status, "Internal Server Error")


class FaultPlan:
    """Faults queued per method name (``"*"`` for any method but getUpdates), used first-in first-out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = {}

    def add(self, method: str, fault: Fault, times: int = 1, *, chat_id: int | str | None = None) -> None:
        """Apply ``fault`` to the next ``times`` calls of ``method`` (with ``chat_id``: to that chat's only)."""
        if times < 1:
            raise ValueError("times must be at least 1")
        if chat_id is not None:
            method = f"{method}@{chat_id}"
        with self._lock:
            self._queues.setdefault(method, deque()).extend([fault] * times)

    def take(self, method: str, chat_id: object = None) -> Fault | None:
        """The fault for this call of ``method`` (to ``chat_id``), if one is planned (consumes it)."""
        if not self._queues:
            return None
        targeted = f"{method}@{chat_id}" if chat_id is not None else None
        any_targeted = f"{ANY_METHOD}@{chat_id}" if chat_id is not None and method != "getUpdates" else None
        with self._lock:
            for key in (targeted, any_targeted, method, ANY_METHOD if method != "getUpdates" else None):
                if not key:
                    continue
                queue = self._queues.get(key)
                if queue:
                    fault = queue.popleft()
                    if not queue:
                        del self._queues[key]
                    return fault
        return None

    def pending(self, method: str | None = None) -> int:
        """How many faults are still planned (for ``method``, or in total)."""
        with self._lock:
            if method is None:
                return sum(len(q) for q in self._queues.values())
            return len(self._queues.get(method, ()))

    def planned(self) -> list[tuple[str, Fault, int]]:
        """The faults still planned, in order: ``(method, fault, times)`` (equal neighbours merged)."""
        with self._lock:
            rows: list[tuple[str, Fault, int]] = []
            for method, queue in self._queues.items():
                for fault in queue:
                    if rows and rows[-1][0] == method and rows[-1][1] == fault:
                        rows[-1] = (method, fault, rows[-1][2] + 1)
                    else:
                        rows.append((method, fault, 1))
            return rows

    def clear(self) -> None:
        """Forget every planned fault."""
        with self._lock:
            self._queues.clear()
