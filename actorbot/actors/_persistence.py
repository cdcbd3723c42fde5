"""What the engine keeps in its store, and when: :class:`Persistence` and its committer thread.

One per engine. Delegates load a conversation's state through it (on their own thread,
before ``open()``) and, after each handler run, :meth:`Persistence.finish` the update
they handled together with what the run changed (the conversation's state, its
``chat_data`` and ``user_data``).

- **With a store**, :meth:`~Persistence.finish` queues the writes; the committer thread
  (``actorbot-committer``) takes everything queued, from many conversations (waiting
  :data:`GROUP_WINDOW` for more after the first), and writes it in one transaction (group
  commit), marking the updates that became done (see
  :class:`~actorbot.actors._acks.Acks`) in that same transaction. Writes still queued are
  visible to loads (an overlay), so a conversation restarted at once reads its latest
  state. A transaction that fails is retried (bounded, with backoff); after that the
  engine stops with the store's error (:meth:`Engine.fault`): the updates stay in the
  journal, not done, and the next start replays them.
- **Without a store**, records live in a :class:`~actorbot.store.MemoryStore` and
  :meth:`~Persistence.finish` applies the writes at once on the calling thread.

Record layout (namespace, key) -> JSON object:

- ``("conv", "<pattern>:<seed as JSON>")`` -> ``{"state": {...}, "applied": <update_id>,
  "version": <state_version>}``; ``applied`` is the last update the conversation
  handled, so an update replayed after a crash is not applied twice;
- ``("chat", "<chat id>")``, ``("user", "<user id>")`` -> the data dict.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..exception import StoreError
from ..store import Commit, MemoryStore, Store, Write
from ._acks import Acks
from ._activity import Activity
from ._clock import real_monotonic

__all__ = ["Persistence", "Finish", "Durable", "CONVERSATIONS"]

logger = logging.getLogger(__name__)

CONVERSATIONS = "conv"

GROUP_MAX = 500
"""At most this many finished handler runs go into one transaction."""

GROUP_WINDOW = 0.002
"""Seconds the committer waits for more finished runs after the first, before it writes (real
time). A conversation whose mailbox is empty does not wait for its commit at all, so a short
wait costs little latency and groups many runs in one transaction under load."""

COMMIT_ATTEMPTS = 5
"""Tries of one transaction before the engine stops with the store's error."""


@dataclass(frozen=True)
class Finish:
    """A handler run ended: the update it handled (None for an event) and what it changed."""

    uid: int | None
    writes: tuple[Write, ...] = ()


@dataclass(frozen=True)
class _Queued:
    """One unit of a group commit, as queued for the committer."""

    seq: int  # the overlay entries it wrote are tagged with it (0: it wrote none)
    writes: tuple[Write, ...]
    uid: int | None  # the update whose unit ended (None: an event's run)
    durable: Durable


_STOP = object()


class Durable:
    """Set once a finished run's writes are durable (or the store failed and the engine stops).

    Thread-safe. :meth:`when_set` runs a callback once it is set (at once, on the caller's
    thread, if it already is; else on the committer's thread).
    """

    __slots__ = ("_event", "_lock", "_callbacks")

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def set(self) -> None:
        with self._lock:
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a scheduling bug must not stop the committer
                logger.exception("a callback after a commit failed")

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)

    def when_set(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return
        callback()


class Persistence:
    """The engine's records and journal bookkeeping (see the module docstring)."""

    def __init__(
        self, store: Store | None, acks: Acks, fault: Callable[[BaseException], None], activity: Activity
    ) -> None:
        self.durable = store is not None
        self.store: Store = store if store is not None else MemoryStore()
        self.replayed: frozenset[int] = frozenset()  # ids replayed from the journal at start (set once)
        self.origins: dict[tuple[Any, ...], tuple[int, Any]] = {}  # stored callback origins -> (pattern, seed)
        self._acks = acks
        self._fault = fault
        self._activity = activity  # queued commits count as work: settle() waits for them
        self._lock = threading.Lock()
        self._overlay: dict[tuple[str, str], tuple[int, Any]] = {}  # queued writes: key -> (seq, value)
        self._seq = 0
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._failed = False
        self._pause = threading.Event()
        self._flushed = False

    # -- what a restart restores -----------------------------------------------------------------------
    def origin_owner(self, origin: tuple[Any, ...]) -> tuple[int, Any] | None:
        """The stored conversation ``(pattern, seed)`` that captured ``origin`` before a restart."""
        with self._lock:
            return self.origins.get(origin)

    def keep_origins(self, conversation: tuple[int, Any], origins: Any) -> None:
        """An unloaded conversation's captured origins: a press on one of them rebuilds it (any thread)."""
        with self._lock:
            self.origins = {**self.origins, **{tuple(origin): conversation for origin in origins}}

    def claim_origins(self, seed: Any) -> set[tuple[Any, ...]]:
        """The stored origins of the conversations with ``seed``, forgotten here: a conversation
        rebuilt for that seed captures them itself (any thread)."""
        with self._lock:
            mine = {origin for origin, (_, owner) in self.origins.items() if owner == seed}
            if mine:
                self.origins = {o: c for o, c in self.origins.items() if o not in mine}
            return mine

    # -- reading (a delegate's thread) ---------------------------------------------------------------
    def get(self, namespace: str, key: str) -> dict[str, Any] | None:
        """The record, including writes still queued for the committer."""
        with self._lock:
            queued = self._overlay.get((namespace, key))
        if queued is not None:
            value = queued[1]
            return dict(value) if value is not None else None
        return self.store.get(namespace, key)

    # -- writing (a delegate's thread) ---------------------------------------------------------------
    def finish(self, item: Finish) -> Durable | None:
        """One unit of ``item.uid`` (if any) ended, with ``item.writes``.

        With a store, returns an event set once the transaction holding them is durable
        (or once the store has failed and the engine is stopping); a delegate waits for it
        before its next handler run, so a crash repeats at most one handled update (and its
        sends) per conversation. Without a store the writes are applied at once: None.
        """
        if not self.durable:
            if item.writes:
                self.store.commit([Commit(item.writes)])
            if item.uid is not None:
                self._acks.finish(item.uid)
            return None
        durable = Durable()
        self._activity.begin()
        # the committer ends the unit in Acks as it builds the transaction, so an update that
        # becomes done is marked done together with these writes
        with self._lock:  # queued in overlay order: the last write of a record wins
            seq = 0
            if item.writes:
                self._seq += 1
                seq = self._seq
                for write in item.writes:
                    self._overlay[(write.namespace, write.key)] = (seq, write.value)
            self._queue.put(_Queued(seq, item.writes, item.uid, durable))
        self._ensure_committer()
        return durable

    def done_now(self, uids: Sequence[int]) -> None:
        """Units of ``uids`` that ended with nothing to write (given up, routed nowhere)."""
        for uid in uids:
            self.finish(Finish(uid))

    # -- the committer thread --------------------------------------------------------------------------
    def _ensure_committer(self) -> None:
        if self._thread is not None or self._flushed:
            return  # after flush() nothing more is written: the journal keeps those updates pending
        with self._lock:
            if self._thread is None and not self._flushed:
                self._thread = threading.Thread(target=self._commit_loop, name="actorbot-committer", daemon=True)
                self._thread.start()

    def _commit_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            until = real_monotonic() + GROUP_WINDOW
            while len(batch) < GROUP_MAX:
                try:
                    more = self._queue.get(timeout=max(0.0, until - real_monotonic()))
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                batch.append(more)
            try:
                self._commit(batch)
            except Exception as exc:  # our own bug
                self._failed = True
                self._fault(exc)
            finally:
                self._activity.end(len(batch))
            if stop:
                return

    def _commit(self, batch: list[_Queued]) -> None:
        try:
            self._write(batch)
        finally:
            for queued in batch:
                queued.durable.set()

    def _write(self, batch: list[_Queued]) -> None:
        if self._failed:
            return  # the engine is stopping with the store's error; the journal keeps the rest
        commits = []
        for queued in batch:
            uid = queued.uid
            done = (uid,) if uid is not None and self._acks.finish(uid) else ()
            if queued.writes or done:
                commits.append(Commit(queued.writes, done))
        error: StoreError | None = None
        for attempt in range(COMMIT_ATTEMPTS):
            try:
                if commits:
                    self.store.commit(commits)
                error = None
                break
            except StoreError as exc:
                error = exc
                logger.warning("the store refused a commit (%s); attempt %d of %d", exc, attempt + 1, COMMIT_ATTEMPTS)
                self._pause.wait(0.2 * 2**attempt)  # retry pacing; set when the engine stops
        if error is not None:
            self._failed = True
            self._fault(error)
            return
        with self._lock:
            for queued in batch:
                for write in queued.writes:
                    key = (write.namespace, write.key)
                    entry = self._overlay.get(key)
                    if entry is not None and entry[0] == queued.seq:
                        del self._overlay[key]

    # -- lifecycle --------------------------------------------------------------------------------------
    def flush(self, timeout: float) -> bool:
        """Commit everything queued, then end the committer thread. True if it ended in time."""
        with self._lock:
            self._flushed = True
            thread = self._thread
        if thread is None:
            return True
        self._queue.put(_STOP)
        self._pause.set()  # a commit being retried gets one more try, not the whole backoff
        thread.join(timeout)
        if thread.is_alive():
            logger.warning("the committer did not finish writing within %g s", timeout)
            return False
        self._thread = None
        return True
