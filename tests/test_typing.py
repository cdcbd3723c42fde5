"""The package type-checks: mypy finds no errors in ``actorbot`` (skipped without mypy).

The same run also checks a few lines of user code against the generated stub
``actorbot/namedtuple.pyi``: the Bot API classes are usable as annotations and take
their fields as keyword arguments. mypy's cache goes to a temporary directory so the
repository stays clean.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

USER_CODE = '''\
from actorbot.namedtuple import InlineKeyboardButton, InlineKeyboardMarkup, Message

markup: InlineKeyboardMarkup = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="a", callback_data="b")]],
)
first: str = markup.inline_keyboard[0][0].text


def sender_id(message: Message) -> int | None:
    return message.from_.id if message.from_ is not None else None
'''


def test_mypy_reports_no_errors(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    user_code = tmp_path / "user_code.py"
    user_code.write_text(USER_CODE, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy", "actorbot", str(user_code),
            "--ignore-missing-imports", "--cache-dir", str(tmp_path / "mypy_cache"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found"), result.stdout
