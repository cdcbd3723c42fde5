"""The per-chat counter bot of benchmarks/e2e.py, once per library.

    python benchmarks/e2e_bots.py BOT API_URL

Each bot answers every text message with the number of messages its chat has sent so
far (its running count), as a plain ``sendMessage``. BOT is one of :data:`BOTS`. The
process runs until it is terminated (SIGTERM, then SIGKILL from the harness).

Settings, each library's defaults except where noted: polling without a pause between
batches where the library has one (telepot ``relax=0``, PTB ``poll_interval=0``;
actorbot waits ``relax`` only after an empty poll).
"""

from __future__ import annotations

import sys

TOKEN = "123456:AAbenchmarkTOKENbenchmarkTOKENbench"
BOTS = ("actorbot-pool", "actorbot-threads", "ptb", "ptb-concurrent", "aiogram", "telepot")


def run_actorbot(api_url: str, runtime: str) -> None:
    from actorbot import DelegatorBot
    from actorbot.delegate import create_open, pave_event_space, per_chat_id
    from actorbot.helper import ChatHandler

    class Counter(ChatHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._count = 0

        def on_chat_message(self, msg):
            self._count += 1
            self.sender.sendMessage(str(self._count))

    bot = DelegatorBot(TOKEN, [pave_event_space()(per_chat_id(), create_open, Counter, timeout=3600)],
                       api_url=api_url, runtime=runtime)
    import signal

    signal.signal(signal.SIGTERM, lambda *_: bot.stop())
    bot.message_loop(run_forever=True)


def run_ptb(api_url: str, concurrent: bool) -> None:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def count(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        n = context.chat_data["n"] = context.chat_data.get("n", 0) + 1
        await context.bot.send_message(update.effective_chat.id, str(n))

    app = ApplicationBuilder().token(TOKEN).base_url(api_url + "/bot").concurrent_updates(concurrent).build()
    app.add_handler(MessageHandler(filters.TEXT, count))
    app.run_polling(poll_interval=0)


def run_aiogram(api_url: str) -> None:
    import asyncio

    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    counts: dict[int, int] = {}
    dp = Dispatcher()

    @dp.message()
    async def count(message: Message) -> None:
        n = counts[message.chat.id] = counts.get(message.chat.id, 0) + 1
        await message.bot.send_message(message.chat.id, str(n))

    async def main() -> None:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
        await dp.start_polling(bot)

    asyncio.run(main())


def run_telepot(api_url: str) -> None:
    import collections
    import collections.abc

    collections.Hashable = collections.abc.Hashable  # type: ignore[attr-defined]  # telepot on 3.10+
    import telepot
    import telepot.api
    from telepot.delegate import create_open, pave_event_space, per_chat_id
    from telepot.helper import ChatHandler

    telepot.api._methodurl = lambda req, **user_kw: f"{api_url}/bot{req[0]}/{req[1]}"

    class Counter(ChatHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._count = 0

        def on_chat_message(self, msg):
            self._count += 1
            self.sender.sendMessage(str(self._count))

    bot = telepot.DelegatorBot(TOKEN, [pave_event_space()(per_chat_id(), create_open, Counter, timeout=3600)])
    bot.message_loop(relax=0, run_forever=True)


def main(argv: list[str]) -> None:
    name, api_url = argv
    if name.startswith("actorbot-"):
        run_actorbot(api_url, name.split("-", 1)[1])
    elif name in ("ptb", "ptb-concurrent"):
        run_ptb(api_url, concurrent=name == "ptb-concurrent")
    elif name == "aiogram":
        run_aiogram(api_url)
    elif name == "telepot":
        run_telepot(api_url)
    else:
        raise SystemExit(f"unknown bot {name!r}; one of {BOTS}")


if __name__ == "__main__":
    main(sys.argv[1:])
