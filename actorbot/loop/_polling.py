"""Polling ``getUpdates``: :class:`MessageLoop`.

Threads: everything runs on the loop's thread (the caller of
:meth:`MessageLoop.run_forever`, or the daemon thread :meth:`run_as_thread`
starts): the ``getUpdates`` call, ``handle`` for each update in order (or the
bot's intake for each batch), and the waits between polls. :meth:`stop` may be
called from any thread; :meth:`MessageLoop.confirm` runs on its caller's thread
once the loop has returned.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..api._cancel import CancelToken
from ..exception import (
    BadHTTPResponse,
    ConflictError,
    NetworkError,
    ServerError,
    StoreError,
    TelegramError,
    TooManyRequestsError,
    UnauthorizedError,
)
from ._backoff import Backoff
from ._handling import Handler, dispatch, reporter_of, resolve_handler, update_id_of
from ._intake import Intake
from ._ordering import DEFAULT_IDLE_RESET, DEFAULT_MAX_GAP
from ._refusals import RefusalLog
from ._runner import LoopRunner

__all__ = ["MessageLoop"]

log = logging.getLogger(__name__)

DEFAULT_MAX_UNFINISHED = 1_000
"""Accepted updates not yet handled past which :class:`MessageLoop` stops fetching."""

DEFAULT_MAX_UNFINISHED_PER_CHAT = 100
"""Accepted updates of one chat not yet handled past which :class:`MessageLoop` stops fetching
(and :class:`~actorbot.loop.Webhook` refuses that chat's updates)."""

#: Seconds between two INFO lines saying that polling paused for room.
_PAUSE_LOG_INTERVAL = 60.0

CONFIRM_WAIT = 2.0
"""Seconds :meth:`MessageLoop.confirm` waits for a stopped loop to return."""

#: ``wait(seconds)``: block up to ``seconds``; its result is ignored (the loop re-checks ``stop``).
Wait = Callable[[float], object]

#: Bounds of one wait for an unfinished update to become done (``wait_progress``): at
#: least this, so ``relax=0`` does not poll Telegram in a tight loop...
_MIN_PROGRESS_WAIT = 0.05
#: ...and at most this, so updates that arrive meanwhile are fetched soon.
_MAX_PROGRESS_WAIT = 0.5


class MessageLoop(LoopRunner):
    """Fetches updates with ``getUpdates`` and hands their messages to ``handle``, in order.

    :param bot: a :class:`~actorbot.Bot` (anything with ``getUpdates`` and, when
        ``handle`` is None, ``handle``).
    :param handle: a function taking one message, a routing table by flavor
        (a dict, see :func:`actorbot.flavor_router`), or None for ``bot.handle``.
    :param backoff: delays after failed ``getUpdates`` calls.
    :param wait: the function the loop waits with (relax, backoff, ``retry_after``);
        by default an interruptible wait on the loop's stop event. Tests inject a
        recording function so nothing really sleeps.
    :param conflict_limit: after this many 409 Conflict answers in a row the loop
        stops with :class:`~actorbot.exception.ConflictError` (None: retry forever).
    :param max_gap: an ``update_id`` more than this above the offset is
        implausible (corrupt or forged): it is logged (in aggregate) and skipped
        without moving the offset, so one bogus id of 10**30 cannot make every
        later update look "already handled". Once ``idle_reset`` seconds passed
        without a handled update any id is plausible again (the Bot API picks a
        random next id after a week without updates).
    :param max_unfinished: with an intake (a ``DelegatorBot``), polling pauses while this
        many accepted updates are not handled yet (default 1,000; None: no bound), and
        goes on as they finish: memory stays bounded under a flood, and what Telegram
        holds meanwhile it delivers later, in order. Telegram keeps undelivered updates
        for 24 hours.
    :param max_unfinished_per_chat: with an intake, the most accepted updates one chat
        (else one sender: see the intake's ``chat_of``) may hold not handled (default 100;
        None: only ``max_unfinished`` applies). A batch is accepted only up to the first
        update that would take its chat past it; the rest stays with Telegram (not
        confirmed: fetched again) and polling pauses until that chat finished one. So one
        chat cannot hold the whole ``max_unfinished`` budget, and the newest update of a
        flooding chat waits behind at most 100 of its own. The price: ``getUpdates`` is one
        stream from one offset, so while a chat is at its bound *every* chat waits for it
        (updates behind it cannot be taken without holding that chat's). Without the bound
        the same happens once that chat held all 1,000. A handler stuck for good stalls
        polling either way; ``handler_timeout`` reports it.

    **Acknowledgement.** The ``offset`` sent to ``getUpdates`` confirms to Telegram
    every update below it; the loop sends one only once it is safe. There are two modes:

    - *With a handler* (a plain :class:`~actorbot.Bot`, or any ``handle`` given): the
      offset moves past an update only once ``handle`` returned for it, so updates in
      flight when the program dies are fetched again by the next run.
    - *With the bot's intake* (``handle`` is None and ``bot.intake`` is not None, as for
      a :class:`~actorbot.DelegatorBot`; see the ``Intake`` protocol in ``actorbot.loop._intake``):
      the fresh updates of each batch (``update_id`` at or above one past the last
      update accepted) go to ``intake.accept`` in one call, and each poll sends
      ``intake.confirmable(next)``, where ``next`` is one past the last update
      accepted: with a store that is ``next`` (accepted updates are journaled), without
      one it is the first update not yet done, so an update some handler has not
      finished is not confirmed. Telegram then sends unfinished updates again; the ones
      already accepted are skipped. While some are unfinished, a poll that brought
      nothing new is followed by ``intake.wait_progress`` (at most ``relax``, bounded
      to 0.05-0.5 s) instead of the ``relax`` pause, so the offset moves soon after a
      handler finishes. When ``accept`` raises
      :class:`~actorbot.exception.StoreError`, nothing of that batch is confirmed: the
      error is logged at WARNING and the loop polls again after a backoff (Telegram
      sends the same updates). A ``RuntimeError`` from ``accept`` (the bot stopped)
      ends the loop quietly.

    When the loop stops (``stop()``, or an exception out of ``handle``), it confirms
    what is safe with one last ``getUpdates(offset, limit=1, timeout=0)``, so a
    restart does not see handled updates again (not after a 401 or a persistent 409:
    that call would fail too). With an intake, :meth:`confirm` confirms later what
    became done after the loop stopped (``Bot.stop`` calls it once the handlers had
    their grace period); what is still unfinished then stays with Telegram.

    **Bad updates and handler errors.** An update that cannot be read is logged
    (WARNING) and skipped; an update of a kind this version does not know is
    delivered with a flavor named after its key. When ``handle`` raises an
    ``Exception``, it goes to the bot's ``on_error`` (by default a log line with its
    traceback), the update counts as handled and the loop goes on: an exception in a user handler is that handler's bug
    (and the engine's ``DelegatorBot.handle`` raises only when it cannot accept).
    A ``BaseException`` such as ``KeyboardInterrupt`` ends the loop instead.

    **Failures of getUpdates.** Network errors, 5xx answers, non-JSON answers and
    other errors are logged and retried after a bounded exponential backoff;
    409 Conflict (another poller, or a webhook is set) is logged at ERROR and
    retried the same way, and ends the loop after ``conflict_limit`` in a row;
    429 waits ``retry_after``; 401 Unauthorized ends the loop. A loop that ends
    this way reports the error to ``on_error``: :meth:`run_forever` raises it (with
    :meth:`run_as_thread` it is kept in :attr:`error`).

    **Pace.** After a poll that returned updates the loop polls again at once; it
    waits ``relax`` seconds only after a poll that returned nothing (telepot waited
    after every poll, which capped a busy bot at ``limit / relax`` updates a second).

    **Stopping.** :meth:`stop` interrupts every wait at once, including a long-polled
    ``getUpdates`` under way or just starting: the loop passes a
    :class:`~actorbot.api.CancelToken` down the request path and cancels it, so the
    thread ends promptly; updates that poll would have returned are sent again next time.
    """

    thread_name = "actorbot-message-loop"

    def __init__(
        self,
        bot: Any,
        handle: Handler | Mapping[str, Handler] | None = None,
        *,
        backoff: Backoff = Backoff(),
        wait: Wait | None = None,
        conflict_limit: int | None = 5,
        max_gap: int = DEFAULT_MAX_GAP,
        idle_reset: float = DEFAULT_IDLE_RESET,
        clock: Callable[[], float] = time.monotonic,
        max_unfinished: int | None = DEFAULT_MAX_UNFINISHED,
        max_unfinished_per_chat: int | None = DEFAULT_MAX_UNFINISHED_PER_CHAT,
    ) -> None:
        super().__init__()
        if (max_unfinished is not None and max_unfinished < 1) or (
            max_unfinished_per_chat is not None and max_unfinished_per_chat < 1
        ):
            raise ValueError("max_unfinished and max_unfinished_per_chat must be positive (or None: no bound)")
        self._max_unfinished = max_unfinished
        self._max_per_chat = max_unfinished_per_chat
        self._next_pause_log: float | None = None
        self._pauses = 0
        self._max_gap = max_gap
        self._idle_reset = idle_reset
        self._clock = clock
        self._last_handled: float | None = None
        self.skipped = RefusalLog(log, "updates from getUpdates skipped")
        self._bot = bot
        self._handle = resolve_handler(bot, handle)
        self._report = reporter_of(bot)
        self._backoff = backoff
        self._injected_wait = wait
        self._conflict_limit = conflict_limit
        self._intake: Intake | None = getattr(bot, "intake", None) if handle is None else None
        self._next: int | None = None  # one past the last update handled (or accepted by the intake)
        self._accepted = False  # the intake accepted a batch: ask it what is confirmable
        self._confirmed: int | None = None  # the offset Telegram last saw
        self._fatal = False  # ended by a 401 or a persistent 409: nothing more is sent
        self._cancel = CancelToken()
        self._poll_kwargs: dict[str, Any] = {"_cancel": self._cancel} if _takes_cancel(bot) else {}

    @property
    def offset(self) -> int | None:
        """The offset the next ``getUpdates`` sends, or None before the first update.

        Without an intake: one past the last update handled. With one:
        ``intake.confirmable(next)`` (``next`` is one past the last update accepted),
        asked on the calling thread.
        """
        return self._sendable()

    def confirm(self) -> None:
        """Confirm to Telegram what the intake says is safe now, once the loop has returned.

        Runs on the caller's thread (``Bot.stop`` calls it after the handlers had their
        grace period). Sends ``getUpdates(offset, limit=1, timeout=0)`` when
        ``intake.confirmable`` moved past the offset Telegram last saw; does nothing when
        nothing moved, without an intake, or after a 401 or a persistent 409 ended the
        loop. A loop still returning (its last request under way) is waited for, at most
        ``CONFIRM_WAIT`` seconds.
        """
        if self._intake is None or self._fatal:
            return
        if self._running_ident == threading.get_ident() or not self._finished.wait(CONFIRM_WAIT):
            return  # still running: its own exit confirms
        self._confirm_safe()

    def run_forever(  # type: ignore[override]
        self,
        relax: float = 0.1,
        offset: int | None = None,
        timeout: int = 20,
        allowed_updates: Iterable[str] | None = None,
    ) -> None:
        """Poll and handle updates on the calling thread until :meth:`stop`. Blocks.

        :param relax: seconds to wait after a ``getUpdates`` call that returned nothing.
        :param offset: the first ``offset`` sent to ``getUpdates``.
        :param timeout: the long-poll ``timeout`` sent to ``getUpdates``.
        :param allowed_updates: update kinds to receive; sent with the first
            successful call only (Telegram remembers it).
        :raises actorbot.exception.UnauthorizedError: the token was refused.
        """
        super().run_forever(relax, offset, timeout, allowed_updates)

    def run_as_thread(  # type: ignore[override]
        self,
        relax: float = 0.1,
        offset: int | None = None,
        timeout: int = 20,
        allowed_updates: Iterable[str] | None = None,
    ) -> threading.Thread:
        """Run :meth:`run_forever` on a new daemon thread and return that thread."""
        return super().run_as_thread(relax, offset, timeout, allowed_updates)

    def _wake(self) -> None:
        # cut a poll under way (or about to start) short: its answer would be ignored anyway
        self._cancel.cancel()

    # -- the loop thread -----------------------------------------------------------
    def _pause(self, seconds: float) -> None:
        if self._injected_wait is not None:
            if seconds > 0 and not self.stopping:
                self._injected_wait(seconds)
            return
        self._wait(seconds)

    def _run(  # type: ignore[override]
        self,
        relax: float,
        offset: int | None,
        timeout: int,
        allowed_updates: Iterable[str] | None,
    ) -> None:
        self._next = offset
        self._confirmed = offset
        allowed = list(allowed_updates) if allowed_updates is not None else None
        failures = conflicts = store_failures = 0
        try:
            while not self.stopping:
                self._wait_for_room()
                if self.stopping:
                    break
                sent = self._sendable()
                try:
                    updates = self._bot.getUpdates(
                        offset=sent, timeout=timeout, allowed_updates=allowed, **self._room(), **self._poll_kwargs
                    )
                    if isinstance(updates, dict) and updates.get("ok") is False:
                        # a bot made with raise_errors=False returns error answers
                        raise TelegramError.create(updates)
                    if not isinstance(updates, list):
                        raise TypeError(f"getUpdates returned a {type(updates).__name__}, not a list")
                except UnauthorizedError as exc:
                    self._fatal = True
                    refused = UnauthorizedError(
                        f"getUpdates was refused with 401 Unauthorized ({exc.description}): the bot token is"
                        " wrong or was revoked; the message loop stops",
                        exc.error_code,
                        exc.json,
                    )
                    self._report(refused, None)
                    raise refused from exc
                except TooManyRequestsError as exc:
                    failures += 1
                    delay = exc.retry_after if exc.retry_after is not None else self._backoff.delay(failures)
                    log.warning("getUpdates hit flood control (429): waiting %.1f s as asked", delay)
                    self._pause(delay)
                    continue
                except ConflictError as exc:
                    failures += 1
                    conflicts += 1
                    if self._conflict_limit is not None and conflicts >= self._conflict_limit:
                        self._fatal = True
                        error = ConflictError(
                            f"getUpdates was refused with 409 Conflict {conflicts} times in a row: another copy"
                            " of this bot is polling with the same token, or a webhook is set (call"
                            " deleteWebhook to poll); the message loop stops",
                            exc.error_code,
                            exc.json,
                        )
                        self._report(error, None)
                        raise error from exc
                    delay = self._backoff.delay(failures)
                    log.error(
                        "getUpdates was refused with 409 Conflict (%s): another getUpdates is running for this"
                        " bot (a second copy of the program?) or a webhook is set (call deleteWebhook to poll);"
                        " retrying in %.1f s",
                        exc.description,
                        delay,
                    )
                    self._pause(delay)
                    continue
                except (NetworkError, ServerError, BadHTTPResponse) as exc:
                    if self.stopping:
                        break  # the poll was cut short by stop()
                    failures += 1
                    delay = self._backoff.delay(failures)
                    log.warning("getUpdates failed (%s); retrying in %.1f s", exc, delay)
                    self._pause(delay)
                    continue
                except TelegramError as exc:
                    failures += 1
                    delay = self._backoff.delay(failures)
                    log.error("getUpdates was refused (%s); retrying in %.1f s", exc, delay)
                    self._pause(delay)
                    continue
                except Exception as exc:
                    failures += 1
                    delay = self._backoff.delay(failures)
                    log.warning("getUpdates failed unexpectedly; retrying in %.1f s", delay)
                    self._report(exc, None)
                    self._pause(delay)
                    continue
                failures = conflicts = 0
                self._confirmed = sent
                allowed = None  # Telegram keeps the setting of the last call that carried it
                if self._intake is None:
                    progressed = self._handle_batch(updates)
                else:
                    try:
                        progressed = self._accept_batch(self._intake, updates)
                    except StoreError as exc:
                        store_failures += 1
                        delay = self._backoff.delay(store_failures)
                        log.warning(
                            "the updates fetched could not be stored (%s: %s): none is confirmed; polling again"
                            " in %.1f s",
                            type(exc).__name__,
                            exc,
                            delay,
                        )
                        self._pause(delay)
                        continue
                    except RuntimeError as exc:
                        log.info("the bot no longer accepts updates (%s): the message loop ends", exc)
                        break
                    store_failures = 0
                if progressed or self.stopping:
                    continue  # after a batch, poll again at once: more may be waiting
                intake = self._intake
                if intake is not None and updates and self._full(intake):
                    continue  # the batch did not fit: wait for room (at the top), then fetch it again
                if intake is not None and self._unfinished():
                    intake.wait_progress(min(max(relax, _MIN_PROGRESS_WAIT), _MAX_PROGRESS_WAIT))
                else:
                    self._pause(relax)
        finally:
            if not self._fatal:
                self._confirm_safe()

    def _handle_batch(self, updates: list[Any]) -> int:
        """Handle a batch in order; returns how many updates it handled."""
        handled = 0
        for update in updates:
            if self.stopping:
                break  # the rest stays unconfirmed: Telegram sends it again next time
            update_id = update_id_of(update)
            if update_id is None:
                self.skipped.refused("without an integer update_id")
                continue
            if self._next is not None and update_id < self._next:
                continue  # already handled
            if not self._plausible(update_id, self._next):
                continue
            dispatch(update, self._handle, self._report)  # reports and skips what cannot be handled
            self._next = update_id + 1
            self._last_handled = self._clock()
            handled += 1
        return handled

    def _accept_batch(self, intake: Intake, updates: list[Any]) -> int:
        """Give the fresh updates of a batch to ``intake.accept`` in one call; returns how many.

        ``_next`` moves past them only once ``accept`` returned. Its ``StoreError`` and
        ``RuntimeError`` propagate (nothing moved then).
        """
        fresh: list[dict[str, Any]] = []
        after = self._next  # one past the last update of ``fresh``
        for update in updates:
            update_id = update_id_of(update)
            if update_id is None:
                self.skipped.refused("without an integer update_id")
                continue
            if after is not None and update_id < after:
                continue  # accepted already: Telegram sends it again until it is confirmed
            if not self._plausible(update_id, after):
                continue
            fresh.append(update)
            after = update_id + 1
        fresh = self._fitting(intake, fresh)
        if not fresh or self.stopping:
            return 0  # when stopping, the batch stays unconfirmed: Telegram sends it again
        last = update_id_of(fresh[-1])
        assert last is not None
        after = last + 1
        intake.accept(fresh)
        self._next = after
        self._accepted = True
        self._last_handled = self._clock()
        return len(fresh)

    def _plausible(self, update_id: int, offset: int | None) -> bool:
        """False (and counted as skipped) for an id implausibly far above ``offset``."""
        if offset is None or update_id - offset <= self._max_gap:
            return True
        if self._last_handled is None or self._clock() - self._last_handled >= self._idle_reset:
            return True
        self.skipped.refused(f"with an implausible update_id (over {self._max_gap} above the offset)")
        return False

    def _sendable(self) -> int | None:
        """The offset that is safe to send now (see the class docstring)."""
        if self._intake is None or not self._accepted or self._next is None:
            return self._next
        return self._intake.confirmable(self._next)

    def _unfinished(self) -> bool:
        """True when the intake holds accepted updates that are not yet safe to confirm."""
        if self._intake is None or not self._accepted or self._next is None:
            return False
        return self._intake.confirmable(self._next) < self._next

    def _room(self) -> dict[str, int]:
        """``limit=`` for the next poll, so a batch does not take the intake past ``max_unfinished``."""
        unfinished = getattr(self._intake, "unfinished", None)
        if unfinished is None or self._max_unfinished is None:
            return {}
        room = self._max_unfinished - unfinished()
        return {"limit": max(1, room)} if room < 100 else {}

    def _fitting(self, intake: Intake, fresh: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The longest prefix of ``fresh`` that keeps the intake within both bounds."""
        total, per_chat = self._max_unfinished, self._max_per_chat
        unfinished = getattr(intake, "unfinished", None)
        if total is not None and unfinished is not None:
            fresh = fresh[: max(total - unfinished(), 0)]  # in case getUpdates ignored ``limit``
        chat_of = getattr(intake, "chat_of", None)
        unfinished_in = getattr(intake, "unfinished_in", None)
        if per_chat is None or chat_of is None or unfinished_in is None:
            return fresh
        held: dict[Any, int] = {}
        for n, update in enumerate(fresh):
            chat = chat_of(update)
            if chat is None:
                continue
            count = held.get(chat)
            if count is None:
                count = unfinished_in(chat)
            if count >= per_chat:
                return fresh[:n]  # the rest is fetched again once that chat has room
            held[chat] = count + 1
        return fresh

    def _full(self, intake: Intake) -> bool:
        """True while the intake holds ``max_unfinished`` updates, or one chat its bound."""
        if self._max_unfinished is not None:
            unfinished = getattr(intake, "unfinished", None)
            if unfinished is not None and unfinished() >= self._max_unfinished:
                return True
        if self._max_per_chat is not None:
            busiest = getattr(intake, "busiest", None)
            if busiest is not None and busiest() >= self._max_per_chat:
                return True
        return False

    def _wait_for_room(self) -> None:
        """Backpressure: while the intake holds ``max_unfinished`` updates not handled (or a
        chat ``max_unfinished_per_chat``), wait for one to be done."""
        intake = self._intake
        if intake is None or not self._full(intake):
            return
        self._pauses += 1
        now = self._clock()
        if self._next_pause_log is None or now >= self._next_pause_log:
            self._next_pause_log = now + _PAUSE_LOG_INTERVAL
            log.info(
                "updates accepted and not handled yet reached a bound (max_unfinished=%s,"
                " max_unfinished_per_chat=%s): polling paused until there is room (%d pause(s) so far;"
                " at most one such line per %g s)",
                self._max_unfinished, self._max_per_chat, self._pauses, _PAUSE_LOG_INTERVAL,
            )
        while not self.stopping and self._full(intake):
            intake.wait_progress(0.5)  # woken as soon as one is done; bounded so stop() is seen

    def _confirm_safe(self) -> None:
        """Confirm the offset that is safe now, if it moved past the one Telegram last saw."""
        try:
            offset = self._sendable()
        except Exception:
            log.exception("asking the intake what may be confirmed failed; nothing more is confirmed")
            return
        if offset is None or (self._confirmed is not None and offset <= self._confirmed):
            return
        if self._confirm(offset):
            self._confirmed = offset

    def _confirm(self, offset: int) -> bool:
        """Tell Telegram that every update below ``offset`` was handled (best effort); True if it was told."""
        try:
            self._bot.getUpdates(offset=offset, limit=1, timeout=0)
        except Exception as exc:
            log.warning(
                "could not confirm the handled updates (%s); updates from %d may be delivered again", exc, offset
            )
            return False
        return True


def _takes_cancel(bot: Any) -> bool:
    """Whether ``bot.getUpdates`` accepts a ``_cancel`` token (an actorbot ``Bot`` does;
    a telepot-style stand-in a program passes may not)."""
    try:
        params = inspect.signature(bot.getUpdates).parameters
    except (AttributeError, TypeError, ValueError):
        return False
    return "_cancel" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
