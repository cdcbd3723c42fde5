"""The webhook app under a real WSGI server (waitress), stopped by real signals.

A person runs ``python app.py`` where ``app.py`` builds a bot, starts an ordered webhook
and serves a :class:`~actorbot.loop.WebhookApp` with ``waitress.serve``. The emulator (in
this process) POSTs updates to it. On SIGINT or SIGTERM the process must stop the bot
gracefully (every conversation's ``on_close`` runs), exit 0, and leave the webhook
registration alone (deleting it is the program's decision, not the library's).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from actorbot import Bot
from actorbot.emulator import Emulator

waitress = pytest.importorskip("waitress", reason="the waitress test needs waitress (pip install waitress)")

ROOT = Path(__file__).resolve().parents[1]

APP = textwrap.dedent(
    """
    import os, sys
    import waitress
    from actorbot import DelegatorBot
    from actorbot.delegate import create_open, pave_event_space, per_chat_id
    from actorbot.helper import ChatHandler
    from actorbot.loop import OrderedWebhook, WebhookApp

    class Counter(ChatHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.count = 0

        def on_chat_message(self, msg):
            self.count += 1
            self.sender.sendMessage(str(self.count))

        def on_close(self, ex):
            print(f"on_close {self.chat_id} after {self.count}", flush=True)

    bot = DelegatorBot(os.environ["BOT_TOKEN"], [
        pave_event_space()(per_chat_id(), create_open, Counter, timeout=300),
    ])
    updates = OrderedWebhook(bot)
    updates.run_as_thread()
    app = WebhookApp(updates, secret_token=os.environ["SECRET"])
    print("serving", flush=True)
    waitress.serve(app, host="127.0.0.1", port=int(os.environ["PORT"]), threads=4, _quiet=True)
    print("waitress returned", flush=True)
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_waitress_app_stops_the_bot_on_a_signal_and_keeps_the_webhook(
    emu: Emulator, tmp_path: Path, signum: int
) -> None:
    port = free_port()
    program = tmp_path / "app.py"
    program.write_text(APP)
    env = dict(os.environ, BOT_TOKEN=emu.token, ACTORBOT_API_URL=emu.url, SECRET="s3cret",
               PORT=str(port), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, str(program)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "serving"
        url = f"http://127.0.0.1:{port}/"
        with Bot(emu.token, api_url=emu.url) as admin:
            assert admin.setWebhook(url, secret_token="s3cret") is True
        alice, bob = emu.sim.create_user("Alice"), emu.sim.create_user("Bob")
        for user in (alice, bob):
            user.send("hi")  # delivered by POST, retried by the emulator until waitress listens
            assert user.chat.wait_for_bot_message(timeout=15)["text"] == "1"
        alice.send("again")
        assert alice.chat.wait_for_bot_message(timeout=15)["text"] == "2"
        sent = time.monotonic()
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=20)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert f"on_close {alice.id} after 2" in out and f"on_close {bob.id} after 1" in out, out + err
    assert "waitress returned" in out
    assert "Traceback" not in err, err
    assert took < 2.5, f"stopping took {took:.2f} s"
    with Bot(emu.token, api_url=emu.url) as admin:
        assert admin.getWebhookInfo()["url"] == url  # still registered
