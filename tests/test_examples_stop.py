"""Every example, run as a real bot (``BOT_TOKEN`` set; the emulator plays Telegram), stops on
the first Ctrl-C: exit status 0, no traceback, within a couple of seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actorbot.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").rglob("*.py") if "webhook" not in p.parts)


@pytest.mark.parametrize("example", EXAMPLES, ids=[str(p.relative_to(ROOT / "examples")) for p in EXAMPLES])
def test_an_example_stops_on_the_first_ctrl_c(example: Path) -> None:
    with Emulator() as emu:
        env = dict(os.environ, BOT_TOKEN=emu.token, ACTORBOT_API_URL=emu.url, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen([sys.executable, str(example)], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            emu.sim.create_user("Alice").send("/start")
            # handled and confirmed by the next poll: the bot is up and polling
            emu.sim.wait_until(lambda: emu.pending_updates == 0 or proc.poll() is not None, 20,
                               what="the example to fetch and confirm an update")
            assert proc.poll() is None, proc.communicate()
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=15)
            took = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
    assert took < 3.0, f"stopping took {took:.2f} s"
