"""Fixtures for the emulator's tests: a started emulator and a plain urllib3 client for it."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from emukit import TOKEN, Client

from actorbot.emulator import Emulator


@pytest.fixture
def emu():
    emulator = Emulator(TOKEN, webhook_retry_delay=0.02).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def api(emu):
    client = Client(emu)
    yield client
    client.http.clear()


@pytest.fixture
def alice(emu):
    return emu.sim.create_user("alice", username="alice_x")


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1 that records POSTs and answers from a script."""

    server: ThreadingHTTPServer
    thread: threading.Thread
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in order; 200 once exhausted
    reply: dict[str, Any] | None = None
    cond: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.received) >= count, timeout), self.received
            return [body for _headers, body in self.received]


@pytest.fixture
def receiver():
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            rec = box["r"]
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with rec.cond:
                status = rec.statuses.pop(0) if rec.statuses else 200
                if status == 200:
                    rec.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                rec.cond.notify_all()
                reply = rec.reply if status == 200 else None
                rec.reply = None if reply else rec.reply
            data = json.dumps(reply).encode() if reply else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    box["r"] = Receiver(server, thread)
    thread.start()
    try:
        yield box["r"]
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
