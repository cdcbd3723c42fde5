"""Shared pieces of every loop: choosing the handler, decoding fed data, handing one update over.

Everything here runs on whichever thread calls it; nothing here starts a thread.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from .._flavor import extract_message, flavor_router
from ..exception import BadUpdate
from ._outcome import Outcome

__all__ = ["Handler", "Report", "resolve_handler", "reporter_of", "decode_update", "dispatch"]

log = logging.getLogger("actorbot.loop")

Handler = Callable[[dict[str, Any]], Any]

#: ``report(exc, update)``: where a loop sends an error it caught (see :func:`reporter_of`).
Report = Callable[[BaseException, Any], None]


def resolve_handler(bot: Any, handle: Handler | Mapping[str, Handler] | None) -> Handler:
    """Turn the ``handle`` argument of a loop into a one-argument callable.

    ``None`` means ``bot.handle``; a mapping is a routing table by flavor (given
    to :func:`actorbot.flavor_router`); anything else must be callable. An actorbot
    ``Bot`` wraps the result to count its runs (``bot.metrics()``).
    """
    metered = getattr(bot, "_metered_handler", None)  # an actorbot Bot counts its handler runs
    if handle is None:
        chosen: Handler = bot.handle
    elif isinstance(handle, Mapping):
        chosen = flavor_router(dict(handle))
    elif callable(handle):
        chosen = handle
    else:
        raise TypeError(f"handle must be a function, a routing table (dict) or None, not {type(handle).__name__}")
    return metered(chosen) if metered is not None else chosen


def reporter_of(bot: Any) -> Report:
    """The function a loop reports errors with: the bot's ``on_error`` (through
    ``bot.reporter``), or, for an object that is not an actorbot ``Bot``, a log line
    with the traceback."""
    reporter = getattr(bot, "reporter", None)
    if reporter is not None:
        return lambda exc, update: reporter.report(exc, update, None)
    return _log_error


def _log_error(exc: BaseException, update: Any) -> None:
    log.error("%s: %s (update %s)", type(exc).__name__, exc, update_id_of(update), exc_info=exc)


def decode_update(data: str | bytes | bytearray | Mapping[str, Any]) -> dict[str, Any]:
    """Decode what a web application received into an update dict.

    ``str`` is JSON text, ``bytes`` JSON encoded in UTF-8, a mapping is taken as
    is. Raises :class:`BadUpdate` when the data is not a JSON object.
    """
    if isinstance(data, Mapping):
        return dict(data)
    if isinstance(data, (bytes, bytearray)):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadUpdate("update body is not UTF-8") from exc
    elif isinstance(data, str):
        text = data
    else:
        raise BadUpdate(f"cannot read an update from {type(data).__name__}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadUpdate(f"update body is not JSON ({exc.msg} at position {exc.pos})") from exc
    if not isinstance(value, dict):
        raise BadUpdate(f"update is a JSON {type(value).__name__}, not an object")
    return value


def update_id_of(update: Any) -> int | None:
    """The ``update_id`` of a raw update, or None when it has no integer one."""
    if isinstance(update, dict):
        value = update.get("update_id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def dispatch(update: Any, handle: Handler, report: Report = _log_error) -> Outcome:
    """Extract the message of one raw update and call ``handle`` with it.

    Runs on the loop's thread. An unreadable update is logged at WARNING and
    skipped; an exception from ``handle`` goes to ``report`` (the bot's ``on_error``)
    and the update counts as done (``FAILED``): it is the handler's bug, and handing
    the same update over again would only fail again. ``BaseException`` s that are not
    ``Exception`` s (``KeyboardInterrupt``, ``SystemExit``) propagate.
    """
    update_id = update_id_of(update)
    try:
        _key, message = extract_message(update)
    except BadUpdate as exc:
        log.warning("skipping unreadable update %s: %s", update_id, exc.reason)
        return Outcome.SKIPPED
    except Exception:  # a bug in reading must not wedge the loop either
        log.exception("skipping update %s: reading it failed", update_id)
        return Outcome.SKIPPED
    try:
        handle(message)
    except Exception as exc:
        report(exc, update)
        return Outcome.FAILED
    return Outcome.ACCEPTED
