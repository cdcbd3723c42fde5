"""Updates pulled from a ``queue.Queue``: :class:`QueueLoop` (telepot's ``message_loop(source=queue)``).

Threads: the loop's thread (:meth:`QueueLoop.run_forever`, or the one
:meth:`run_as_thread` starts) takes items from the queue and feeds them to an
inner :class:`~actorbot.loop.OrderedWebhook` (or :class:`~actorbot.loop.Webhook`),
whose own thread (``actorbot-ordered-webhook``) calls ``handle``. ``stop()``
stops both.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from typing import Any, Union

from ..exception import BadUpdate
from ._handling import Handler
from ._runner import LoopRunner
from ._webhook import DEFAULT_MAX_PENDING, Clock, OrderedWebhook, Webhook

__all__ = ["QueueLoop", "QueueSource"]

log = logging.getLogger("actorbot.loop")

QueueSource = Union["queue.Queue[Any]", "queue.SimpleQueue[Any]"]

#: Bound of one wait on the queue when a wake-up item could not be queued (a full queue).
_RECHECK = 0.5


class _WakeUp:
    """Put in the source queue by ``stop()`` to wake the pulling thread; never fed."""

    __slots__ = ()


class QueueLoop(LoopRunner):
    """Pulls updates from ``source`` and hands their messages to ``handle``.

    Items in the queue are what :meth:`Webhook.feed` accepts: JSON text
    (``str``, or ``bytes`` in UTF-8) or a ``dict``. A web application puts what
    Telegram POSTs into the queue; this loop does the rest. Unreadable items
    are logged and skipped.

    :param ordered: restore ``update_id`` order, holding out-of-order updates at
        most ``maxhold`` seconds (see :class:`OrderedWebhook`); if False, updates
        are handled in the order they are pulled.
    :param max_pending: the most updates taken from the queue but not yet handled;
        at the bound the loop stops taking until there is room (the queue holds the rest).
        With the bot's intake, "handled" means accepted: an update taken from a queue is
        never delivered again, so the intake's per-chat and overall bounds
        (``max_unfinished...`` of :class:`Webhook`, which refuse) do not apply here.
    """

    thread_name = "actorbot-queue-loop"

    def __init__(
        self,
        bot: Any,
        source: QueueSource,
        handle: Handler | Mapping[str, Handler] | None = None,
        *,
        ordered: bool = True,
        clock: Clock = time.monotonic,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        super().__init__()
        self._source = source
        self._bot = bot
        self._webhook: Webhook = (
            OrderedWebhook(bot, handle, clock=clock, max_pending=max_pending, max_unfinished=None,
                           max_unfinished_per_chat=None)
            if ordered
            else Webhook(bot, handle, max_pending=max_pending, max_unfinished=None, max_unfinished_per_chat=None)
        )
        self._wakeup = _WakeUp()

    @property
    def webhook(self) -> Webhook:
        """The inner loop that orders and handles the updates."""
        return self._webhook

    def run_forever(self, maxhold: float = 3) -> None:  # type: ignore[override]
        """Pull and handle updates until :meth:`stop`. Blocks.

        :param maxhold: see :class:`OrderedWebhook` (ignored when not ordered).
        """
        super().run_forever(maxhold)

    def run_as_thread(self, maxhold: float = 3) -> threading.Thread:  # type: ignore[override]
        """Run :meth:`run_forever` on a new daemon thread and return that thread."""
        return super().run_as_thread(maxhold)

    def _run(self, maxhold: float = 3) -> None:  # type: ignore[override]
        if isinstance(self._webhook, OrderedWebhook):
            self._webhook.run_as_thread(maxhold)
        else:
            self._webhook.run_as_thread()
        try:
            while not self.stopping:
                try:
                    item = self._source.get(timeout=_RECHECK)
                except queue.Empty:
                    continue
                if isinstance(item, _WakeUp):
                    continue
                while not self._webhook.wait_for_room(_RECHECK):  # backpressure: the queue holds the rest
                    if self.stopping:
                        return
                try:
                    self._webhook.feed(item)
                except BadUpdate as exc:
                    log.warning("skipping an unreadable item from the update queue: %s", exc.reason)
        finally:
            self._webhook.stop()

    def _wake(self) -> None:
        if self.running:
            try:
                self._source.put_nowait(self._wakeup)
            except queue.Full:
                pass  # the pulling thread re-checks within _RECHECK seconds
        self._webhook.stop(timeout=0)
