"""The counter example behind a webhook, with a store: a bot process for ``test_crash.py``.

    BOT_TOKEN=... ACTORBOT_API_URL=http://127.0.0.1:PORT python tests/durability/webhook_bot.py STORE

The bot is ``examples/chat/counter.py``'s (its count in ``self.state["count"]``), built
with ``store=STORE``; it is served the way ``examples/webhook/counter_webhook.py`` serves
its own: an :class:`~actorbot.loop.OrderedWebhook` behind a ``WebhookServer`` on a free
loopback port, registered with ``setWebhook`` (a fresh secret each start). It runs until
SIGTERM or SIGINT, then stops gracefully (the webhook is deleted, the bot stopped).
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import signal
import sys
import threading
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load_example(relative: str) -> ModuleType:
    path = ROOT / "examples" / relative
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> None:
    (store,) = argv
    counter = load_example("chat/counter.py")
    hook = load_example("webhook/counter_webhook.py")
    bot = counter.build(os.environ["BOT_TOKEN"], store=store)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        with hook.webhook(bot, None, secret=secrets.token_urlsafe(16)):
            stop.wait()
    finally:
        bot.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
