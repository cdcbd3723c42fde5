#!/usr/bin/env python3
"""Generate ``actorbot/namedtuple.pyi``: a type stub for the classes of ``actorbot.namedtuple``.

``actorbot/namedtuple.py`` builds its classes when it is imported, so a type checker
cannot see them; this stub declares each one as the module builds it:

- a plain Bot API type is ``class X(TelegramObject, tuple[Any, ...], *its unions)``
  with an ``__init__`` taking its fields (in the reference's order; a field the
  reference fixes, such as ``InlineQueryResultArticle.type``, defaults to that value,
  an optional one to None; ``from`` is spelled ``from_``) and a read-only property per
  field;
- a union type (``ChatMember``, ``InputMedia``, ...) is ``class U(UnionType)`` whose
  constructor returns ``U`` and which declares the fields every alternative has;
- ``TelegramObject``, ``UnionType``, ``to_jsonable``, ``__all__`` and the module
  ``__getattr__`` (telepot's ``PhotoSizeArray``-style helpers).

Bot API types map to Python as: Integer -> int, String -> str, Boolean -> bool,
Float -> float, ``Array of X`` -> ``list[X]``, another type -> its class, several
types -> ``A | B``; a field the reference fixes is a ``Literal``. A field that may be
given as ``attach://<name>`` (``InputMediaPhoto.media``...) also accepts what the HTTP
layer uploads (bytes, a path, a file-like object or a tuple; see
``actorbot.api._encoding``). A union whose alternatives include non-object types
(``RichText`` may be a String or an Array of RichText) adds them where it is used.

Plugged into ``tools/generate.py`` (``OUTPUT`` + ``render``); deterministic. Facts only:
no description text is copied.
"""

from __future__ import annotations

import importlib.util
import keyword
from pathlib import Path
from types import ModuleType
from typing import Any

OUTPUT = "actorbot/namedtuple.pyi"

_PRIMITIVES = {"Integer": "int", "String": "str", "Boolean": "bool", "Float": "float"}
_ATTACH_MARK = "attach://"
# Names the stub itself uses inside class bodies; a field spelled like one would shadow it.
_RESERVED = frozenset({"int", "str", "bool", "float", "list", "tuple", "dict", "None"})


def _load_types_generator() -> ModuleType:
    """``tools/generate_types.py`` (for its fixed-value rules, so the stub matches the runtime)."""
    path = Path(__file__).resolve().parent / "generate_types.py"
    spec = importlib.util.spec_from_file_location("_actorbot_tools_generate_types_for_stub", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _python_name(wire: str) -> str:
    return wire + "_" if keyword.iskeyword(wire) else wire


def _parse_type(expr: str) -> tuple[int, str]:
    depth = 0
    while expr.startswith("Array of "):
        depth += 1
        expr = expr[len("Array of "):]
    return depth, expr


def _split(annotation: str) -> list[str]:
    """The top-level members of a ``A | B`` annotation (brackets respected)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(annotation):
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if depth == 0 and annotation.startswith(" | ", i):
            parts.append(annotation[start:i])
            start = i + 3
    parts.append(annotation[start:])
    return parts


def _join(parts: list[str]) -> str:
    """``A | B | ...`` with each member once, in first-seen order."""
    return " | ".join(dict.fromkeys(m for p in parts for m in _split(p) if m))


class _Model:
    """The facts of ``api.json`` the stub needs, derived as ``actorbot/namedtuple.py`` does."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.types: dict[str, Any] = spec["types"]
        self.unions = sorted(name for name, t in self.types.items() if t.get("subtypes"))
        self.union_set = frozenset(self.unions)
        self.concrete = sorted(name for name in self.types if name not in self.union_set)
        self._const = _load_types_generator()._const

    def fields(self, name: str) -> list[dict[str, Any]]:
        return list(self.types[name].get("fields") or [])

    def const(self, name: str, field: dict[str, Any]) -> str | int | bool | None:
        value: str | int | bool | None = self._const(name, field)
        return value

    def alternatives(self, union: str) -> list[str]:
        """The plain classes a union stands for, through nested unions (as the runtime expands it)."""
        seen: list[tuple[int, str]] = []
        todo = [(0, union)]
        while todo:
            item = todo.pop(0)
            if item in seen:
                continue
            seen.append(item)
            depth, tname = item
            if depth == 0 and tname in self.union_set:
                todo.extend(_parse_type(s) for s in self.types[tname]["subtypes"])
        return [t for d, t in seen if d == 0 and t in self.types and t not in self.union_set]

    def annotation(self, expr: str, *, expand: bool = True) -> str:
        """The Python annotation for one Bot API type expression.

        A union's non-object alternatives are added (once: ``RichText`` may be an
        ``Array of RichText``, which is rendered as ``list[RichText]``).
        """
        depth, base = _parse_type(expr)
        if base in _PRIMITIVES:
            text = _PRIMITIVES[base]
        elif base in self.union_set and expand:
            extra = [s for s in self.types[base]["subtypes"]
                     if _parse_type(s)[0] > 0 or _parse_type(s)[1] not in self.types]
            text = _join([base, *(self.annotation(s, expand=False) for s in extra)])
        elif base in self.types:
            text = base
        else:  # a type this generator does not know: leave it open rather than guess
            text = "_Any"
        for _ in range(depth):
            text = f"list[{text}]"
        return text

    def field_annotation(self, name: str, field: dict[str, Any]) -> str:
        """The annotation of a field's value (its fixed value as a Literal, if it has one)."""
        const = self.const(name, field)
        if const is not None:
            return f"_Literal[{const!r}]"
        text = _join([self.annotation(t) for t in field.get("types", [])]) or "_Any"
        if _ATTACH_MARK in str(field.get("description", "")):
            text = _join([text, "_Upload"])
        return text


def _render_class(model: _Model, name: str) -> list[str]:
    parents = [u for u in model.types[name].get("subtype_of") or [] if u in model.union_set]
    out = [f"class {name}(TelegramObject, tuple[_Any, ...]{''.join(', ' + p for p in parents)}):"]
    fields = model.fields(name)
    if not fields:
        out.append("    def __init__(self) -> None: ...")
        return out
    params = ["self"]
    seen_default = keyword_only = False
    props = []
    for f in fields:
        pname = _python_name(f["name"])
        if pname in _RESERVED:
            raise ValueError(f"{name}.{pname} would shadow a name the stub uses")
        value = model.field_annotation(name, f)
        required = bool(f.get("required"))
        if model.const(name, f) is not None:
            param, seen_default = f"{pname}: {value} = ...", True
        elif required:
            if seen_default and not keyword_only:
                params.append("*")  # a required field after an optional one: keyword-only from here
                keyword_only = True
            param = f"{pname}: {value}"
        else:
            value = _join([value, "None"])
            param, seen_default = f"{pname}: {value} = None", True
        params.append(param)
        props.append(f"    @property\n    def {pname}(self) -> {value}: ...")
    out.append("    def __init__(")
    out.extend(f"        {p}," for p in params)
    out.append("    ) -> None: ...")
    out.extend(props)
    return out


def _render_union(model: _Model, name: str) -> list[str]:
    out = [f"class {name}(UnionType):", f"    def __new__(cls, **kwargs: _Any) -> {name}: ..."]
    alternatives = model.alternatives(name)
    if not alternatives:
        return out
    common: list[str] | None = None
    for alt in alternatives:
        names = [_python_name(f["name"]) for f in model.fields(alt)]
        common = names if common is None else [n for n in common if n in names]
    for pname in common or []:
        parts = []
        for alt in alternatives:
            for f in model.fields(alt):
                if _python_name(f["name"]) == pname:
                    value = model.field_annotation(alt, f)
                    parts.append(value if f.get("required") or model.const(alt, f) is not None
                                 else _join([value, "None"]))
        value = _join(parts)
        out.append(f"    @property\n    def {pname}(self) -> {value}: ...")
    return out


def render(spec: dict[str, Any]) -> str:
    """Render ``actorbot/namedtuple.pyi`` from a parsed ``api.json`` (deterministic)."""
    model = _Model(spec)
    names = sorted(model.types)
    for reserved in ("TelegramObject", "UnionType"):
        if reserved in model.types:
            raise ValueError(f"a Bot API type is named {reserved}")
    out = [
        '"""Type stub for ``actorbot.namedtuple`` (its classes are built at import time).',
        "",
        f"GENERATED by tools/generate_namedtuple_stub.py from {spec.get('version', '?')} "
        f"({spec.get('release_date', '?')});",
        "do not edit by hand. Regenerate from the repository root with::",
        "",
        "    python tools/generate.py [--spec PATH/TO/api.json]",
        '"""',
        "",
        "from collections.abc import Callable as _Callable",
        "from collections.abc import Mapping as _Mapping",
        "from os import PathLike as _PathLike",
        "from typing import Any as _Any",
        "from typing import ClassVar as _ClassVar",
        "from typing import Literal as _Literal",
        "from typing import Protocol as _Protocol",
        "from typing import Self as _Self",
        "from typing import TypeAlias as _TypeAlias",
        "",
        "__all__ = [",
        '    "TelegramObject",',
        '    "UnionType",',
        '    "to_jsonable",',
        *(f'    "{n}",' for n in names),
        "]",
        "",
        "class _SupportsRead(_Protocol):",
        "    def read(self, size: int = ..., /) -> _Any: ...",
        "",
        "# What an attachable field (InputMediaPhoto.media, ...) may hold besides a file_id/URL/attach:// string.",
        "_Upload: _TypeAlias = bytes | _PathLike[str] | _SupportsRead | tuple[_Any, ...]",
        "",
        "class TelegramObject:",
        "    _fields: _ClassVar[tuple[str, ...]]",
        "    _field_defaults: _ClassVar[dict[str, _Any]]",
        "    _wire_names: _ClassVar[tuple[str, ...]]",
        "    _wire_to_python: _ClassVar[_Mapping[str, str]]",
        "    _required: _ClassVar[frozenset[str]]",
        "    _consts: _ClassVar[tuple[tuple[str, _Any], ...]]",
        "    _wire_set: _ClassVar[frozenset[str]]",
        "    _python_set: _ClassVar[frozenset[str]]",
        "    def _asdict(self) -> dict[str, _Any]: ...",
        "    def _replace(self, **kwargs: _Any) -> _Self: ...",
        "",
        "class UnionType:",
        "    _alternatives: _ClassVar[tuple[str, ...]]",
        "    def __new__(cls, **kwargs: _Any) -> UnionType: ...",
        "",
        "def to_jsonable(value: _Any) -> _Any: ...",
        "def __getattr__(name: str) -> _Callable[[list[_Any]], list[_Any]]: ...",
        "",
    ]
    for name in names:
        out.extend(_render_union(model, name) if name in model.union_set else _render_class(model, name))
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - run through tools/generate.py
    import sys

    sys.exit("run: python tools/generate.py")
