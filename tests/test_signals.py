"""Real signals to a real bot process: the first stops it gracefully, the second at once.

Each test runs a small bot program in a subprocess against an emulator in this process
(``$ACTORBOT_API_URL``), talks to it as a simulated user, sends it SIGINT or SIGTERM,
and checks what a person running it would see: the exit status, ``on_close`` having
run (its output), and stderr.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from actorbot.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]  # this checkout's actorbot, whatever is installed

PROGRAM = textwrap.dedent(
    """
    import os, sys, threading, time
    from actorbot import DelegatorBot
    from actorbot.delegate import create_open, pave_event_space, per_chat_id
    from actorbot.helper import ChatHandler
    from actorbot.loop import MessageLoop

    NEVER = threading.Event()

    class Counter(ChatHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.count = 0

        def on_chat_message(self, msg):
            self.count += 1
            if msg.get("text") == "block":
                self.sender.sendMessage("blocking")
                NEVER.wait()
            self.sender.sendMessage(str(self.count))

        def on_close(self, ex):
            print(f"on_close {self.chat_id} after {self.count}", flush=True)

    bot = DelegatorBot(
        os.environ["BOT_TOKEN"],
        [pave_event_space()(per_chat_id(), create_open, Counter, timeout=300)],
        stop_grace=float(os.environ.get("GRACE", "10")),
    )
    idiom = sys.argv[1]
    if idiom == "message_loop":
        bot.message_loop(run_forever="Listening...")
    elif idiom == "run_forever":
        MessageLoop(bot).run_forever()
    elif idiom == "run_as_thread":
        MessageLoop(bot).run_as_thread()
        while 1:
            time.sleep(10)
    print("main returned", flush=True)
    """
)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


class BotProcess:
    def __init__(self, emu: Emulator, program: Path, idiom: str, grace: float = 10.0) -> None:
        env = dict(os.environ, BOT_TOKEN=emu.token, ACTORBOT_API_URL=emu.url, GRACE=str(grace), PYTHONPATH=str(ROOT))
        env.pop("PYTHONWARNINGS", None)
        self.proc = subprocess.Popen(
            [sys.executable, str(program), idiom],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def signal(self, signum: int) -> float:
        self.proc.send_signal(signum)
        return time.monotonic()

    def finish(self, timeout: float = 20.0) -> tuple[int, str, str]:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            pytest.fail(f"the bot did not exit within {timeout} s\nstdout:\n{out}\nstderr:\n{err}")
        return self.proc.returncode, out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "bot.py"
    path.write_text(PROGRAM)
    return path


def wait_for_stderr_line(proc: subprocess.Popen[str], needle: str, timeout: float = 10.0) -> list[str]:
    """Read stderr lines (blocking reads; the process writes them) until one contains ``needle``."""
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    pytest.fail(f"no stderr line with {needle!r}: {lines}")


@pytest.mark.parametrize("idiom", ["message_loop", "run_forever", "run_as_thread"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_first_signal_stops_gracefully_and_exits_0(
    emu: Emulator, program: Path, idiom: str, signum: int
) -> None:
    bot = BotProcess(emu, program, idiom)
    try:
        alice, bob = emu.sim.create_user("Alice"), emu.sim.create_user("Bob")
        for user in (alice, bob):
            user.send("hi")
            assert user.chat.wait_for_bot_message(timeout=15)["text"] == "1"
        alice.send("again")
        assert alice.chat.wait_for_bot_message(timeout=15)["text"] == "2"
        sent = bot.signal(signum)
        rc, out, err = bot.finish()
        took = time.monotonic() - sent
    finally:
        bot.kill()
    assert rc == 0, err
    assert f"on_close {alice.id} after 2" in out and f"on_close {bob.id} after 1" in out, out
    assert "Traceback" not in err, err
    assert f"{signal.Signals(signum).name} received: stopping gracefully" in err
    assert took < 2.5, f"stopping took {took:.2f} s"
    # The handled updates were confirmed: nothing waits to be delivered again.
    assert emu.pending_updates == 0


def test_a_second_signal_exits_at_once(emu: Emulator, program: Path) -> None:
    bot = BotProcess(emu, program, "run_as_thread", grace=60)
    try:
        alice = emu.sim.create_user("Alice")
        alice.send("block")
        assert alice.chat.wait_for_bot_message(timeout=15)["text"] == "blocking"
        bot.signal(signal.SIGINT)
        wait_for_stderr_line(bot.proc, "stopping gracefully")
        sent = bot.signal(signal.SIGINT)
        rc, out, err = bot.finish()
        took = time.monotonic() - sent
    finally:
        bot.kill()
    assert rc == 128 + signal.SIGINT
    assert "SIGINT received again: exiting now" in err
    assert "on_close" not in out  # the blocked conversation never finished
    assert took < 2.5


def test_a_handler_still_busy_after_the_grace_period_is_abandoned_with_a_warning(
    emu: Emulator, program: Path
) -> None:
    bot = BotProcess(emu, program, "run_forever", grace=1.0)
    try:
        alice, bob = emu.sim.create_user("Alice"), emu.sim.create_user("Bob")
        bob.send("hi")
        assert bob.chat.wait_for_bot_message(timeout=15)["text"] == "1"
        alice.send("block")
        assert alice.chat.wait_for_bot_message(timeout=15)["text"] == "blocking"
        sent = bot.signal(signal.SIGTERM)
        rc, out, err = bot.finish()
        took = time.monotonic() - sent
    finally:
        bot.kill()
    assert rc == 0, err
    assert f"on_close {bob.id} after 1" in out
    assert f"on_close {alice.id}" not in out
    assert f"conversation {alice.id!r}" in err and "grace period (1 s) ended: abandoned" in err, err
    assert "main returned" in out
    assert took < 4.0, err
