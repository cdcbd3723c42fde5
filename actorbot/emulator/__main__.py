"""``python -m actorbot.emulator``: run the Bot API emulator until interrupted.

    python -m actorbot.emulator --port 8081 --token 123:abc --user alice --user bob

Point a bot at ``http://127.0.0.1:8081`` (as its Bot API base URL) and drive the
users through the HTTP API under ``/sim/`` (see ``actorbot.emulator._sim_http``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from ._emulator import DEFAULT_TOKEN, Emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actorbot.emulator", description="Local Telegram Bot API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="emulator_bot")
    parser.add_argument("--user", action="append", default=[], help="create a user with this first name (repeatable)")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    log = logging.getLogger("actorbot.emulator")
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with Emulator(args.token, host=args.host, port=args.port, bot_username=args.bot_username) as emulator:
        for name in args.user:
            user = emulator.sim.create_user(name, username=name.lower())
            log.info("user %s: id %d", name, user.id)
        log.info("Bot API: %s/bot<token>/<method>   simulation: %s/sim/   chat in a browser: %s/chat/",
                 emulator.url, emulator.url, emulator.url)
        try:
            done.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
