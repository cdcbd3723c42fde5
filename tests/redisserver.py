"""A real ``redis-server`` for the store tests and ``benchmarks/store.py``.

:class:`RedisServer` starts the binary on a free loopback port with no persistence
(``--save "" --appendonly no``) in a directory of its own, waits until it answers PING
(bounded), and stops it (terminate, wait, kill). A missing binary raises
:class:`RedisServerMissing`: the tests *fail* on it (CI installs redis-server), they do not skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["RedisServer", "RedisServerMissing", "free_port"]


class RedisServerMissing(RuntimeError):
    """``redis-server`` is not on PATH."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (nothing listens on it now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        password: str | None = None,
        extra_args: Sequence[str] = (),
        port: int = 0,
    ) -> None:
        self.directory = Path(directory)
        self.password = password
        self.extra_args = tuple(extra_args)  # e.g. ("--appendonly", "yes"): later arguments win
        self.port = port  # 0: a free one (a server started again on the same port: pass it)
        self._fixed_port = bool(port)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self, ready_within: float = 10.0) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisServerMissing(
                "redis-server is not on PATH; the store tests need a real Redis "
                "(apt-get install redis-server; .ci/run installs it)"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        for _ in range(3):  # another process may take the free port before redis binds it
            if not self._fixed_port:
                self.port = free_port()
            args = [binary, "--save", "", "--appendonly", "no", "--port", str(self.port), "--bind", "127.0.0.1",
                    "--dir", str(self.directory), "--logfile", "redis.log"]
            if self.password:
                args += ["--requirepass", self.password]
            args += self.extra_args
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL)
            if self._wait_ready(ready_within):
                return self
            self.stop()
        raise RuntimeError(f"redis-server did not start: {self.log()}")

    def _wait_ready(self, within: float) -> bool:
        """Until ``within`` seconds pass: connect and PING; False if the server exited."""
        assert self.process is not None
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if self.ping(timeout=max(0.05, min(1.0, deadline - time.monotonic()))):
                return True
            time.sleep(0.02)  # connection refused comes back at once; nothing to wait on but time
        raise RuntimeError(f"redis-server on port {self.port} did not answer PING within {within} s: {self.log()}")

    def ping(self, timeout: float = 1.0) -> bool:
        """True if the server answers PING now."""
        command = b"*1\r\n$4\r\nPING\r\n"
        if self.password:
            secret = self.password.encode()
            command = b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(secret), secret) + command
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
                sock.sendall(command)
                reply = b""
                while b"PONG" not in reply and b"-" not in reply:
                    chunk = sock.recv(256)
                    if not chunk:
                        return False
                    reply += chunk
                return b"PONG" in reply
        except OSError:
            return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def log(self) -> str:
        try:
            return (self.directory / "redis.log").read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
