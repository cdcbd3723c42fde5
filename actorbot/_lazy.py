"""Lazy re-exports for package ``__init__`` modules (PEP 562).

A package lists what it re-exports and where each name lives; a name's module is
imported the first time the name is looked up (``pkg.Name``, ``from pkg import Name``,
``from pkg import *``), and the value is then kept in the package's namespace, so later
look-ups are plain attribute reads. The same names are imported under
``if TYPE_CHECKING:`` in each package, which is what type checkers read.

This keeps ``import actorbot`` from loading what a program does not use (the stores,
the webhook server, the generated Bot API tables...).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["attach"]


def attach(
    package: str, names: Mapping[str, str], submodules: Iterable[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the package ``package``.

    :param names: each lazily exported name -> the module (relative to ``package``,
        e.g. ``"._bot"``) that defines it under the same name.
    :param submodules: names that are the package's own submodules (``"exception"``):
        looking one up imports it.
    """
    module = sys.modules[package]
    table = dict(names)
    table.update({name: "." + name for name in submodules})
    modules = frozenset(submodules)

    def __getattr__(name: str) -> Any:
        where = table.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        found = importlib.import_module(where, package)
        value = found if name in modules else getattr(found, name)
        setattr(module, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(module)) | set(table))

    return __getattr__, __dir__
