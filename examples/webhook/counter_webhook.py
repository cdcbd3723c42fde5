"""Counter behind a webhook: Telegram POSTs each update to your server instead of being polled.

The bot is the per-chat message counter (``examples/chat/counter.py``: one
``ChatHandler`` per chat, reset after 10 idle seconds); only the way updates arrive
changes. A :class:`~actorbot.loop.WebhookServer` (the standard library's ``wsgiref``)
serves a :class:`~actorbot.loop.WebhookApp`, which refuses any request that lacks the
secret token given to ``setWebhook`` (401 without it, 403 with a wrong one) and feeds
the rest to an :class:`~actorbot.loop.OrderedWebhook`. Telegram may POST several
updates at once; the ordered webhook hands them to the bot in ``update_id`` order, and
a POST is answered only once the bot has accepted its update (if it is not, Telegram
sends it again).

Run it:
    python examples/webhook/counter_webhook.py    # no token: the emulator POSTs to a local webhook server
    BOT_TOKEN=123:abc WEBHOOK_URL=https://bot.example.com/counter \\
        python examples/webhook/counter_webhook.py --port 8080    # a real bot on Telegram

Telegram only POSTs to a public HTTPS URL (port 443, 80, 88 or 8443): give it with
``--url`` or ``$WEBHOOK_URL``, and put a TLS-terminating reverse proxy (or a tunnel) in
front that forwards it to ``http://127.0.0.1:8080`` (``--host``/``--port``). A fresh
secret token is made at each start; on exit the webhook is deleted, so the same bot
can be polled again.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from actorbot import DelegatorBot, demo
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler
from actorbot.loop import OrderedWebhook, WebhookApp, WebhookServer

log = logging.getLogger(__name__)

IDLE_SECONDS = 10
URL_ENV = "WEBHOOK_URL"


class MessageCounter(ChatHandler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._count = 0

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self._count += 1
        self.sender.sendMessage(str(self._count))


def build(token: str, **bot_kwargs: Any) -> DelegatorBot:
    return DelegatorBot(token, [
        pave_event_space()(per_chat_id(), create_open, MessageCounter, timeout=IDLE_SECONDS),
    ], **bot_kwargs)


@contextmanager
def webhook(bot: DelegatorBot, public_url: str | None, *, secret: str,
            host: str = "127.0.0.1", port: int = 0) -> Iterator[OrderedWebhook]:
    """Serve ``bot``'s webhook on ``host:port`` and register it with ``setWebhook``; undo both on exit.

    ``public_url`` is the URL Telegram POSTs to (default: the server's own, which only a
    local emulator can reach). Threads: the server accepts on a thread of its own and
    runs each POST on another; the ordered webhook's thread calls ``bot.handle``.
    """
    updates = OrderedWebhook(bot)
    updates.run_as_thread()
    server = WebhookServer(WebhookApp(updates, secret_token=secret), host, port).start()
    try:
        bot.setWebhook(public_url or server.url, secret_token=secret)
        try:
            yield updates
        finally:
            bot.deleteWebhook()
    finally:
        server.stop()
        updates.stop()


def simulate(sim: Any, bot: DelegatorBot) -> None:
    """Two users talk at once; each sees their own count."""
    alice, bob = sim.create_user("Alice"), sim.create_user("Bob")
    for text in ("hello", "how are you?", "still counting?"):
        for user in (alice, bob):
            user.send(text)
            user.chat.wait_for_bot_message()


def main(argv: list[str] | None = None) -> None:
    """``[--token TOKEN] [--url URL] [--host HOST] [--port PORT] [--verbose]``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0] or None)
    parser.add_argument("--token", default=os.environ.get(demo.TOKEN_ENV),
                        help=f"a bot token from @BotFather (default: ${demo.TOKEN_ENV}); "
                             "none: play against the emulator")
    parser.add_argument("--url", default=os.environ.get(URL_ENV),
                        help=f"the public HTTPS URL Telegram POSTs to (default: ${URL_ENV}); needed with a token")
    parser.add_argument("--host", default="127.0.0.1", help="the address the webhook server listens on")
    parser.add_argument("--port", type=int, default=8080, help="the port it listens on (default: 8080)")
    parser.add_argument("--verbose", action="store_true", help="log at DEBUG")
    args = parser.parse_args(argv)
    quiet = logging.INFO if args.token else logging.WARNING  # the emulator run prints its transcript
    logging.basicConfig(level=logging.DEBUG if args.verbose else quiet,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    secret = secrets.token_urlsafe(32)  # only Telegram (told by setWebhook) and this process know it
    if not args.token:
        demo.run_simulated(build, simulate, connect=lambda bot, emulator: webhook(bot, None, secret=secret))
        return
    if not args.url:
        parser.error(f"a real bot needs the public URL Telegram POSTs to: --url or ${URL_ENV}")
    bot = build(args.token)
    try:
        with webhook(bot, args.url, secret=secret, host=args.host, port=args.port) as updates:
            log.info("Telegram POSTs to %s; serving it on http://%s:%d (Ctrl-C to stop)",
                     args.url, args.host, args.port)
            updates.join()
    except KeyboardInterrupt:
        pass
    finally:
        bot.stop()


if __name__ == "__main__":
    main()
