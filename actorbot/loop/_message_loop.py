"""What ``Bot.message_loop`` does (telepot's deprecated one-call loop): :func:`start_message_loop`."""

from __future__ import annotations

import logging
import queue
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._handling import Handler
from ._polling import MessageLoop

if TYPE_CHECKING:
    from ._queue_source import QueueLoop  # imported when a queue is the source: it brings the webhook loops

__all__ = ["start_message_loop"]

log = logging.getLogger("actorbot.loop")


def start_message_loop(
    bot: Any,
    callback: Handler | Mapping[str, Handler] | None = None,
    relax: float = 0.1,
    timeout: int = 20,
    allowed_updates: Iterable[str] | None = None,
    source: Any = None,
    ordered: bool = True,
    maxhold: float = 3,
    run_forever: bool | str = False,
) -> MessageLoop | QueueLoop:
    """Start a loop on a daemon thread that applies ``callback`` to every message; return the loop.

    :param callback: a function taking one message, a routing table by flavor, or
        None for ``bot.handle``.
    :param source: None to poll ``getUpdates`` (``relax``, ``timeout`` and
        ``allowed_updates`` apply), or a ``queue.Queue`` a web application puts
        updates in (JSON text, UTF-8 bytes or dicts; ``ordered`` and ``maxhold``
        apply, see :class:`~actorbot.loop.OrderedWebhook`).
    :param run_forever: if true, do not return: block until the loop ends
        (``loop.stop()`` from another thread, or a fatal error, which is raised).
        A string is logged at INFO first (telepot printed it).
    :returns: the running :class:`MessageLoop` or :class:`QueueLoop`; call its
        ``stop()`` to end it.
    :raises ValueError: ``source`` is neither None nor a queue.

    Threads: returns at once (unless ``run_forever``); the loop runs on its own
    thread. Unlike telepot, this does not start a scheduler: the bot owns that.
    """
    loop: MessageLoop | QueueLoop
    if source is None:
        loop = MessageLoop(bot, callback)
        loop.run_as_thread(relax=relax, timeout=timeout, allowed_updates=allowed_updates)
    elif isinstance(source, (queue.Queue, queue.SimpleQueue)):
        from ._queue_source import QueueLoop

        loop = QueueLoop(bot, source, callback, ordered=ordered)
        loop.run_as_thread(maxhold=maxhold)
    else:
        raise ValueError("Invalid source: pass None (getUpdates) or a queue.Queue")
    if run_forever:
        if isinstance(run_forever, str):
            log.info("%s", run_forever)
        try:
            loop.join()
        except BaseException:
            loop.stop()
            raise
        if loop.error is not None:
            raise loop.error
    return loop
