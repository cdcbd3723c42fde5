"""A scriptable Bot API stand-in on 127.0.0.1 for the client-level tests.

It is deliberately dumb: it records every request (parsed the way Telegram would
parse it: JSON, urlencoded or multipart) and answers from a script. Tests that
need Telegram's *behaviour* use ``actorbot.emulator``; tests that need to see
exactly what went over the wire, or to make the server misbehave, use this.

    api = LoopbackApi().start()
    api.reply("sendMessage", {"message_id": 1})          # next sendMessage answer
    api.reply("getMe", status=429, json={...})            # an error answer
    api.reply("getUpdates", drop=True)                     # close without answering
    api.on("getUpdates", lambda req: Reply(result=[]))     # a standing handler
    req = api.wait_request("sendMessage")                  # bounded wait, no sleep
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Upload:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    http_method: str
    path: str
    token: str | None
    method: str | None  # Bot API method name, e.g. "sendMessage"
    headers: dict[str, str]
    body: bytes
    params: dict[str, Any]  # JSON body, or decoded form fields
    uploads: dict[str, Upload]  # multipart parts that carried a filename

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass
class Reply:
    """A scripted answer. By default ``{"ok": true, "result": result}``."""

    result: Any = True
    status: int = 200
    json: Any = None  # a whole JSON body instead of the ok/result envelope
    body: bytes | None = None  # raw body (wins over json)
    content_type: str = "application/json"
    drop: bool = False  # close the connection without answering
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None  # wait for this event (bounded) before answering


def _parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, Upload]]:
    ctype = content_type.split(";")[0].strip().lower()
    if not body:
        return {}, {}
    if ctype == "application/json":
        return json.loads(body.decode("utf-8")), {}
    if ctype == "application/x-www-form-urlencoded":
        return dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True)), {}
    if ctype == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        params: dict[str, Any] = {}
        uploads: dict[str, Upload] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            data = part.get_payload(decode=True) or b""
            if filename is not None:
                uploads[name] = Upload(filename, part.get_content_type(), data)
            else:
                params[name] = data.decode("utf-8")
        return params, uploads
    return {}, {}


#: The token the suite's bots use against the loopback API. Import it from here, not from
#: ``conftest`` (tests/emulator has a conftest too: which one ``import conftest`` finds
#: depends on the order pytest loaded them).
TOKEN = "123456:TEST-token-secret"


class _QuietServer(ThreadingHTTPServer):
    """A thread per connection, each one tracked, so :meth:`close_connections` ends them all."""

    daemon_threads = True
    request_queue_size = 256  # many delegates connect at once; the default 5 resets them

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._live_lock = threading.Lock()
        self._live: dict[Any, threading.Thread] = {}

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), name="loopback-conn", daemon=True
        )
        with self._live_lock:
            self._live[request] = thread
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._live_lock:
                self._live.pop(request, None)

    def close_connections(self, timeout: float = 5.0) -> None:
        """Cut every open connection (idle keep-alive ones too) and wait for their threads."""
        with self._live_lock:
            live = list(self._live.items())
        for sock, _thread in live:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        for _sock, thread in live:
            thread.join(max(0.0, deadline - time.monotonic()))

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up (tests do that on purpose) is not news


class LoopbackApi:
    """A threaded HTTP server on 127.0.0.1 with an ephemeral port."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.requests: list[Request] = []
        self._scripted: dict[str, deque[Reply]] = defaultdict(deque)
        self._handlers: dict[str, Callable[[Request], Reply]] = {}
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting ------------------------------------------------------------------
    def reply(self, method: str, result: Any = True, **kwargs: Any) -> LoopbackApi:
        """Queue the answer for the next call of ``method`` (FIFO per method)."""
        with self._cond:
            self._scripted[method].append(Reply(result=result, **kwargs))
        return self

    def on(self, method: str, handler: Callable[[Request], Reply]) -> LoopbackApi:
        """Answer every call of ``method`` that has no scripted reply with ``handler``."""
        with self._cond:
            self._handlers[method] = handler
        return self

    def calls(self, method: str | None = None) -> list[Request]:
        with self._cond:
            return [r for r in self.requests if method is None or r.method == method]

    def wait_request(self, method: str | None = None, count: int = 1, timeout: float = 5.0) -> Request:
        """Block until ``count`` requests of ``method`` arrived; return the last of them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                seen = [r for r in self.requests if method is None or r.method == method]
                if len(seen) >= count:
                    return seen[count - 1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} {method or 'any'} request(s), saw {len(seen)}")
                self._cond.wait(remaining)

    # -- lifecycle ------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LoopbackApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                path = urllib.parse.urlsplit(self.path).path
                parts = path.strip("/").split("/")
                token = method = None
                if parts and parts[0].startswith("bot"):
                    token = parts[0][3:]
                    method = parts[1] if len(parts) > 1 else None
                elif len(parts) >= 2 and parts[0] == "file":
                    token, method = parts[1][3:], "<file>"
                try:
                    params, uploads = _parse_body(headers.get("content-type", ""), body)
                except Exception as exc:  # the test will see params == {"<unparsable>": ...}
                    params, uploads = {"<unparsable>": repr(exc)}, {}
                if self.command == "GET" and "?" in self.path:
                    params.update(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                req = Request(self.command, path, token, method, headers, body, params, uploads)
                reply = api._answer_for(req)
                if reply.hold is not None:
                    reply.hold.wait(10)
                if reply.drop:
                    self.close_connection = True
                    return
                if reply.body is not None:
                    payload = reply.body
                elif reply.json is not None:
                    payload = json.dumps(reply.json).encode()
                else:
                    payload = json.dumps({"ok": True, "result": reply.result}).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), name="loopback-api",
                                        daemon=True)
        self._thread.start()
        return self

    def _answer_for(self, req: Request) -> Reply:
        with self._cond:
            self.requests.append(req)
            self._cond.notify_all()
            key = req.method or ""
            if self._scripted[key]:
                return self._scripted[key].popleft()
            handler = self._handlers.get(key)
        if handler is not None:
            return handler(req)
        if req.token != self.token:
            return Reply(status=401, json={"ok": False, "error_code": 401, "description": "Unauthorized"})
        if req.method == "getMe":
            return Reply(result={"id": 123456, "is_bot": True, "first_name": "Loopback", "username": "loopback_bot"})
        if req.method == "getUpdates":
            return Reply(result=[])
        return Reply(result=True)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> LoopbackApi:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class TelegramQueue:
    """Telegram's side of ``getUpdates`` on a :class:`LoopbackApi`: updates stay queued until
    a later call's ``offset`` confirms them, and a long poll is held until an update arrives
    (bounded by ``hold`` seconds). So the offsets the server saw are exactly what a real
    server would have been told."""

    def __init__(self, api: LoopbackApi, *updates: dict[str, Any], hold: float = 5.0) -> None:
        self._api = api
        self._hold = hold
        self._cond = threading.Condition()
        self._pending: list[dict[str, Any]] = list(updates)
        self._released = False
        api.on("getUpdates", self._answer)

    def add(self, *updates: dict[str, Any]) -> None:
        with self._cond:
            self._pending.extend(updates)
            self._cond.notify_all()

    def release(self) -> None:
        """Answer every held long poll now (at teardown, after asking the loop to stop)."""
        with self._cond:
            self._released = True
            self._cond.notify_all()

    def _answer(self, req: Request) -> Reply:
        offset = req.params.get("offset")
        limit = req.params.get("limit") or 100
        deadline = time.monotonic() + self._hold
        with self._cond:
            if offset is not None:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            if req.params.get("timeout"):
                while not self._pending and not self._released:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
            return Reply(result=self._pending[:limit])

    # -- what the server saw -------------------------------------------------------------------
    def offsets(self) -> list[Any]:
        """The ``offset`` of every getUpdates call, in order (None when absent)."""
        return [r.params.get("offset") for r in self._api.calls("getUpdates")]

    def wait_offset(self, offset: int, timeout: float = 5.0) -> int:
        """Block until a getUpdates call sent ``offset``; return how many calls there were then."""
        count = 1
        while True:
            req = self._api.wait_request("getUpdates", count=count, timeout=timeout)
            if req.params.get("offset") == offset:
                return count
            count += 1

