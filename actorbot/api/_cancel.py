"""Cancelling a request that may already be waiting for its answer: :class:`CancelToken`.

A long-polled ``getUpdates`` waits up to its ``timeout`` for an answer; stopping a bot
must not wait that long. The caller passes a :class:`CancelToken` down the request path
(``Bot._api_request(..., cancel=token)`` -> ``HttpClient.request(..., cancel=token)``);
``token.cancel()``, from any thread, makes that request fail at once with
:class:`~actorbot.exception.RequestCancelled`, whatever stage it is at:

- before the request starts: it is never sent;
- while a connection is being taken or opened, or the request written: the connection
  attaches itself to the token as it starts the request, and a token cancelled before
  that moment shuts the socket down as soon as it attaches (the race that a registry of
  *current* connections cannot close);
- while waiting for the answer: the socket is shut down, so the blocked read returns.

A direct call (no proxy) goes through :mod:`actorbot.api._wire`, which attaches the
token to its own connection itself. The rest of this module serves only the **proxy
path** (and the download path's connection classes): urllib3 passes nothing of ours down
to its connections, so the client hands the token to the connection classes of
:func:`cancellable_pool_classes` through a thread-local slot that it sets only around its
own ``urlopen`` call. The token is the state; the slot is only the wire.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection

from ._unsent import WriteWatch

__all__ = ["CancelToken", "cancellable_pool_classes"]


class CancelToken:
    """A one-way switch: once :meth:`cancel` is called, requests carrying it fail at once.

    Thread-safe. Callbacks attached with :meth:`attach` run exactly once, on the thread
    that cancels (or at once on the attaching thread when the token was cancelled before).
    """

    __slots__ = ("_lock", "_cancelled", "_callbacks")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._callbacks: dict[int, Callable[[], None]] = {}

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        """Cancel every request carrying this token, now and later. Idempotent."""
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
            callbacks, self._callbacks = list(self._callbacks.values()), {}
        for callback in callbacks:
            callback()

    def attach(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run ``callback`` when the token is cancelled (now, if it already is).

        Returns a function that detaches it again (a no-op once it ran).
        """
        key = id(callback)
        with self._lock:
            if not self._cancelled:
                self._callbacks[key] = callback
                return lambda: self._detach(key)
        callback()
        return _nothing

    def _detach(self, key: int) -> None:
        with self._lock:
            self._callbacks.pop(key, None)

    def __repr__(self) -> str:
        return f"<CancelToken {'cancelled' if self._cancelled else 'active'}>"


def _nothing() -> None:
    pass


_COALESCED_BODY = 64 * 1024
"""Bodies up to this size are written together with the request's head (one system call)."""


class _Slot(threading.local):
    token: CancelToken | None = None


class _Cancellable:
    """Mixin for urllib3 connection classes (the proxy path): tie the request's socket to the caller's token.

    It also sends a request with a small ``bytes`` body in one write: urllib3 (and
    ``http.client``) write the head, then the body, two system calls and two packets.
    """

    slot: _Slot
    _held: bytes | None = None  # the head of a request, held until its body comes
    _coalesce = False  # the next send() is a head to hold

    def request(self, method: str, url: str, body: Any = None, headers: Any = None, **kwargs: Any) -> None:
        token = self.slot.token
        self._detach_token: Callable[[], None] = _nothing
        if token is not None:
            self._detach_token = token.attach(self._cut)
        self._coalesce = type(body) is bytes and 0 < len(body) <= _COALESCED_BODY and not kwargs.get("chunked")
        try:
            super().request(method, url, body, headers, **kwargs)  # type: ignore[misc]
            held, self._held = self._held, None
            if held is not None:  # no body was written after all: the head alone
                super().send(held)  # type: ignore[misc]
        except BaseException:
            self._detach_token()
            raise
        finally:
            self._coalesce, self._held = False, None
        if token is not None and token.cancelled:
            self._cut()  # cancelled while the socket was being made: it exists now

    def send(self, data: Any) -> None:
        if self._coalesce:
            if self._held is None and type(data) is bytes:
                self._held = data  # the head: written with the body
                return
            self._coalesce = False
            if self._held is not None:
                data, self._held = self._held + data, None
        super().send(data)  # type: ignore[misc]

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().getresponse(*args, **kwargs)  # type: ignore[misc]
        finally:
            self._detach_token()

    def _cut(self) -> None:
        sock = getattr(self, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed


class CancellablePools:
    """The urllib3 pool classes for one client (proxy calls, downloads), and the slot its calls put their token in."""

    def __init__(self) -> None:
        self.slot = _Slot()
        # WriteWatch: a request whose write failed and got no answer raises RequestNotSentError
        http_conn = type("CancellableHTTPConnection", (_Cancellable, WriteWatch, HTTPConnection), {"slot": self.slot})
        https_conn = type(
            "CancellableHTTPSConnection", (_Cancellable, WriteWatch, HTTPSConnection), {"slot": self.slot}
        )
        self.classes: dict[str, type] = {
            "http": type("CancellableHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
            "https": type("CancellableHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
        }


def cancellable_pool_classes() -> CancellablePools:
    """A new :class:`CancellablePools` (one per client: its slot is the client's own)."""
    return CancellablePools()
