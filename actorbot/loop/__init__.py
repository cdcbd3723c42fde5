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

Every loop has ``run_forever()``, ``run_as_thread()`` and ``stop()``. Each name's module
is imported when the name is first used: a polling bot loads no webhook machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

if TYPE_CHECKING:
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

_LAZY = {
    "Backoff": "._backoff",
    "start_message_loop": "._message_loop",
    "PushResult": "._ordering",
    "Reorderer": "._ordering",
    "Delivery": "._outcome",
    "Outcome": "._outcome",
    "MessageLoop": "._polling",
    "QueueLoop": "._queue_source",
    "RefusalLog": "._refusals",
    "WebhookServer": "._server",
    "serve_webhook": "._server",
    "DEFAULT_MAX_PENDING": "._webhook",
    "OrderedWebhook": "._webhook",
    "Webhook": "._webhook",
    "DEFAULT_MAX_BODY": "._wsgi",
    "DEFAULT_MAX_DEPTH": "._wsgi",
    "GENERATE": "._wsgi",
    "SECRET_HEADER": "._wsgi",
    "WebhookApp": "._wsgi",
    "new_secret_token": "._wsgi",
}

if not TYPE_CHECKING:  # type checkers read the imports above; an unknown name stays an error for them
    __getattr__, __dir__ = attach(__name__, _LAZY)
