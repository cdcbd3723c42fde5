"""Micro-benchmark of the HTTP path: one sendMessage after another against a loopback server.

The server is ``benchmarks/fakeapi.js`` (a Node process of its own, so it takes none of
the client's CPU). For each client the benchmark makes ``--requests`` sequential
``sendMessage`` calls on one thread and reports wall time and the client process's CPU
time per call (CPU is what counts on a shared machine: the wall time includes the
server and the scheduler):

- ``raw socket``: a keep-alive socket, ``sendall(head + body)``, a buffered reader parsing
  the status line, the headers and a ``Content-Length`` body, then ``json.loads`` (the floor:
  nothing but the exchange);
- ``http.client``: the standard library, one keep-alive connection, JSON body;
- ``urllib3 pool``: ``HTTPConnectionPool.urlopen`` with a relative path, then ``json.loads``;
- ``urllib3 manager``: ``PoolManager.request`` with the absolute URL, then ``json.loads``;
- ``HttpClient``: ``actorbot.api.HttpClient.request`` (encoding, retries policy, parsing,
  cancellation plumbing): this checkout's, and each ``--baseline`` checkout's.

Usage:

    python benchmarks/http_client.py
    python benchmarks/http_client.py --requests 5000 --baseline /tmp/old-checkout

The rows run interleaved, ``--rounds`` times each, and the best round is shown.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOKEN = "123456:AAbenchmarkTOKENbenchmarkTOKENbench"


def measure(kind: str, url: str, n: int) -> dict[str, float]:
    """Run in a subprocess: ``n`` calls with client ``kind``; µs per call (wall, CPU)."""
    host, port = url.split("//")[1].split(":")
    if kind == "raw socket":
        import socket

        sock = socket.create_connection((host, int(port)))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = sock.makefile("rb")

        def call(i: int) -> None:
            body = json.dumps({"chat_id": 1000, "text": str(i)}).encode()
            head = (f"POST /bot{TOKEN}/sendMessage HTTP/1.1\r\nHost: {host}:{port}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
            sock.sendall(head + body)
            reader.readline()  # status line
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            json.loads(reader.read(length))
    elif kind == "http.client":
        import http.client

        conn = http.client.HTTPConnection(host, int(port))

        def call(i: int) -> None:
            body = json.dumps({"chat_id": 1000, "text": str(i)}).encode()
            conn.request("POST", f"/bot{TOKEN}/sendMessage", body, {"Content-Type": "application/json"})
            json.loads(conn.getresponse().read())
    elif kind in ("urllib3 pool", "urllib3 manager"):
        import urllib3

        headers = {"Content-Type": "application/json"}
        timeout = urllib3.Timeout(connect=10, read=30)
        if kind == "urllib3 pool":
            pool = urllib3.HTTPConnectionPool(host, int(port), maxsize=4, block=True)

            def call(i: int) -> None:
                body = json.dumps({"chat_id": 1000, "text": str(i)}).encode()
                r = pool.urlopen("POST", f"/bot{TOKEN}/sendMessage", body=body, headers=headers,
                                 timeout=timeout, retries=False, redirect=False)
                json.loads(r.data)
        else:
            manager = urllib3.PoolManager(maxsize=4, block=True)

            def call(i: int) -> None:
                body = json.dumps({"chat_id": 1000, "text": str(i)}).encode()
                r = manager.request("POST", f"{url}/bot{TOKEN}/sendMessage", body=body, headers=headers,
                                    timeout=timeout, retries=False, redirect=False)
                json.loads(r.data)
    else:
        from actorbot.api import HttpClient

        client = HttpClient()

        def call(i: int) -> None:
            client.request(url, TOKEN, "sendMessage", {"chat_id": 1000, "text": str(i)})
    for i in range(200):  # warm up: connections, caches
        call(i)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(n):
        call(i)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"wall_us": wall / n * 1e6, "cpu_us": cpu / n * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, action="append", default=[])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, url, n = args.child
        print(json.dumps(measure(kind, url, int(n))))
        return
    server = subprocess.Popen(["node", str(HERE / "fakeapi.js"), "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline() if server.stdout else ""
        url = f"http://127.0.0.1:{int(line.split()[1])}"
        rows = [("raw socket", ROOT), ("http.client", ROOT), ("urllib3 pool", ROOT), ("urllib3 manager", ROOT),
                ("HttpClient", ROOT)]
        rows += [("HttpClient", base.resolve()) for base in args.baseline]
        best: dict[tuple[str, Path], dict[str, float]] = {}
        for _ in range(args.rounds):
            for kind, root in rows:
                env = dict(os.environ, PYTHONPATH=str(root))
                out = subprocess.run([sys.executable, __file__, "--child", kind, url, str(args.requests)],
                                     capture_output=True, text=True, env=env, timeout=300, check=True)
                got = json.loads(out.stdout)
                prev = best.get((kind, root))
                if prev is None or got["cpu_us"] < prev["cpu_us"]:
                    best[(kind, root)] = got
        floor = best[("http.client", ROOT)]["cpu_us"]
        print(f"{args.requests} sequential sendMessage calls, best of {args.rounds} rounds; "
              f"load average {os.getloadavg()[0]:.2f}\n")
        print("| client | wall µs/call | client CPU µs/call | CPU x http.client |")
        print("|---|---|---|---|")
        for kind, root in rows:
            r = best[(kind, root)]
            label = kind if root == ROOT else f"{kind} ({root})"
            print(f"| {label} | {r['wall_us']:.0f} | {r['cpu_us']:.0f} | {r['cpu_us'] / floor:.2f} |")
    finally:
        server.terminate()
        server.wait(5)


if __name__ == "__main__":
    main()
