"""A namedtuple class for every Bot API type, built from the generated type table.

Every type of Bot API 10.1 (``actorbot._types``, generated from ``api.json`` by
``tools/generate_types.py``) has a class of the same name here, a
:func:`collections.namedtuple` whose fields are the type's fields in the reference's
order. The classes are built when this module is imported (about 30 ms).

Incoming data (dicts from the Bot API)::

    m = Message(**msg)              # or Message(**{'from': ..., ...})
    m.from_.first_name              # ``from`` is spelled ``from_``
    m.chat.id                       # nested objects become their classes
    m.entities[0].type              # arrays of objects become lists of them
    m.photo is None                 # absent fields are None

Union types (``ChatMember``, ``MessageOrigin``, ``MaybeInaccessibleMessage``,
``InputMedia``, ...) are classes too: calling one returns an instance of the matching
alternative, chosen by its fixed discriminator (``status``, ``type``, ``source``, or
``date == 0`` for an inaccessible message) and otherwise by the fields present; every
alternative is a subclass of its union, so ``isinstance(m, ChatMember)`` holds. A nested
object that fits none of a field's types is left as the dict it was.

Outgoing data::

    markup = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text='Yes', callback_data='y'),
    ]])
    bot.sendMessage(chat_id, 'OK?', reply_markup=markup)

Fields may be given by keyword or positionally in field order; fields the reference
fixes get that value by default (``InlineQueryResultArticle(id=..., title=...,
input_message_content=...)`` has ``type='article'``, ``ForceReply()`` has
``force_reply=True``). :func:`to_jsonable` turns an instance (or any structure holding
instances) into plain JSON values, dropping None fields and spelling ``from_`` as
``from``; the HTTP layer calls it for every request parameter.

A keyword that is not a field of the type (a field added by a later Bot API) is dropped
with a :class:`UserWarning`, as in telepot; the raw dict still has it.

Instances are immutable tuples; the functions and classes here are safe to use from any
thread.
"""

from __future__ import annotations

import collections
import keyword
import warnings
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from . import _types

__all__ = ["TelegramObject", "UnionType", "to_jsonable"]  # extended below with every type name

_Alt = tuple[int, str]  # (array depth, type name): "Array of Array of X" is (2, "X")


def _python_name(wire: str) -> str:
    return wire + "_" if keyword.iskeyword(wire) else wire


def _wire_name(python: str) -> str:
    if python.endswith("_") and keyword.iskeyword(python[:-1]):
        return python[:-1]
    return python


def _parse_type(expr: str) -> _Alt:
    depth = 0
    while expr.startswith("Array of "):
        depth += 1
        expr = expr[len("Array of "):]
    return depth, expr


class TelegramObject:
    """Common base of every Bot API class here (a mixin of the namedtuple).

    Subclasses are built by this module; their class attributes ``_wire_names``
    (the Bot API field names, in ``_fields`` order), ``_convs`` and the fit data are
    filled in when the module is imported.
    """

    __slots__ = ()

    _fields: tuple[str, ...]
    _wire_names: tuple[str, ...] = ()
    _wire_to_python: Mapping[str, str] = MappingProxyType({})
    _convs: Mapping[str, _Conv] = MappingProxyType({})
    _required: frozenset[str] = frozenset()
    _consts: tuple[tuple[str, Any], ...] = ()
    _wire_set: frozenset[str] = frozenset()
    _python_set: frozenset[str] = frozenset()

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        fields = cls._fields
        if len(args) > len(fields):
            raise TypeError(f"{cls.__name__}() takes at most {len(fields)} positional arguments ({len(args)} given)")
        values: dict[str, Any] = dict(zip(fields, args, strict=False))
        unexpected: list[str] = []
        for key, value in kwargs.items():
            name = cls._wire_to_python.get(key, key)
            if name not in cls._python_set:
                unexpected.append(key)
                continue
            if name in values:
                raise TypeError(f"{cls.__name__}() got multiple values for field {key!r}")
            values[name] = value
        if unexpected:
            warnings.warn(
                f"{cls.__name__}: unexpected fields {', '.join(sorted(unexpected))} dropped "
                "(the Bot API may have added them; read them from the raw dict)",
                UserWarning,
                stacklevel=2,
            )
        for name, conv in cls._convs.items():
            value = values.get(name)
            if value is not None:
                values[name] = conv(value)
        return super().__new__(cls, **values)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True) if value is not None  # type: ignore[call-overload]
        )
        return f"{type(self).__name__}({shown})"


class UnionType:
    """Common base of the union classes (``ChatMember``, ``InputMedia``, ...).

    Calling a union class returns an instance of the alternative that fits the given
    fields; each alternative class is a subclass of the union.
    """

    __slots__ = ()

    _alternatives: tuple[str, ...] = ()

    def __new__(cls, **kwargs: Any) -> Any:
        wire = {_wire_name(k): v for k, v in kwargs.items()}
        chosen = _best_fit(wire, tuple(_CLASSES[name] for name in cls._alternatives))
        if chosen is None:
            raise TypeError(f"cannot tell which {cls.__name__} the fields {sorted(wire)} describe")
        return chosen(**kwargs)


class _Conv:
    """How to convert one field's value: dicts to one of ``candidates``, list items by ``item``."""

    __slots__ = ("candidates", "item")

    def __init__(self) -> None:
        self.candidates: tuple[str, ...] = ()
        self.item: _Conv | None = None

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict) and self.candidates:
            cls = _best_fit(value, tuple(_CLASSES[name] for name in self.candidates))
            return cls(**value) if cls is not None else value
        if isinstance(value, list) and self.item is not None:
            return [self.item(v) if v is not None else None for v in value]
        return value


def _best_fit(d: Mapping[str, Any], candidates: tuple[type[TelegramObject], ...]) -> type[TelegramObject] | None:
    """The candidate class that best describes dict ``d`` (wire names), or None."""
    if len(candidates) == 1:
        only = candidates[0]
        # An empty dict is a field-less object (CallbackGame); a dict sharing no field
        # with the only candidate is something else (left as it is).
        return only if not d or set(d) & only._wire_set else None
    best: type[TelegramObject] | None = None
    best_score: tuple[int, ...] = ()
    keys = set(d)
    for cls in candidates:
        if any(name in d and d[name] != value for name, value in cls._consts):
            continue
        const_hits = sum(1 for name, value in cls._consts if name in d)
        overlap = len(keys & cls._wire_set)
        required_present = len(keys & cls._required)
        score = (const_hits, int(cls._required <= keys), required_present, overlap)
        if overlap and (best is None or score > best_score):
            best, best_score = cls, score
    return best


def _build() -> dict[str, type]:
    """Build every class from the type table (runs once, at import, on the importing thread)."""
    types = _types.TYPES
    unions = {name for name, spec in types.items() if spec.subtypes}
    classes: dict[str, type] = {}

    for name in sorted(unions):
        classes[name] = type(name, (UnionType,), {"__slots__": (), "__module__": __name__,
                                                     "__doc__": f"Bot API union type ``{name}``."})

    for name, spec in sorted(types.items()):
        if name in unions:
            continue
        wire = tuple(f.name for f in spec.fields)
        python = tuple(_python_name(w) for w in wire)
        defaults = [f.const for f in spec.fields]
        base = collections.namedtuple(f"_{name}Tuple", python, defaults=defaults, module=__name__)  # type: ignore[misc]
        parents = tuple(classes[u] for u in spec.subtype_of if u in unions)
        doc = f"Bot API type ``{name}``; fields: {', '.join(python) or '(none)'}."
        classes[name] = type(name, (TelegramObject, base, *parents), {
            "__slots__": (),
            "__module__": __name__,
            "__doc__": doc,
            "_wire_names": wire,
            "_wire_to_python": MappingProxyType({**dict(zip(wire, python, strict=True)),
                                                 **dict(zip(python, python, strict=True))}),
            "_required": frozenset(f.name for f in spec.fields if f.required),
            "_consts": tuple((f.name, f.const) for f in spec.fields if f.const is not None),
            "_wire_set": frozenset(wire),
            "_python_set": frozenset(python),
        })

    # Which union names a union may stand for (its alternatives), with their depth.
    def expand(alts: list[_Alt]) -> tuple[_Alt, ...]:
        out: list[_Alt] = []
        todo = list(alts)
        while todo:
            depth, tname = todo.pop(0)
            if (depth, tname) in out:
                continue
            out.append((depth, tname))
            if depth == 0 and tname in unions:
                todo.extend(_parse_type(s) for s in types[tname].subtypes)
        return tuple(out)

    memo: dict[tuple[_Alt, ...], _Conv | None] = {}

    def conv_for(alts: list[_Alt]) -> _Conv | None:
        full = expand(alts)
        key = tuple(sorted(full))
        if key in memo:
            return memo[key]
        conv = _Conv()
        memo[key] = conv
        conv.candidates = tuple(t for d, t in full if d == 0 and t in classes and t not in unions)
        inner = [(d - 1, t) for d, t in full if d > 0]
        conv.item = conv_for(inner) if inner else None
        if not conv.candidates and conv.item is None:
            memo[key] = None
            return None
        return conv

    for name, spec in types.items():
        if name in unions:
            classes[name]._alternatives = tuple(  # type: ignore[attr-defined]
                t for d, t in expand([(0, name)]) if d == 0 and t in classes and t not in unions
            )
            continue
        convs: dict[str, _Conv] = {}
        for f in spec.fields:
            conv = conv_for([_parse_type(t) for t in f.types])
            if conv is not None:
                convs[_python_name(f.name)] = conv
        classes[name]._convs = MappingProxyType(convs)  # type: ignore[attr-defined]
    return classes


_CLASSES: Mapping[str, type] = MappingProxyType(_build())
globals().update(_CLASSES)
__all__ += sorted(_CLASSES)


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON values, for a request parameter.

    Instances of the classes here (and any other namedtuple, as telepot accepted)
    become dicts keyed by the Bot API field names (``from_`` becomes ``from``) without
    their None fields; dicts lose their None values; lists and plain tuples become
    lists; everything is converted recursively. Other values (str, int, bool, file
    objects...) are returned unchanged, so file parameters must be taken out before
    (a ``(filename, file)`` tuple would become a list).
    """
    if isinstance(value, TelegramObject):
        return {w: to_jsonable(v) for w, v in zip(value._wire_names, value, strict=True) if v is not None}  # type: ignore[call-overload]
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {_wire_name(k): to_jsonable(v) for k, v in value._asdict().items() if v is not None}
    if isinstance(value, Mapping):
        return {k: to_jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def __getattr__(name: str) -> Callable[[list[Any]], list[Any]]:
    """telepot's array helpers: ``PhotoSizeArray(data)``, ``PhotoSizeArrayArray(data)``, ..."""
    base, depth = name, 0
    while base.endswith("Array") and base != "Array":
        base, depth = base[: -len("Array")], depth + 1
    if depth and base in _CLASSES:
        cls = _CLASSES[base]

        def convert(data: list[Any], _depth: int = depth) -> list[Any]:
            if _depth == 1:
                return [cls(**item) if isinstance(item, dict) else item for item in data]
            return [convert(item, _depth - 1) for item in data]

        convert.__name__ = name
        return convert
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
