"""The Bot API facts the emulator validates and answers with, as compact views.

A view over the two generated tables of the package (:mod:`actorbot._spec` for
methods, :mod:`actorbot._types` for types), so a new Bot API version is one run of
``tools/generate.py``:

``METHODS[name] = (returns, ((param, types, required), ...))``
``TYPES[name] = (((field, types, required), ...), subtypes)``
``CONSTANTS[type][field] = value`` for fixed fields (e.g. ``ChatMemberOwner.status``).
"""

from __future__ import annotations

from typing import Any, Final

from .. import _spec, _types

VERSION: Final = _spec.API_VERSION

METHODS: Final[dict[str, tuple[Any, ...]]] = {
    name: (m.returns, tuple((p.name, p.types, p.required) for p in m.params)) for name, m in _spec.METHODS.items()
}

TYPES: Final[dict[str, tuple[Any, ...]]] = {
    name: (tuple((f.name, f.types, f.required) for f in t.fields), t.subtypes) for name, t in _types.TYPES.items()
}

CONSTANTS: Final[dict[str, dict[str, Any]]] = {
    name: consts
    for name, t in _types.TYPES.items()
    if (consts := {f.name: f.const for f in t.fields if f.const is not None})
}
