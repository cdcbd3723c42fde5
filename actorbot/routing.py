"""Key-function factories and routing-table factories for :class:`Router`.

Things to remember (as in telepot):

1. A *key function* takes one argument, the message, and returns a key, optionally
   followed by positional arguments and keyword arguments for the handler (see
   :class:`Router` for the accepted forms).
2. A *routing table* is a plain dict ``{key: handler}``; after obtaining one from a
   factory here, customise it as you like. Its ``None`` entry is the catch-all.
3. When a key function finds no command (or no match), it returns the key ``(None,)``:
   a tuple, to tell it apart from the ``None`` catch-all key.

Every function here is pure; the key functions and handlers run on whichever thread
routes the message (a delegate's actor thread, for delegates).

Example::

    router = Router(by_chat_command(pass_args=True), {
        'start': on_start,        # on_start(msg, args)
        (None,): on_plain_text,   # text that is not a command
        None: on_anything_else,   # a command with no entry of its own
    })
    router.route(msg)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from ._flavor import all_content_types, glance
from ._router import Router

__all__ = [
    "Router",
    "by_content_type",
    "by_command",
    "by_chat_command",
    "by_text",
    "by_data",
    "by_regex",
    "process_key",
    "lower_key",
    "upper_key",
    "make_routing_table",
    "make_content_type_routing_table",
]

KeyFunction = Callable[[Any], Any]

_NO_COMMAND: tuple[Any, ...] = ((None,),)


def by_content_type() -> KeyFunction:
    """A key function returning ``(content_type, (msg[content_type],))`` for a chat message.

    The key is the message's content type (as :func:`~actorbot.glance` reports it)
    and the content is passed to the handler as a positional argument:
    ``on_photo(msg, photo_sizes)``.
    """

    def f(msg: Any) -> tuple[Any, ...]:
        content_type = glance(msg, flavor="chat")[0]
        return content_type, (msg[content_type],)

    return f


def by_command(
    extractor: Callable[[Any], Any],
    prefix: Iterable[str] | str = ("/",),
    separator: str = " ",
    pass_args: bool = False,
    *,
    bot_username: str | None = None,
) -> KeyFunction:
    """A key function that finds the command in part of a message.

    :param extractor: takes the message and returns the text to interpret, e.g.
        ``lambda msg: msg['text']``. A non-string result (e.g. None) means "no command".
    :param prefix: the characters (or strings) that may start a command.
    :param separator: what separates a command from its arguments.
    :param pass_args: if true, the list of arguments following the command is passed
        to the handler as a positional argument.
    :param bot_username: (actorbot addition, keyword only) the bot's username. When
        given, ``/cmd@<bot_username>`` (case-insensitive) gives the key ``cmd``, and a
        command addressed to another bot (``/cmd@otherbot``) counts as no command.
        When None, as in telepot, the key is the whole word (``cmd@somebot``).
    :return: a key function returning the command (without prefix), followed by
        ``(args,)`` when ``pass_args``; or the key ``(None,)`` when the text does not
        start with any prefix, to tell it apart from the ``None`` key of a routing table.
    """
    prefixes: tuple[str, ...] = (prefix,) if isinstance(prefix, str) else tuple(prefix)
    own = bot_username.lstrip("@").lower() if bot_username else None

    def f(msg: Any) -> tuple[Any, ...]:
        text = extractor(msg)
        if not isinstance(text, str):
            return _NO_COMMAND
        for px in prefixes:
            if text.startswith(px):
                chunks = text[len(px):].split(separator)
                command = chunks[0]
                if own is not None and "@" in command:
                    command, _, addressee = command.partition("@")
                    if addressee.lower() != own:
                        return _NO_COMMAND
                return (command, (chunks[1:],)) if pass_args else (command, ())
        return _NO_COMMAND

    return f


def by_chat_command(
    prefix: Iterable[str] | str = ("/",),
    separator: str = " ",
    pass_args: bool = False,
    *,
    bot_username: str | None = None,
) -> KeyFunction:
    """:func:`by_command` applied to a chat message's ``text``.

    A message without text (a photo, a sticker...) gives the key ``(None,)`` (telepot
    raised ``KeyError``).
    """
    return by_command(lambda msg: msg.get("text"), prefix, separator, pass_args, bot_username=bot_username)


def by_text() -> KeyFunction:
    """A key function returning the message's ``text`` field."""
    return lambda msg: msg["text"]


def by_data() -> KeyFunction:
    """A key function returning the message's ``data`` field (of a callback query)."""
    return lambda msg: msg["data"]


def by_regex(
    extractor: Callable[[Any], Any],
    regex: str | re.Pattern[str],
    key: int | str | tuple[int | str, ...] = 1,
) -> KeyFunction:
    """A key function that searches part of a message for a regular expression.

    :param extractor: takes the message and returns the text to search.
    :param regex: a pattern string or a compiled pattern.
    :param key: which group of the match is the key (a group number or name, or a
        tuple of them, whose groups then form a tuple key).
    :return: a key function returning ``match.group(key)`` as the key and the match
        object as a positional argument; or the key ``(None,)`` when nothing matches
        (or the extracted text is not a string).
    """
    pattern = re.compile(regex) if isinstance(regex, str) else regex
    index = key if isinstance(key, tuple) else (key,)

    def f(msg: Any) -> tuple[Any, ...]:
        text = extractor(msg)
        match = pattern.search(text) if isinstance(text, str) else None
        if match:
            return match.group(*index), (match,)
        return _NO_COMMAND

    return f


def process_key(processor: Callable[[Any], Any], fn: KeyFunction) -> KeyFunction:
    """Wrap key function ``fn`` so that ``processor`` is applied to the key it returns
    (only to the key: the arguments that may follow it are left alone)."""

    def f(*aa: Any, **kw: Any) -> Any:
        k = fn(*aa, **kw)
        if isinstance(k, (tuple, list)):
            return (processor(k[0]),) + tuple(k[1:])
        return processor(k)

    return f


def lower_key(fn: KeyFunction) -> KeyFunction:
    """Wrap key function ``fn`` so that a string key is returned in lowercase."""

    def lower(key: Any) -> Any:
        return key.lower() if isinstance(key, str) else key

    return process_key(lower, fn)


def upper_key(fn: KeyFunction) -> KeyFunction:
    """Wrap key function ``fn`` so that a string key is returned in uppercase."""

    def upper(key: Any) -> Any:
        return key.upper() if isinstance(key, str) else key

    return process_key(upper, fn)


def make_routing_table(obj: Any, keys: Iterable[Any], prefix: str = "on_") -> dict[Any, Callable[..., Any]]:
    """A routing table roughly equal to ``{'key1': obj.on_key1, 'key2': obj.on_key2, ...}``.

    ``obj`` need not define every method: the attribute is looked up when the handler
    is called, so only the keys that actually occur need a method. Each element of
    ``keys`` is a key (handled by ``obj.<prefix><key>``), a 1-tuple ``(key,)`` (the
    same), or a 2-tuple ``(key, handler)`` (used as given).
    """

    def handler_for(name: str) -> Callable[..., Any]:
        def call(*aa: Any, **kw: Any) -> Any:
            return getattr(obj, prefix + name)(*aa, **kw)

        call.__name__ = prefix + name
        return call

    table: dict[Any, Callable[..., Any]] = {}
    for k in keys:
        if isinstance(k, tuple):
            if len(k) == 2:
                table[k[0]] = k[1]
            elif len(k) == 1:
                table[k[0]] = handler_for(k[0])
            else:
                raise ValueError(f"a routing-table key must be a key, (key,) or (key, handler), not {k!r}")
        else:
            table[k] = handler_for(k)
    return table


def make_content_type_routing_table(obj: Any, prefix: str = "on_") -> dict[Any, Callable[..., Any]]:
    """A routing table covering every content type (:data:`actorbot.all_content_types`):
    roughly ``{'text': obj.on_text, 'photo': obj.on_photo, ...}``; ``obj`` need only
    define the methods it needs."""
    return make_routing_table(obj, all_content_types, prefix)
