"""Fuzz: thousands of generated bad requests against a running WebhookServer.

Bytes, nesting, huge numbers, wrong types, unknown kinds, partial and slow
bodies, wrong methods, headers and secrets. Every request must get an answer
below 500 (or, for the few that cannot be framed, a closed connection), the
server's threads stay within their bound, and a good update is handled
afterwards. ``ACTORBOT_FUZZ_COUNT`` changes the number of requests (10,000).
"""

from __future__ import annotations

import json
import os
import random
import socket
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from webhook_client import SECRET, post_update, read_answer, request_bytes, running, text_update

from actorbot.loop import SECRET_HEADER

COUNT = int(os.environ.get("ACTORBOT_FUZZ_COUNT", "10000"))
CLIENTS = 8
WORKERS = 16
SLOW = 8  # slow or partial bodies: each holds a connection until read_timeout


def _junk_json(rng: random.Random) -> bytes:
    choice = rng.randrange(12)
    if choice == 0:
        depth = rng.choice([70, 500, 5000, 50_000])
        return b"[" * depth + b"]" * depth
    if choice == 1:
        depth = rng.choice([70, 300, 3000])
        return b'{"a":' * depth + b"0" + b"}" * depth
    if choice == 2:
        return b'{"update_id": ' + str(rng.choice([10**30, -(10**30), 2**63, 10**4000])).encode() + b"}"
    if choice == 3:
        return (
            b'{"update_id": '
            + rng.choice([b"1e999", b"NaN", b"-Infinity", b"1.5", b'"7"', b"[]", b"null", b"true"])
            + b"}"
        )
    if choice == 4:  # wrong types inside a plausible update
        update = text_update(rng.randrange(1, 50))
        update["message"] = rng.choice([[], "text", 7, None, {"chat": "x"}, {"text": {"a": 1}}])
        return json.dumps(update).encode()
    if choice == 5:  # an unknown kind of update
        return json.dumps({"update_id": rng.randrange(1, 50), f"kind_{rng.randrange(99)}": {"x": 1}}).encode()
    if choice == 6:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    if choice == 7:
        return rng.choice([b"[]", b"1", b'"s"', b"null", b"{", b'{"a":}', b"", b"\xef\xbb\xbf{}", b'{"a": "\\ud800"}'])
    if choice == 8:
        return b'{"update_id": 1, "message": {"text": "' + bytes(rng.randrange(128, 256) for _ in range(20)) + b'"}}'
    if choice == 9:
        return json.dumps({"update_id": None, "message": {}}).encode()
    if choice == 10:
        return json.dumps([text_update(1)] * 3).encode()
    return b'{"update_id": 1, "x": "' + b"a" * rng.randrange(10, 5000) + b'"'


def _junk_request(rng: random.Random) -> tuple[str, bytes]:
    """A kind and the raw bytes of one bad request."""
    kind = rng.randrange(10)
    if kind < 4:
        return "json", request_bytes(_junk_json(rng))
    if kind == 4:
        method = rng.choice(["GET", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "X-JUNK"])
        return "head" if method == "HEAD" else "method", request_bytes(b"{}", method=method)
    if kind == 5:
        secret = rng.choice([None, "", "guess", SECRET + "x", SECRET[:-1], "\xe9\xff" * 10, "a" * 300])
        return "secret", request_bytes(json.dumps(text_update(1)).encode(), secret=secret)
    if kind == 6:
        length = rng.choice(["-1", "abc", "1e3", "99999999999999999999", " ", "0x10", "5, 6"])
        return "length", request_bytes(None, headers={"Content-Length": length}) + b"{}"
    if kind == 7:
        junk = rng.choice(
            [
                {"X-Big": "v" * rng.randrange(20_000, 70_000)},
                {f"X-{i}": "v" for i in range(rng.randrange(101, 300))},
                {"Bad Name": "v"},
                {"Transfer-Encoding": "chunked"},
            ]
        )
        return "headers", request_bytes(b"{}", headers=junk)
    if kind == 8:
        line = rng.choice(
            [
                bytes(rng.randrange(1, 256) for _ in range(rng.randrange(1, 100))) + b"\r\n\r\n",
                b"POST / HTTP/2.0\r\n\r\n",
                b"POST /" + b"a" * 10_000 + b" HTTP/1.1\r\n\r\n",
                b"POST  HTTP/1.1\r\n\r\n",
                b"\r\n\r\n",
            ]
        )
        return "line", line
    big = b"{" + b" " * rng.randrange(2 << 20, 3 << 20) + b"}"
    return "large", request_bytes(None, length=len(big))  # announced only: 413 at once


def _client(url: str, seed: int, count: int, results: Counter[Any], lock: threading.Lock) -> None:
    rng = random.Random(seed)
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    sock: socket.socket | None = None
    local: Counter[Any] = Counter()
    try:
        for _ in range(count):
            kind, raw = _junk_request(rng)
            if sock is None:
                sock = socket.create_connection((host, int(port)), timeout=15)
            try:
                sock.sendall(raw)
                answer = read_answer(sock, head=kind == "head")
            except (ConnectionResetError, BrokenPipeError):
                answer = None  # the server answered and closed before reading all we sent
            if answer is None:
                local[(kind, "closed")] += 1
            else:
                local[(kind, answer.status)] += 1
            if answer is None or answer.headers.get("connection") != "keep-alive":
                sock.close()
                sock = None
    finally:
        if sock is not None:
            sock.close()
        with lock:
            results.update(local)


def _slow(url: str, send: Callable[[socket.socket], None], results: Counter[Any], lock: threading.Lock) -> None:
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        send(sock)
        answer = read_answer(sock)
    with lock:
        results[("slow", answer.status if answer else "closed")] += 1


def test_fuzzed_requests_never_get_a_5xx_and_a_good_update_works_afterwards() -> None:
    results: Counter[Any] = Counter()
    lock = threading.Lock()
    options = {"workers": WORKERS, "read_timeout": 0.5, "idle_timeout": 2.0}
    with running(server_options=options) as (server, _, handler):
        threads = [
            threading.Thread(
                target=_client, args=(server.url, seed, COUNT // CLIENTS, results, lock), name=f"fuzz-{seed}"
            )
            for seed in range(CLIENTS)
        ]

        def partial(sock: socket.socket) -> None:  # announce 100 bytes, send 5, stop writing
            sock.sendall(request_bytes(None, length=100) + b'{"upd')
            sock.shutdown(socket.SHUT_WR)

        def stalled(sock: socket.socket) -> None:  # announce 100 bytes, send 5, then nothing
            sock.sendall(request_bytes(None, length=100) + b'{"upd')

        def slow_head(sock: socket.socket) -> None:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n" + f"{SECRET_HEADER}: {SECRET}\r\n".encode())

        threads += [
            threading.Thread(target=_slow, args=(server.url, send, results, lock), name=f"fuzz-slow-{i}")
            for i, send in enumerate([partial, stalled, slow_head] * (SLOW // 3 + 1))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not any(thread.is_alive() for thread in threads), "a request hung"
        assert server.threads <= WORKERS
        answer = post_update(server.url, text_update(10_000))
        assert answer is not None and answer.status == 200
        assert "m10000" in handler.wait_for(1)
    total = sum(results.values())
    statuses = Counter(status for (_, status), n in results.items() for _ in range(n))
    print(f"\nfuzz: {total} bad requests; answers by status: {dict(sorted(statuses.items(), key=str))}")
    assert total >= COUNT // CLIENTS * CLIENTS
    assert not [key for key in results if isinstance(key[1], int) and key[1] >= 500], results
    # only requests that cannot be framed may end without an answer
    closed = {kind for kind, status in results if status == "closed"}
    assert closed <= {"line", "large", "headers", "length"}, results
    assert results[("slow", 408)] + results[("slow", 400)] == sum(n for (k, _), n in results.items() if k == "slow")
