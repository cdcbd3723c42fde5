"""Run an example bot against Telegram (with a token) or the local emulator (without one).

Every example under ``examples/`` ends with::

    if __name__ == "__main__":
        actorbot.demo.main(build, simulate, __doc__)

* ``build(token, **bot_kwargs)`` makes the bot (the emulator run passes ``api_url``).
* ``simulate(sim, bot)`` plays the users when there is no token: it drives
  :class:`~actorbot.emulator.Simulation` users and waits for the bot's answers.

With a token (``--token`` or ``$BOT_TOKEN``) the bot polls Telegram until Ctrl-C. Without
one, an :class:`~actorbot.emulator.Emulator` starts on a loopback port, the bot polls it,
``simulate`` runs, and every line of every chat is printed as it happens.

Threads: ``main`` runs on the calling thread; the transcript is written from the
emulator's threads (one line at a time, under the emulator's lock, so lines never mix).
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import IO, Any

from .emulator import Emulator, TranscriptEntry
from .testing import BotFactory, Connect, serve_bot

__all__ = ["main", "run_simulated", "TOKEN_ENV", "Connect"]

TOKEN_ENV = "BOT_TOKEN"
"""The environment variable an example reads its token from."""

Simulate = Callable[[Any, Any], None]


def run_simulated(build: BotFactory, simulate: Simulate, *, out: IO[str] | None = None,
                  connect: Connect | None = None) -> None:
    """Run ``build``'s bot against a fresh emulator, let ``simulate(sim, bot)`` play the users,
    and write the transcript to ``out`` (default stdout) as it happens.

    The bot polls the emulator, unless ``connect`` is given: then ``connect(bot, emulator)``
    delivers the updates some other way (a webhook server, say) while it is open.
    """
    stream = out if out is not None else sys.stdout
    with Emulator() as emu:
        titles: dict[int, str] = {}

        def show(entry: TranscriptEntry) -> None:
            chat = titles.get(entry.chat_id)
            if chat is None:
                chat = titles[entry.chat_id] = emu.sim.chat_label(entry.chat_id)
            stream.write(f"[{chat}] {entry.line()}\n")
            stream.flush()

        unsubscribe = emu.sim.on_transcript(show)
        try:
            with serve_bot(build, emu, connect=connect) as harness:
                simulate(emu.sim, harness.bot)
                harness.settle()
        finally:
            unsubscribe()


def main(build: BotFactory, simulate: Simulate, description: str | None = None,
         argv: list[str] | None = None) -> None:
    """The command line of an example: ``[--token TOKEN] [--store STORE] [--verbose]``.

    ``--store`` (a path, ``sqlite:///path`` or ``redis://...``) is given to ``build`` as
    ``store=``: conversations and accepted updates survive a restart (a ``DelegatorBot``).
    """
    parser = argparse.ArgumentParser(description=(description or "").strip().split("\n\n")[0] or None)
    parser.add_argument("--token", default=os.environ.get(TOKEN_ENV),
                        help=f"a bot token from @BotFather (default: ${TOKEN_ENV}); none: play against the emulator")
    parser.add_argument("--store", default=None,
                        help="keep conversations in this store: a file (SQLite) or a redis:// URL")
    parser.add_argument("--verbose", action="store_true", help="log at DEBUG")
    args = parser.parse_args(argv)
    if args.store:
        build = functools.partial(build, store=args.store)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.token:
        run_simulated(build, simulate)
        return
    bot = build(args.token)
    try:
        bot.message_loop(run_forever="Listening... (Ctrl-C to stop)")
    except KeyboardInterrupt:
        pass
    finally:
        bot.stop()
