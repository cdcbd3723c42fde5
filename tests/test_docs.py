"""The user guide: every Python snippet runs, and the site builds with warnings as errors.

A page's ```python blocks run in order in one namespace (like a doctest session), on the
test's thread, so the suite's leak check sees any bot a snippet forgot to stop. The line
before a block may say how else to treat it:

- ``<!-- docs: compile-only -->``: compiled, not run (it needs a real token or network);
- ``<!-- docs: pytest -->``: a test module, run by pytest in a subprocess with the kit's
  plugin (``actorbot.testing``) loaded, against the emulator (``examples/chat`` is on its
  path, for the README's ``from counter import MessageCounter``);
- ``<!-- docs: skip -->``: not a program (a fragment shown for its shape).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted([*DOCS.rglob("*.md"), ROOT / "README.md"])

_BLOCK = re.compile(
    r"(?:<!--\s*docs:\s*(?P<mode>[\w-]+)\s*-->\s*\n)?^```python[^\n]*\n(?P<code>.*?)^```\s*$",
    re.DOTALL | re.MULTILINE,
)
MODES = {"run", "compile-only", "pytest", "skip"}


def blocks(page: Path) -> list[tuple[str, int, str]]:
    """``(mode, line, code)`` for each fenced python block of ``page``."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        mode = match["mode"] or "run"
        assert mode in MODES, f"{page.name}: unknown docs marker {mode!r}"
        line = text.count("\n", 0, match.start("code")) + 1
        found.append((mode, line, textwrap.dedent(match["code"])))
    return found


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # examples/chat: the README's test imports its handler from counter.py
    paths = [str(ROOT), str(ROOT / "examples" / "chat"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    env["NO_MKDOCS_2_WARNING"] = "1"
    env.pop("ACTORBOT_API_URL", None)
    return env


def _id(page: Path) -> str:
    return str(page.relative_to(ROOT))


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p)], ids=_id)
def test_snippets_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACTORBOT_API_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    tests: list[tuple[int, str]] = []
    for mode, line, code in blocks(page):
        filename = f"{_id(page)}:{line}"
        compiled = compile("\n" * (line - 1) + code, _id(page), "exec")
        if mode == "run":
            try:
                exec(compiled, namespace)
            except Exception as exc:
                raise AssertionError(f"the snippet at {filename} failed: {exc!r}") from exc
        elif mode == "pytest":
            tests.append((line, code))
    if tests:
        (tmp_path / "conftest.py").write_text('pytest_plugins = ["actorbot.testing"]\n')
        for line, code in tests:
            (tmp_path / f"test_snippet_line{line}.py").write_text(code)
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--timeout=120", str(tmp_path)],
            cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300,
        )
        assert proc.returncode == 0, f"{_id(page)}: test snippets failed\n{proc.stdout}\n{proc.stderr}"


def test_markers_are_known() -> None:
    for page in PAGES:
        for mode, _line, _code in blocks(page):
            assert mode in MODES


def test_site_builds_strictly(tmp_path: Path) -> None:
    """``mkdocs build --strict``: a broken link, a missing page or a docstring mkdocstrings
    cannot render fails the build."""
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    reference = (tmp_path / "site" / "reference" / "actorbot" / "index.html").read_text(encoding="utf-8")
    assert 'id="actorbot.DelegatorBot"' in reference  # the API reference was generated from docstrings
    assert (tmp_path / "site" / "guide" / "getting-started" / "index.html").exists()
