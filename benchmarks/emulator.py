"""Requests per second the emulator serves on loopback (sendMessage and getUpdates).

    python benchmarks/emulator.py [--threads 2 4] [--processes 1 2] [--seconds 3]
    python benchmarks/emulator.py --clients 40 [--seconds 5]     # Telegram-sized concurrency only

Two kinds of clients, both keep-alive and sending JSON bodies as a modern client does:
``--threads``: urllib3 connection pools, one per thread, in this process (urllib3 costs
~330 us of CPU per request, so on 2 cores this measures the client as much as the server);
``--processes``: a lean client per process writing a prebuilt request on a raw socket
and reading the answer, which measures what the emulator itself can serve.
getUpdates is measured with a queue kept non-empty.
``--clients N``: N client threads at once (Telegram's webhook default is 40 connections,
100 at most), each on a raw socket, sendMessage only; once keeping its connection alive,
once opening a new connection per request (a connection burst). Every failure (a reset,
a refused or closed connection, a wrong answer) is counted, not raised.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import urllib3

from actorbot.emulator import Emulator


def _run(url: str, method: str, body: dict, threads: int, seconds: float) -> float:
    counts = [0] * threads
    stop = threading.Event()
    payload = json.dumps(body).encode()

    parsed = urllib3.util.parse_url(url)
    path = parsed.path + method

    def client(n: int) -> None:
        # one keep-alive connection per thread; HTTPConnectionPool skips PoolManager's per-call URL routing
        pool = urllib3.HTTPConnectionPool(parsed.host, parsed.port, maxsize=1, retries=False)
        headers = {"Content-Type": "application/json"}
        while not stop.is_set():
            response = pool.urlopen("POST", path, body=payload, headers=headers)
            assert response.status == 200, response.data
            counts[n] += 1
        pool.close()

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    stop.wait(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.perf_counter() - start)


def _raw_client(host: str, port: int, request: bytes, seconds: float, out: multiprocessing.Queue[int]) -> None:
    """One keep-alive connection; send ``request``, read one answer, repeat until ``seconds`` pass."""
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = sock.makefile("rb")
    done = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.sendall(request)
        length = 0
        while True:
            line = reader.readline()
            if line in (b"\r\n", b""):
                break
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = reader.read(length)
        assert body.startswith(b'{"ok":true') or body.startswith(b'{"ok": true'), body[:200]
        done += 1
    sock.close()
    out.put(done)


def _run_raw(url: str, method: str, body: dict, processes: int, seconds: float) -> float:
    parsed = urllib3.util.parse_url(url)
    payload = json.dumps(body).encode()
    request = (
        f"POST {parsed.path}{method} HTTP/1.1\r\nHost: {parsed.host}:{parsed.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    results: multiprocessing.Queue[int] = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_raw_client, args=(parsed.host, parsed.port, request, seconds, results))
        for _ in range(processes)
    ]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    total = sum(results.get(timeout=seconds + 30) for _ in workers)
    elapsed = time.perf_counter() - start
    for worker in workers:
        worker.join(10)
    return total / elapsed


def _read_answer(reader: Any) -> bytes:
    length = 0
    while True:
        line = reader.readline()
        if not line:
            raise ConnectionError("closed before an answer")
        if line == b"\r\n":
            break
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return reader.read(length)


def _threads_of(pid: int) -> int | None:
    """Threads of process ``pid`` now; None where /proc is missing."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("Threads:"))
    except (OSError, StopIteration):
        return None


def _run_clients(host: str, port: int, request: bytes, clients: int, seconds: float,
                 reconnect: bool, pid: int) -> tuple[float, int, int, int | None]:
    """``clients`` threads for ``seconds``: (answered per second, answered, failed, server threads at the end)."""
    done = [0] * clients
    failed = [0] * clients
    stop = threading.Event()

    def client(n: int) -> None:
        sock = reader = None
        while not stop.is_set():
            try:
                if sock is None:
                    sock = socket.create_connection((host, port), timeout=30)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    reader = sock.makefile("rb")
                sock.sendall(request)
                body = _read_answer(reader)
                if not body.startswith(b'{"ok":true'):
                    raise ValueError(body[:200])
                done[n] += 1
                if reconnect:
                    reader.close()
                    sock.close()
                    sock = None
            except (OSError, ValueError):
                failed[n] += 1
                if sock is not None:
                    sock.close()
                sock = None
        if sock is not None:
            sock.close()

    workers = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    stop.wait(seconds)
    threads = _threads_of(pid)
    stop.set()
    for worker in workers:
        worker.join()
    return sum(done) / (time.perf_counter() - start), sum(done), sum(failed), threads


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of process ``pid`` so far; None where /proc is missing."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure_clients(url: str, token: str, user_id: int, clients: int, seconds: float, pid: int) -> None:
    parsed = urllib3.util.parse_url(url)
    payload = json.dumps({"chat_id": user_id, "text": "hello"}).encode()
    request = (
        f"POST /bot{token}/sendMessage HTTP/1.1\r\nHost: {parsed.host}:{parsed.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    for reconnect in (False, True):
        cpu = _cpu_seconds(pid)
        rate, answered, failed, threads = _run_clients(parsed.host, parsed.port, request, clients, seconds,
                                                       reconnect, pid)
        after = _cpu_seconds(pid)
        per = ""
        if cpu is not None and after is not None:
            per = f", server CPU {1e6 * (after - cpu) / max(answered, 1):.0f} us/req, {threads} threads"
        kind = "a new connection per request" if reconnect else "keep-alive"
        print(f"sendMessage  {clients} clients, {kind}: {rate:8.0f} req/s  ({answered} answered, {failed} failed{per})")


def _measure(url: str, token: str, user_id: int, threads_list: list[int], processes_list: list[int],
             seconds: float, feed) -> None:
    base = f"{url}/bot{token}/"
    send = {"chat_id": user_id, "text": "hello"}
    poll = {"limit": 1, "timeout": 0}
    for threads in threads_list:
        rate = _run(base, "sendMessage", send, threads, seconds)
        print(f"sendMessage  urllib3 threads={threads}:  {rate:8.0f} req/s")
    for processes in processes_list:
        rate = _run_raw(base, "sendMessage", send, processes, seconds)
        print(f"sendMessage  lean processes={processes}: {rate:8.0f} req/s")
    for threads in threads_list:
        feed()
        rate = _run(base, "getUpdates", poll, threads, seconds)
        print(f"getUpdates   urllib3 threads={threads}:  {rate:8.0f} req/s")
    for processes in processes_list:
        feed()
        rate = _run_raw(base, "getUpdates", poll, processes, seconds)
        print(f"getUpdates   lean processes={processes}: {rate:8.0f} req/s")

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, nargs="*", default=[2, 4])
    parser.add_argument("--processes", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=0,
                        help="only measure N concurrent raw-socket clients (keep-alive, then a connection each)")
    parser.add_argument("--in-process", action="store_true",
                        help="run the emulator in this process (clients then compete with it for the GIL)")
    args = parser.parse_args()
    if args.in_process:
        with Emulator(call_log_size=1000) as emu:
            user = emu.sim.create_user("alice")
            _measure(emu.url, emu.token, user.id, args.threads, [], args.seconds,
                     lambda: [user.send("hi") for _ in range(200)])
        return
    port = 18_000 + int(time.time()) % 1000
    token = "123456789:EMULATOR-token"
    proc = subprocess.Popen([sys.executable, "-m", "actorbot.emulator", "--port", str(port), "--token", token],
                            stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        http = urllib3.PoolManager()
        for _ in range(200):
            try:
                user = json.loads(http.request("POST", url + "/sim/users", json={"first_name": "alice"}).data)["result"]
                break
            except urllib3.exceptions.HTTPError:
                time.sleep(0.05)  # waiting for a child process to listen: nothing to wait on but the port
        else:
            raise SystemExit("emulator did not start")

        def feed() -> None:
            for _ in range(50):
                http.request("POST", url + "/sim/send", json={"user_id": user["id"], "text": "hi"})

        if args.clients:
            _measure_clients(url, token, user["id"], args.clients, args.seconds, proc.pid)
            return
        # keep the update queue non-empty: a feeder thread adds updates while getUpdates drains them
        _measure(url, token, user["id"], args.threads, args.processes, args.seconds, feed)
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
