"""``Bot`` has a real, typed method for every Bot API method (``actorbot/_api_methods.py``).

The generated file is what ``tools/generate_api_methods.py`` makes from the committed
spec; every method of the spec exists on ``Bot`` with the spec's parameters.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
from pathlib import Path
from types import ModuleType

from actorbot import Bot
from actorbot._api_methods import ApiMethods

ROOT = Path(__file__).resolve().parent.parent
SPEC = json.loads((ROOT / "spec" / "botapi" / "api.json").read_text(encoding="utf-8"))


def _tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_tools_{name}", ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_methods_are_fresh_and_deterministic():
    gen = _tool("generate_api_methods")
    assert gen.OUTPUT == "actorbot/_api_methods.py"
    first, second = gen.render(SPEC), gen.render(json.loads(json.dumps(SPEC)))
    assert first == second
    assert (ROOT / gen.OUTPUT).read_text(encoding="utf-8") == first


def test_generated_file_holds_facts_only():
    text = (ROOT / "actorbot" / "_api_methods.py").read_text(encoding="utf-8")
    sentences = []
    for method in SPEC["methods"].values():
        sentences += method["description"] if isinstance(method["description"], list) else [method["description"]]
        sentences += [field["description"] for field in method.get("fields", [])]
    assert all(s[:40] not in text for s in sentences if len(s) >= 40)


def test_every_spec_method_is_generated_with_the_spec_parameters():
    assert len(SPEC["methods"]) == 180
    for name, method in SPEC["methods"].items():
        generated = ApiMethods.__dict__[name]
        params = list(inspect.signature(generated).parameters.values())[1:]
        assert [(p.name, p.kind, p.default is inspect.Parameter.empty) for p in params] == [
            (f["name"], inspect.Parameter.KEYWORD_ONLY, f["required"]) for f in method.get("fields", [])
        ], name
        assert f"See: {method['href']}" in (generated.__doc__ or "")


def test_every_spec_method_is_a_bot_method_accepting_the_spec_parameters():
    hand_written = {name for name in SPEC["methods"] if name in Bot.__dict__}
    assert {"sendMessage", "editMessageText", "getUpdates"} <= hand_written
    assert "sendChecklist" not in hand_written and "setMessageReaction" not in hand_written
    for name, method in SPEC["methods"].items():
        if name == "close":  # Bot.close() releases the HTTP pool (as before); the API's close is _call("close")
            continue
        sig = inspect.signature(getattr(Bot, name))
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
        for field in method.get("fields", []):
            assert takes_any or field["name"] in sig.parameters, (name, field["name"])
        if name not in hand_written:
            assert getattr(Bot, name) is ApiMethods.__dict__[name]


def test_annotations_map_the_spec_types():
    hints = inspect.get_annotations(ApiMethods.sendChecklist)
    assert hints["chat_id"] == "int | str"
    assert hints["business_connection_id"] == "str"
    assert hints["checklist"] == "_nt.InputChecklist | JsonObject"
    assert hints["reply_markup"] == "_nt.InlineKeyboardMarkup | JsonObject | None"
    assert hints["return"] == "dict[str, Any]"
    assert inspect.get_annotations(ApiMethods.sendMediaGroup)["return"] == "list[dict[str, Any]]"
    assert inspect.get_annotations(ApiMethods.setStickerSetThumbnail)["thumbnail"] == "InputFileLike | None"
    assert inspect.get_annotations(ApiMethods.setMessageReaction)["reaction"] == (
        "Sequence[_nt.ReactionType | JsonObject] | None"
    )
