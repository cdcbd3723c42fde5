"""``Bot``: telepot 12.7's and amanobot 1.6's methods plus every Bot API 10.1 method.

Three kinds of methods:

* **the seeds' methods** (``sendMessage``, ``editMessageText``, ``sendMediaGroup``...)
  with telepot's names, positional order and defaults. Where amanobot inserted a
  parameter into a telepot signature (``thumb``, ``vcard``, ``can_send_polls``...),
  telepot's positional order wins and amanobot's parameter is accepted as a keyword.
  Methods only amanobot has keep amanobot's order. Every parameter Bot API 10.1 adds
  is accepted as a keyword; old parameters are rewritten for the current API (see
  :mod:`actorbot.api._legacy`), and renamed methods (``kickChatMember``,
  ``getChatMembersCount``) call the current ones.
* **every other Bot API 10.1 method**, inherited from the generated
  :class:`actorbot._api_methods.ApiMethods` (``tools/generate_api_methods.py``): typed,
  keyword arguments only: ``bot.sendChecklist(business_connection_id=..., chat_id=...,
  checklist=...)``. Type checkers and IDEs see every one.
* ``download_file``, ``handle``, ``close``/``stop``.

An unknown keyword or a missing required parameter raises :class:`TypeError` naming
it, before anything is sent.

Threads: every API method runs on the thread that calls it (a delegate's actor
thread, the update loop's thread, the scheduler's thread...) and blocks it until
the answer arrives. A :class:`Bot` may be used from any number of threads at once.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any

from . import _spec
from ._api_methods import ApiMethods
from ._reporting import ErrorReporter, OnError
from .actors._clock import real_monotonic
from .actors._metrics import MetricsRecorder, MetricsSnapshot
from .api._cancel import CancelToken
from .api._client import HttpClient
from .api._encoding import is_file_spec, split_attachments
from .api._flood import FloodGate, FloodPolicy, Superseded
from .api._flood_clock import FloodClock, SystemClock, VirtualClock
from .api._legacy import RENAMED_METHODS, check_call, modernize
from .api._pacing import TelegramLimits
from .api._retry import RetryPolicy
from .api._settings import current_proxy, resolve_api_url
from .exception import BadHTTPResponse, NetworkError, TelegramError

if TYPE_CHECKING:
    from ._broadcast import BroadcastJob

__all__ = ["Bot"]

log = logging.getLogger(__name__)

def _dismantle_message_identifier(f: Any) -> dict[str, Any]:
    """The parameters a ``msg_identifier`` stands for.

    ``(chat_id, message_id)`` -> ``chat_id`` and ``message_id``;
    ``(inline_message_id,)`` or a bare string -> ``inline_message_id``;
    a message dict (a ``chat`` message or a ``chosen_inline_result``) -> whichever
    :func:`actorbot.message_identifier` extracts from it.
    """
    if isinstance(f, Mapping):
        from ._flavor import message_identifier

        f = message_identifier(f)
    if isinstance(f, (tuple, list)):
        if len(f) == 2:
            return {"chat_id": f[0], "message_id": f[1]}
        if len(f) == 1:
            return {"inline_message_id": f[0]}
        raise ValueError(f"a message identifier is a 1- or 2-tuple, not a {len(f)}-tuple")
    if isinstance(f, str):
        return {"inline_message_id": f}
    raise ValueError(f"not a message identifier: {f!r}")


def _params(local_vars: dict[str, Any], *drop: str) -> dict[str, Any]:
    """A method's arguments (from ``locals()``) merged with its ``**kwargs``."""
    kwargs = local_vars.get("kwargs") or {}
    out = {k: v for k, v in local_vars.items() if k not in ("self", "kwargs", "__class__") and k not in drop}
    out.update(kwargs)
    return out


class Bot(ApiMethods):
    """A Telegram bot: the Bot API methods, ``handle`` and the HTTP resources behind them.

    :param token: the bot token. It never appears in a log line, exception or repr.
    :param api_url: the Bot API server; default ``$ACTORBOT_API_URL``, then what
        :func:`actorbot.api.set_api_url` set, then ``https://api.telegram.org``.
    :param client: an :class:`~actorbot.api.HttpClient` to share; by default the bot
        creates (and owns, and closes) one, through the proxy
        :func:`actorbot.api.set_proxy` configured.
    :param retry: the :class:`~actorbot.api.RetryPolicy` (default ``RetryPolicy()``).
    :param raise_errors: amanobot's switch: when False, an error answer is returned
        as its JSON dict instead of raised.
    :param on_error: ``on_error(exc, update, conversation)`` receives every error the
        library catches for the program: handlers, seeders, delegators, scheduled
        events, the update loops, and the supervisor's decisions (see
        :mod:`actorbot._reporting`). It runs on the thread where the error happened.
        By default each error is logged to ``actorbot.errors`` (stderr when the program
        configured no logging): one line per error, each traceback once.
    :param stop_grace: seconds :meth:`stop` (and a SIGINT/SIGTERM) gives handlers in
        progress to finish (default 10).
    :param handle_signals: when true (the default), running an update loop from the main
        thread makes the first SIGINT or SIGTERM stop the bot gracefully and the process
        exit 0, and a second one exit at once (see :mod:`actorbot.loop._signals`). Only
        signals whose handler is still Python's default are taken.
    :param flood: the :class:`~actorbot.api.FloodPolicy` (default ``FloodPolicy()``: per-chat
        lanes; a 429 pauses only its chat; see the flood control guide).
    :param flood_limits: :class:`~actorbot.api.TelegramLimits` to pace every send to, ahead
        of any 429 (default None: no pacing; broadcasts are always paced).
    :param flood_clock: the :class:`~actorbot.api.FloodClock` flood control waits on (default
        the engine's clock; with a ``retry.wait``, a :class:`~actorbot.api.VirtualClock`
        that hands every wait to it).
    """

    def __init__(
        self,
        token: str,
        *,
        api_url: str | None = None,
        client: HttpClient | None = None,
        retry: RetryPolicy | None = None,
        raise_errors: bool = True,
        on_error: OnError | None = None,
        stop_grace: float = 10.0,
        handle_signals: bool = True,
        flood: FloodPolicy | None = None,
        flood_limits: TelegramLimits | None = None,
        flood_clock: FloodClock | None = None,
    ) -> None:
        if not isinstance(token, str) or not token:
            raise ValueError("a bot token (a non-empty string) is required")
        self._token = token
        self._api_url = resolve_api_url(api_url)
        self._owns_client = client is None
        self._client = client if client is not None else HttpClient(proxy=current_proxy())
        self._retry = retry if retry is not None else RetryPolicy()
        self._metrics = MetricsRecorder()
        self._live_loops: weakref.WeakSet[Any] = weakref.WeakSet()
        self._started_loops: list[Any] = []  # loops that ran for this bot since the last stop
        self._stopping = threading.Event()
        if flood_clock is None:
            flood_clock = VirtualClock(wait=self._retry.wait) if self._retry.wait is not None else SystemClock()
        self._flood = FloodGate(
            flood,
            clock=flood_clock,
            max_wait=self._retry.max_flood_wait,
            max_retries=self._retry.flood_retries,
            limits=flood_limits,
            stop=self._stopping,
            on_flood=self._metrics.flood,
        )
        self._raise_errors = raise_errors
        self._reporter = ErrorReporter(on_error)
        self._stop_grace = stop_grace
        self._handle_signals = handle_signals
        self._accepting = True
        self._stop_claimed = False
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._in_flight = 0
        self._closed = False
        self._router: Any = None
        self._file_chunk_size = 65536
        self._loops: list[Any] = []
        self._scheduler: Any = None
        self._stoppables: list[weakref.ref[Any]] = []
        # urllib3 closes its connection pools in weakref finalizers, which run at exit from
        # one atexit hook that weakref registers with the first finalizer. Making sure that
        # hook exists before ours puts ours first (atexit runs hooks last-in, first-out), so
        # the stop at exit still has HTTP: it confirms what was handled, on_close may reply.
        weakref.finalize(self, _nothing)
        atexit.register(self._stop_at_exit)

    def __repr__(self) -> str:
        bot_id = self._token.split(":", 1)[0] if ":" in self._token else "?"  # never the secret part
        return f"<{type(self).__name__} id={bot_id} api_url={self._api_url!r}>"

    # -- properties ---------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        """The Bot API base URL this bot talks to."""
        return self._api_url

    @property
    def client(self) -> HttpClient:
        """The HTTP client (shared or owned)."""
        return self._client

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy of this bot's calls."""
        return self._retry

    @property
    def reporter(self) -> ErrorReporter:
        """Where this bot's errors go (``reporter.report(exc, update, conversation)``)."""
        return self._reporter

    @property
    def stop_grace(self) -> float:
        """Seconds :meth:`stop` gives handlers in progress by default."""
        return self._stop_grace

    @property
    def handle_signals(self) -> bool:
        """Whether update loops run from the main thread take SIGINT/SIGTERM (see ``__init__``)."""
        return self._handle_signals

    @property
    def fault(self) -> BaseException | None:
        """The internal engine error that stopped this bot, if one did (else None)."""
        return None

    @property
    def requests_in_flight(self) -> int:
        """How many calls (other than ``getUpdates``) are under way right now, on any thread."""
        with self._lock:
            return self._in_flight

    # -- metrics ------------------------------------------------------------------------------
    def metrics(self) -> MetricsSnapshot:
        """A snapshot of this bot's counters, as plain data (see :class:`actorbot.metrics.MetricsSnapshot`).

        Cheap enough to call on every scrape: it sums a handful of per-thread counters
        (and, for a :class:`~actorbot.DelegatorBot`, looks at every live conversation's
        mailbox once). Callable from any thread. No chat or user id appears in it.
        """
        return self._metrics.snapshot(**self._gauges())

    def _gauges(self) -> dict[str, Any]:
        """Snapshot fields read at snapshot time (subclasses add the engine's)."""
        flood = self._flood.stats()
        return {
            "api_in_flight": self.requests_in_flight,
            "loop_alive": self.loop_alive,
            "flood_chat_429s": flood.chat_429s,
            "flood_global_429s": flood.global_429s,
            "flood_global_pauses": flood.global_pauses,
            "flood_paused_seconds": flood.paused_seconds,
            "flood_lane_waiting_largest": flood.lane_waiting_largest,
        }

    @property
    def loop_alive(self) -> bool:
        """True while an update loop (polling or webhook) of this bot runs and the bot is not stopping."""
        if not self._accepting or self.fault is not None:
            return False
        return any(loop.running and not loop.stopping for loop in list(self._live_loops))

    def _loop_started(self, loop: Any) -> None:
        """Called by an update loop as it starts running for this bot (for :attr:`loop_alive`)."""
        self._live_loops.add(loop)
        with self._lock:  # kept (strongly) until a stop has let it confirm what it handled
            self._started_loops = [other for other in self._started_loops if other.running] + [loop]

    @property
    def flood_gate(self) -> FloodGate:
        """The :class:`~actorbot.api.FloodGate` every call of this bot passes (lanes, deadlines, pacing)."""
        return self._flood

    def broadcast(
        self,
        chat_ids: Iterable[Any],
        make_message: Callable[[Any], Any],
        *,
        job_id: str | None = None,
        store: Any = None,
        limits: TelegramLimits | None = None,
        concurrency: int = 4,
        on_progress: Callable[[Any], None] | None = None,
        progress_every: float = 5.0,
    ) -> BroadcastJob:
        """Send ``make_message(chat_id)`` (a text, or a dict of ``sendMessage`` parameters) to each chat.

        Returns a :class:`~actorbot.BroadcastJob` at once (``job.wait()`` for the
        :class:`~actorbot.BroadcastResult`: a result per chat). Always paced within
        ``limits`` (default :class:`~actorbot.api.TelegramLimits`: 30 a second, 1,000 with
        ``allow_paid_broadcast``). ``on_progress(progress)`` runs, and a log line is
        written, every ``progress_every`` seconds and at the end. With a ``job_id`` and a
        store (``store``, else a ``DelegatorBot``'s ``bot.store``), progress is recorded per
        chat and a job started again with the same ``job_id`` resumes (without a
        ``job_id`` nothing is recorded: each call is a new broadcast). Sends run on
        ``concurrency`` worker threads; ``bot.stop()`` stops the job.
        """
        from ._broadcast import BroadcastJob

        if job_id is None:
            job_id, store = "broadcast", None
        elif store is None:
            store = getattr(self, "store", None)
        return BroadcastJob(self, chat_ids, make_message, job_id=job_id, store=store, limits=limits,
                            concurrency=concurrency, on_progress=on_progress, progress_every=progress_every)

    def _stopping_wait(self, seconds: float) -> bool:
        return self._stopping.wait(seconds)

    def _metered_handler(self, handle: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """``handle`` counted as a handler run (an update loop of a plain ``Bot`` uses this).

        A :class:`~actorbot.DelegatorBot` counts in its engine instead, so it returns
        ``bot.handle`` as it is.
        """
        from .actors._metrics import metric_flavor

        metrics = self._metrics

        def metered(msg: Any) -> Any:
            flavor = metric_flavor(msg)
            metrics.received(flavor)
            started = real_monotonic()
            ok = False
            try:
                result = handle(msg)
                ok = True
                return result
            finally:
                metrics.finished(flavor, ok, started, None)

        return metered

    # -- lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:  # type: ignore[override]
        """Release the HTTP pool if this bot owns it. Idempotent; may be called from any thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._owns_client:
            self._client.close()

    @property
    def accepting(self) -> bool:
        """False once the bot began to stop: loops fetch nothing more, a webhook answers 503."""
        return self._accepting

    def begin_stop(self) -> None:
        """Accept no more updates from now on (a signal's first step); :meth:`stop` finishes.

        Callable from any thread, signal handlers included (it only sets a flag).
        """
        self._accepting = False

    def stop(self, grace: float | None = None) -> None:
        """Stop what the bot started and close HTTP. Idempotent.

        Stops the update loops running for this bot, the ones :meth:`message_loop`
        started and the ones the program runs itself (a long poll under way is cut
        short), then what :class:`~actorbot.DelegatorBot` adds (its conversations get
        ``grace`` seconds, default :attr:`stop_grace`, to finish), then interrupts
        retry waits under way on other threads (they raise the error they were waiting
        to retry), then closes HTTP. A second call, from any thread, waits (bounded)
        until the first has finished. The interpreter's exit calls it too, so a
        program that ends without stopping its bot still closes its conversations.
        """
        with self._lock:
            first = not self._stop_claimed
            self._stop_claimed = True
            self._accepting = False
        if not first:
            if not self._stopped.wait(self._stop_grace + 15.0):
                log.warning("the bot was still stopping after %g s", self._stop_grace + 15.0)
            return
        atexit.unregister(self._stop_at_exit)
        try:
            self._shutdown(self._stop_grace if grace is None else grace)
        finally:
            self._stopped.set()

    def _shutdown(self, grace: float) -> None:
        """What :meth:`stop` does, once; subclasses extend it (loops first, HTTP last)."""
        loops = self._stop_loops(grace)
        self._confirm_loops(loops)
        self._stop_helpers()
        self._stopping.set()
        self.close()

    def _stop_helpers(self) -> None:
        with self._lock:
            scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.stop()
        self._stop_registered()

    def _stop_registered(self) -> None:
        """Call ``_stop()`` of what was registered with :meth:`_register_stoppable` (once each)."""
        with self._lock:
            stoppables, self._stoppables = self._stoppables, []
        for ref in stoppables:
            obj = ref()
            if obj is None:
                continue
            try:
                obj._stop()
            except Exception:
                log.exception("stopping %r failed", obj)

    def _stop_at_exit(self) -> None:
        try:
            self.stop()
        except Exception:
            log.exception("stopping %r at exit failed", self)

    @property
    def scheduler(self) -> Any:
        """telepot's ``Bot.scheduler``: events scheduled on it are handed to :meth:`handle`.

        An :class:`actorbot.actors.EventScheduler`, created on first use; its actor
        thread runs ``handle`` for each fired event. :meth:`stop` stops it.
        """
        with self._lock:
            if self._scheduler is None:
                from .actors import EventScheduler

                self._scheduler = EventScheduler(self.handle)
            return self._scheduler

    def _register_stoppable(self, obj: Any) -> None:
        """Have :meth:`stop` call ``obj._stop()`` (an ``Answerer`` made for this bot, say)."""
        with self._lock:
            self._stoppables = [r for r in self._stoppables if r() is not None]
            self._stoppables.append(weakref.ref(obj))

    def _stop_loops(self, grace: float) -> list[Any]:
        """Stop the loops :meth:`message_loop` started and every other update loop running for
        this bot (a ``MessageLoop(bot)`` the program runs itself); each gets ``grace`` seconds
        (at least 1) to return: a plain bot's handler runs on its loop's thread. Returns them."""
        with self._lock:
            loops, self._loops = self._loops, []
        loops += [loop for loop in list(self._live_loops) if loop.running and loop not in loops]
        timeout = max(grace, 1.0)
        for loop in loops:
            if not loop.stop(timeout=timeout):
                log.warning("an update loop did not stop within %g s", timeout)
        return loops

    def _confirm_loops(self, loops: list[Any]) -> None:
        """Have each stopped polling loop confirm to Telegram what is safe now (``loop.confirm()``).

        Called by the stopping thread once the handlers had their grace period (for a
        :class:`~actorbot.DelegatorBot`, after its engine stopped) and before HTTP closes:
        updates handled meanwhile are confirmed, unfinished ones stay with Telegram. The
        loops are ``loops`` (what :meth:`_stop_loops` stopped) and every other loop that ran
        for this bot (a ``MessageLoop(bot)`` the program ran itself); a loop still running,
        or one with nothing new to confirm, does nothing.
        """
        seen: set[int] = set()
        with self._lock:
            started, self._started_loops = self._started_loops, []
        for loop in [*loops, *started, *list(self._live_loops)]:
            confirm = getattr(loop, "confirm", None)
            if confirm is None or id(loop) in seen:
                continue
            seen.add(id(loop))
            try:
                confirm()
            except Exception:
                log.exception("confirming the handled updates to Telegram failed")

    def message_loop(
        self,
        callback: Any = None,
        relax: float = 0.1,
        timeout: int = 20,
        allowed_updates: Any = None,
        source: Any = None,
        ordered: bool = True,
        maxhold: float = 3,
        run_forever: bool | str = False,
    ) -> Any:
        """Start an update loop on a thread of its own (telepot's one-call loop); return it.

        ``callback`` is a function, a routing table by flavor, or None for
        :meth:`handle`. ``source`` None polls ``getUpdates``; a ``queue.Queue`` is fed by a
        webhook. See :func:`actorbot.loop.start_message_loop`. :meth:`stop` stops it.
        """
        from .loop import start_message_loop

        loop = start_message_loop(
            self, callback, relax, timeout, allowed_updates, source, ordered, maxhold, run_forever=False
        )
        with self._lock:
            self._loops.append(loop)
        if run_forever:
            if isinstance(run_forever, str):
                log.info("%s", run_forever)
            try:
                loop.join()
            finally:
                loop.stop()
            if loop.error is not None:
                raise loop.error
        return loop

    def __enter__(self) -> Bot:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- handling -----------------------------------------------------------------------------
    @property
    def router(self) -> Any:
        """The :class:`actorbot._router.Router` ``handle`` uses: by flavor, to ``on_<flavor>``.

        ``chat`` goes to ``on_chat_message``; every other flavor ``f`` to ``on_f``
        (``on_callback_query``, ``on_inline_query``, ``on_chosen_inline_result``,
        ``on_shipping_query``, ``on_pre_checkout_query``, ``on_poll``...).
        """
        if self._router is None:
            from ._flavor import flavor
            from ._router import Router

            def dispatch(msg: Any) -> Any:
                return self._dispatch_by_flavor(flavor(msg), msg)

            table: dict[Any, Callable[..., Any]] = {None: dispatch}
            self._router = Router(flavor, table)
        return self._router

    def _dispatch_by_flavor(self, kind: str, msg: Any) -> Any:
        name = "on_chat_message" if kind == "chat" else f"on_{kind}"
        handler = getattr(self, name, None)
        if handler is None:
            log.warning("%s has no %s(); a %s message was not handled", type(self).__name__, name, kind)
            return None
        return handler(msg)

    def handle(self, msg: Any) -> Any:
        """Route ``msg`` by flavor to ``on_chat_message``, ``on_callback_query``, ... .

        Runs on the thread that delivers the message (the update loop's). A flavor
        with no ``on_...`` method is logged and dropped.
        """
        return self.router.route(msg)

    # -- the request path ---------------------------------------------------------------------
    def _api_request(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        raise_errors: bool | None = None,
        cancel: CancelToken | None = None,
    ) -> Any:
        """Send ``method`` as is and return the ``result`` of the answer.

        ``params`` may hold nested dicts and lists; ``files`` maps form names to file
        specs (any file makes the request multipart). ``timeout`` is the read timeout
        in seconds. ``cancel`` (a :class:`~actorbot.api.CancelToken`) lets another thread
        cut the call short. The call passes the bot's :class:`~actorbot.api.FloodGate`
        (its chat's lane when ``params`` has a ``chat_id``). Runs on the calling thread.
        """
        counted = method != "getUpdates"
        if counted:
            with self._lock:
                self._in_flight += 1
        outcome = "error"
        started = real_monotonic()
        try:
            with self._flood.passage(method, params, cancel) as passage:
                try:
                    result = self._client.request(
                        self._api_url,
                        self._token,
                        method,
                        params,
                        files,
                        timeout=timeout,
                        retry=self._retry,
                        wait=self._stopping_wait,
                        cancel=cancel,
                        flood=passage,
                    )
                except Superseded as replaced:  # a newer edit of the message was sent instead
                    try:
                        result = replaced.newer.outcome()
                    except BaseException as exc:
                        passage.finish(error=exc)
                        raise
                except BaseException as exc:
                    passage.finish(error=exc)
                    raise
                passage.finish(result)
            outcome = "ok"
            return result
        except TelegramError as exc:
            outcome = str(exc.error_code)
            if (self._raise_errors if raise_errors is None else raise_errors):
                raise
            return exc.json
        except NetworkError:
            outcome = "network"
            raise
        except BadHTTPResponse as exc:
            outcome = str(exc.status)
            raise
        finally:
            self._metrics.api_call(method, outcome, real_monotonic() - started)
            if counted:
                with self._lock:
                    self._in_flight -= 1

    def _call(
        self,
        method: str,
        params: dict[str, Any],
        *,
        timeout: float | None = None,
        raise_errors: bool | None = None,
        cancel: CancelToken | None = None,
    ) -> Any:
        """Modernize, validate, separate uploads, send."""
        shown = method
        params = {k: v for k, v in params.items() if v is not None}
        method, params = modernize(method, params)
        check_call(method, params, shown_as=shown)
        files: dict[str, Any] = {}
        for name in _spec.UPLOAD_PARAMS.get(method, ()):
            value = params.get(name)
            if value is not None and not isinstance(value, str) and is_file_spec(value):
                files[name] = params.pop(name)
        media = _spec.MEDIA_PARAMS.get(method)
        if media:
            reserved = {p.name for p in _spec.METHODS[method].params} | set(files)
            params, attached = split_attachments(params, media, reserved)
            files.update(attached)
        return self._api_request(
            method, params, files or None, timeout=timeout, raise_errors=raise_errors, cancel=cancel
        )

    def _edit(self, method: str, msg_identifier: Any, params: dict[str, Any]) -> Any:
        params.update(_dismantle_message_identifier(msg_identifier))
        return self._call(method, params)

    # -- the seeds' methods -------------------------------------------------------------------
    def getMe(self) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#getme"""
        return self._call("getMe", {})

    def sendMessage(
        self,
        chat_id: Any,
        text: Any,
        parse_mode: Any = None,
        disable_web_page_preview: Any = None,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#sendmessage"""
        return self._call("sendMessage", _params(locals()))

    def forwardMessage(
        self,
        chat_id: Any,
        from_chat_id: Any,
        message_id: Any,
        disable_notification: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#forwardmessage"""
        return self._call("forwardMessage", _params(locals()))

    def sendPhoto(
        self,
        chat_id: Any,
        photo: Any,
        caption: Any = None,
        parse_mode: Any = None,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#sendphoto

        :param photo: a ``file_id`` or HTTP URL string, a file-like object (e.g.
            ``open(path, 'rb')``), or ``(filename, file-like)``.
        """
        return self._call("sendPhoto", _params(locals()))

    def sendAudio(
        self,
        chat_id: Any,
        audio: Any,
        caption: Any = None,
        parse_mode: Any = None,
        duration: Any = None,
        performer: Any = None,
        title: Any = None,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#sendaudio (``audio`` as ``photo`` in :meth:`sendPhoto`)"""
        return self._call("sendAudio", _params(locals()))

    def sendDocument(
        self,
        chat_id: Any,
        document: Any,
        caption: Any = None,
        parse_mode: Any = None,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#senddocument (``document`` as ``photo`` in :meth:`sendPhoto`)"""
        return self._call("sendDocument", _params(locals()))

    def sendVideo(
        self,
        chat_id: Any,
        video: Any,
        duration: Any = None,
        width: Any = None,
        height: Any = None,
        caption: Any = None,
        parse_mode: Any = None,
        supports_streaming: Any = None,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#sendvideo (``video`` as ``photo`` in :meth:`sendPhoto`)"""
        return self._call("sendVideo", _params(locals()))

    def sendAnimation(
        self,
        chat_id: Any,
        animation: Any,
        duration: Any = None,
        width: Any = None,
        height: Any = None,
        thumb: Any = None,
        caption: Any = None,
        parse_mode: Any = None,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#sendanimation (amanobot's order)"""
        return self._call("sendAnimation", _params(locals()))

    def sendVoice(
        self,
        chat_id: Any,
        voice: Any,
        caption: Any = None,
        parse_mode: Any = None,
        duration: Any = None,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#sendvoice (``voice`` as ``photo`` in :meth:`sendPhoto`)"""
        return self._call("sendVoice", _params(locals()))

    def sendVideoNote(
        self,
        chat_id: Any,
        video_note: Any,
        duration: Any = None,
        length: Any = None,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#sendvideonote"""
        return self._call("sendVideoNote", _params(locals()))

    def sendMediaGroup(
        self,
        chat_id: Any,
        media: Any,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """See: https://core.telegram.org/bots/api#sendmediagroup

        :param media: a list of InputMedia dicts (or namedtuples). Each one's ``media``
            (and ``thumbnail``/``cover``) may be a ``file_id`` or URL string, a
            file-like object, ``(form name, file-like)`` or
            ``(form name, (filename, file-like))``. Uploads are attached as
            ``attach://<name>``; generated names never collide with names given.
        """
        return self._call("sendMediaGroup", _params(locals()))

    def sendLocation(
        self,
        chat_id: Any,
        latitude: Any,
        longitude: Any,
        live_period: Any = None,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#sendlocation"""
        return self._call("sendLocation", _params(locals()))

    def editMessageLiveLocation(  # type: ignore[override]
        self,
        msg_identifier: Any,
        latitude: Any,
        longitude: Any,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any] | bool:
        """See: https://core.telegram.org/bots/api#editmessagelivelocation

        :param msg_identifier: as in :meth:`editMessageText`.
        """
        return self._edit("editMessageLiveLocation", msg_identifier, _params(locals(), "msg_identifier"))

    def stopMessageLiveLocation(  # type: ignore[override]
        self, msg_identifier: Any, reply_markup: Any = None, **kwargs: Any
    ) -> dict[str, Any] | bool:
        """See: https://core.telegram.org/bots/api#stopmessagelivelocation"""
        return self._edit("stopMessageLiveLocation", msg_identifier, _params(locals(), "msg_identifier"))

    def sendVenue(
        self,
        chat_id: Any,
        latitude: Any,
        longitude: Any,
        title: Any,
        address: Any,
        foursquare_id: Any = None,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#sendvenue"""
        return self._call("sendVenue", _params(locals()))

    def sendContact(
        self,
        chat_id: Any,
        phone_number: Any,
        first_name: Any,
        last_name: Any = None,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#sendcontact"""
        return self._call("sendContact", _params(locals()))

    def sendPoll(
        self,
        chat_id: Any,
        question: Any,
        options: Any,
        is_anonymous: Any = None,
        type: Any = None,
        allows_multiple_answers: Any = None,
        correct_option_id: Any = None,
        is_closed: Any = None,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#sendpoll (amanobot's order; options may be strings)"""
        return self._call("sendPoll", _params(locals()))

    def sendGame(
        self,
        chat_id: Any,
        game_short_name: Any,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#sendgame"""
        return self._call("sendGame", _params(locals()))

    def sendInvoice(  # type: ignore[override]
        self,
        chat_id: Any,
        title: Any,
        description: Any,
        payload: Any,
        provider_token: Any,
        start_parameter: Any,
        currency: Any,
        prices: Any,
        provider_data: Any = None,
        photo_url: Any = None,
        photo_size: Any = None,
        photo_width: Any = None,
        photo_height: Any = None,
        need_name: Any = None,
        need_phone_number: Any = None,
        need_email: Any = None,
        need_shipping_address: Any = None,
        is_flexible: Any = None,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#sendinvoice"""
        return self._call("sendInvoice", _params(locals()))

    def sendChatAction(self, chat_id: Any, action: Any, **kwargs: Any) -> bool:
        """See: https://core.telegram.org/bots/api#sendchataction"""
        return self._call("sendChatAction", _params(locals()))

    def getUserProfilePhotos(
        self, user_id: Any, offset: Any = None, limit: Any = None, **kwargs: Any
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#getuserprofilephotos"""
        return self._call("getUserProfilePhotos", _params(locals()))

    def getFile(self, file_id: Any, **kwargs: Any) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#getfile"""
        return self._call("getFile", _params(locals()))

    def kickChatMember(self, chat_id: Any, user_id: Any, until_date: Any = None, **kwargs: Any) -> bool:
        """The old name of :meth:`banChatMember`; calls ``banChatMember``."""
        return self._call("kickChatMember", _params(locals()))

    def unbanChatMember(self, chat_id: Any, user_id: Any, **kwargs: Any) -> bool:
        """See: https://core.telegram.org/bots/api#unbanchatmember"""
        return self._call("unbanChatMember", _params(locals()))

    def restrictChatMember(
        self,
        chat_id: Any,
        user_id: Any,
        until_date: Any = None,
        can_send_messages: Any = None,
        can_send_media_messages: Any = None,
        can_send_other_messages: Any = None,
        can_add_web_page_previews: Any = None,
        **kwargs: Any,
    ) -> bool:
        """See: https://core.telegram.org/bots/api#restrictchatmember

        Flat ``can_*`` rights (telepot's and amanobot's) are sent inside ``permissions``.
        """
        return self._call("restrictChatMember", _params(locals()))

    def promoteChatMember(
        self,
        chat_id: Any,
        user_id: Any,
        can_change_info: Any = None,
        can_post_messages: Any = None,
        can_edit_messages: Any = None,
        can_delete_messages: Any = None,
        can_invite_users: Any = None,
        can_restrict_members: Any = None,
        can_pin_messages: Any = None,
        can_promote_members: Any = None,
        **kwargs: Any,
    ) -> bool:
        """See: https://core.telegram.org/bots/api#promotechatmember"""
        return self._call("promoteChatMember", _params(locals()))

    def setChatAdministratorCustomTitle(
        self,
        chat_id: Any,
        user_id: Any,
        custom_title: Any,
        **kwargs: Any,
    ) -> bool:
        """See: https://core.telegram.org/bots/api#setchatadministratorcustomtitle"""
        return self._call("setChatAdministratorCustomTitle", _params(locals()))

    def setChatPermissions(
        self,
        chat_id: Any,
        can_send_messages: Any = None,
        can_send_media_messages: Any = None,
        can_send_polls: Any = None,
        can_send_other_messages: Any = None,
        can_add_web_page_previews: Any = None,
        can_change_info: Any = None,
        can_invite_users: Any = None,
        can_pin_messages: Any = None,
        permissions: Any = None,
        **kwargs: Any,
    ) -> bool:
        """See: https://core.telegram.org/bots/api#setchatpermissions (amanobot's order)"""
        return self._call("setChatPermissions", _params(locals()))

    def exportChatInviteLink(self, chat_id: Any, **kwargs: Any) -> str:
        """See: https://core.telegram.org/bots/api#exportchatinvitelink"""
        return self._call("exportChatInviteLink", _params(locals()))

    def setChatPhoto(self, chat_id: Any, photo: Any, **kwargs: Any) -> bool:
        """See: https://core.telegram.org/bots/api#setchatphoto"""
        return self._call("setChatPhoto", _params(locals()))

    def deleteChatPhoto(self, chat_id: Any, **kwargs: Any) -> bool:
        """See: https://core.telegram.org/bots/api#deletechatphoto"""
        return self._call("deleteChatPhoto", _params(locals()))

    def setChatTitle(self, chat_id: Any, title: Any, **kwargs: Any) -> bool:
        """See: https://core.telegram.org/bots/api#setchattitle"""
        return self._call("setChatTitle", _params(locals()))

    def setChatDescription(self, chat_id: Any, description: Any = None, **kwargs: Any) -> bool:
        """See: https://core.telegram.org/bots/api#setchatdescription"""
        return self._call("setChatDescription", _params(locals()))

    def pinChatMessage(
        self,
        chat_id: Any,
        message_id: Any,
        disable_notification: Any = None,
        **kwargs: Any,
    ) -> bool:
        """See: https://core.telegram.org/bots/api#pinchatmessage"""
        return self._call("pinChatMessage", _params(locals()))

    def unpinChatMessage(self, chat_id: Any, **kwargs: Any) -> bool:
        """See: https://core.telegram.org/bots/api#unpinchatmessage"""
        return self._call("unpinChatMessage", _params(locals()))

    def leaveChat(self, chat_id: Any, **kwargs: Any) -> bool:
        """See: https://core.telegram.org/bots/api#leavechat"""
        return self._call("leaveChat", _params(locals()))

    def getChat(self, chat_id: Any, **kwargs: Any) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#getchat"""
        return self._call("getChat", _params(locals()))

    def getChatAdministrators(self, chat_id: Any, **kwargs: Any) -> list[dict[str, Any]]:
        """See: https://core.telegram.org/bots/api#getchatadministrators"""
        return self._call("getChatAdministrators", _params(locals()))

    def getChatMembersCount(self, chat_id: Any, **kwargs: Any) -> int:
        """The old name of :meth:`getChatMemberCount`; calls ``getChatMemberCount``."""
        return self._call("getChatMembersCount", _params(locals()))

    def getChatMember(self, chat_id: Any, user_id: Any, **kwargs: Any) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#getchatmember"""
        return self._call("getChatMember", _params(locals()))

    def setChatStickerSet(self, chat_id: Any, sticker_set_name: Any, **kwargs: Any) -> bool:
        """See: https://core.telegram.org/bots/api#setchatstickerset"""
        return self._call("setChatStickerSet", _params(locals()))

    def deleteChatStickerSet(self, chat_id: Any, **kwargs: Any) -> bool:
        """See: https://core.telegram.org/bots/api#deletechatstickerset"""
        return self._call("deleteChatStickerSet", _params(locals()))

    def answerCallbackQuery(
        self,
        callback_query_id: Any,
        text: Any = None,
        show_alert: Any = None,
        url: Any = None,
        cache_time: Any = None,
        **kwargs: Any,
    ) -> bool:
        """See: https://core.telegram.org/bots/api#answercallbackquery"""
        return self._call("answerCallbackQuery", _params(locals()))

    def answerShippingQuery(
        self,
        shipping_query_id: Any,
        ok: Any,
        shipping_options: Any = None,
        error_message: Any = None,
        **kwargs: Any,
    ) -> bool:
        """See: https://core.telegram.org/bots/api#answershippingquery"""
        return self._call("answerShippingQuery", _params(locals()))

    def answerPreCheckoutQuery(
        self,
        pre_checkout_query_id: Any,
        ok: Any,
        error_message: Any = None,
        **kwargs: Any,
    ) -> bool:
        """See: https://core.telegram.org/bots/api#answerprecheckoutquery"""
        return self._call("answerPreCheckoutQuery", _params(locals()))

    def setPassportDataErrors(self, user_id: Any, errors: Any, **kwargs: Any) -> bool:
        """See: https://core.telegram.org/bots/api#setpassportdataerrors"""
        return self._call("setPassportDataErrors", _params(locals()))

    def editMessageText(  # type: ignore[override]
        self,
        msg_identifier: Any,
        text: Any,
        parse_mode: Any = None,
        disable_web_page_preview: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any] | bool:
        """See: https://core.telegram.org/bots/api#editmessagetext

        :param msg_identifier: a 2-tuple ``(chat_id, message_id)``, a 1-tuple
            ``(inline_message_id,)``, a bare ``inline_message_id`` string, or the message
            dict itself (see :func:`actorbot.message_identifier`).
        """
        return self._edit("editMessageText", msg_identifier, _params(locals(), "msg_identifier"))

    def editMessageCaption(  # type: ignore[override]
        self,
        msg_identifier: Any,
        caption: Any = None,
        parse_mode: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any] | bool:
        """See: https://core.telegram.org/bots/api#editmessagecaption"""
        return self._edit("editMessageCaption", msg_identifier, _params(locals(), "msg_identifier"))

    def editMessageMedia(  # type: ignore[override]
        self,
        msg_identifier: Any,
        media: Any,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any] | bool:
        """See: https://core.telegram.org/bots/api#editmessagemedia

        :param media: an InputMedia dict whose ``media`` may be an upload, as in
            :meth:`sendMediaGroup`.
        """
        return self._edit("editMessageMedia", msg_identifier, _params(locals(), "msg_identifier"))

    def editMessageReplyMarkup(  # type: ignore[override]
        self, msg_identifier: Any, reply_markup: Any = None, **kwargs: Any
    ) -> dict[str, Any] | bool:
        """See: https://core.telegram.org/bots/api#editmessagereplymarkup"""
        return self._edit("editMessageReplyMarkup", msg_identifier, _params(locals(), "msg_identifier"))

    def stopPoll(self, msg_identifier: Any, reply_markup: Any = None, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        """See: https://core.telegram.org/bots/api#stoppoll (``msg_identifier``: ``(chat_id, message_id)``)"""
        return self._edit("stopPoll", msg_identifier, _params(locals(), "msg_identifier"))

    def deleteMessage(self, msg_identifier: Any, **kwargs: Any) -> bool:  # type: ignore[override]
        """See: https://core.telegram.org/bots/api#deletemessage (not for inline messages)"""
        return self._edit("deleteMessage", msg_identifier, _params(locals(), "msg_identifier"))

    def sendSticker(
        self,
        chat_id: Any,
        sticker: Any,
        disable_notification: Any = None,
        reply_to_message_id: Any = None,
        reply_markup: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#sendsticker"""
        return self._call("sendSticker", _params(locals()))

    def getStickerSet(self, name: Any, **kwargs: Any) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#getstickerset"""
        return self._call("getStickerSet", _params(locals()))

    def uploadStickerFile(self, user_id: Any, png_sticker: Any = None, **kwargs: Any) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#uploadstickerfile

        ``png_sticker`` (the seeds' form) is sent as ``sticker`` with
        ``sticker_format="static"``; or pass ``sticker=`` and ``sticker_format=``.
        """
        return self._call("uploadStickerFile", _params(locals()))

    def createNewStickerSet(
        self,
        user_id: Any,
        name: Any,
        title: Any,
        png_sticker: Any = None,
        emojis: Any = None,
        contains_masks: Any = None,
        mask_position: Any = None,
        **kwargs: Any,
    ) -> bool:
        """See: https://core.telegram.org/bots/api#createnewstickerset

        The seeds' ``png_sticker``/``emojis``/``mask_position`` become one InputSticker
        in ``stickers`` (``emojis``, a string, is split into single emoji) and
        ``contains_masks`` becomes ``sticker_type="mask"``; or pass ``stickers=``.
        """
        return self._call("createNewStickerSet", _params(locals()))

    def addStickerToSet(
        self,
        user_id: Any,
        name: Any,
        png_sticker: Any = None,
        emojis: Any = None,
        mask_position: Any = None,
        **kwargs: Any,
    ) -> bool:
        """See: https://core.telegram.org/bots/api#addstickertoset (seed form as in :meth:`createNewStickerSet`)"""
        return self._call("addStickerToSet", _params(locals()))

    def setStickerPositionInSet(self, sticker: Any, position: Any, **kwargs: Any) -> bool:
        """See: https://core.telegram.org/bots/api#setstickerpositioninset"""
        return self._call("setStickerPositionInSet", _params(locals()))

    def deleteStickerFromSet(self, sticker: Any, **kwargs: Any) -> bool:
        """See: https://core.telegram.org/bots/api#deletestickerfromset"""
        return self._call("deleteStickerFromSet", _params(locals()))

    def answerInlineQuery(
        self,
        inline_query_id: Any,
        results: Any,
        cache_time: Any = None,
        is_personal: Any = None,
        next_offset: Any = None,
        switch_pm_text: Any = None,
        switch_pm_parameter: Any = None,
        **kwargs: Any,
    ) -> bool:
        """See: https://core.telegram.org/bots/api#answerinlinequery

        ``switch_pm_text``/``switch_pm_parameter`` are sent as ``button``.
        """
        return self._call("answerInlineQuery", _params(locals()))

    def getUpdates(
        self,
        offset: Any = None,
        limit: Any = None,
        timeout: Any = None,
        allowed_updates: Any = None,
        _raise_errors: Any = None,
        _cancel: CancelToken | None = None,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """See: https://core.telegram.org/bots/api#getupdates

        Long polling: the HTTP read timeout is the client's ``read_timeout`` plus
        ``timeout``, so the server always answers first. ``_raise_errors`` is
        amanobot's per-call override of the bot's ``raise_errors``; ``_cancel`` a
        :class:`~actorbot.api.CancelToken` that cuts the poll short (the loops' ``stop()``).
        """
        params = _params(locals(), "_raise_errors", "_cancel")
        read_timeout = self._client.read_timeout + (float(timeout) if timeout else 0.0)
        return self._call("getUpdates", params, timeout=read_timeout, raise_errors=_raise_errors, cancel=_cancel)

    def setWebhook(
        self,
        url: Any = None,
        certificate: Any = None,
        max_connections: Any = None,
        allowed_updates: Any = None,
        **kwargs: Any,
    ) -> bool:
        """See: https://core.telegram.org/bots/api#setwebhook (no ``url`` removes the webhook)"""
        return self._call("setWebhook", _params(locals()))

    def deleteWebhook(self, **kwargs: Any) -> bool:
        """See: https://core.telegram.org/bots/api#deletewebhook"""
        return self._call("deleteWebhook", _params(locals()))

    def getWebhookInfo(self) -> dict[str, Any]:
        """See: https://core.telegram.org/bots/api#getwebhookinfo"""
        return self._call("getWebhookInfo", {})

    def setGameScore(  # type: ignore[override]
        self,
        user_id: Any,
        score: Any,
        game_message_identifier: Any,
        force: Any = None,
        disable_edit_message: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any] | bool:
        """See: https://core.telegram.org/bots/api#setgamescore

        :param game_message_identifier: as ``msg_identifier`` in :meth:`editMessageText`.
        """
        return self._edit("setGameScore", game_message_identifier,
                          _params(locals(), "game_message_identifier"))

    def getGameHighScores(self, user_id: Any, game_message_identifier: Any, **kwargs: Any) -> list[dict[str, Any]]:  # type: ignore[override]
        """See: https://core.telegram.org/bots/api#getgamehighscores"""
        return self._edit("getGameHighScores", game_message_identifier,
                          _params(locals(), "game_message_identifier"))

    def download_file(self, file_id: str, dest: str | os.PathLike[str] | IO[bytes]) -> None:
        """Download a file to ``dest``, a path or a binary file object.

        Calls ``getFile``, then streams ``/file/bot<token>/<file_path>`` to ``dest`` in
        chunks (never the whole file in memory). A file created at a path is removed
        if the download fails. Runs on the calling thread.
        """
        info = self.getFile(file_id)
        with self._lock:
            self._in_flight += 1
        try:
            self._client.download(
                self._api_url,
                self._token,
                info["file_path"],
                dest,
                chunk_size=self._file_chunk_size,
                retry=self._retry,
                wait=self._stopping.wait,
            )
        finally:
            with self._lock:
                self._in_flight -= 1


assert all(old in Bot.__dict__ for old in RENAMED_METHODS)


def _nothing() -> None:
    """A finalizer that does nothing (see ``Bot.__init__``)."""
