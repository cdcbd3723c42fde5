"""A raw HTTP/1.1 client for hostile-input tests of the webhook server (loopback only).

``http.client`` refuses to send most malformed requests, so these helpers write
bytes to a socket and parse whatever comes back (bounded in size and time).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from actorbot.loop import SECRET_HEADER, OrderedWebhook, Webhook, WebhookApp, WebhookServer

SECRET = "hardening_Secret-123"


def text_update(update_id: int, chat_id: int = 42, text: str | None = None) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1700000000,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Ann"},
            "text": text if text is not None else f"m{update_id}",
        },
    }


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class StubBot:
    """The bot a webhook loop is given: ``accepting`` can be switched off."""

    def __init__(self) -> None:
        self.accepting = True


@dataclass
class Recorder:
    """A ``handle`` that records the texts it was given (thread-safe)."""

    texts: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def __call__(self, msg: dict[str, Any]) -> None:
        with self.changed:
            self.texts.append(str(msg.get("text")))
            self.changed.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[str]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.texts) >= count, timeout)
            return list(self.texts)


def request_bytes(
    body: bytes | None,
    *,
    method: str = "POST",
    path: str = "/",
    secret: str | None = SECRET,
    headers: dict[str, str] | None = None,
    length: int | None = None,
    close: bool = False,
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    if secret is not None:
        lines.append(f"{SECRET_HEADER}: {secret}")
    if body is not None or length is not None:
        lines.append(f"Content-Length: {len(body or b'') if length is None else length}")
    if close:
        lines.append("Connection: close")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def read_answer(sock: socket.socket, limit: int = 1 << 20, *, head: bool = False) -> Answer | None:
    """One response from ``sock`` (None when the server closed without answering).

    ``head``: the request was HEAD, so the answer has no body whatever its Content-Length.
    """
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
        assert len(data) < limit, "response head too large"
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = 0 if head else int(headers.get("content-length", "0"))
    assert length < limit
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return Answer(int(status_line.split(" ")[1]), headers, rest[:length])


def exchange(url: str, raw: bytes, timeout: float = 10.0) -> Answer | None:
    """Send ``raw`` on a new connection and read one answer."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(raw)
        return read_answer(sock)


def post_update(url: str, update: dict[str, Any], secret: str | None = SECRET) -> Answer | None:
    return exchange(url, request_bytes(json.dumps(update).encode(), secret=secret, close=True))


@contextmanager
def running(
    *, ordered: bool = True, app_options: dict[str, Any] | None = None, server_options: dict[str, Any] | None = None,
    webhook_options: dict[str, Any] | None = None, bot: Any = None,
) -> Iterator[tuple[WebhookServer, Webhook, Recorder]]:
    """A webhook loop, its app and its server, all stopped on exit."""
    handler = Recorder()
    bot = bot if bot is not None else StubBot()
    webhook: Webhook = (OrderedWebhook if ordered else Webhook)(bot, handler, **(webhook_options or {}))
    if isinstance(webhook, OrderedWebhook):
        webhook.run_as_thread(maxhold=0.2)
    else:
        webhook.run_as_thread()
    options: dict[str, Any] = {"secret_token": SECRET, **(app_options or {})}
    server = WebhookServer(WebhookApp(webhook, **options), "127.0.0.1", 0, **(server_options or {})).start()
    try:
        yield server, webhook, handler
    finally:
        server.stop()
        webhook.stop()
