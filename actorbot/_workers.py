"""A bounded set of worker threads, started on demand: :class:`WorkerPool`.

The serving model of both HTTP servers in actorbot: the bot's webhook server
(:class:`~actorbot.loop.WebhookServer`, one task per connection) and the
emulator's server (one task per connection with a request ready). At most
``size`` threads run tasks; a task submitted while every thread is busy waits in
a queue (at most ``max_pending`` of them when that is set).

Threads: :meth:`WorkerPool.submit` runs on the submitting thread (an accept
loop) and starts a worker named ``<name>-<n>`` when none is idle and fewer than
``size`` run; each worker runs ``work(item)`` for one item at a time.
:meth:`WorkerPool.close` (any other thread) stops them and joins them, bounded;
items still queued then are handed to ``discard`` instead of ``work``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["WorkerPool"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Real:
    """The real monotonic clock, bound at import (a test freezing time must not stall a join)."""

    now = staticmethod(time.monotonic)


class WorkerPool(Generic[T]):
    """At most ``size`` worker threads, started on demand, running ``work`` on submitted items.

    :param work: runs on a worker thread, once per item; must not raise (a raise is logged).
    :param size: the most worker threads.
    :param max_pending: the most items that may wait for a busy worker (None: no bound);
        :meth:`submit` returns False beyond it.
    :param name: worker threads are named ``<name>-1``, ``<name>-2``, ...
    :param discard: what is done with an item that will not be worked on (the pool closed).
    """

    def __init__(
        self,
        work: Callable[[T], None],
        size: int,
        *,
        max_pending: int | None,
        name: str,
        discard: Callable[[T], None],
    ) -> None:
        if size < 1:
            raise ValueError("size must be >= 1")
        self._work = work
        self._discard = discard
        self._size = size
        self._max_pending = max_pending
        self._name = name
        self._queue: queue.SimpleQueue[T | None] = queue.SimpleQueue()
        self._lock = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._idle = 0  # workers waiting for an item and not yet promised one
        self._backlog = 0  # queued items no worker was promised to (they wait)
        self._closed = False

    @property
    def size(self) -> int:
        """The most worker threads."""
        return self._size

    def submit(self, item: T) -> bool:
        """Queue ``item`` for a worker; False when the pool is closed or ``max_pending`` items wait already."""
        with self._lock:
            if self._closed:
                return False
            if self._idle > 0:
                self._idle -= 1
            elif len(self._threads) < self._size:
                thread = threading.Thread(
                    target=self._worker, name=f"{self._name}-{len(self._threads) + 1}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            elif self._max_pending is None or self._backlog < self._max_pending:
                self._backlog += 1
            else:
                return False
            self._queue.put(item)
        return True

    @property
    def waiting(self) -> int:
        """Items submitted that wait for a busy worker."""
        return self._backlog

    @property
    def threads(self) -> int:
        """Worker threads started so far (at most ``size``)."""
        with self._lock:
            return len(self._threads)

    def wait_idle(self, workers: int, timeout: float) -> bool:
        """Wait (bounded) until ``workers`` workers are idle; True if they are."""
        with self._lock:
            return self._lock.wait_for(lambda: self._idle >= workers, timeout)

    def _worker(self) -> None:
        first = True
        while True:
            if not first:
                with self._lock:
                    if self._backlog > 0:
                        self._backlog -= 1  # take a waiting item
                    else:
                        self._idle += 1
                        self._lock.notify_all()
            first = False
            item = self._queue.get()
            if item is None:
                return
            if self._closed:
                self._discard(item)
                continue
            try:
                self._work(item)
            except Exception:
                log.exception("%s: a task failed", self._name)

    def close(self, timeout: float | None) -> None:
        """Stop taking items, end every worker once the items queued before are done or discarded, join them."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        deadline = None if timeout is None else _Real.now() + timeout
        for thread in threads:
            thread.join(None if deadline is None else max(0.0, deadline - _Real.now()))
