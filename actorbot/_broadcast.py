"""Broadcasts: one message to many chats, within Telegram's limits, resumable from a store.

``bot.broadcast(chat_ids, make_message)`` returns a :class:`BroadcastJob` at once; its
worker threads send ``make_message(chat_id)`` (a text, or a dict of ``sendMessage``
parameters) to each chat, paced to ``TelegramLimits.overall_per_second`` (30 a second; a
message with ``allow_paid_broadcast`` uses ``paid_per_second``) on the bot's flood clock,
through the bot's flood gate (a 429 still pauses only its chat, or the whole bot when many
chats get one). Each chat gets a result: ``"sent"``, ``"blocked"``, ``"chat_not_found"``,
``"deactivated"``, ``"kicked"``, ``"forbidden"``, ``"flood"`` (429s beyond the flood wait
allowed), ``"unknown"`` (the connection broke after the request was sent: it may have
arrived) or ``"error"``.

**Resuming.** With a ``job_id`` and a store (``store=`` or a ``DelegatorBot``'s ``bot.store``), each chat's
progress is a record in namespace ``"broadcast"``, key ``"<job_id>:<chat_id>"``: written
``{"status": "sending"}`` before the send, then ``{"status": <result>}``. A job started
again with the same ``job_id`` skips chats that have a result; a chat still marked
``"sending"`` was in flight at a crash: it is sent again (it may get the message twice) and
counted in :attr:`BroadcastResult.resent_after_crash`. So no chat gets the message twice,
except the sends in flight at a crash, and every chat is reached.

Threads: ``concurrency`` worker threads named ``actorbot-broadcast``; ``on_progress`` runs
on one of them. :meth:`BroadcastJob.stop` ends them after the sends under way;
``bot.stop()`` also cuts those (a send that may have arrived stays marked ``"sending"``);
:meth:`BroadcastJob.wait` joins them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .api._cancel import CancelToken
from .api._flood_clock import FloodClock
from .api._pacing import RateBucket, TelegramLimits
from .exception import (
    BotWasBlockedError,
    ForbiddenError,
    NetworkError,
    RequestCancelled,
    TelegramError,
    TooManyRequestsError,
)

if TYPE_CHECKING:
    from ._bot import Bot
    from .store._base import Store

__all__ = ["BroadcastJob", "BroadcastProgress", "BroadcastResult", "NAMESPACE"]

log = logging.getLogger(__name__)

NAMESPACE = "broadcast"
"""The store namespace of broadcast progress records."""

MakeMessage = Callable[[Any], "str | Mapping[str, Any]"]


@dataclass(frozen=True)
class BroadcastProgress:
    """Where a broadcast is: chats in all, done (a result), sent, failed; ``elapsed`` clock seconds."""

    total: int
    done: int
    sent: int
    failed: int
    skipped: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Results a second so far (chats skipped as already done not counted)."""
        return (self.done - self.skipped) / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(frozen=True)
class BroadcastResult:
    """The outcome: ``results`` maps each chat id (as given) to its result string."""

    results: dict[Any, str] = field(default_factory=dict)
    skipped: int = 0
    resent_after_crash: int = 0
    stopped: bool = False
    elapsed: float = 0.0

    @property
    def sent(self) -> int:
        return sum(1 for r in self.results.values() if r == "sent")

    def count(self, result: str) -> int:
        return sum(1 for r in self.results.values() if r == result)


def classify(exc: BaseException) -> str:
    """The result string for a send that raised ``exc``."""
    if isinstance(exc, TooManyRequestsError):
        return "flood"
    if isinstance(exc, BotWasBlockedError):
        return "blocked"
    if isinstance(exc, TelegramError):
        text = exc.description.lower()
        if "chat not found" in text:
            return "chat_not_found"
        if "deactivated" in text:
            return "deactivated"
        if "kicked" in text:
            return "kicked"
        if isinstance(exc, ForbiddenError):
            return "forbidden"
        return "error"
    if isinstance(exc, NetworkError):
        return "unknown" if exc.sent else "error"
    return "error"


class BroadcastJob:
    """A broadcast under way (see the module docstring). Create it with ``bot.broadcast(...)``."""

    def __init__(
        self,
        bot: Bot,
        chat_ids: Iterable[Any],
        make_message: MakeMessage,
        *,
        job_id: str = "default",
        store: Store | None = None,
        limits: TelegramLimits | None = None,
        clock: FloodClock | None = None,
        concurrency: int = 4,
        on_progress: Callable[[BroadcastProgress], None] | None = None,
        progress_every: float = 5.0,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.job_id = job_id
        self._bot = bot
        self._chats = list(dict.fromkeys(chat_ids))
        self._make = make_message
        self._store = store
        self._limits = limits or TelegramLimits()
        self._clock: FloodClock = clock or bot.flood_gate.clock
        self._on_progress = on_progress
        self._every = progress_every
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._cancel = CancelToken()  # cut by bot.stop(): waits for a 429's deadline end at once
        self._buckets = {False: self._limits.overall_bucket(), True: self._limits.paid_bucket()}
        self._next = 0
        self._results: dict[Any, str] = {}
        self._skipped = self._resent = 0
        self._started = self._clock.now()
        self._last_report = self._started
        self._threads = [
            threading.Thread(target=self._work, name=f"actorbot-broadcast-{job_id}-{i}", daemon=True)
            for i in range(concurrency)
        ]
        self._live = len(self._threads)
        bot._register_stoppable(self)
        for thread in self._threads:
            thread.start()

    def __repr__(self) -> str:
        return f"<BroadcastJob {self.job_id!r} {len(self._results)}/{len(self._chats)}>"

    # -- control (any thread) -----------------------------------------------------------------
    def stop(self) -> None:
        """Send nothing more (sends under way finish); a later job with the same id resumes."""
        self._halt.set()

    def _stop(self) -> None:
        """Called by ``bot.stop()``: stop, cut the sends under way, wait (bounded) for the workers."""
        self.stop()
        self._cancel.cancel()
        self.wait(10.0)

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def wait(self, timeout: float | None = None) -> BroadcastResult:
        """Join the workers (up to ``timeout`` real seconds each) and return the result so far."""
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout)
        return self.result()

    def result(self) -> BroadcastResult:
        with self._lock:
            return BroadcastResult(dict(self._results), self._skipped, self._resent,
                                   self._halt.is_set() and len(self._results) < len(self._chats),
                                   self._clock.now() - self._started)

    def progress(self) -> BroadcastProgress:
        with self._lock:
            sent = sum(1 for r in self._results.values() if r == "sent")
            done = len(self._results)
            return BroadcastProgress(len(self._chats), done, sent, done - sent - self._skipped,
                                     self._skipped, self._clock.now() - self._started)

    # -- the workers ----------------------------------------------------------------------------
    def _claim(self) -> tuple[Any, bool] | None:
        """The next chat to send to and whether it was in flight at a crash; None when done."""
        while not self._halt.is_set():
            with self._lock:
                if self._next >= len(self._chats):
                    return None
                chat = self._chats[self._next]
                self._next += 1
            record = self._store.get(NAMESPACE, self._key(chat)) if self._store is not None else None
            status = record.get("status") if record else None
            if status is None:
                return chat, False
            if status == "sending":
                return chat, True
            with self._lock:
                self._results[chat] = status
                self._skipped += 1
        return None

    def _key(self, chat: Any) -> str:
        return f"{self.job_id}:{chat}"

    def _pace(self, paid: bool) -> bool:
        """Wait for a slot of the overall (or paid) rate; False when stopped meanwhile."""
        bucket: RateBucket = self._buckets[paid]
        while True:
            with self._lock:
                now = self._clock.now()
                ready = bucket.ready_at(now)
                if ready <= now:
                    bucket.take(now)
                    return True
            if self._clock.sleep(ready - now, self._halt):
                return False

    def _work(self) -> None:
        try:
            while True:
                claimed = self._claim()
                if claimed is None:
                    break
                chat, crashed = claimed
                if not self._send(chat, crashed):
                    break
                self._maybe_report(final=False)
        except Exception:
            log.exception("broadcast %r: a worker failed", self.job_id)
            self._halt.set()
        finally:
            with self._lock:
                self._live -= 1
                last = self._live == 0
            if last:  # the last worker out reports the end
                self._maybe_report(final=True)

    def _send(self, chat: Any, crashed: bool) -> bool:
        message = self._make(chat)
        params: dict[str, Any] = {"text": message} if isinstance(message, str) else dict(message)
        params["chat_id"] = chat
        if not self._pace(bool(params.get("allow_paid_broadcast"))):
            return False  # stopped: not sent, no record, so a resume sends it
        if self._store is not None:
            self._store.put(NAMESPACE, self._key(chat), {"status": "sending"})
        try:
            self._bot._call("sendMessage", params, cancel=self._cancel)
            result = "sent"
        except RequestCancelled as exc:
            if self._store is not None and not exc.sent:  # a send that may have arrived stays "sending"
                self._store.put(NAMESPACE, self._key(chat), None)
            return False
        except (TelegramError, NetworkError) as exc:
            result = classify(exc)
        if self._store is not None:
            self._store.put(NAMESPACE, self._key(chat), {"status": result})
        with self._lock:
            self._results[chat] = result
            if crashed:
                self._resent += 1
        return True

    def _maybe_report(self, final: bool) -> None:
        now = self._clock.now()
        with self._lock:
            if not final and now - self._last_report < self._every:
                return
            self._last_report = now
        progress = self.progress()
        log.info("broadcast %r: %d/%d done, %d sent, %d failed, %.1f/s", self.job_id, progress.done,
                 progress.total, progress.sent, progress.failed, progress.rate)
        if self._on_progress is not None:
            try:
                self._on_progress(progress)
            except Exception:
                log.exception("broadcast %r: on_progress failed", self.job_id)
