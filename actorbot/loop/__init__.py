"""Update loops: where updates come from and how they reach ``handle``.

* :class:`MessageLoop` polls ``getUpdates``; the offset moves past an update
  only once ``handle`` returned for it, or, for a bot with an intake (a
  ``DelegatorBot``), once the intake says it is safe.
* :class:`Webhook` and :class:`OrderedWebhook` are fed by a web application;
  :class:`OrderedWebhook` restores ``update_id`` order (``maxhold``).
* :class:`WebhookApp` is a WSGI application that requires Telegram's secret token
  header (generating one by default), caps the body, and feeds a webhook loop;
  :class:`WebhookServer` serves it with a bounded pool of threads and HTTP/1.1
  keep-alive, for small deployments and tests.
* :class:`QueueLoop` pulls updates from a ``queue.Queue`` (telepot's
  ``message_loop(source=queue)``); :func:`start_message_loop` is what
  ``Bot.message_loop`` does.

Every loop has ``run_forever()``, ``run_as_thread()`` and ``stop()``.
"""

from __future__ import annotations

from ._backoff import Backoff
from ._message_loop import start_message_loop
from ._ordering import PushResult, Reorderer
from ._outcome import Delivery, Outcome
from ._polling import MessageLoop
from ._queue_source import QueueLoop
from ._refusals import RefusalLog
from ._server import WebhookServer, serve_webhook
from ._webhook import DEFAULT_MAX_PENDING, OrderedWebhook, Webhook
from ._wsgi import DEFAULT_MAX_BODY, DEFAULT_MAX_DEPTH, GENERATE, SECRET_HEADER, WebhookApp, new_secret_token

__all__ = [
    "MessageLoop",
    "Webhook",
    "OrderedWebhook",
    "QueueLoop",
    "start_message_loop",
    "WebhookApp",
    "WebhookServer",
    "serve_webhook",
    "SECRET_HEADER",
    "DEFAULT_MAX_BODY",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_PENDING",
    "GENERATE",
    "new_secret_token",
    "RefusalLog",
    "Backoff",
    "Delivery",
    "Outcome",
    "Reorderer",
    "PushResult",
]
