"""The ``actorbot`` command, run as a person would: a real process, real signals, a simulated user.

Each test starts ``python -m actorbot ...`` (this checkout's package: ``PYTHONPATH``), reads
what it prints, chats with the bot as a simulated user over the emulator's HTTP ``/sim/``
API (or through an emulator in this process), signals it, and checks the exit status and
what was printed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3

import actorbot
from actorbot import _cli
from actorbot._version import __version__
from actorbot.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
COUNTER = ROOT / "examples" / "chat" / "counter.py"
WAIT = 20.0  # bound on every wait for output; a hang fails the test instead of blocking it

# A bot whose conversations say goodbye when closed: what a graceful stop looks like to a user.
FAREWELL_APP = textwrap.dedent(
    """
    from actorbot import DelegatorBot
    from actorbot.delegate import create_open, pave_event_space, per_chat_id
    from actorbot.helper import ChatHandler


    class Echo(ChatHandler):
        def on_chat_message(self, msg):
            self.sender.sendMessage("echo: " + msg["text"])

        def on_close(self, ex):
            self.sender.sendMessage("bye")
            print(f"on_close {self.chat_id}", flush=True)


    def build(token, **bot_kwargs):
        return DelegatorBot(token, [pave_event_space()(per_chat_id(), create_open, Echo, timeout=300)], **bot_kwargs)
    """
)


class Cli:
    """``python -m MODULE ARGS`` with its stdout and stderr read line by line on two threads."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT,
                 module: str = "actorbot") -> None:
        full_env = dict(os.environ, PYTHONPATH=str(ROOT))
        full_env.pop("BOT_TOKEN", None)
        full_env.pop("ACTORBOT_API_URL", None)
        full_env.pop("PYTHONWARNINGS", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._queues: dict[str, queue.Queue[str | None]] = {"stdout": queue.Queue(), "stderr": queue.Queue()}
        self._readers = [
            threading.Thread(target=self._read, args=(name, stream), daemon=True)
            for name, stream in (("stdout", self.proc.stdout), ("stderr", self.proc.stderr))
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, name: str, stream: Any) -> None:
        for line in stream:
            self.lines[name].append(line)
            self._queues[name].put(line)
        self._queues[name].put(None)

    def expect(self, needle: str, stream: str = "stdout", timeout: float = WAIT) -> str:
        """The next line of ``stream`` containing ``needle`` (fails after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queues[stream].get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                pytest.fail(f"no {needle!r} on {stream}\n{self.output()}")
            if needle in line:
                return line

    def send_signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def finish(self, timeout: float = WAIT) -> int:
        """Wait for the process to exit and for all its output; its exit status."""
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"did not exit within {timeout} s\n{self.output()}")
        for reader in self._readers:
            reader.join(timeout)
        return status

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for reader in self._readers:
            reader.join(WAIT)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.proc.stdout.close()
        self.proc.stderr.close()

    @property
    def stdout(self) -> str:
        return "".join(self.lines["stdout"])

    @property
    def stderr(self) -> str:
        return "".join(self.lines["stderr"])

    def output(self) -> str:
        return f"stdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def run_cli(*args: str, timeout: float = WAIT) -> subprocess.CompletedProcess[str]:
    """``python -m actorbot ARGS`` run to completion."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("BOT_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "actorbot", *args], cwd=ROOT, env=env, check=False,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli_processes() -> Iterator[list[Cli]]:
    started: list[Cli] = []
    try:
        yield started
    finally:
        for cli in started:
            cli.kill()


@pytest.fixture
def http() -> Iterator[urllib3.PoolManager]:
    pool = urllib3.PoolManager(timeout=urllib3.Timeout(total=WAIT), retries=False)
    yield pool
    pool.clear()


def sim(http: urllib3.PoolManager, base: str, action: str, **params: Any) -> Any:
    """One call of the emulator's simulation API; its result."""
    answer = json.loads(http.request("POST", f"{base}/sim/{action}", json=params).data)
    assert answer["ok"], answer
    return answer["result"]


def say(http: urllib3.PoolManager, base: str, user_id: int, text: str) -> str:
    """A simulated user sends ``text`` in its private chat; the bot's next reply's text."""
    sim(http, base, "send", user_id=user_id, text=text)
    reply = sim(http, base, "wait_message", chat_id=user_id, timeout=WAIT)  # the first after that message
    return str(reply["text"])


def banner(cli: Cli) -> dict[str, str]:
    """The URL, token and user ids the command printed at start."""
    url = cli.expect("emulator at").split(" at ", 1)[1].strip()
    token = cli.expect("token:").split("token:", 1)[1].strip()
    info = {"url": url, "token": token}
    info["bot_api"] = cli.expect("Bot API:").split("Bot API:", 1)[1].strip()
    info["sim"] = cli.expect("simulation:").split("simulation:", 1)[1].split()[0]
    return info


# -- run APP --emulator ------------------------------------------------------------------------


def test_run_example_on_the_emulator_chats_and_stops_on_sigint(cli_processes: list[Cli], http: Any) -> None:
    cli = Cli("run", "examples/chat/counter.py", "--emulator", "--port", "0", "--user", "Alice")
    cli_processes.append(cli)
    info = banner(cli)
    assert info["token"] == "123456789:EMULATOR-token"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", info["url"])
    assert info["bot_api"] == f"{info['url']}/bot{info['token']}/<method>"
    assert info["sim"] == f"{info['url']}/sim/"
    alice = int(cli.expect("user Alice:").rsplit(" ", 1)[1])
    cli.expect("polling")

    assert say(http, info["url"], alice, "hello") == "1"
    assert say(http, info["url"], alice, "again") == "2"
    # the bot runs in the emulator's process: the chat page's panel lists its conversation
    panel = json.loads(http.request("GET", info["url"] + "/chat/api/conversations").data)["result"]
    assert [(c["seed"], c["handler"], c["values"]["state.count"]) for c in panel["conversations"]] == [
        (alice, "MessageCounter", "2")
    ]
    # the conversation is logged as it happens, by default
    cli.expect("[Alice] Alice: hello", stream="stderr")
    cli.expect("[Alice] bot: 1", stream="stderr")
    cli.expect("[Alice] bot: 2", stream="stderr")

    cli.send_signal(signal.SIGINT)
    assert cli.finish() == 0, cli.output()
    assert "SIGINT received: stopping gracefully" in cli.stderr
    assert cli.stdout.rstrip().endswith("Bot stopped.")
    assert "Traceback" not in cli.stderr


def test_run_module_name_with_factory_and_a_token_given(cli_processes: list[Cli], http: Any, tmp_path: Path) -> None:
    (tmp_path / "farewell_bot.py").write_text(FAREWELL_APP.replace("def build(", "def make("))
    cli = Cli("run", "farewell_bot:make", "--emulator", "--port", "0", "--token", "4242:secret-abc",
              "--user", "Bea", cwd=tmp_path, env={"PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])})
    cli_processes.append(cli)
    info = banner(cli)
    assert info["token"] == "4242:secret-abc"
    bea = int(cli.expect("user Bea:").rsplit(" ", 1)[1])
    me = json.loads(http.request("GET", f"{info['url']}/bot4242:secret-abc/getMe").data)
    assert me["result"]["id"] == 4242
    assert say(http, info["url"], bea, "ping") == "echo: ping"
    cli.send_signal(signal.SIGTERM)
    assert cli.finish() == 0, cli.output()
    assert f"on_close {bea}" in cli.stdout


# -- run APP --api-url URL: the emulator in this process, so the user outlives the bot ----------


def test_run_against_an_api_url_closes_conversations_on_sigterm(cli_processes: list[Cli], tmp_path: Path) -> None:
    app = tmp_path / "farewell.py"
    app.write_text(FAREWELL_APP)
    with Emulator(token="555:here-token") as emu:
        carol = emu.sim.create_user("Carol")
        cli = Cli("run", str(app), "--api-url", emu.url, "--token", emu.token)
        cli_processes.append(cli)
        cli.expect(f"polling {emu.url}")
        assert "emulator at" not in cli.stdout  # no emulator of its own

        carol.send("hi")
        assert carol.chat.wait_for_bot_message(timeout=WAIT)["text"] == "echo: hi"

        cli.send_signal(signal.SIGTERM)
        assert cli.finish() == 0, cli.output()
        assert carol.chat.bot_messages()[-1]["text"] == "bye"  # on_close ran before the process exited
        assert f"on_close {carol.id}" in cli.stdout
        assert "SIGTERM received: stopping gracefully" in cli.stderr
        assert "Traceback" not in cli.stderr


def test_token_and_url_from_the_environment_and_debug_output(cli_processes: list[Cli], tmp_path: Path) -> None:
    app = tmp_path / "farewell.py"
    app.write_text(FAREWELL_APP)
    with Emulator(token="556:env-token") as emu:
        cli = Cli("run", str(app), "-vv", env={"BOT_TOKEN": emu.token, "ACTORBOT_API_URL": emu.url})
        cli_processes.append(cli)
        cli.expect(f"polling {emu.url}")
        dan = emu.sim.create_user("Dan")
        dan.send("yo")
        assert dan.chat.wait_for_bot_message(timeout=WAIT)["text"] == "echo: yo"
        cli.send_signal(signal.SIGINT)
        assert cli.finish() == 0, cli.output()
    # -vv logs every request at DEBUG, the token never
    assert "DEBUG   actorbot.api._client: -> sendMessage" in cli.stderr
    assert emu.token not in cli.stdout + cli.stderr


def test_the_emulator_never_takes_the_token_from_the_environment(cli_processes: list[Cli]) -> None:
    cli = Cli("run", "examples/chat/counter.py", "--emulator", "--port", "0", env={"BOT_TOKEN": "999:real-secret"})
    cli_processes.append(cli)
    assert banner(cli)["token"] == "123456789:EMULATOR-token"
    cli.expect("polling")
    cli.send_signal(signal.SIGTERM)
    assert cli.finish() == 0, cli.output()
    assert "real-secret" not in cli.stdout + cli.stderr


def test_a_refused_token_is_a_one_line_error(tmp_path: Path) -> None:
    app = tmp_path / "farewell.py"
    app.write_text(FAREWELL_APP)
    with Emulator(token="557:right-token") as emu:
        done = run_cli("run", str(app), "--api-url", emu.url, "--token", "557:wrong-token")
    assert done.returncode == 1
    assert "cannot reach the bot" in done.stderr and "Unauthorized" in done.stderr
    assert "Traceback" not in done.stderr
    assert "wrong-token" not in done.stderr + done.stdout


def test_a_second_signal_exits_at_once_with_130(cli_processes: list[Cli], tmp_path: Path) -> None:
    app = tmp_path / "stuck.py"
    app.write_text(FAREWELL_APP.replace('self.sender.sendMessage("echo: " + msg["text"])',
                                        'self.sender.sendMessage("stuck"); __import__("threading").Event().wait()'))
    with Emulator() as emu:
        erin = emu.sim.create_user("Erin")
        cli = Cli("run", str(app), "--api-url", emu.url, "--token", emu.token)
        cli_processes.append(cli)
        cli.expect("polling")
        erin.send("hang")
        erin.chat.wait_for_bot_message(timeout=WAIT)  # the handler is now blocked for good
        cli.send_signal(signal.SIGINT)
        cli.expect("SIGINT received: stopping gracefully", stream="stderr")
        cli.send_signal(signal.SIGINT)
        assert cli.finish() == 130, cli.output()
        assert "SIGINT received again" in cli.stderr
        assert "Bot stopped." not in cli.stdout


def test_a_port_in_use_is_a_one_line_error() -> None:
    with Emulator() as busy:
        for args in (["run", "examples/chat/counter.py", "--emulator"], ["emulator"]):
            done = run_cli(*args, "--port", str(busy.port))
            assert done.returncode == 1, done
            assert f"cannot listen on 127.0.0.1:{busy.port}" in done.stderr and "--port 0" in done.stderr
            assert "Traceback" not in done.stderr


# -- mistakes on the command line ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "no/such/bot.py", "--emulator"], "no/such/bot.py: no such file"),
        (["run", "no_such_module_here", "--emulator"], "no_such_module_here: no such file or module"),
        (["run", "examples/chat/counter.py:nothing", "--emulator"], "has no function nothing(token, **bot_kwargs)"),
        (["run", "examples/chat/counter.py"], "no bot token"),
        (["run", "examples/chat/counter.py", "--emulator", "--api-url", "http://127.0.0.1:1"], "leave out --api-url"),
        (["run", "examples/chat/counter.py", "--token", "1:x", "--port", "0", "--user", "A"],
         "--port, --user: options of the emulator; add --emulator"),
        (["run"], "the following arguments are required: APP"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_command_lines_exit_2_with_a_clear_error(args: list[str], message: str) -> None:
    done = run_cli(*args)
    assert done.returncode == 2, done
    assert message in done.stderr
    assert "usage: actorbot" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_factory_that_returns_no_bot(tmp_path: Path) -> None:
    app = tmp_path / "nobot.py"
    app.write_text("def build(token, **bot_kwargs):\n    return None\n")
    done = run_cli("run", str(app), "--emulator", "--port", "0")
    assert done.returncode == 2, done
    assert "the factory returned NoneType, not an actorbot Bot" in done.stderr
    assert "Traceback" not in done.stderr


def test_help_explains_every_option() -> None:
    top = run_cli("--help")
    assert top.returncode == 0
    for word in ("run", "emulator", "--version"):
        assert word in top.stdout
    run = run_cli("run", "--help")
    assert run.returncode == 0
    for option in ("APP", "--emulator", "--token", "--api-url", "--host", "--port", "--bot-username", "--user",
                   "--verbose", "$BOT_TOKEN", "build(token, **bot_kwargs)"):
        assert option in run.stdout
    emulator = run_cli("emulator", "--help")
    assert emulator.returncode == 0
    for option in ("--token", "--host", "--port", "--bot-username", "--user", "--verbose", "/sim/",
                   "123456789:EMULATOR-token"):
        assert option in emulator.stdout
    module = subprocess.run([sys.executable, "-m", "actorbot.emulator", "--help"], cwd=ROOT, check=False,
                            capture_output=True,
                            text=True, timeout=WAIT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert module.returncode == 0
    assert module.stdout.split("\n\n", 1)[1] == emulator.stdout.split("\n\n", 1)[1]  # the same options and words


def test_every_option_has_its_own_help_text() -> None:
    parser, _commands = _cli._build_parser()
    parsers = [parser, _cli._emulator_parser("python -m actorbot.emulator")]
    while parsers:
        each = parsers.pop()
        for action in each._actions:
            assert action.help, (each.prog, action.dest)
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
                assert sorted(action.choices) == ["broadcast", "emulator", "run"]


def test_version() -> None:
    done = run_cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"actorbot {__version__}"


def test_console_script_is_declared(monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``pip install`` reads from setup.cfg: the ``actorbot`` script and the version."""
    setupcfg = pytest.importorskip("setuptools.config.setupcfg")
    monkeypatch.chdir(ROOT)
    config = setupcfg.read_configuration(str(ROOT / "setup.cfg"))
    assert config["metadata"]["version"] == __version__
    scripts = dict(line.replace(" ", "").split("=") for line in config["options"]["entry_points"]["console_scripts"])
    module, _, function = scripts["actorbot"].partition(":")
    assert getattr(importlib.import_module(module), function) is _cli.main
    assert (Path(actorbot.__file__).parent / "__main__.py").is_file()


# -- the emulator alone ----------------------------------------------------------------------------


@pytest.mark.parametrize("module, command", [("actorbot", ["emulator"]), ("actorbot.emulator", [])],
                         ids=["actorbot emulator", "python -m actorbot.emulator"])
def test_emulator_prints_token_and_urls_logs_the_chat_and_stops_on_sigterm(
        module: str, command: list[str], cli_processes: list[Cli], http: Any) -> None:
    cli = Cli(*command, "--port", "0", "--token", "77:cli-token", "--user", "Ann", module=module)
    cli_processes.append(cli)
    info = banner(cli)
    assert info["token"] == "77:cli-token"
    ann = int(cli.expect("user Ann:").rsplit(" ", 1)[1])
    cli.expect("actorbot run APP --api-url")

    me = json.loads(http.request("GET", info["bot_api"].replace("<method>", "getMe")).data)
    assert me["ok"] and me["result"]["id"] == 77
    sim(http, info["url"], "send", user_id=ann, text="anyone there?")
    cli.expect("[Ann] Ann: anyone there?", stream="stderr")
    updates = json.loads(http.request("GET", info["bot_api"].replace("<method>", "getUpdates")).data)
    assert updates["result"][0]["message"]["text"] == "anyone there?"

    cli.send_signal(signal.SIGTERM)
    assert cli.finish() == 0, cli.output()
    assert cli.stdout.rstrip().endswith("Emulator stopped.")
    assert "Traceback" not in cli.stderr
