"""The package type-checks and lints: mypy finds no errors in ``actorbot``, ruff none in
``actorbot``, ``tests`` and ``tools`` (each skipped when the tool is not installed).

The same run also checks user code: against the generated stub
``actorbot/namedtuple.pyi`` (the Bot API classes are usable as annotations and take
their fields as keyword arguments) and against the generated methods of ``Bot`` and
of the ``Sender``/``Administrator``/``Editor`` proxies: calls with the right arguments
pass, a misspelt method or a missing required argument is an error. mypy's cache goes
to a temporary directory so the repository stays clean.
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


USER_BOT = '''\
from typing import Any

from actorbot import Bot
from actorbot.helper import ChatHandler


def send_list(bot: Bot) -> int:
    sent = bot.sendChecklist(
        business_connection_id="bc",
        chat_id=1,
        checklist={"title": "Todo", "tasks": [{"id": 1, "text": "milk"}]},
    )
    topic = bot.createForumTopic(chat_id=-100, name="Plans")
    bot.sendMessage(1, "telepot's positional form", parse_mode="HTML")
    return int(sent["message_id"]) + int(topic["message_thread_id"])


class Reactor(ChatHandler):
    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.sender.sendMessage("hi")
        self.sender.setMessageReaction(message_id=msg["message_id"], reaction=[{"type": "emoji", "emoji": "👍"}])
        self.administrator.createForumTopic(name="Plans")
'''

USER_MISTAKES = '''\
from typing import Any

from actorbot import Bot
from actorbot.helper import ChatHandler


class Typo(ChatHandler):
    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.sender.sendMesage("hi")


def forgot(bot: Bot) -> None:
    bot.sendChecklist(chat_id=1, checklist={})
    bot.setMessageReaction(chat_id=1, message_id="5")
'''


def test_mypy_reports_no_errors(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    (tmp_path / "user_code.py").write_text(USER_CODE, encoding="utf-8")
    (tmp_path / "user_bot.py").write_text(USER_BOT, encoding="utf-8")
    (tmp_path / "user_mistakes.py").write_text(USER_MISTAKES, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy", "actorbot",
            str(tmp_path / "user_code.py"), str(tmp_path / "user_bot.py"), str(tmp_path / "user_mistakes.py"),
            "--ignore-missing-imports", "--cache-dir", str(tmp_path / "mypy_cache"), "--no-error-summary",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert all(line.startswith(str(tmp_path / "user_mistakes.py")) for line in errors), result.stdout + result.stderr
    messages = "\n".join(errors)
    assert '"Sender" has no attribute "sendMesage"' in messages, messages
    assert 'Missing named argument "business_connection_id" for "sendChecklist"' in messages, messages
    assert 'Argument "message_id" to "setMessageReaction" of "ApiMethods" has incompatible type "str"' in messages
    assert len(errors) == 3, messages


def test_ruff_reports_no_errors() -> None:
    """``ruff check`` with the project's configuration (pyproject.toml) finds nothing."""
    pytest.importorskip("ruff")
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "actorbot", "tests", "tools"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All checks passed!" in result.stdout


def test_mypy_finds_the_installed_package_from_outside_the_checkout(tmp_path: Path) -> None:
    """Installed the README's way (``pip install -e .``), the package is on a plain path entry,
    so a user's mypy, run in the user's own directory, sees actorbot's types."""
    pytest.importorskip("mypy")
    where = subprocess.run([sys.executable, "-c", "import actorbot, os; print(os.path.dirname(actorbot.__file__))"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    if where.returncode != 0:
        pytest.skip("actorbot is not installed in this environment (pip install -e .)")
    (tmp_path / "user_mistakes.py").write_text(USER_MISTAKES, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "user_mistakes.py", "--cache-dir", str(tmp_path / "mypy_cache"),
         "--no-error-summary"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert "Cannot find implementation or library stub" not in result.stdout, result.stdout
    assert '"Sender" has no attribute "sendMesage"' in result.stdout, result.stdout + result.stderr
