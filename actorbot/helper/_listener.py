"""``Microphone`` and ``Listener``: how a delegate says which messages it wants.

With a :class:`~actorbot.DelegatorBot`, ``bot.create_listener()`` returns a
:class:`Listener` bound to the engine: each :meth:`Listener.capture` becomes an entry
of the supervisor's capture index, so messages are *routed* to the delegates that
capture them (no broadcast). A handler run by ``create_open`` receives its messages
in ``on_message``; a run-style delegate (``create_run``, ``call``) blocks in
:meth:`Listener.wait` on its own thread.

A :class:`Listener` built by hand around a :class:`Microphone` and a queue works as in
telepot: the microphone puts every message in every registered queue and ``wait``
filters them.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from ..actors._matching import match_all, normalize_pattern

__all__ = ["Microphone", "Listener"]

logger = logging.getLogger(__name__)


class Microphone:
    """Broadcasts each message to a set of queues (thread-safe)."""

    def __init__(self) -> None:
        self._queues: set[Any] = set()
        self._lock = threading.Lock()

    def add(self, q: Any) -> None:
        with self._lock:
            self._queues.add(q)

    def remove(self, q: Any) -> None:
        with self._lock:
            self._queues.discard(q)

    def send(self, msg: Any) -> None:
        with self._lock:
            queues = list(self._queues)
        for q in queues:
            try:
                q.put_nowait(msg)
            except queue.Full:
                logger.warning("a listener's queue is full; a message was not given to it")


class Listener:
    """Captures messages matching its patterns. Created by ``bot.create_listener()``."""

    def __init__(self, mic: Any, q: Any) -> None:
        self._mic = mic
        self._queue = q
        self._patterns: list[tuple[Any, ...]] = []
        self._binding: Any = None  # set by the engine for a DelegatorBot's listeners
        self._captures: list[Any] = []

    def __del__(self) -> None:
        try:
            if self._queue is not None and self._mic is not None:
                self._mic.remove(self._queue)
        except Exception:
            pass

    def capture(self, pattern: Any) -> None:
        """Add a pattern to capture: a list of templates, all of which must match.

        A template may be a function taking the message and returning True on a match,
        or a dict whose keys select parts of the message (a string, or a compiled regular
        expression selecting every matching key) and whose values are matched against
        those parts: plain values by equality, functions by calling them, dicts
        recursively.
        """
        templates = normalize_pattern(pattern)
        self._patterns.append(templates)
        if self._binding is not None:
            self._captures.append(self._binding.capture(templates))

    def _capture_token(self, pattern: Any) -> Any:
        """Capture ``pattern`` and return a token for :meth:`_uncapture` (engine listeners)."""
        templates = normalize_pattern(pattern)
        self._patterns.append(templates)
        if self._binding is None:
            return templates
        token = self._binding.capture(templates)
        self._captures.append(token)
        return token

    def _uncapture(self, token: Any) -> None:
        """Stop capturing what :meth:`_capture_token` added."""
        if self._binding is None:
            if token in self._patterns:
                self._patterns.remove(token)
            return
        if token in self._captures:
            self._captures.remove(token)
            if token.templates in self._patterns:
                self._patterns.remove(token.templates)
            self._binding.uncapture(token)

    # -- the engine's side (a DelegatorBot runs its delegates' listeners through these) ----------
    def attach(self, binding: Any) -> None:
        """Bind this listener to an engine: its captures go to ``binding`` from now on."""
        self._binding = binding

    @property
    def inbox(self) -> queue.Queue[Any] | None:
        """The queue :meth:`wait` takes messages from (None: an actor delegate's listener,
        which only carries its captures; the actor receives its messages itself)."""
        return self._queue

    def open_inbox(self) -> queue.Queue[Any]:
        """Give this listener a queue of its own (a run-style delegate's), if it has none."""
        if self._queue is None:
            self._queue = queue.Queue()
        return self._queue

    def _matches(self, msg: Any) -> bool:
        return any(match_all(msg, p) for p in list(self._patterns))

    def wait(self) -> Any:
        """Block until a matching message arrives; return it (run-style delegates only)."""
        if not self._patterns:
            raise RuntimeError("Listener has nothing to capture")
        if self._binding is not None:
            return self._binding.wait(self, self._matches)
        while True:
            msg = self._queue.get(block=True)
            if self._matches(msg):
                return msg
