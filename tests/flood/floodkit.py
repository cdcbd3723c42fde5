"""Helpers for the flood-control tests: calls through a gate on threads, bounded waits."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from actorbot.actors._clock import real_monotonic
from actorbot.api import FloodGate
from actorbot.exception import TooManyRequestsError


def too_many(retry_after: float) -> TooManyRequestsError:
    """A 429 as the Bot API answers it."""
    body = {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after:g}",
            "parameters": {"retry_after": retry_after}}
    return TooManyRequestsError(body["description"], 429, body)


def eventually(predicate: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
    """Wait (bounded, on an event) until ``predicate()`` holds."""
    deadline = real_monotonic() + timeout
    pause = threading.Event()
    while not predicate():
        assert real_monotonic() < deadline, f"timed out waiting for {what or predicate}"
        pause.wait(0.002)


class Sends:
    """Calls made through a gate the way the HTTP client makes them, on threads; records each attempt."""

    def __init__(self, gate: FloodGate) -> None:
        self.gate = gate
        self.attempts: list[tuple[str, float]] = []  # (name, clock time), in the order sent
        self.outcomes: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def call(self, name: str, chat: Any, answers: list[float | None], method: str | None = None) -> None:
        """Run on this thread: each answer is a 429's retry_after, or None for success."""
        params = {"chat_id": chat} if chat is not None else {}
        method = method or ("sendMessage" if chat is not None else "getMe")
        try:
            with self.gate.passage(method, params) as passage:
                for retry_after in answers:
                    passage.wait_turn()
                    with self._lock:
                        self.attempts.append((name, self.gate.clock.now()))
                    if retry_after is None:
                        break
                    try:
                        raise too_many(retry_after)
                    except TooManyRequestsError as exc:
                        passage.flooded(exc)
            outcome: Any = "ok"
        except Exception as exc:  # recorded for the test to look at
            outcome = exc
        with self._lock:
            self.outcomes[name] = outcome

    def start(self, name: str, chat: Any, answers: list[float | None], method: str | None = None) -> None:
        """Start the call on a thread and return once it is in the gate (in its lane)."""
        before = self.gate.waiting(chat) if chat is not None else 0
        thread = threading.Thread(target=self.call, args=(name, chat, answers, method), name=f"send-{name}")
        self._threads.append(thread)
        thread.start()
        if chat is not None and self.gate.policy.lanes:
            eventually(lambda: self.gate.waiting(chat) > before or name in self.outcomes, what=f"{name} in its lane")

    def sent(self, name: str) -> int:
        with self._lock:
            return sum(1 for n, _ in self.attempts if n == name)

    def order(self) -> list[str]:
        with self._lock:
            return [n for n, _ in self.attempts]

    def done(self, *names: str) -> bool:
        with self._lock:
            return all(n in self.outcomes for n in names)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(5.0)
            assert not thread.is_alive(), thread.name
