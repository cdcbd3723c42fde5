"""The emulator under load: connection bursts and many keep-alive clients are all answered by a
bounded number of threads, stop() ends every connection and thread, and webhook delivery uses
up to max_connections connections at once."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from emukit import TOKEN

from actorbot.emulator import Emulator

WORKERS = 8


def emulator_threads(prefix: str = "emulator-conn") -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith(prefix))


def port_of(emu: Emulator) -> int:
    return int(emu.url.rsplit(":", 1)[1])


def request_bytes(emu: Emulator, chat_id: int, text: str, *, close: bool) -> bytes:
    body = json.dumps({"chat_id": chat_id, "text": text}).encode()
    return (
        f"POST /bot{TOKEN}/sendMessage HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: {'close' if close else 'keep-alive'}\r\n\r\n"
    ).encode() + body


def read_answer(reader: Any) -> tuple[int, dict[str, Any]]:
    status = int(reader.readline().split()[1])
    length = 0
    while (line := reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return status, json.loads(reader.read(length))


def run_clients(count: int, client: Any) -> list[BaseException]:
    """Run ``client(n)`` on ``count`` threads released at once; the exceptions they raised."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def body(n: int) -> None:
        try:
            start.wait(10)
            client(n)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(n,), name=f"client-{n}") for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads)
    return errors


@pytest.fixture
def small():
    """An emulator with few HTTP workers, so that load exceeds them."""
    emulator = Emulator(TOKEN, http_workers=WORKERS).start()
    try:
        yield emulator
    finally:
        emulator.stop()


def test_a_burst_of_1280_sends_each_on_a_new_connection_is_all_answered_by_bounded_threads(small):
    alice = small.sim.create_user("alice")
    port = port_of(small)
    answers: list[int] = []
    most_threads: list[int] = []

    def client(n: int) -> None:
        for k in range(20):
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock, sock.makefile("rb") as reader:
                sock.sendall(request_bytes(small, alice.id, f"{n}-{k}", close=True))
                status, answer = read_answer(reader)
                assert status == 200 and answer["ok"], answer
                answers.append(answer["result"]["message_id"])
                most_threads.append(emulator_threads())

    assert run_clients(64, client) == []
    assert len(answers) == 1280 and len(set(answers)) == 1280  # every send answered, once
    assert len(small.calls("sendMessage")) == 1280
    assert sorted(m["text"] for m in alice.chat.messages()) == sorted(f"{n}-{k}" for n in range(64) for k in range(20))
    assert max(most_threads) <= WORKERS


def test_more_keep_alive_clients_than_workers_are_all_served(small):
    alice = small.sim.create_user("alice")
    port = port_of(small)
    answered = [0] * 40
    most_threads: list[int] = []

    def client(n: int) -> None:  # one connection kept alive for 32 sends: idle connections hold no thread
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock, sock.makefile("rb") as reader:
            for k in range(32):
                sock.sendall(request_bytes(small, alice.id, f"{n}-{k}", close=False))
                status, answer = read_answer(reader)
                assert status == 200 and answer["ok"], answer
                answered[n] += 1
                most_threads.append(emulator_threads())

    assert run_clients(40, client) == []
    assert answered == [32] * 40
    assert len(alice.chat.messages()) == 40 * 32
    assert max(most_threads) <= WORKERS


def test_stop_closes_idle_and_busy_connections_and_joins_every_thread():
    emu = Emulator(TOKEN, http_workers=WORKERS).start()
    alice = emu.sim.create_user("alice")
    port = port_of(emu)
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(20)]
    served = idle[0].makefile("rb")
    idle[0].sendall(request_bytes(emu, alice.id, "kept alive", close=False))
    assert read_answer(served)[0] == 200
    poll = socket.create_connection(("127.0.0.1", port), timeout=10)
    body = b'{"timeout": 30}'
    poll.sendall(f"POST /bot{TOKEN}/getUpdates HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    emu.sim.wait_until(lambda: emu.world.poll_generation >= 1, what="the long poll under way")
    try:
        emu.stop()
        assert emulator_threads("emulator-") == 0
        for sock in [*idle[1:], poll]:
            while sock.recv(65536):  # the long poll may be answered first; then the end
                pass
        assert served.read() == b""
    finally:
        served.close()
        for sock in [*idle, poll]:
            sock.close()


class _Hook:
    """A webhook endpoint that holds every delivery until released, counting those held at once."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.release = threading.Event()
        self.held = 0
        self.most = 0
        self.texts: list[str] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                update = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with hook.cond:
                    hook.held += 1
                    hook.most = max(hook.most, hook.held)
                    hook.cond.notify_all()
                hook.release.wait(10)
                with hook.cond:
                    hook.held -= 1
                    hook.texts.append(update["message"]["text"])
                    hook.cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # up to 100 connections at once: none waits for a SYN retransmit
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.thread.join(5)
        self.server.server_close()


@pytest.mark.parametrize("max_connections", [None, 5, 100])
def test_webhook_delivers_on_up_to_max_connections_at_once(emu, api, max_connections):
    expected = max_connections or 40  # Telegram's default
    users = [emu.sim.create_user(f"u{n}") for n in range(expected + 10)]
    hook = _Hook()
    try:
        params = {} if max_connections is None else {"max_connections": max_connections}
        api.ok("setWebhook", url=hook.url, **params)
        for user in users:
            user.send(f"from {user.id}")
        with hook.cond:
            assert hook.cond.wait_for(lambda: hook.held == expected, 10), hook.held
        assert emulator_threads("emulator-webhook") <= expected
        hook.release.set()
        with hook.cond:
            assert hook.cond.wait_for(lambda: len(hook.texts) == len(users), 10), len(hook.texts)
        emu.sim.wait_until(lambda: not emu.world.pending, what="every delivery acknowledged")
        assert hook.most == expected
        assert sorted(hook.texts) == sorted(f"from {user.id}" for user in users)
        assert "last_error_message" not in api.ok("getWebhookInfo")
    finally:
        api.ok("deleteWebhook")
        hook.close()
