#!/usr/bin/env python3
"""Generate ``actorbot/_api_methods.py``: ``ApiMethods``, one typed method per Bot API method.

``actorbot.Bot`` inherits ``ApiMethods``; the hand-written methods of ``actorbot/_bot.py``
(telepot's positional signatures) override the generated ones of the same name. Every
generated method takes keyword arguments only, in the reference's order (a required one
has no default, an optional one defaults to None), and calls
``self._call(name, {parameter: value, ...})``.

Bot API types map to Python as: Integer -> int, String -> str, Boolean -> bool,
Float -> float, InputFile -> :data:`InputFileLike` (what the HTTP layer uploads, or a
file_id/URL string), ``Array of X`` -> ``Sequence[X]``, another type ``T`` ->
``actorbot.namedtuple.T | JsonObject`` (a namedtuple or a plain dict), several types ->
``A | B``. Return values are what the HTTP layer gives back: JSON, so an object is a
``dict[str, Any]`` and an array a ``list``.

Plugged into ``tools/generate.py`` (``OUTPUT`` + ``render``); deterministic. Facts only
(names, types, required flags, the reference's link): no description text is copied.
"""

from __future__ import annotations

import keyword
from typing import Any

OUTPUT = "actorbot/_api_methods.py"

_PRIMITIVES = {"Integer": "int", "String": "str", "Boolean": "bool", "Float": "float"}
_RETURN_PRIMITIVES = {**_PRIMITIVES, "True": "bool"}
_DOC_URL = "https://core.telegram.org/bots/api#"


def _parse(expr: str) -> tuple[int, str]:
    depth = 0
    while expr.startswith("Array of "):
        depth += 1
        expr = expr[len("Array of "):]
    return depth, expr


def _join(parts: list[str]) -> str:
    """``A | B | ...`` with each top-level member once, in first-seen order."""
    members: list[str] = []
    for part in parts:
        depth = start = 0
        for i, ch in enumerate(part):
            depth += {"[": 1, "]": -1}.get(ch, 0)
            if depth == 0 and part.startswith(" | ", i):
                members.append(part[start:i])
                start = i + 3
        members.append(part[start:])
    return " | ".join(dict.fromkeys(m for m in members if m))


class _Model:
    """The facts of ``api.json`` the methods need."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.types: dict[str, Any] = spec["types"]
        self.methods: dict[str, Any] = spec["methods"]

    def param_annotation(self, expr: str) -> str:
        """What a caller may pass for one Bot API type expression."""
        depth, base = _parse(expr)
        if base in _PRIMITIVES:
            text = _PRIMITIVES[base]
        elif base == "InputFile":
            text = "InputFileLike"
        elif base in self.types:
            text = f"_nt.{base} | JsonObject"
            subtypes = self.types[base].get("subtypes") or []
            # a union whose alternatives include non-object types (a String, an Array...)
            extra = [s for s in subtypes if _parse(s)[0] > 0 or _parse(s)[1] not in self.types]
            if extra and depth == 0:
                text = _join([text, *(self.param_annotation(s) for s in extra)])
        else:  # a type this generator does not know: leave it open rather than guess
            text = "Any"
        for _ in range(depth):
            text = f"Sequence[{text}]"
        return text

    def field_annotation(self, types: list[str]) -> str:
        """What a caller may pass for a parameter of these types (``InputFileLike`` includes ``str``)."""
        text = _join([self.param_annotation(t) for t in types]) or "Any"
        if "InputFileLike" in text.split(" | "):
            text = " | ".join(m for m in text.split(" | ") if m != "str")
        return text

    def return_annotation(self, returns: list[str]) -> str:
        parts = []
        for expr in returns:
            depth, base = _parse(expr)
            text = _RETURN_PRIMITIVES.get(base, "dict[str, Any]" if base in self.types else "Any")
            for _ in range(depth):
                text = f"list[{text}]"
            parts.append(text)
        return _join(parts) or "Any"


def _python_name(wire: str) -> str:
    if keyword.iskeyword(wire) or not wire.isidentifier():
        raise ValueError(f"a Bot API parameter is named {wire!r}: not a Python identifier")
    return wire


def _docstring(name: str, method: dict[str, Any]) -> list[str]:
    returns = " or ".join(method.get("returns") or ["?"])
    href = method.get("href") or f"{_DOC_URL}{name.lower()}"
    lines = [f'        """Call the Bot API method ``{name}``; returns {returns}.', ""]
    for f in method.get("fields") or []:
        flag = "required" if f.get("required") else "optional"
        lines.append(f"        :param {f['name']}: {' or '.join(f['types'])} ({flag})")
    if method.get("fields"):
        lines.append("")
    lines.append(f"        See: {href}")
    lines.append('        """')
    return lines


def render_method(model: _Model, name: str) -> list[str]:
    method = model.methods[name]
    fields = method.get("fields") or []
    returns = model.return_annotation(method.get("returns") or [])
    if not fields:
        out = [f"    def {name}(self) -> {returns}:"]
        out += _docstring(name, method)
        out.append(f'        return self._call("{name}", {{}})')
        return out
    out = [f"    def {name}(", "        self,", "        *,"]
    for f in fields:
        pname = _python_name(f["name"])
        annotation = model.field_annotation(f["types"])
        if f.get("required"):
            out.append(f"        {pname}: {annotation},")
        else:
            out.append(f"        {pname}: {_join([annotation, 'None'])} = None,")
    out.append(f"    ) -> {returns}:")
    out += _docstring(name, method)
    out.append(f'        return self._call(\n            "{name}",')
    out.append("            {")
    for f in fields:
        out.append(f'                "{f["name"]}": {_python_name(f["name"])},')
    out.append("            },")
    out.append("        )")
    return out


def render(spec: dict[str, Any]) -> str:
    """Render ``actorbot/_api_methods.py`` from a parsed ``api.json`` (deterministic)."""
    model = _Model(spec)
    version = spec.get("version", "?")
    out = [
        f'"""``ApiMethods``: a typed method for each of the {len(model.methods)} methods of {version}.',
        "",
        "``actorbot.Bot`` inherits it; the methods ``actorbot/_bot.py`` writes by hand (telepot's",
        "positional signatures) override these. Each method takes keyword arguments only and",
        "returns the ``result`` of Telegram's answer as JSON (an object is a dict). A bot made",
        "with ``raise_errors=False`` returns an error answer's JSON instead, whatever the",
        "annotation says.",
        "",
        f"GENERATED by tools/generate_api_methods.py from {version} ({spec.get('release_date', '?')});",
        "do not edit by hand. Regenerate from the repository root with::",
        "",
        "    python tools/generate.py [--spec PATH/TO/api.json]",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import os",
        "from collections.abc import Mapping, Sequence",
        "from typing import IO, TYPE_CHECKING, Any, TypeAlias",
        "",
        "if TYPE_CHECKING:",
        "    from . import namedtuple as _nt",
        "",
        '__all__ = ["ApiMethods", "InputFileLike", "JsonObject"]',
        "",
        "JsonObject: TypeAlias = Mapping[str, Any]",
        '"""A Bot API object given as a dict (or another mapping) instead of an ``actorbot.namedtuple``."""',
        "",
        "InputFileLike: TypeAlias = str | bytes | bytearray | os.PathLike[str] | IO[bytes] | tuple[Any, ...]",
        '"""An upload (bytes, a path, a binary file, ``(filename, file)``) or a file_id/URL string."""',
        "",
        "",
        "class ApiMethods:",
        f'    """A typed method for every Bot API method ({version}); subclasses provide ``_call``."""',
        "",
        "    __slots__ = ()",
        "",
        "    def _call(self, method: str, params: dict[str, Any]) -> Any:",
        '        """Send ``method`` with ``params`` (None values left out); return its result."""',
        "        raise NotImplementedError",
    ]
    for name in sorted(model.methods):
        out.append("")
        out.extend(render_method(model, name))
    out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - run through tools/generate.py
    import sys

    sys.exit("run: python tools/generate.py")
