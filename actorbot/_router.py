"""``Router``: a key function plus a routing table, as telepot's ``helper.Router``.

A router holds no state besides its two attributes and runs on whichever thread calls
:meth:`Router.route` (in a delegate, that delegate's actor thread).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Router"]


def _split_key(k: Any) -> tuple[Any, tuple[Any, ...], dict[str, Any]]:
    """``k`` as ``(key, args, kwargs)`` from any of the forms a key function may return."""
    if not isinstance(k, (tuple, list)):
        return k, (), {}
    if len(k) == 1:
        return k[0], (), {}
    if len(k) == 2:
        return k[0], tuple(k[1]), {}
    if len(k) == 3:
        return k[0], tuple(k[1]), dict(k[2])
    raise ValueError(f"a key function must return a key or a 1-, 2- or 3-tuple, not a {len(k)}-tuple")


class Router:
    """Map a message to a handler with a *key function* and a *routing table*.

    ``key_function(msg)`` returns one of:

    - a key to the routing table;
    - a 1-tuple ``(key,)``;
    - a 2-tuple ``(key, (positional, arguments, ...))``;
    - a 3-tuple ``(key, (positional, arguments, ...), {keyword: arguments, ...})``.

    The extra arguments, if any, are passed to the handler after the message.
    ``routing_table`` is a dict ``{key: handler}``; its ``None`` entry is the catch-all
    for keys it does not contain.

    The key functions of :mod:`actorbot.routing` return the key ``(None,)`` (a tuple
    holding None, i.e. they return ``((None,),)``) for "no command" or "no match", so a
    table may give that case its own handler under the key ``(None,)``, distinct from
    the ``None`` catch-all (which handles it when ``(None,)`` is absent).
    """

    def __init__(self, key_function: Callable[[Any], Any], routing_table: dict[Any, Callable[..., Any]]) -> None:
        self.key_function = key_function
        self.routing_table = routing_table

    def __repr__(self) -> str:
        return f"Router({self.key_function!r}, keys={list(self.routing_table)!r})"

    def map(self, msg: Any) -> Callable[..., Any]:
        """Apply the key function to ``msg`` and return the routing table entry for the key.

        Unlike :meth:`route`, there is no fallback to the ``None`` entry: an absent key
        raises ``KeyError`` (as in telepot).
        """
        k = self.key_function(msg)
        key = k[0] if isinstance(k, (tuple, list)) else k
        return self.routing_table[key]

    def route(self, msg: Any, *aa: Any, **kw: Any) -> Any:
        """Find the handler for ``msg`` and call it with the arguments the key function gave.

        ``*aa`` and ``**kw`` are ignored; they let a router's ``route`` be the handler
        in another router's table, so routing may go several levels deep::

            top.routing_table['chat'] = by_command_router.route

        Raises ``RuntimeError`` when the key is not in the table and there is no ``None``
        catch-all. Returns what the handler returns.
        """
        key, args, kwargs = _split_key(self.key_function(msg))
        try:
            fn = self.routing_table[key]
        except KeyError:
            if None not in self.routing_table:
                raise RuntimeError(f"no handler for key {key!r} and no default (None) handler") from None
            fn = self.routing_table[None]
        except TypeError:
            # An unhashable key (e.g. a list) cannot be in the table.
            if None not in self.routing_table:
                raise RuntimeError(f"no handler for key {key!r} and no default (None) handler") from None
            fn = self.routing_table[None]
        return fn(msg, *args, **kwargs)
