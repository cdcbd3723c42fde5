"""Connection resets against a real loopback server: resent on a new connection only when
the request cannot have reached the server."""

from __future__ import annotations

import io
import json
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from actorbot import Bot
from actorbot.api import RetryPolicy
from actorbot.exception import NetworkError
from loopback import TOKEN

BIG = 16 * 1024 * 1024  # far above loopback's socket buffers: the write is still going on when the reset comes


class ResettingServer:
    """A raw HTTP/1.1 server on 127.0.0.1 that does, on its n-th connection, what ``plan[n]`` says.

    ``"head"``: read the request head, then reset the connection while its body is still coming;
    ``"full"``: read the whole request, then reset without answering;
    ``"idle"``: answer one request (keep-alive), then close the connection;
    ``"ok"`` (and every connection past the plan): answer every request.
    Threads: an accepting thread and one per connection, all joined by :meth:`stop`.
    """

    def __init__(self, plan: list[str]) -> None:
        self.plan = plan
        self.completed: list[str] = []  # methods of the requests read whole
        self.connections = 0
        self.idle_closed = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._accepting = threading.Thread(target=self._accept, name="resetting-server", daemon=True)
        self._accepting.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                mode = self.plan[self.connections] if self.connections < len(self.plan) else "ok"
                self.connections += 1
                self._conns.append(conn)
                thread = threading.Thread(target=self._serve, args=(conn, mode), name="resetting-conn", daemon=True)
                self._threads.append(thread)
            thread.start()

    @staticmethod
    def _reset(conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    def _serve(self, conn: socket.socket, mode: str) -> None:
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, _, buf = buf.partition(b"\r\n\r\n")
                if mode == "head":
                    self._reset(conn)
                    return
                method = head.split(b" ", 2)[1].rsplit(b"/", 1)[-1].decode()
                length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                while len(buf) < length:
                    chunk = conn.recv(1 << 20)
                    if not chunk:
                        return
                    buf += chunk
                buf = buf[length:]
                with self._lock:
                    self.completed.append(method)
                if mode == "full":
                    self._reset(conn)
                    return
                body = json.dumps({"ok": True, "result": {"message_id": len(self.completed)}}).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
                if mode == "idle":  # close the kept-alive connection: the client's next call must not use it
                    conn.shutdown(socket.SHUT_WR)
                    self.idle_closed.set()
                    while conn.recv(65536):
                        pass
                    return
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept (close alone does not)
        except OSError:
            pass
        self._sock.close()
        with self._lock:
            conns, threads = list(self._conns), list(self._threads)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._accepting.join(5)
        for thread in threads:
            thread.join(5)


@pytest.fixture
def server_factory() -> Iterator[Any]:
    servers: list[ResettingServer] = []

    def make(plan: list[str]) -> ResettingServer:
        servers.append(ResettingServer(plan))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


def bot_for(server: ResettingServer) -> tuple[Bot, list[float]]:
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        return False

    return Bot(TOKEN, api_url=server.url, retry=RetryPolicy(wait=wait)), waits


def test_a_reset_while_the_request_is_written_is_sent_again_at_once_on_a_new_connection(server_factory):
    server = server_factory(["head"])
    bot, waits = bot_for(server)
    with bot:
        sent = bot.sendDocument(7, ("big.bin", io.BytesIO(b"x" * BIG)))
    assert sent == {"message_id": 1}
    assert server.completed == ["sendDocument"]  # received whole exactly once
    assert server.connections == 2
    assert waits == []  # a broken connection is replaced at once: no backoff


def test_resets_while_writing_are_retried_boundedly_then_reported_as_not_sent(server_factory):
    server = server_factory(["head"] * 10)
    bot, waits = bot_for(server)
    with bot, pytest.raises(NetworkError) as info:
        bot.sendDocument(7, ("big.bin", io.BytesIO(b"x" * BIG)))
    assert info.value.sent is False
    assert server.completed == []
    assert waits == [0.5, 1.0, 2.0]  # once at once, then connect_retries with backoff
    assert server.connections == 5


def test_a_reset_after_the_whole_request_was_written_is_not_sent_again(server_factory):
    server = server_factory(["full"])
    bot, waits = bot_for(server)
    with bot, pytest.raises(NetworkError) as info:
        bot.sendMessage(7, "exactly once")
    assert info.value.sent is True
    assert server.completed == ["sendMessage"]
    assert server.connections == 1 and waits == []


def test_a_kept_alive_connection_the_server_closed_is_replaced(server_factory):
    server = server_factory(["idle"])
    bot, waits = bot_for(server)
    with bot:
        assert bot.sendMessage(7, "first") == {"message_id": 1}
        assert server.idle_closed.wait(5)
        assert bot.sendMessage(7, "second") == {"message_id": 2}
    assert server.completed == ["sendMessage", "sendMessage"]
    assert server.connections == 2 and waits == []
