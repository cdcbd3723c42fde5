"""Webhook benchmark: updates/s through WebhookServer + WebhookApp + OrderedWebhook, 40 concurrent deliveries.

Telegram delivers a bot's updates over up to ``max_connections`` (default 40)
concurrent HTTPS connections. This benchmark plays Telegram on loopback: 40
sender threads, each on its own keep-alive connection (``http.client``, which
reconnects when the server closes), take the next ``update_id`` from a shared
counter and POST it, retrying (as Telegram does) on a connection error or a
non-2xx answer. The bot side is an ``OrderedWebhook`` with a handler that only
records the ids, behind ``WebhookApp`` (with a secret token) and ``WebhookServer``.

It reports updates/s (from the first send to the last 200), the retries the
senders needed, the out-of-order handler calls, and the slowest answer.

Measure another checkout (e.g. the code before a change) with ``--checkout``:

    python benchmarks/webhook.py                          # this checkout
    python benchmarks/webhook.py --checkout /path/to/old  # runs in a subprocess with PYTHONPATH set
    python benchmarks/webhook.py --updates 4000 --connections 40

Only the API common to old and new versions is used.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

SECRET = "benchmark_secret_token"


def update(update_id: int) -> bytes:
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1700000000,
                "chat": {"id": 1000 + update_id % 500, "type": "private"},
                "from": {"id": 1000 + update_id % 500, "is_bot": False, "first_name": "Ann"},
                "text": f"message {update_id}",
            },
        }
    ).encode()


def run(updates: int, connections: int) -> dict[str, Any]:
    from actorbot.loop import OrderedWebhook, WebhookApp, WebhookServer

    handled: list[int] = []
    lock = threading.Lock()

    class Bot:
        accepting = True

    def handle(msg: dict[str, Any]) -> None:
        handled.append(msg["message_id"])

    webhook = OrderedWebhook(Bot(), handle)
    webhook.run_as_thread(maxhold=3)
    server = WebhookServer(WebhookApp(webhook, secret_token=SECRET), "127.0.0.1", 0).start()
    host, port = server.server_address
    next_id = [1]
    retries = [0]
    slowest = [0.0]
    failed: list[str] = []

    def sender() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        try:
            while True:
                with lock:
                    update_id = next_id[0]
                    if update_id > updates:
                        return
                    next_id[0] += 1
                body = update(update_id)
                for _attempt in range(20):
                    started = time.perf_counter()
                    try:
                        conn.request("POST", "/", body=body, headers=headers)
                        response = conn.getresponse()
                        response.read()
                        status = response.status
                    except (OSError, http.client.HTTPException):
                        conn.close()
                        status = 0
                    took = time.perf_counter() - started
                    with lock:
                        slowest[0] = max(slowest[0], took)
                        if status != 200:
                            retries[0] += 1
                    if status == 200:
                        break
                else:
                    failed.append(f"update {update_id} not delivered")
        finally:
            conn.close()

    threads = [threading.Thread(target=sender, name=f"bench-sender-{n}") for n in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    server.stop()
    webhook.stop()
    inversions = sum(1 for a, b in zip(handled, handled[1:], strict=False) if b < a)
    return {
        "updates": updates,
        "connections": connections,
        "seconds": round(elapsed, 2),
        "updates_per_s": round(updates / elapsed, 1),
        "retries": retries[0],
        "handled": len(handled),
        "distinct_handled": len(set(handled)),
        "out_of_order_per_1000": round(1000 * inversions / max(1, len(handled)), 2),
        "slowest_answer_s": round(slowest[0], 2),
        "failed": len(failed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=4000)
    parser.add_argument("--connections", type=int, default=40)
    parser.add_argument("--checkout", help="run against the actorbot package in this directory (a subprocess)")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    if args.checkout:
        env = dict(os.environ, PYTHONPATH=os.path.abspath(args.checkout))
        command = [sys.executable, os.path.abspath(__file__), "--updates", str(args.updates),
                   "--connections", str(args.connections), "--json"]
        output = subprocess.run(command, env=env, check=True, capture_output=True, text=True, timeout=3600).stdout
        result = json.loads(output.strip().splitlines()[-1])
    else:
        result = run(args.updates, args.connections)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
