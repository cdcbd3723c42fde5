"""``actorbot broadcast``: send one message to many chats within Telegram's limits, with a progress bar.

Runs :meth:`actorbot.Bot.broadcast` on the command's main thread and shows its progress on
stderr: a bar redrawn in place when stderr is a terminal, a line every few seconds
otherwise. Ctrl-C (or SIGTERM) stops the job; with ``--store`` and ``--job-id`` the same
command started again resumes where it stopped (no chat gets the message twice, except
sends in flight at a crash).

Exit status: 0 when every chat got the message, 1 when some did not (blocked, chat not
found...: the counts are printed), 130/143 when stopped by a signal.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import IO, Any

from ._broadcast import BroadcastProgress, BroadcastResult

__all__ = ["add_broadcast_parser", "run_broadcast"]

BAR_WIDTH = 30


def add_broadcast_parser(commands: Any, token_env: str, api_url_env: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "broadcast", help="send one message to many chats, paced within Telegram's limits",
        description="Send TEXT to every chat listed in CHATS (one chat id per line; '-' reads standard input), "
                    "at most 30 messages a second (1,000 with --paid), with a progress bar on stderr. With --store "
                    "and --job-id, running the same command again after a stop or a crash resumes it.",
    )
    parser.add_argument("chats", metavar="CHATS", help="a file of chat ids, one per line ('-': standard input)")
    parser.add_argument("--text", required=True, help="the message to send")
    parser.add_argument("--token", metavar="TOKEN", help=f"the bot token (default: ${token_env})")
    parser.add_argument("--api-url", metavar="URL", help=f"the Bot API server (default: ${api_url_env})")
    parser.add_argument("--store", help="record progress here (a file or a redis:// URL), so the job can resume")
    parser.add_argument("--job-id", help="the job's name in the store (needed to resume)")
    parser.add_argument("--paid", action="store_true", help="allow_paid_broadcast: up to 1,000 messages a second")
    return parser


def _chat_ids(source: str) -> Iterator[int | str]:
    stream: IO[str] = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115
    try:
        for line in stream:
            text = line.strip()
            if text and not text.startswith("#"):
                yield int(text) if text.lstrip("-").isdigit() else text
    finally:
        if stream is not sys.stdin:
            stream.close()


def _bar(progress: BroadcastProgress) -> str:
    total = max(progress.total, 1)
    filled = BAR_WIDTH * (progress.done + progress.skipped) // total
    return (f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {progress.done + progress.skipped}/{progress.total}"
            f"  sent {progress.sent}  failed {progress.failed}  {progress.rate:.1f}/s")


def run_broadcast(args: argparse.Namespace, parser: argparse.ArgumentParser, token_env: str, api_url_env: str,
                  err: IO[str]) -> int:
    from ._bot import Bot
    from .store import open_store

    token = args.token or os.environ.get(token_env)
    if not token:
        parser.error(f"no bot token: pass --token or set ${token_env}")
    if args.job_id is None and args.store:
        parser.error("--store needs --job-id (the name the job's progress is kept under)")
    try:
        chats = list(_chat_ids(args.chats))
    except (OSError, ValueError) as exc:
        parser.error(f"cannot read the chat ids: {exc}")
    api_url = args.api_url or os.environ.get(api_url_env)
    store = open_store(args.store) if args.store else None
    bot = Bot(token, api_url=api_url) if api_url else Bot(token)
    tty = err.isatty()
    lock = threading.Lock()

    def show(progress: BroadcastProgress) -> None:
        with lock:
            if tty:
                err.write("\r" + _bar(progress))
            else:
                err.write(_bar(progress) + "\n")
            err.flush()

    message: dict[str, Any] = {"text": args.text}
    if args.paid:
        message["allow_paid_broadcast"] = True
    stopped_by: list[int] = []
    job = bot.broadcast(chats, lambda chat_id: dict(message), job_id=args.job_id, store=store,
                        on_progress=show, progress_every=0.5 if tty else 5.0)

    def on_signal(signum: int, frame: Any) -> None:
        stopped_by.append(signum)
        job.stop()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = job.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        bot.stop()
        if store is not None:
            store.close()
    show(job.progress())
    if tty:
        err.write("\n")
    err.write(_summary(result) + "\n")
    if stopped_by:
        err.write("stopped" + (f"; run the same command to resume job {args.job_id!r}" if args.job_id else "") + "\n")
        return 128 + stopped_by[0]
    return 0 if all(outcome == "sent" for outcome in result.results.values()) else 1


def _summary(result: BroadcastResult) -> str:
    counts: dict[str, int] = {}
    for outcome in result.results.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    parts = [f"{name} {count}" for name, count in sorted(counts.items())]
    if result.skipped:
        parts.append(f"already done before {result.skipped}")
    if result.resent_after_crash:
        parts.append(f"sent again after a crash {result.resent_after_crash}")
    return "broadcast: " + (", ".join(parts) or "no chat") + f" ({result.elapsed:.1f} s)"
