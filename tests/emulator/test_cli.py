"""``python -m actorbot.emulator`` serves the Bot API and the /sim/ API until terminated."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import urllib3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_module_runs_a_server_with_users():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "actorbot.emulator", "--port", str(port), "--token", "77:cli", "--user", "Ann"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    http = urllib3.PoolManager(retries=urllib3.Retry(connect=50, backoff_factor=0.02, backoff_max=0.2))
    try:
        line = proc.stderr.readline()  # the first log line is written once the server listens
        assert "listening on" in line
        me = json.loads(http.request("GET", f"http://127.0.0.1:{port}/bot77:cli/getMe").data)
        assert me["ok"] and me["result"]["id"] == 77
        printed = [proc.stdout.readline() for _ in range(6)]  # emulator at, token, Bot API, sim, chat, user
        assert printed[1].split() == ["token:", "77:cli"]
        assert printed[4].strip() == f"chat in a browser: http://127.0.0.1:{port}/chat/"
        assert printed[5].startswith("  user Ann: id ")
        user_id = int(printed[5].rsplit(" ", 1)[1])
        http.request("POST", f"http://127.0.0.1:{port}/sim/send", json={"user_id": user_id, "text": "hi"})
        updates = json.loads(http.request("GET", f"http://127.0.0.1:{port}/bot77:cli/getUpdates").data)
        assert updates["result"][0]["message"]["text"] == "hi"
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
        proc.stdout.close()
        proc.stderr.close()
        http.clear()
