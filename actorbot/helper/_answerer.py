"""``Answerer``: at most one inline-query computation per user; a superseded one never answers.

``answer()`` runs on the caller's thread (a delegate's) and returns at once; each
computation runs on its own worker thread, which calls ``compute_fn`` and then
``bot.answerInlineQuery``. A newer query from the same user supersedes the running
computation: its answer is never sent. If ``compute_fn`` accepts a keyword parameter
named ``cancel``, it receives a :class:`threading.Event` that is set when the
computation is superseded (or the bot stops), so it can stop early.

Workers are stopped by ``bot.stop()``; with a ``DelegatorBot`` they are also counted
by the engine (``DelegatorBot.settle()`` waits for them).
"""

from __future__ import annotations

import inspect
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeAlias

from ..actors._clock import Deadline

__all__ = ["Answerer", "AnswererMixin"]

logger = logging.getLogger(__name__)


def _accepts_cancel(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    p = params.get("cancel")
    return p is not None and p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class _Computation:
    """One ``compute_fn`` call and its answer, on its own thread."""

    def __init__(
        self,
        answerer: Answerer,
        from_id: Any,
        inline_query: dict[str, Any],
        compute_fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        self.cancel = threading.Event()
        self.send_lock = threading.Lock()
        self._answerer = answerer
        self._from_id = from_id
        self._query = inline_query
        self._fn = compute_fn
        self._args = args
        self._kwargs = kwargs
        self.thread = threading.Thread(
            target=self._run, name=f"actorbot-answerer-{next(answerer._ids)}", daemon=True
        )

    def supersede(self) -> None:
        """Mark superseded; once this returns the computation will not send its answer."""
        with self.send_lock:
            self.cancel.set()

    def _run(self) -> None:
        answerer = self._answerer
        try:
            if self.cancel.is_set():
                return
            kwargs = dict(self._kwargs)
            if "cancel" not in kwargs and _accepts_cancel(self._fn):
                kwargs["cancel"] = self.cancel
            ans = self._fn(*self._args, **kwargs)
            with self.send_lock:
                if self.cancel.is_set():
                    logger.debug("inline query %s superseded; its answer is dropped", self._query.get("id"))
                    return
                query_id = self._query["id"]
                bot = answerer._bot
                if isinstance(ans, list):
                    bot.answerInlineQuery(query_id, ans)
                elif isinstance(ans, tuple):
                    bot.answerInlineQuery(query_id, *ans)
                elif isinstance(ans, dict):
                    bot.answerInlineQuery(query_id, **ans)
                else:
                    raise ValueError("Invalid answer format")
        except Exception:
            logger.exception("answering inline query %s failed", self._query.get("id"))
        finally:
            answerer._finished(self._from_id, self)


class Answerer:
    """Answers inline queries with at most one active computation per user id."""

    def __init__(self, bot: Any) -> None:
        self._bot = bot
        self._workers: dict[Any, _Computation] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._stopped = False
        self._engine = _engine_of(bot)
        register = getattr(_unproxied(bot), "_register_stoppable", None)
        if register is not None:  # stopped with its bot
            register(self)

    def answer(outerself, inline_query: dict[str, Any], compute_fn: Callable[..., Any], *compute_args: Any,
               **compute_kwargs: Any) -> None:
        """Compute an answer to ``inline_query`` on a worker thread and send it with ``answerInlineQuery``.

        ``compute_fn(*compute_args, **compute_kwargs)`` (thread-safe) returns a list of
        results, a tuple ``(results, *positional args of answerInlineQuery)``, or a dict
        of keyword arguments of ``answerInlineQuery``. The user is
        ``inline_query['from']['id']``; a running computation for that user is
        superseded (its answer will not be sent).
        """
        self = outerself
        from_id = inline_query["from"]["id"]
        computation = _Computation(self, from_id, inline_query, compute_fn, compute_args, compute_kwargs)
        with self._lock:
            if self._stopped:
                logger.info("inline query %s ignored: the bot is stopping", inline_query.get("id"))
                return
            previous = self._workers.get(from_id)
            if previous is not None:
                previous.supersede()
            self._workers[from_id] = computation
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(computation.thread)
            if self._engine is not None:
                self._engine.activity.begin()
        computation.thread.start()

    def _finished(self, from_id: Any, computation: _Computation) -> None:
        with self._lock:
            if self._workers.get(from_id) is computation:
                del self._workers[from_id]
        if self._engine is not None:
            self._engine.activity.end()

    def _stop(self, timeout: float = 5.0) -> None:
        """Supersede every computation and wait (bounded) for the workers to end."""
        with self._lock:
            self._stopped = True
            workers = list(self._workers.values())
            threads = list(self._threads)
        for computation in workers:
            computation.supersede()
        deadline = Deadline(timeout)
        for thread in threads:
            thread.join(deadline.remaining())
            if thread.is_alive():
                logger.warning("an answerer worker did not end within %s s", timeout)


# The mixin re-exports the class as a class attribute, which shadows its name inside the
# class body; annotations there use this alias.
_Answerer: TypeAlias = Answerer


class AnswererMixin:
    """Gives a delegate an :class:`Answerer` (``self.answerer``)."""

    Answerer = Answerer  # a subclass may customize the class

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._answerer = self.Answerer(self.bot)  # type: ignore[attr-defined]
        super().__init__(*args, **kwargs)

    @property
    def answerer(self) -> _Answerer:
        return self._answerer


def _unproxied(bot: Any) -> Any:
    proxied = getattr(bot, "_proxied", None)
    return bot if proxied is None else proxied


def _engine_of(bot: Any) -> Any:
    return getattr(_unproxied(bot), "_engine", None)
