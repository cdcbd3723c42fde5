"""The ``actorbot`` command (also ``python -m actorbot``): run a bot module, or the emulator alone.

    actorbot run examples/chat/counter.py --emulator     # a local emulator plays Telegram
    actorbot run mybot.py                                  # Telegram, token from $BOT_TOKEN
    actorbot run mypackage.bot:make_bot --token 123:abc    # a module name and a factory
    actorbot emulator --port 8081 --user Alice             # the emulator alone
    actorbot --version

``APP`` names a module that provides ``build(token, **bot_kwargs)`` returning a bot, as
every example under ``examples/`` does; ``run`` polls it with a
:class:`~actorbot.loop.MessageLoop` until SIGINT or SIGTERM: the first stops the bot
gracefully (see :mod:`actorbot.loop._signals`) and the command exits 0, a second
exits at once with 130 (Ctrl-C) or 143 (SIGTERM).

Output: the token and URLs at start go to stdout; logging goes to stderr. The emulator
logs the conversation as it happens (logger ``actorbot.emulator.chat``, INFO), shown by
default; ``-v`` adds everything at INFO, ``-vv`` at DEBUG.

Threads: everything here runs on the main thread; the emulator and the bot start their own.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType, ModuleType
from typing import IO, Any, Self

from ._cli_broadcast import add_broadcast_parser, run_broadcast
from ._version import __version__

__all__ = ["AppError", "emulator_main", "load_factory", "main"]

log = logging.getLogger(__name__)

TOKEN_ENV = "BOT_TOKEN"
API_URL_ENV = "ACTORBOT_API_URL"
DEFAULT_PORT = 8081
DEFAULT_FACTORY = "build"

_LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_LOG_DATE = "%H:%M:%S"


class AppError(Exception):
    """``APP`` cannot be loaded: no such file or module, or no factory in it."""


# -- loading APP ------------------------------------------------------------------------------


def _split_app(app: str) -> tuple[str, str]:
    target, sep, attr = app.rpartition(":")
    if sep and attr.isidentifier() and target:
        return target, attr
    return app, DEFAULT_FACTORY


def _looks_like_path(target: str) -> bool:
    return target.endswith(".py") or os.sep in target or "/" in target or Path(target).is_file()


def _load_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise AppError(f"{path}: no such file")
    stem = path.stem
    name = stem if stem.isidentifier() and stem not in sys.modules else "_actorbot_app"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise AppError(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    # As ``python path/to/app.py`` would: the file's own directory is importable (its siblings).
    sys.path.insert(0, str(path.resolve().parent))
    sys.modules[name] = module
    spec.loader.exec_module(module)  # an error in the module itself shows its traceback
    return module


def _load_module(name: str) -> ModuleType:
    try:
        found = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        found = None
    if found is None:
        raise AppError(f"{name}: no such file or module (give a path to a .py file, or an importable module name)")
    return importlib.import_module(name)


def load_factory(app: str) -> Callable[..., Any]:
    """The bot factory ``APP`` names: ``path/to/file.py`` or ``package.module``, optionally
    followed by ``:NAME`` (default ``build``). Raises :class:`AppError` if there is none."""
    target, attr = _split_app(app)
    if _looks_like_path(target):
        module = _load_file(Path(target))
    else:
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())  # as ``python -m`` would: modules in the current directory
        module = _load_module(target)
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise AppError(f"{app}: {target} has no function {attr}(token, **bot_kwargs) that returns a bot")
    return factory


# -- output -----------------------------------------------------------------------------------


def _configure_logging(verbosity: int) -> None:
    """Default: warnings, plus the emulator's own INFO lines (the chat as it happens).
    ``-v``: everything at INFO; ``-vv``: DEBUG."""
    level = logging.DEBUG if verbosity >= 2 else logging.INFO if verbosity == 1 else logging.WARNING
    logging.basicConfig(level=level, format=_LOG_FORMAT, datefmt=_LOG_DATE, stream=sys.stderr)
    if verbosity == 0:
        logging.getLogger("actorbot.emulator").setLevel(logging.INFO)


def _describe_emulator(emulator: Any, users: Sequence[Any], out: IO[str]) -> None:
    url = emulator.url
    lines = [
        f"Bot API emulator at {url}",
        f"  token:       {emulator.token}",
        f"  Bot API:     {url}/bot{emulator.token}/<method>",
        f"  simulation:  {url}/sim/   (e.g. POST {url}/sim/send with {{\"user_id\": ..., \"text\": \"hi\"}})",
        f"  chat in a browser: {url}/chat/",
    ]
    lines += [f"  user {user.first_name}: id {user.id}" for user in users]
    out.write("\n".join(lines) + "\n")
    out.flush()


# -- the emulator alone -----------------------------------------------------------------------


class _Interrupted(Exception):
    """Raised on the main thread by the first SIGINT/SIGTERM while the emulator runs alone."""


class _StopOnSignals:
    """SIGINT/SIGTERM while the emulator runs alone: the first raises :class:`_Interrupted`
    in the main thread (which then stops the emulator), a second exits at once."""

    def __init__(self) -> None:
        self.signalled: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Self:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.signalled is None:  # after a signal, a second one still exits at once
            for signum, previous in self._previous.items():
                signal.signal(signum, previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.signalled is not None:
            log.warning("%s received again: exiting now", name)
            os._exit(128 + signum)
        self.signalled = signum
        log.warning("%s received: stopping the emulator", name)
        raise _Interrupted(name)


def _serve_emulator(args: argparse.Namespace, out: IO[str]) -> int:
    with _StopOnSignals():
        emulator = None
        try:
            emulator = _start_emulator(args, args.token)
            if emulator is None:
                return 1
            users = [emulator.sim.create_user(name, username=name.lower()) for name in args.user]
            _describe_emulator(emulator, users, out)
            out.write("Point a bot at it with: actorbot run APP --api-url "
                      f"{emulator.url} --token {emulator.token}   (Ctrl-C to stop)\n")
            out.flush()
            threading.Event().wait()  # until a signal interrupts it
        except _Interrupted:
            pass
        finally:
            if emulator is not None:
                emulator.stop()
    out.write("Emulator stopped.\n")
    out.flush()
    return 0


# -- run APP ----------------------------------------------------------------------------------


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser, out: IO[str]) -> int:
    from ._bot import Bot
    from .emulator import DEFAULT_TOKEN
    from .exception import ActorbotException
    from .loop import MessageLoop
    from .loop._signals import SignalStop

    if args.emulator and args.api_url:
        parser.error("--emulator starts its own Bot API server: leave out --api-url")
    if not args.emulator:
        given = [option for option, value in (("--host", args.host), ("--port", args.port),
                                              ("--bot-username", args.bot_username), ("--user", args.user or None))
                 if value is not None]
        if given:
            parser.error(f"{', '.join(given)}: options of the emulator; add --emulator")
    token = args.token or os.environ.get(TOKEN_ENV)
    if not args.emulator and not token:
        parser.error(f"no bot token: pass --token, set ${TOKEN_ENV}, or add --emulator to run against a local emulator")
    try:
        factory = load_factory(args.app)
    except AppError as exc:
        parser.error(str(exc))

    emulator = None
    if args.emulator:
        # never $BOT_TOKEN here: the emulator prints the token it accepts, and that one may be real
        emulator = _start_emulator(args, args.token or DEFAULT_TOKEN)
        if emulator is None:
            return 1
    try:
        bot_kwargs: dict[str, Any] = {}
        api_url = emulator.url if emulator is not None else args.api_url
        if api_url:
            bot_kwargs["api_url"] = api_url
        bot = factory(emulator.token if emulator is not None else token, **bot_kwargs)
        if not isinstance(bot, Bot):
            parser.error(f"{args.app}: the factory returned {type(bot).__name__}, not an actorbot Bot")
        try:
            try:
                me = bot.getMe()
            except ActorbotException as exc:
                log.error("cannot reach the bot at %s: %s", bot.api_url, exc)
                return 1
            if emulator is not None:
                emulator.attach_bot(bot)  # /chat/ lists its live conversations
                users = [emulator.sim.create_user(name, username=name.lower()) for name in args.user]
                _describe_emulator(emulator, users, out)
            loop = MessageLoop(bot)
            guard = SignalStop.install(bot, loop, exit_main=False)
            out.write(f"Bot @{me.get('username', '?')} ({args.app}) polling {bot.api_url}   (Ctrl-C to stop)\n")
            out.flush()
            try:
                loop.run_forever()
            except KeyboardInterrupt:  # the bot was built with handle_signals=False
                pass
            except ActorbotException as exc:  # the loop's fatal errors: 401, repeated 409
                log.error("the bot stopped: %s: %s", type(exc).__name__, exc)
                return 1
            finally:
                if guard is not None:
                    guard.finish()
        finally:
            bot.stop()
    finally:
        if emulator is not None:
            emulator.stop()
    out.write("Bot stopped.\n")
    out.flush()
    return 0


# -- the command line -------------------------------------------------------------------------


_EMULATOR_DEFAULTS: dict[str, Any] = {"host": "127.0.0.1", "port": DEFAULT_PORT, "bot_username": "emulator_bot"}


def _add_emulator_options(parser: argparse.ArgumentParser, *, for_run: bool) -> None:
    """``--host --port --bot-username --user``; for ``run`` they default to None (given only with --emulator)."""
    when = "with --emulator: " if for_run else ""

    def default(name: str) -> Any:
        return None if for_run else _EMULATOR_DEFAULTS[name]

    parser.add_argument("--host", default=default("host"),
                        help=f"{when}the address the emulator listens on (default: {_EMULATOR_DEFAULTS['host']})")
    parser.add_argument("--port", type=int, default=default("port"),
                        help=f"{when}the emulator's port; 0 picks a free one (default: {DEFAULT_PORT})")
    parser.add_argument("--bot-username", default=default("bot_username"), metavar="NAME",
                        help=f"{when}the username getMe reports for the bot "
                             f"(default: {_EMULATOR_DEFAULTS['bot_username']})")
    parser.add_argument("--user", action="append", default=[], metavar="NAME",
                        help=f"{when}create a simulated user with this first name and print its id (repeatable)")


def _start_emulator(args: argparse.Namespace, token: str) -> Any:
    """An :class:`~actorbot.emulator.Emulator` listening as ``args`` say; None (logged) if it cannot listen."""
    from .emulator import Emulator

    options = {name: value if (value := getattr(args, name)) is not None else fallback
               for name, fallback in _EMULATOR_DEFAULTS.items()}
    emulator = Emulator(token, host=options["host"], port=options["port"], bot_username=options["bot_username"])
    try:
        emulator.start()
    except OSError as exc:
        emulator.stop()
        log.error("the emulator cannot listen on %s:%s: %s (--port 0 picks a free port)",
                  options["host"], options["port"], exc)
        return None
    return emulator


def _add_verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log more: -v everything at INFO, -vv at DEBUG (default: warnings and the "
                             "emulator's chat lines)")


_EMULATOR_DESCRIPTION = (
    "Start the local Telegram Bot API emulator alone and serve until Ctrl-C or SIGTERM. It prints the token "
    "it accepts and its URLs: point a bot at the Bot API URL, and play its users through the simulation API "
    "under /sim/ (POST /sim/users, /sim/send, /sim/press; GET /sim/transcript?chat_id=...). The conversation "
    "is logged as it happens."
)


def _emulator_parser(prog: str) -> argparse.ArgumentParser:
    from .emulator import DEFAULT_TOKEN

    parser = argparse.ArgumentParser(prog=prog, description=_EMULATOR_DESCRIPTION)
    _fill_emulator_parser(parser, DEFAULT_TOKEN)
    return parser


def _fill_emulator_parser(parser: argparse.ArgumentParser, default_token: str) -> None:
    parser.add_argument("--token", default=default_token,
                        help="the bot token the emulator accepts; its digits are the bot's id (default: %(default)s)")
    _add_emulator_options(parser, for_run=False)
    _add_verbose(parser)


def _build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The ``actorbot`` parser and its subparsers by command (their usage line goes with their errors)."""
    from .emulator import DEFAULT_TOKEN

    parser = argparse.ArgumentParser(
        prog="actorbot",
        description="Run an actorbot bot against Telegram or a local Bot API emulator, or start the emulator alone.",
        epilog="'actorbot COMMAND --help' explains a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"actorbot {__version__}",
                        help="print actorbot's version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     help="what to do: run a bot, start the emulator alone, or broadcast")

    run = commands.add_parser(
        "run", help="run a bot module until Ctrl-C or SIGTERM",
        description="Run a bot module: build the bot with APP's build(token, **bot_kwargs) and poll getUpdates "
                    "until Ctrl-C or SIGTERM. The first signal stops the bot gracefully (conversations close) and "
                    "the command exits 0; a second one exits at once.",
    )
    run.add_argument("app", metavar="APP",
                     help="the bot module: a file (path/to/bot.py) or an importable module (package.bot), "
                          f"optionally followed by :NAME for a factory other than '{DEFAULT_FACTORY}'")
    run.add_argument("--emulator", action="store_true",
                     help="run against a local Bot API emulator started here instead of Telegram; prints its "
                          "token and URLs, and logs the conversation (no real token needed)")
    run.add_argument("--token", metavar="TOKEN",
                     help=f"the bot token from @BotFather (default: ${TOKEN_ENV}); with --emulator, the token "
                          f"the emulator accepts (default: {DEFAULT_TOKEN})")
    run.add_argument("--api-url", metavar="URL",
                     help=f"the Bot API server, e.g. the URL 'actorbot emulator' printed (default: ${API_URL_ENV}, "
                          "else https://api.telegram.org)")
    _add_emulator_options(run, for_run=True)
    _add_verbose(run)

    emulator = commands.add_parser(
        "emulator", help="start the local Bot API emulator alone",
        description=_EMULATOR_DESCRIPTION,
    )
    _fill_emulator_parser(emulator, DEFAULT_TOKEN)
    broadcast = add_broadcast_parser(commands, TOKEN_ENV, API_URL_ENV)
    _add_verbose(broadcast)
    return parser, {"run": run, "emulator": emulator, "broadcast": broadcast}


def main(argv: Sequence[str] | None = None, *, out: IO[str] | None = None) -> int:
    """``actorbot``'s entry point: parse ``argv`` (default ``sys.argv[1:]``) and run; the exit status."""
    parser, commands = _build_parser()
    args = parser.parse_args(argv)
    stream = out if out is not None else sys.stdout
    _configure_logging(args.verbose)
    try:
        if args.command == "run":
            return _run(args, commands["run"], stream)
        if args.command == "broadcast":
            return run_broadcast(args, commands["broadcast"], TOKEN_ENV, API_URL_ENV, sys.stderr)
        return _serve_emulator(args, stream)
    except KeyboardInterrupt:  # Ctrl-C while starting, before the bot took the signal
        log.warning("interrupted while starting")
        return 128 + signal.SIGINT


def emulator_main(argv: Sequence[str] | None = None, *, out: IO[str] | None = None) -> int:
    """``python -m actorbot.emulator``: the ``emulator`` command on its own."""
    args = _emulator_parser("python -m actorbot.emulator").parse_args(argv)
    _configure_logging(args.verbose)
    return _serve_emulator(args, out if out is not None else sys.stdout)

