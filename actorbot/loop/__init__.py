"""Update loops: where updates come from and how they reach ``handle``.

* :class:`MessageLoop` polls ``getUpdates``; the offset moves past an update
  only once ``handle`` returned for it.
* :class:`Webhook` and :class:`OrderedWebhook` are fed by a web application;
  :class:`OrderedWebhook` restores ``update_id`` order (``maxhold``).
* :class:`WebhookApp` is a WSGI application that checks Telegram's secret token
  header, caps the body, and feeds a webhook loop; :class:`WebhookServer` runs
  it on the standard library's ``wsgiref`` for small deployments and tests.
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
from ._server import WebhookServer, serve_webhook
from ._webhook import OrderedWebhook, Webhook
from ._wsgi import DEFAULT_MAX_BODY, SECRET_HEADER, WebhookApp

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
    "Backoff",
    "Delivery",
    "Outcome",
    "Reorderer",
    "PushResult",
]
