#!/usr/bin/env python3
"""Generate ``actorbot/helper/_proxy_methods.py``: the typed methods of ``Sender``, ``Administrator``, ``Editor``.

Which methods (from the spec, so a new Bot API version brings its new methods along):

- the *chat methods*: every method whose first parameter, ``business_connection_id``
  aside, is ``chat_id``; plus the old names ``actorbot/_bot.py`` keeps for them
  (``kickChatMember``...);
- ``Editor``: the chat methods that act on one message given by
  ``(chat_id, message_id)`` or ``inline_message_id``: ``editMessage*``,
  ``stopMessageLiveLocation``, ``stopPoll``, ``deleteMessage``;
- ``Sender``: the chat methods named ``send*``, ``forward*``, ``copy*``, and
  ``setMessageReaction``;
- ``Administrator``: every other chat method.

Each proxy method is the bot's method with its first argument bound (``chat_id``, or
for ``Editor`` the message identifier). A method ``actorbot/_bot.py`` writes by hand
(telepot's positional signature) keeps that signature, read from the source with
:mod:`ast`; every other method is keyword-only and typed as in
``actorbot/_api_methods.py`` (``tools/generate_api_methods.py``).

Plugged into ``tools/generate.py`` (``OUTPUT`` + ``render``); deterministic. Facts only.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

OUTPUT = "actorbot/helper/_proxy_methods.py"

ROOT = Path(__file__).resolve().parent.parent
BOT_SOURCE = ROOT / "actorbot" / "_bot.py"

_EDITOR = re.compile(r"^(editMessage[A-Z]\w*|stopMessageLiveLocation|stopPoll|deleteMessage)$")
_SENDER = re.compile(r"^(send|forward|copy)[A-Z]\w*$|^setMessageReaction$")
_IDENTIFIER_PARAMS = ("chat_id", "message_id", "inline_message_id")


def _load_api_methods_generator() -> ModuleType:
    path = Path(__file__).resolve().parent / "generate_api_methods.py"
    spec = importlib.util.spec_from_file_location("_actorbot_tools_generate_api_methods_for_proxies", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hand_written(source: str) -> dict[str, ast.FunctionDef]:
    """The methods of ``class Bot`` in ``actorbot/_bot.py``, by name."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name == "Bot":
            return {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
    raise ValueError("no class Bot in actorbot/_bot.py")


def _first_positional(fn: ast.FunctionDef) -> str | None:
    args = fn.args.posonlyargs + fn.args.args
    return args[1].arg if len(args) > 1 else None


def _chat_methods(spec: dict[str, Any], hand: dict[str, ast.FunctionDef]) -> list[str]:
    names = set()
    for name, method in spec["methods"].items():
        params = [f["name"] for f in method.get("fields") or [] if f["name"] != "business_connection_id"]
        if params[:1] == ["chat_id"]:
            names.add(name)
    for name, fn in hand.items():  # the old names the bot keeps (kickChatMember, getChatMembersCount)
        if name[:1].islower() and name not in spec["methods"] and _first_positional(fn) == "chat_id":
            names.add(name)
    return sorted(names)


def partition(spec: dict[str, Any], source: str) -> dict[str, list[str]]:
    """``{"Sender": [...], "Administrator": [...], "Editor": [...]}``: the method names of each proxy."""
    hand = _hand_written(source)
    out: dict[str, list[str]] = {"Sender": [], "Administrator": [], "Editor": []}
    for name in _chat_methods(spec, hand):
        if _EDITOR.match(name):
            out["Editor"].append(name)
        elif _SENDER.match(name):
            out["Sender"].append(name)
        else:
            out["Administrator"].append(name)
    return out


def _render_hand_written(fn: ast.FunctionDef, bound: str) -> list[str]:
    """A proxy method with the signature of the hand-written ``fn`` minus ``self`` and ``bound``."""
    a = fn.args
    if a.posonlyargs or a.vararg:
        raise ValueError(f"Bot.{fn.name}: positional-only or *args parameters are not supported")
    positional = a.args[1:]
    if not positional or positional[0].arg != bound:
        raise ValueError(f"Bot.{fn.name} does not take {bound} first")
    positional = positional[1:]
    defaults: list[ast.expr | None] = [None] * (len(a.args) - len(a.defaults)) + list(a.defaults)
    defaults = defaults[2:]

    def param(arg: ast.arg, default: ast.expr | None) -> str:
        text = arg.arg + (f": {ast.unparse(arg.annotation)}" if arg.annotation else "")
        return text + (f" = {ast.unparse(default)}" if default is not None else "")

    params = [param(p, d) for p, d in zip(positional, defaults, strict=True)]
    call = [p.arg for p in positional]
    if a.kwonlyargs:
        if not a.vararg:
            params.append("*")
        params += [param(p, d) for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True)]
        call += [f"{p.arg}={p.arg}" for p in a.kwonlyargs]
    if a.kwarg:
        kw = a.kwarg
        params.append(f"**{kw.arg}" + (f": {ast.unparse(kw.annotation)}" if kw.annotation else ""))
        call.append(f"**{kw.arg}")
    returns = ast.unparse(fn.returns) if fn.returns else "Any"
    out = [f"    def {fn.name}(", "        self,"]
    out += [f"        {p}," for p in params]
    out.append(f"    ) -> {returns}:")
    out.append(f'        """``bot.{fn.name}`` with ``{bound}`` filled in."""')
    out.append(f"        return self._bot.{fn.name}(")
    out.append("            self._value,")
    out += [f"            {c}," for c in call]
    out.append("        )")
    return out


def _render_generated(gen: ModuleType, model: Any, name: str, editor: bool) -> list[str]:
    method = model.methods[name]
    dropped = _IDENTIFIER_PARAMS if editor else ("chat_id",)
    fields = [f for f in method.get("fields") or [] if f["name"] not in dropped]
    returns = model.return_annotation(method.get("returns") or [])
    bound = "the message identifier" if editor else "``chat_id``"
    out = [f"    def {name}(", "        self,"]
    if fields:
        out.append("        *,")
    for f in fields:
        annotation = model.field_annotation(f["types"])
        if f.get("required"):
            out.append(f"        {f['name']}: {annotation},")
        else:
            out.append(f"        {f['name']}: {gen._join([annotation, 'None'])} = None,")
    out.append(f"    ) -> {returns}:")
    href = method.get("href") or f"https://core.telegram.org/bots/api#{name.lower()}"
    out.append(f'        """``bot.{name}`` with {bound} filled in.\n\n        See: {href}\n        """')
    out.append(f"        return self._bot.{name}(")
    out.append("            **self._identifier()," if editor else "            chat_id=self._value,")
    out += [f"            {f['name']}={f['name']}," for f in fields]
    out.append("        )")
    return out


def render(spec: dict[str, Any], source: str | None = None) -> str:
    """Render ``actorbot/helper/_proxy_methods.py`` from ``api.json`` and ``actorbot/_bot.py``."""
    if source is None:
        source = BOT_SOURCE.read_text(encoding="utf-8")
    gen = _load_api_methods_generator()
    model = gen._Model(spec)
    hand = _hand_written(source)
    groups = partition(spec, source)
    version = spec.get("version", "?")
    body: list[str] = []
    for proxy in ("Sender", "Administrator", "Editor"):
        names = groups[proxy]
        body.append(f"{proxy.upper()}_METHODS: tuple[str, ...] = (")
        body += [f'    "{n}",' for n in names]
        body.append(")")
        body.append("")
    for proxy in ("Sender", "Administrator", "Editor"):
        editor = proxy == "Editor"
        bound = "msg_identifier" if editor else "chat_id"
        body.append("")
        body.append(f"class {proxy}Methods:")
        body.append(f'    """The methods of :class:`{proxy}`; ``_value`` is the bound ``{bound}``."""')
        body.append("")
        body.append("    _bot: Any")
        body.append("    _value: Any")
        if editor:
            body.append("")
            body.append("    def _identifier(self) -> dict[str, Any]:")
            body.append('        """The parameters the bound message identifier stands for."""')
            body.append("        raise NotImplementedError")
        for name in groups[proxy]:
            body.append("")
            if name in hand:
                body += _render_hand_written(hand[name], bound)
            else:
                body += _render_generated(gen, model, name, editor)
    text = "\n".join(body)
    imports = ["from __future__ import annotations", ""]
    if "Sequence[" in text:
        imports.append("from collections.abc import Sequence")
    imports.append("from typing import TYPE_CHECKING, Any" if "_nt." in text else "from typing import Any")
    aliases = [a for a in ("InputFileLike", "JsonObject") if re.search(rf"\b{a}\b", text)]
    if aliases:
        imports += ["", f"from .._api_methods import {', '.join(aliases)}"]
    if "_nt." in text:
        imports += ["", "if TYPE_CHECKING:", "    from .. import namedtuple as _nt"]
    out = [
        '"""The methods of ``Sender``, ``Administrator`` and ``Editor``: the bot\'s, with the chat or message bound.',
        "",
        "Each method calls the bot's method of the same name, on the calling thread. A method",
        "``actorbot/_bot.py`` writes by hand keeps its (telepot) positional signature; every",
        "other one takes keyword arguments only.",
        "",
        f"GENERATED by tools/generate_proxies.py from {version} ({spec.get('release_date', '?')})",
        "and actorbot/_bot.py; do not edit by hand. Regenerate from the repository root with::",
        "",
        "    python tools/generate.py [--spec PATH/TO/api.json]",
        '"""',
        "",
        *imports,
        "",
        "__all__ = [",
        '    "SENDER_METHODS", "ADMINISTRATOR_METHODS", "EDITOR_METHODS",',
        '    "SenderMethods", "AdministratorMethods", "EditorMethods",',
        "]",
        "",
        *body,
    ]
    out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - run through tools/generate.py
    import sys

    sys.exit("run: python tools/generate.py")
