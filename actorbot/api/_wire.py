"""A lean HTTP/1.1 path for direct Bot API POSTs: keep-alive connections in a bounded per-host pool.

:class:`HostPool` sends ``POST`` requests whose body is already ``bytes`` (JSON or a
multipart form) over kept-alive connections to one ``http``/``https`` origin, and reads
each answer whole: status line, headers, then a ``Content-Length``, chunked or
read-to-close body. It does what a Bot API call needs and nothing more (no redirects,
no decoding, no streaming), in a few system calls: the head and a small body leave in
one ``sendall``, the answer comes through the connection's buffered reader. The
connection is set up by urllib3 (``create_connection``, a ``create_urllib3_context``
TLS context with the default CA certificates and hostname checks), and failures are
raised as urllib3's exceptions, so callers see one vocabulary whichever path a call
took (proxies and downloads still go through urllib3 itself).

What the caller can rely on:

- **Bounded, blocking, LIFO**: at most ``size`` connections are busy or idle; a caller
  beyond that waits up to ``pool_timeout`` (then :class:`~urllib3.exceptions.EmptyPoolError`:
  nothing was sent). The most recently returned idle connection is reused first.
- **Not sent vs maybe sent**: a failure to connect (``NewConnectionError``,
  ``ConnectTimeoutError``, a failed TLS handshake included) or a write that failed
  with no answer after it (:class:`~actorbot.api._unsent.RequestNotSentError`) means
  the server cannot have the whole request. Anything failing after the whole request
  was written (``ProtocolError``, ``ReadTimeoutError``) may have been carried out.
  An answer the server sent before closing while we were still writing is read.
- **Stale connections**: an idle connection the server closed (readable at once) is
  discarded before use, as urllib3 does.
- **Bounded answers**: lines, header count and body size are limited; exceeding a
  limit, or garbage instead of HTTP, is a ``ProtocolError`` saying so.
- **Cancellation**: with a :class:`~actorbot.api.CancelToken`, cancelling it shuts the
  call's socket down (or wakes its wait for a free connection), so the call fails at
  once; a token cancelled before the socket existed shuts it down as it is attached.

Threads: :meth:`HostPool.post` runs entirely on the calling thread; any number of
threads call it at once. :meth:`HostPool.close` may be called from any thread: it closes
the idle connections at once, and busy ones as their calls return them.
"""

from __future__ import annotations

import io
import logging
import select
import socket
import ssl
import threading
import time
from http.client import RemoteDisconnected
from typing import TYPE_CHECKING

from urllib3.exceptions import ConnectTimeoutError, EmptyPoolError, NewConnectionError, ProtocolError, ReadTimeoutError
from urllib3.util.connection import create_connection
from urllib3.util.ssl_ import create_urllib3_context
from urllib3.util.wait import wait_for_read

from ._redact import redact
from ._unsent import RequestNotSentError

if TYPE_CHECKING:
    from ._cancel import CancelToken

__all__ = ["HostPool", "Response", "tls_context", "MAX_LINE", "MAX_HEADERS", "MAX_BODY"]

log = logging.getLogger(__name__)

MAX_LINE = 65536
"""Longest status, header or chunk-size line accepted, in bytes."""
MAX_HEADERS = 100
"""Most header (or trailer) lines accepted in one answer."""
MAX_BODY = 64 * 1024 * 1024
"""Largest answer body accepted, in bytes (a Bot API answer is a few KiB)."""
MAX_INTERIM = 16
"""Most ``1xx`` interim answers skipped before the final one."""

_COALESCED_BODY = 64 * 1024
"""Bodies up to this size leave in one ``sendall`` with the head; larger ones are not copied."""


def tls_context() -> ssl.SSLContext:
    """A client TLS context as urllib3 makes it: certificates and hostnames verified, default CAs."""
    context = create_urllib3_context()
    context.load_default_certs()
    context.set_alpn_protocols(["http/1.1"])
    return context


class Response:
    """An answer read whole: ``status``, ``reason``, ``version``, ``headers`` (lower-case names), ``data``."""

    __slots__ = ("status", "reason", "version", "data", "_lines", "_headers")

    def __init__(self, status: int, reason: str, version: str, lines: list[bytes], data: bytes) -> None:
        self.status = status
        self.reason = reason
        self.version = version
        self.data = data
        self._lines = lines  # the raw header lines: a dict only for whoever asks
        self._headers: dict[str, str] | None = None

    @property
    def headers(self) -> dict[str, str]:
        """The header fields, names in lower case; repeated fields joined with ``", "``."""
        if self._headers is None:
            headers: dict[str, str] = {}
            for line in self._lines:
                name, _, value = line.partition(b":")
                key, text = name.strip().lower().decode("latin-1"), value.strip().decode("latin-1")
                headers[key] = f"{headers[key]}, {text}" if key in headers else text
            self._headers = headers
        return self._headers

    def __repr__(self) -> str:
        return f"<HTTP response {self.status}>"


class _Connection:
    """One socket and its buffered reader; used by one thread at a time (the pool hands it out)."""

    __slots__ = ("sock", "reader", "generation", "timeout", "_poll")

    def __init__(self, sock: socket.socket, generation: int) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb")
        self.generation = generation
        self.timeout = sock.gettimeout()
        self._poll: select.poll | None = None
        if hasattr(select, "poll"):  # one poll object per connection: the stale check is one system call
            self._poll = select.poll()
            self._poll.register(sock, select.POLLIN)

    def cut(self) -> None:
        """Shut the socket down (any thread): a blocked send or receive on it returns at once."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # not connected any more, or closed

    def dropped(self) -> bool:
        """True when the server closed it while it was idle (or sent something unasked)."""
        try:
            if self._poll is not None:
                return bool(self._poll.poll(0))
            return wait_for_read(self.sock, timeout=0.0)
        except (OSError, ValueError):
            return True

    def close(self) -> None:
        try:
            self.reader.close()
        except OSError:
            pass
        self.sock.close()


class HostPool:
    """Kept-alive HTTP/1.1 connections to one origin, at most ``size`` of them (see the module docstring).

    :param scheme: ``"http"`` or ``"https"``.
    :param host: the host as in the URL (an IPv6 address in brackets).
    :param port: the TCP port.
    :param size: connections kept and used at most at once.
    :param connect_timeout: seconds to connect (and to finish a TLS handshake).
    :param pool_timeout: seconds to wait for a free connection (None: as long as it takes).
    :param ssl_context: the TLS context for ``https`` (see :func:`tls_context`).
    """

    def __init__(
        self,
        scheme: str,
        host: str,
        port: int,
        *,
        size: int,
        connect_timeout: float | None,
        pool_timeout: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
        user_agent: str = "actorbot",
    ) -> None:
        if scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) scheme: {scheme!r}")
        if size < 1:
            raise ValueError("size must be >= 1")
        self.origin = f"{scheme}://{host}:{port}"
        self.size = size
        self.connect_timeout = connect_timeout
        self.pool_timeout = pool_timeout
        bare = host[1:-1] if host.startswith("[") else host
        self._address = (bare, port)
        self._tls = (ssl_context or tls_context()) if scheme == "https" else None
        self._server_hostname = bare
        default_port = 443 if scheme == "https" else 80
        host_header = host if port == default_port else f"{host}:{port}"
        self._fixed_headers = f"Host: {host_header}\r\nUser-Agent: {user_agent}\r\nAccept-Encoding: identity\r\n"
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)  # waited on only when every connection is busy
        self._idle: list[_Connection] = []  # LIFO
        self._busy = 0  # connections handed out (or being opened)
        self._waiting = 0  # callers waiting for room
        self._generation = 0  # bumped by close(): older connections are closed when returned

    def __repr__(self) -> str:
        return f"<HostPool {self.origin} size={self.size}>"

    # -- the call ----------------------------------------------------------------------------
    def post(
        self,
        path: str,
        content_type: str,
        body: bytes,
        read_timeout: float | None,
        cancel: CancelToken | None = None,
    ) -> Response:
        """POST ``body`` to ``path`` and return the whole answer (on the calling thread).

        :raises EmptyPoolError: no connection was free within ``pool_timeout`` (not sent).
        :raises NewConnectionError: cannot connect, or the TLS handshake failed (not sent).
        :raises ConnectTimeoutError: connecting timed out (not sent).
        :raises RequestNotSentError: the write failed and no answer came (not sent).
        :raises ReadTimeoutError: no answer within ``read_timeout`` (maybe sent).
        :raises ProtocolError: the connection failed, or the answer was not valid or too large (maybe sent).
        """
        if not path.isprintable() or " " in path:
            raise ValueError("the request path has characters an HTTP request line cannot carry")
        try:
            head = (
                f"POST {path} HTTP/1.1\r\n{self._fixed_headers}"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode("ascii")
        except UnicodeEncodeError:
            raise ValueError("the request path has characters an HTTP request line cannot carry") from None
        conn = self._take(cancel)
        if conn is None:
            try:
                conn = self._open()
            except BaseException:
                self._give_back(None)
                raise
        detach = cancel.attach(conn.cut) if cancel is not None else None
        keep = False
        try:
            response, keep = self._exchange(conn, head, body, read_timeout)
        finally:
            if detach is not None:
                detach()
                if cancel is not None and cancel.cancelled:
                    keep = False  # its socket may have been shut down
            self._give_back(conn if keep else None)
            if not keep:
                conn.close()
        if log.isEnabledFor(logging.DEBUG):
            log.debug('%s "POST %s HTTP/1.1" %d %d', self.origin, redact(path), response.status, len(response.data))
        return response

    def _exchange(self, conn: _Connection, head: bytes, body: bytes, timeout: float | None) -> tuple[Response, bool]:
        """Write the request, read the answer; ``(answer, whether the connection may be reused)``."""
        sock = conn.sock
        if conn.timeout != timeout:
            sock.settimeout(timeout)
            conn.timeout = timeout
        write_error: OSError | None = None
        try:
            if len(body) <= _COALESCED_BODY:
                sock.sendall(head + body)
            else:
                sock.sendall(head)
                sock.sendall(body)
        except OSError as exc:  # the server may have answered before closing: read that answer
            write_error = exc
        try:
            response, keep = _read_response(conn.reader)
        except (OSError, ProtocolError) as exc:
            if write_error is not None:
                raise RequestNotSentError(
                    f"connection failed while the request was written ({type(write_error).__name__}), no answer"
                ) from exc
            if isinstance(exc, TimeoutError):
                raise ReadTimeoutError(
                    self, self.origin, f"Read timed out. (read timeout={timeout})"  # type: ignore[arg-type]
                ) from exc
            if isinstance(exc, OSError):
                raise ProtocolError("Connection aborted.", exc) from exc
            raise
        return response, keep and write_error is None

    # -- the pool ----------------------------------------------------------------------------
    def _take(self, cancel: CancelToken | None) -> _Connection | None:
        """Reserve room for one connection: an idle one to reuse, or None (open a new one)."""
        with self._lock:
            if self._busy < self.size:
                self._busy += 1
                conn = self._idle.pop() if self._idle else None
                full = False
            else:
                full = True
        if full:
            conn = self._wait_for_room(cancel)
        if conn is not None and conn.dropped():
            log.debug("%s: an idle connection was closed by the server; opening a new one", self.origin)
            conn.close()
            conn = None
        return conn

    def _wait_for_room(self, cancel: CancelToken | None) -> _Connection | None:
        deadline = None if self.pool_timeout is None else time.monotonic() + self.pool_timeout
        detach = cancel.attach(self._wake_all) if cancel is not None else None
        try:
            with self._lock:
                self._waiting += 1
                try:
                    while self._busy >= self.size:
                        if cancel is not None and cancel.cancelled:
                            raise EmptyPoolError(self, "cancelled while waiting for a connection")  # type: ignore[arg-type]
                        remaining = None if deadline is None else deadline - time.monotonic()
                        if remaining is not None and remaining <= 0:
                            raise EmptyPoolError(
                                self,  # type: ignore[arg-type]
                                f"no connection free within {self.pool_timeout}s (pool size {self.size})",
                            )
                        self._room.wait(remaining)
                finally:
                    self._waiting -= 1
                self._busy += 1
                return self._idle.pop() if self._idle else None
        finally:
            if detach is not None:
                detach()

    def _wake_all(self) -> None:
        with self._lock:
            self._room.notify_all()

    def _give_back(self, conn: _Connection | None) -> None:
        """Free the room taken by :meth:`_take`; ``conn`` is kept idle unless the pool was closed since."""
        with self._lock:
            self._busy -= 1
            if conn is not None:
                if conn.generation == self._generation:
                    self._idle.append(conn)
                    conn = None
            if self._waiting:
                self._room.notify()
        if conn is not None:
            conn.close()

    def _open(self) -> _Connection:
        """Connect (and shake hands) on the calling thread; its failures mean nothing was sent."""
        host, port = self._address
        with self._lock:
            generation = self._generation
        try:
            sock = create_connection(
                self._address,
                timeout=self.connect_timeout,
                socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(
                f"{self}: Connection to {host} timed out. (connect timeout={self.connect_timeout})"
            ) from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc  # type: ignore[arg-type]
        if self._tls is not None:
            try:
                sock = self._tls.wrap_socket(sock, server_hostname=self._server_hostname)
            except TimeoutError as exc:
                sock.close()
                raise ConnectTimeoutError(
                    f"{self}: TLS handshake with {host} timed out. (connect timeout={self.connect_timeout})"
                ) from exc
            except (OSError, ValueError) as exc:  # ssl.SSLError, a certificate that does not verify
                sock.close()
                raise NewConnectionError(self, f"TLS handshake with {host} failed: {exc}") from exc  # type: ignore[arg-type]
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s: new connection", self.origin)
        return _Connection(sock, generation)

    def close(self) -> None:
        """Close the idle connections now, busy ones when they are returned; later calls open new ones."""
        with self._lock:
            self._generation += 1
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


# -- reading an answer --------------------------------------------------------------------------

def _line(reader: io.BufferedReader, what: str) -> bytes:
    line = reader.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise ProtocolError(f"the answer's {what} line is longer than {MAX_LINE} bytes")
    return line


def _status(line: bytes) -> tuple[str, int, str]:
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or len(parts[1]) != 3 or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP answer: {line[:60]!r}")
    reason = parts[2].strip().decode("latin-1") if len(parts) > 2 else ""
    return parts[0].decode("latin-1"), int(parts[1]), reason


def _read_lines(reader: io.BufferedReader, what: str) -> list[bytes]:
    """Header (or trailer) lines up to the blank line, without their line ends, one at a time."""
    lines: list[bytes] = []
    while True:
        line = _line(reader, what)
        if line == b"\r\n" or line == b"\n":
            return lines
        if not line:
            raise ProtocolError(f"Connection broken: the connection closed inside the answer's {what}s")
        if len(lines) == MAX_HEADERS:
            raise ProtocolError(f"the answer has more than {MAX_HEADERS} {what} lines")
        lines.append(line.rstrip(b"\r\n"))


def _read_head(reader: io.BufferedReader) -> tuple[str, int, str, list[bytes]]:
    """``(version, status, reason, header lines)`` of the next answer.

    The usual case is one read: the whole head is already in the reader's buffer (it
    came in one segment), so it is found there and split at once; otherwise it is read
    line by line, the status line checked first.
    """
    data = reader.peek(1)  # what is buffered, or one read of the socket
    end = data.find(b"\r\n\r\n")
    if end > 0 and data.find(b"\n\n", 0, end) < 0:
        lines = reader.read(end + 4).splitlines()
        del lines[-1:]  # the blank line (splitlines leaves no empty piece at the end)
        if len(lines) > MAX_HEADERS + 1:
            raise ProtocolError(f"the answer has more than {MAX_HEADERS} header lines")
        version, status, reason = _status(lines[0])
        del lines[0]
        return version, status, reason, lines
    line = _line(reader, "status")
    if not line:
        closed = RemoteDisconnected("Remote end closed connection without response")
        raise ProtocolError("Connection aborted.", closed)
    version, status, reason = _status(line)
    return version, status, reason, _read_lines(reader, "header")


def _read_response(reader: io.BufferedReader) -> tuple[Response, bool]:
    """Read one answer from ``reader``; ``(answer, whether the connection may carry another call)``."""
    for _ in range(MAX_INTERIM + 1):
        version, status, reason, lines = _read_head(reader)
        if status >= 200:
            break
    else:
        raise ProtocolError(f"more than {MAX_INTERIM} interim (1xx) answers")
    length = coding = connection = None
    for line in lines:  # the fields that frame the body; the rest is parsed only if asked for
        name, sep, value = line.partition(b":")
        if not sep or not name or name[0] in b" \t":
            raise ProtocolError(f"malformed header line in the answer: {line[:60]!r}")
        size = len(name)
        if size == 14 and name.lower() == b"content-length":
            length = value.strip()
        elif size == 17 and name.lower() == b"transfer-encoding":
            coding = value.strip().lower()
        elif size == 10 and name.lower() == b"connection":
            connection = value.lower()
    framed = True
    if status == 204 or status == 304:
        data = b""
    elif coding is not None and coding != b"identity":
        if coding.rsplit(b",", 1)[-1].strip() == b"chunked":
            data = _read_chunked(reader)
        else:
            data, framed = _read_to_close(reader), False
    elif length is not None:
        if not length.isdigit():
            raise ProtocolError(f"the answer's Content-Length is not a number: {length[:40]!r}")
        size = int(length)
        if size > MAX_BODY:
            raise ProtocolError(f"the answer's body ({size} bytes) is larger than the {MAX_BODY} bytes allowed")
        data = reader.read(size)
        if len(data) < size:
            raise ProtocolError(
                f"Connection broken: IncompleteRead({len(data)} bytes read, {size - len(data)} more expected)"
            )
    else:
        data, framed = _read_to_close(reader), False
    keep = framed and version == "HTTP/1.1" and (connection is None or b"close" not in connection)
    return Response(status, reason, version, lines, data), keep


def _read_chunked(reader: io.BufferedReader) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        line = _line(reader, "chunk size")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16) if size_text and all(c in b"0123456789abcdefABCDEF" for c in size_text) else -1
        except ValueError:
            size = -1
        if size < 0:
            if not line:
                raise ProtocolError("Connection broken: the connection closed inside a chunked answer")
            raise ProtocolError(f"bad chunk size line in the answer: {line[:40]!r}")
        if size == 0:
            _read_lines(reader, "trailer")
            return b"".join(chunks)
        total += size
        if total > MAX_BODY:
            raise ProtocolError(f"the answer's chunked body is larger than the {MAX_BODY} bytes allowed")
        chunk = reader.read(size)
        if len(chunk) < size or reader.readline(3) not in (b"\r\n", b"\n"):
            raise ProtocolError("Connection broken: a chunk of the answer is incomplete or malformed")
        chunks.append(chunk)


def _read_to_close(reader: io.BufferedReader) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = reader.read1(65536)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > MAX_BODY:
            raise ProtocolError(f"the answer's body is larger than the {MAX_BODY} bytes allowed")
        chunks.append(chunk)
