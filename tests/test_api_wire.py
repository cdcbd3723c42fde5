"""The lean HTTP/1.1 path (actorbot/api/_wire.py) against raw loopback servers whose every byte we choose.

Each test's server is a :class:`RawServer`: an accepting thread and a thread per connection
running the test's ``serve(conn)`` function (a :class:`Conn`, which reads requests and writes
whatever bytes the test wants). The client is a real :class:`HttpClient`; waits are events
and bounded joins, never sleeps.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3

from actorbot import Bot
from actorbot.api import CancelToken, HttpClient, RetryPolicy, _wire
from actorbot.exception import NetworkError, RequestCancelled, TelegramError
from loopback import TOKEN

BIG = 16 * 1024 * 1024  # far above loopback's socket buffers: the write is still going on when the reset comes
WAIT = 5.0


class NoWait:
    """The retry policy's wait: records the delays, never sleeps."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> bool:
        self.waits.append(seconds)
        return False


def ok_body(result: Any = True) -> bytes:
    return json.dumps({"ok": True, "result": result}).encode()


def answer(body: bytes, *headers: str, status: str = "200 OK", version: str = "HTTP/1.1") -> bytes:
    lines = [f"{version} {status}", "Content-Type: application/json", *headers]
    if not any(h.lower().startswith(("content-length", "transfer-encoding")) for h in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Conn:
    """The server's side of one connection (runs on that connection's server thread)."""

    def __init__(self, sock: socket.socket, index: int, server: RawServer) -> None:
        self.sock = sock
        self.index = index  # 0 for the first connection of the server
        self.server = server
        self.reader = sock.makefile("rb")

    def read_head(self) -> tuple[str, dict[str, str]] | None:
        """The request line and headers, or None when the client closed the connection."""
        line = self.reader.readline()
        if not line:
            return None
        headers: dict[str, str] = {}
        while (h := self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = h.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return line.decode("latin-1").rstrip(), headers

    def read_request(self) -> tuple[str, bytes] | None:
        """``(method name, body)`` of the next request (recorded), or None at end of connection."""
        head = self.read_head()
        if head is None:
            return None
        line, headers = head
        body = self.reader.read(int(headers.get("content-length", "0")))
        method = line.split()[1].rsplit("/", 1)[-1]
        self.server.record(method, self.index, body)
        return method, body

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reset(self) -> None:
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def serve_ok(self, result: Any = True) -> None:
        """Answer every request with ``{"ok": true, "result": result}`` until the client closes."""
        while self.read_request() is not None:
            self.send(answer(ok_body(result)))


class RawServer:
    """A raw TCP server on 127.0.0.1: ``serve(conn)`` runs for each accepted connection."""

    def __init__(self, serve: Callable[[Conn], None], tls: ssl.SSLContext | None = None) -> None:
        self.serve = serve
        self.tls = tls
        self.requests: list[tuple[str, int, bytes]] = []  # (method, connection index, body)
        self.connections = 0
        self.open_now = 0
        self.open_max = 0
        self.closed = threading.Event()  # set whenever a connection's serve returns
        self._cond = threading.Condition()
        self._sock = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._socks: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, name="raw-server", daemon=True)
        self._accepting.start()

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def record(self, method: str, index: int, body: bytes) -> None:
        with self._cond:
            self.requests.append((method, index, body))
            self._cond.notify_all()

    def methods(self) -> list[str]:
        with self._cond:
            return [m for m, _, _ in self.requests]

    def wait_requests(self, count: int, timeout: float = WAIT) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.requests) >= count, timeout)

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._sock.accept()
            except OSError:
                return
            with self._cond:
                index = self.connections
                self.connections += 1
                self.open_now += 1
                self.open_max = max(self.open_max, self.open_now)
                self._socks.append(sock)
                thread = threading.Thread(target=self._run, args=(sock, index), name="raw-conn", daemon=True)
                self._threads.append(thread)
            thread.start()

    def _run(self, sock: socket.socket, index: int) -> None:
        try:
            if self.tls is not None:
                sock.settimeout(WAIT)
                sock = self.tls.wrap_socket(sock, server_side=True)
                sock.settimeout(None)
                with self._cond:
                    self._socks.append(sock)
            self.serve(Conn(sock, index, self))
        except (OSError, ValueError):
            pass  # the client went away, or the test cut the connection
        finally:
            try:
                sock.close()
            except OSError:
                pass
            with self._cond:
                self.open_now -= 1
            self.closed.set()

    def stop(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept
        except OSError:
            pass
        self._sock.close()
        self._accepting.join(WAIT)
        with self._cond:
            socks, threads = list(self._socks), list(self._threads)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in threads:
            thread.join(WAIT)


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def make(serve: Callable[[Conn], None], tls: ssl.SSLContext | None = None) -> RawServer:
        servers.append(RawServer(serve, tls))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def client() -> Iterator[HttpClient]:
    c = HttpClient(read_timeout=WAIT)
    yield c
    c.close()


def call(client: HttpClient, url: str, method: str = "sendMessage", **kw: Any) -> Any:
    fields = kw.pop("fields", {"chat_id": 1, "text": "hi"})
    return client.request(url, TOKEN, method, fields, retry=kw.pop("retry", RetryPolicy(wait=NoWait())), **kw)


# -- keep-alive ----------------------------------------------------------------------------------

def test_many_calls_share_one_kept_alive_connection(raw_server, client):
    server = raw_server(lambda conn: conn.serve_ok({"message_id": 1}))
    for _ in range(20):
        assert call(client, server.url) == {"message_id": 1}
    assert server.connections == 1
    assert len(server.requests) == 20


def test_an_idle_connection_the_server_closed_is_replaced_and_the_call_sent_once(raw_server, client):
    def serve(conn: Conn) -> None:
        if conn.read_request() is not None:
            conn.send(answer(ok_body(conn.index)))
            if conn.index == 0:
                conn.sock.shutdown(socket.SHUT_WR)  # FIN on a kept-alive connection
                return
            conn.serve_ok(conn.index)

    server = raw_server(serve)
    assert call(client, server.url) == 0
    assert server.closed.wait(WAIT)
    assert call(client, server.url) == 1
    assert server.methods() == ["sendMessage", "sendMessage"]  # once each
    assert server.connections == 2


def test_connection_close_and_http_1_0_answers_are_not_reused(raw_server, client):
    def serve(conn: Conn) -> None:
        if conn.read_request() is None:
            return
        if conn.index == 0:
            conn.send(answer(ok_body("closing"), "Connection: close"))
        elif conn.index == 1:
            conn.send(answer(ok_body("old"), version="HTTP/1.0"))
        else:
            conn.send(answer(ok_body("kept")))
        while conn.read_request() is not None:  # a client that reused it would be answered here
            conn.send(answer(ok_body("reused")))

    server = raw_server(serve)
    assert [call(client, server.url) for _ in range(4)] == ["closing", "old", "kept", "reused"]
    assert server.connections == 3


def test_an_answer_read_to_close_is_read_whole_and_the_connection_not_reused(raw_server, client):
    def serve(conn: Conn) -> None:
        if conn.read_request() is not None:
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + ok_body("x" * 100_000))
            conn.sock.shutdown(socket.SHUT_WR)

    server = raw_server(serve)
    assert call(client, server.url) == "x" * 100_000
    assert call(client, server.url) == "x" * 100_000
    assert server.connections == 2


# -- answer framing ------------------------------------------------------------------------------

def test_chunked_answers_with_extensions_and_trailers_keep_the_connection(raw_server, client):
    body = ok_body({"text": "chunked"})

    def serve(conn: Conn) -> None:
        while conn.read_request() is not None:
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            pieces = [body[i:i + 7] for i in range(0, len(body), 7)]
            chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
            conn.send(head + chunks + b"0\r\nX-Trailer: yes\r\n\r\n")

    server = raw_server(serve)
    assert call(client, server.url) == {"text": "chunked"}
    assert call(client, server.url) == {"text": "chunked"}
    assert server.connections == 1


def test_interim_1xx_answers_are_skipped(raw_server, client):
    def serve(conn: Conn) -> None:
        while conn.read_request() is not None:
            conn.send(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n")
            conn.send(answer(ok_body("final")))

    server = raw_server(serve)
    assert call(client, server.url) == "final"
    assert call(client, server.url) == "final"
    assert server.connections == 1


def test_a_redirect_is_not_followed(raw_server, client):
    def serve(conn: Conn) -> None:
        while conn.read_request() is not None:
            conn.send(answer(b"moved", "Location: http://elsewhere.invalid/", status="302 Found"))

    server = raw_server(serve)
    from actorbot.exception import BadHTTPResponse

    with pytest.raises(BadHTTPResponse) as info:
        call(client, server.url)
    assert info.value.status == 302
    assert server.methods() == ["sendMessage"]


@pytest.mark.parametrize(
    "reply, expected",
    [
        (b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * (_wire.MAX_LINE + 10) + b"\r\n\r\n", "longer than"),
        (b"HTTP/1.1 200 OK\r\n" + b"X-Many: 1\r\n" * (_wire.MAX_HEADERS + 1) + b"\r\n", "more than"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (_wire.MAX_BODY + 1), "larger than"),
        (b"SSH-2.0-OpenSSH_9.6\r\n", "not an HTTP answer"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: nine\r\n\r\n", "not a number"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"ok\"", "IncompleteRead"),
        (b"HTTP/1.1 200 OK\r\nbroken header line\r\n\r\n", "malformed"),
    ],
    ids=["long-header-line", "too-many-headers", "huge-content-length", "garbage", "bad-length",
         "bad-chunk", "short-body", "malformed-header"],
)
def test_a_bad_or_oversized_answer_is_a_clear_maybe_sent_error(raw_server, client, reply, expected):
    def serve(conn: Conn) -> None:
        if conn.read_request() is not None:
            conn.send(reply)
            conn.sock.shutdown(socket.SHUT_WR)
            while conn.reader.read1(65536):  # until the client hangs up
                pass

    server = raw_server(serve)
    started = time.monotonic()
    with pytest.raises(NetworkError) as info:
        call(client, server.url)
    assert time.monotonic() - started < 2.0  # never a wait for the read timeout
    assert info.value.sent is True
    assert expected in str(info.value)
    assert isinstance(info.value.__cause__, urllib3.exceptions.ProtocolError)
    assert server.methods() == ["sendMessage"]  # not resent


def test_bodies_beyond_the_limit_are_refused_however_they_are_framed(raw_server, client, monkeypatch):
    monkeypatch.setattr(_wire, "MAX_BODY", 1000)
    big = b"x" * 5000

    def serve(conn: Conn) -> None:
        if conn.read_request() is not None:
            if conn.index == 0:
                conn.send(b"HTTP/1.1 200 OK\r\n\r\n" + big)  # read to close
            else:
                conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          + b"200\r\n" + b"x" * 0x200 + b"\r\n" + b"200\r\n" + b"x" * 0x200 + b"\r\n0\r\n\r\n")
            conn.sock.shutdown(socket.SHUT_WR)

    server = raw_server(serve)
    for _ in range(2):
        with pytest.raises(NetworkError, match="larger than the 1000 bytes allowed"):
            call(client, server.url)


def test_the_token_never_appears_in_an_error_about_an_echoing_server(raw_server, client):
    def serve(conn: Conn) -> None:
        head = conn.read_head()
        if head is not None:
            conn.send(head[0].encode() + b"\r\n\r\n")  # echoes "POST /bot<token>/sendMessage HTTP/1.1"

    server = raw_server(serve)
    with pytest.raises(NetworkError) as info:
        call(client, server.url)
    texts = [str(info.value), repr(info.value), str(info.value.__cause__), repr(info.value.__cause__)]
    assert all(TOKEN not in t for t in texts)


# -- not sent vs maybe sent ----------------------------------------------------------------------

def test_a_reset_while_the_body_is_written_is_resent_once_on_a_new_connection(raw_server):
    def serve(conn: Conn) -> None:
        if conn.index == 0:
            if conn.read_head() is not None:
                conn.reset()  # its body is still coming
            return
        conn.serve_ok({"message_id": 7})

    server = raw_server(serve)
    wait = NoWait()
    with Bot(TOKEN, api_url=server.url, retry=RetryPolicy(wait=wait)) as bot:
        assert bot.sendDocument(7, ("big.bin", io.BytesIO(b"x" * BIG))) == {"message_id": 7}
    assert server.methods() == ["sendDocument"]  # received whole exactly once
    assert server.connections == 2
    assert wait.waits == []


def test_a_reset_after_the_whole_request_was_written_is_not_resent(raw_server, client):
    def serve(conn: Conn) -> None:
        if conn.read_request() is not None:
            conn.reset()

    server = raw_server(serve)
    wait = NoWait()
    with pytest.raises(NetworkError) as info:
        call(client, server.url, retry=RetryPolicy(wait=wait))
    assert info.value.sent is True
    assert isinstance(info.value.__cause__, urllib3.exceptions.ProtocolError)
    assert server.methods() == ["sendMessage"]
    assert server.connections == 1 and wait.waits == []


def test_an_early_answer_sent_while_the_request_is_still_written_is_read(raw_server):
    refusal = json.dumps({"ok": False, "error_code": 413, "description": "Request Entity Too Large"}).encode()

    def serve(conn: Conn) -> None:
        if conn.read_head() is not None:
            conn.send(answer(refusal, "Connection: close", status="413 Request Entity Too Large"))
            conn.sock.shutdown(socket.SHUT_WR)
            # unread body left behind: closing now resets the connection under the client's write

    server = raw_server(serve)
    with Bot(TOKEN, api_url=server.url, retry=RetryPolicy(wait=NoWait())) as bot:
        with pytest.raises(TelegramError) as info:
            bot.sendDocument(7, ("big.bin", io.BytesIO(b"x" * BIG)))
    assert info.value.error_code == 413
    assert server.connections == 1


def test_a_read_timeout_is_a_maybe_sent_network_error(raw_server):
    release = threading.Event()

    def serve(conn: Conn) -> None:
        if conn.read_request() is not None:
            release.wait(WAIT)

    server = raw_server(serve)
    client = HttpClient(read_timeout=0.2)
    try:
        with pytest.raises(NetworkError) as info:
            call(client, server.url)
    finally:
        release.set()
        client.close()
    assert info.value.sent is True
    assert isinstance(info.value.__cause__, urllib3.exceptions.ReadTimeoutError)
    assert server.methods() == ["sendMessage"]


def test_a_refused_connection_is_not_sent_and_names_no_token():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = HttpClient()
    wait = NoWait()
    with pytest.raises(NetworkError) as info:
        call(client, f"http://127.0.0.1:{port}", retry=RetryPolicy(wait=wait))
    assert info.value.sent is False
    assert isinstance(info.value.__cause__, urllib3.exceptions.NewConnectionError)
    assert wait.waits == [0.5, 1.0, 2.0]
    assert TOKEN not in str(info.value)


# -- cancellation --------------------------------------------------------------------------------

def test_cancelling_a_held_long_poll_from_another_thread_returns_at_once(raw_server, client):
    release = threading.Event()

    def serve(conn: Conn) -> None:
        if conn.read_request() is not None:
            release.wait(WAIT)

    server = raw_server(serve)
    token = CancelToken()
    outcome: list[BaseException] = []

    def poll() -> None:
        try:
            call(client, server.url, "getUpdates", fields={"timeout": 30}, timeout=40.0, cancel=token)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            outcome.append(exc)

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        assert server.wait_requests(1)
        started = time.monotonic()
        token.cancel()
        thread.join(WAIT)
        assert not thread.is_alive()
        assert time.monotonic() - started < 1.0
    finally:
        release.set()
        thread.join(WAIT)
    assert len(outcome) == 1 and isinstance(outcome[0], RequestCancelled)
    assert outcome[0].sent is True


def test_a_token_cancelled_while_connecting_cuts_the_socket_as_soon_as_it_exists(raw_server, client, monkeypatch):
    server = raw_server(lambda conn: conn.serve_ok())
    token = CancelToken()
    real_connect = _wire.create_connection

    def connect_then_cancel(*args: Any, **kwargs: Any) -> socket.socket:
        sock = real_connect(*args, **kwargs)
        token.cancel()  # as if stop() came while the connection was being made
        return sock

    monkeypatch.setattr(_wire, "create_connection", connect_then_cancel)
    with pytest.raises(RequestCancelled) as info:
        call(client, server.url, cancel=token)
    assert info.value.sent is False
    assert server.methods() == []


def answers_once_released(release: threading.Event, text: str) -> Callable[[Conn], None]:
    """A server that answers each request ``text`` once ``release`` is set."""

    def serve(conn: Conn) -> None:
        while conn.read_request() is not None:
            release.wait(WAIT)
            conn.send(answer(ok_body(text)))

    return serve


def test_a_call_waiting_for_a_free_connection_is_cancelled_at_once(raw_server):
    release = threading.Event()
    server = raw_server(answers_once_released(release, "late"))
    client = HttpClient(pool_size=1)
    token = CancelToken()
    outcome: list[Any] = []
    holder = threading.Thread(target=lambda: outcome.append(call(client, server.url)))
    waiter_done = threading.Event()

    def waiter() -> None:
        try:
            call(client, server.url, cancel=token)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            outcome.append(exc)
        waiter_done.set()

    waiting = threading.Thread(target=waiter)
    try:
        holder.start()
        assert server.wait_requests(1)
        waiting.start()
        assert not waiter_done.wait(0.2)  # it waits for the one connection
        token.cancel()
        assert waiter_done.wait(1.0)
    finally:
        release.set()
        holder.join(WAIT)
        waiting.join(WAIT)
        client.close()
    cancelled = [o for o in outcome if isinstance(o, BaseException)]
    assert len(cancelled) == 1 and isinstance(cancelled[0], RequestCancelled) and cancelled[0].sent is False
    assert "late" in outcome
    assert server.methods() == ["sendMessage"]


# -- the pool ------------------------------------------------------------------------------------

def test_the_pool_bound_holds_under_concurrency_and_connections_are_reused(raw_server):
    release = threading.Event()
    server = raw_server(answers_once_released(release, "ok"))
    client = HttpClient(pool_size=3)
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(call(client, server.url))) for _ in range(12)]
    try:
        for t in threads:
            t.start()
        assert server.wait_requests(3)
        assert not server.wait_requests(4, timeout=0.3)  # nobody opens a fourth connection
    finally:
        release.set()
        for t in threads:
            t.join(WAIT)
        client.close()
    assert results == ["ok"] * 12
    assert server.open_max <= 3 and server.connections == 3


def test_a_pool_timeout_is_a_not_sent_error(raw_server):
    release = threading.Event()

    def serve(conn: Conn) -> None:
        while conn.read_request() is not None:
            release.wait(WAIT)
            conn.send(answer(ok_body("first")))

    server = raw_server(serve)
    client = HttpClient(pool_size=1, pool_timeout=0.1)
    got: list[Any] = []
    holder = threading.Thread(target=lambda: got.append(call(client, server.url)))
    try:
        holder.start()
        assert server.wait_requests(1)
        with pytest.raises(NetworkError) as info:
            call(client, server.url, retry=RetryPolicy(wait=NoWait(), connect_retries=1))
        assert info.value.sent is False
        assert isinstance(info.value.__cause__, urllib3.exceptions.EmptyPoolError)
    finally:
        release.set()
        holder.join(WAIT)
        client.close()
    assert got == ["first"] and server.methods() == ["sendMessage"]


def test_close_while_calls_are_in_flight(raw_server):
    release = threading.Event()

    def serve(conn: Conn) -> None:
        while conn.read_request() is not None:
            if conn.index == 0:
                release.wait(WAIT)
            conn.send(answer(ok_body(conn.index)))

    server = raw_server(serve)
    client = HttpClient()
    got: list[Any] = []
    flight = threading.Thread(target=lambda: got.append(call(client, server.url)))
    try:
        flight.start()
        assert server.wait_requests(1)
        client.close()  # the call in flight keeps its connection until it returns
        release.set()
        flight.join(WAIT)
        assert got == [0]
        assert server.closed.wait(WAIT)  # ...which is then closed, not kept
        assert call(client, server.url) == 1  # and the next call opens a new one
    finally:
        release.set()
        flight.join(WAIT)
        client.close()
    assert server.connections == 2


# -- HTTPS ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def localhost_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for ``localhost`` (only): ``(cert, key)`` PEM files."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a certificate")
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-addext", "basicConstraints=critical,CA:TRUE",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


@pytest.fixture
def tls_server(raw_server, localhost_cert) -> RawServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*localhost_cert)
    return raw_server(lambda conn: conn.serve_ok({"secure": True}), tls=context)


def test_https_to_a_trusted_certificate_works_and_keeps_the_connection(tls_server, localhost_cert, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(localhost_cert[0]))  # the default CA loading honours it
    client = HttpClient()
    try:
        for _ in range(3):
            assert call(client, f"https://localhost:{tls_server.port}") == {"secure": True}
    finally:
        client.close()
    assert tls_server.connections == 1


@pytest.mark.parametrize("case", ["wrong-hostname", "untrusted"])
def test_https_with_a_certificate_that_does_not_verify_is_not_sent(tls_server, localhost_cert, monkeypatch, case):
    if case == "wrong-hostname":
        monkeypatch.setenv("SSL_CERT_FILE", str(localhost_cert[0]))
        url = f"https://127.0.0.1:{tls_server.port}"  # the certificate names localhost only
    else:
        monkeypatch.setenv("SSL_CERT_FILE", os.devnull)
        monkeypatch.setenv("SSL_CERT_DIR", os.devnull)
        url = f"https://localhost:{tls_server.port}"
    client = HttpClient()
    try:
        with pytest.raises(NetworkError) as info:
            call(client, url, retry=RetryPolicy(wait=NoWait(), connect_retries=0))
    finally:
        client.close()
    assert info.value.sent is False
    assert "TLS handshake" in str(info.value) and "certificate verify failed" in str(info.value)
    assert isinstance(info.value.__cause__, urllib3.exceptions.NewConnectionError)
    assert isinstance(info.value.__cause__.__cause__, ssl.SSLCertVerificationError)
    assert tls_server.requests == []
