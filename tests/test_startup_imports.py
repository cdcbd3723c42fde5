"""Start-up: every public name imports, and what a program does not use is not imported.

``actorbot``, ``actorbot.loop`` and ``actorbot.store`` re-export lazily (PEP 562, see
:mod:`actorbot._lazy`): a name's module is imported the first time it is looked up. The
same names are imported under ``if TYPE_CHECKING:`` for type checkers; these tests keep
the two lists in step. The ``sys.modules`` checks run in fresh interpreters. Timing lives
in ``benchmarks/startup.py``, not here.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PUBLIC_MODULES = [
    "actorbot",
    "actorbot.actors",
    "actorbot.api",
    "actorbot.delegate",
    "actorbot.demo",
    "actorbot.emulator",
    "actorbot.exception",
    "actorbot.helper",
    "actorbot.loop",
    "actorbot.metrics",
    "actorbot.namedtuple",
    "actorbot.routing",
    "actorbot.store",
    "actorbot.testing",
    "actorbot.text",
]
LAZY_PACKAGES = ["actorbot", "actorbot.loop", "actorbot.store"]

# Never needed by `import actorbot`, nor by a polling bot without a store.
HEAVY = [
    "sqlite3",
    "redis",
    "wsgiref",
    "http.server",
    "socketserver",
    "actorbot.emulator",
    "actorbot.store._sqlite",
    "actorbot.store._redis",
    "actorbot.loop._server",
    "actorbot.loop._wsgi",
    "actorbot.loop._webhook",
    "actorbot.loop._queue_source",
    "actorbot._types",
    "actorbot._broadcast",
    "actorbot.metrics",
    "actorbot.testing",
    "actorbot._cli",
]


def _loaded_after(code: str) -> set[str]:
    """The modules in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=str(ROOT))
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.splitlines()[-1]))


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_name_in_all_imports_and_is_listed_by_dir(name: str) -> None:
    module = importlib.import_module(name)
    for attr in module.__all__:
        assert getattr(module, attr) is not None, attr
        assert attr in dir(module), attr
    namespace: dict[str, object] = {}
    exec(f"from {name} import *", namespace)
    assert set(module.__all__) <= set(namespace)


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_lazy_table_matches_the_type_checking_imports(name: str) -> None:
    module = importlib.import_module(name)
    path = Path(module.__file__ or "")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    guarded = [node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"]
    assert len(guarded) == 1
    seen: dict[str, str] = {}
    for node in guarded[0].body:
        assert isinstance(node, ast.ImportFrom) and node.level == 1
        for alias in node.names:
            assert alias.asname is None
            seen[alias.name] = f".{node.module}" if node.module else f".{alias.name}"
    lazy = dict(module._LAZY)
    assert {k: v for k, v in seen.items() if k not in lazy} == {k: f".{k}" for k in seen if k not in lazy}
    assert {k: seen[k] for k in lazy} == lazy
    assert set(module.__all__) <= set(seen)


def test_a_package_does_not_invent_names() -> None:
    import actorbot

    with pytest.raises(AttributeError):
        actorbot.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        exec("from actorbot.loop import NoSuchLoop", {})


def test_the_public_subpackages_are_attributes_of_actorbot() -> None:
    """``import actorbot`` then ``actorbot.api.set_proxy(...)`` works, as it did when everything was eager."""
    found = _loaded_after(
        "import actorbot\n"
        "assert actorbot.api.set_proxy and actorbot.helper.ChatHandler and actorbot.loop.MessageLoop\n"
        "assert actorbot.exception.TelegramError and actorbot.store.open_store and actorbot.actors.Engine\n"
    )
    assert "actorbot.api._client" in found


def test_import_actorbot_loads_almost_nothing() -> None:
    found = _loaded_after("import actorbot")
    assert not [m for m in HEAVY if m in found]
    assert {m for m in found if m.startswith("actorbot")} == {"actorbot", "actorbot._lazy"}
    assert not {"urllib3", "pykka", "ctypes", "actorbot._spec", "actorbot._api_methods"} & found


def test_a_polling_bot_loads_no_store_webhook_or_type_table() -> None:
    """What the counter bot of benchmarks/e2e_bots.py imports and builds before it polls."""
    found = _loaded_after(
        "from actorbot import DelegatorBot\n"
        "from actorbot.delegate import create_open, pave_event_space, per_chat_id\n"
        "from actorbot.helper import ChatHandler\n"
        "import actorbot.loop._message_loop\n"
        "bot = DelegatorBot('1:x', [pave_event_space()(per_chat_id(), create_open, ChatHandler, timeout=10)],\n"
        "                   api_url='http://127.0.0.1:9', runtime='pool')\n"
        "bot.close()\n"
    )
    assert "actorbot.loop._polling" in found and "actorbot._delegator" in found
    assert not [m for m in HEAVY if m in found]
