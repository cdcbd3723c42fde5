"""The HTTP client of a bot: every Bot API call goes through :meth:`HttpClient.request`.

A call to a direct ``http``/``https`` API URL (no proxy), JSON or a multipart upload,
goes through the lean HTTP/1.1 path of :mod:`actorbot.api._wire`: one
:class:`~actorbot.api._wire.HostPool` of kept-alive connections per API host, the
request's head and body written in one system call, the answer read whole and parsed
as Bot API JSON. urllib3 serves the rest: calls through a proxy (a ``ProxyManager``
with the connection classes of :mod:`actorbot.api._cancel`) and file downloads
(streamed), and it sets up every connection (socket options, TLS context).

:class:`HttpClient` is thread-safe: any number of threads (delegate actors, the
update loop, the scheduler) call :meth:`HttpClient.request` at once. Each host keeps
up to ``pool_size`` connections and is *blocking*: when all are busy, a
caller waits for one to be returned instead of opening a throwaway connection.
Every method runs entirely on the calling thread; retries wait through the
policy's interruptible wait function.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import threading
from collections.abc import Mapping
from typing import IO, Any

import urllib3
from urllib3.exceptions import ClosedPoolError, ConnectTimeoutError, EmptyPoolError, HTTPError, ProxyError

from ..exception import (
    BadHTTPResponse,
    NetworkError,
    RequestCancelled,
    ServerError,
    TelegramError,
    TooManyRequestsError,
)
from ._cancel import CancelToken, cancellable_pool_classes
from ._encoding import encode_json, encode_multipart
from ._flood import Passage
from ._redact import install_log_filter, redact, scrub_exception
from ._retry import RetryPolicy, WaitFunction
from ._settings import ProxySettings
from ._unsent import RequestNotSentError
from ._wire import HostPool, tls_context

__all__ = ["HttpClient", "DEFAULT_POOL_SIZE"]

log = logging.getLogger(__name__)

DEFAULT_POOL_SIZE = 64
"""Connections kept per host: enough for many delegates sending at once (Telegram's own
limits, ~30 messages a second, are reached long before the pool is exhausted)."""

# Failures that happen before the whole request left this process: connecting failed
# (refused, reset, timed out, a TLS handshake that failed: NewConnectionError is a
# ConnectTimeoutError), no connection was free (EmptyPoolError), a proxy that refused, a
# urllib3 pool closed by ``close`` while a proxy call was taking it, or the connection
# broke while the request was written and no answer came (RequestNotSentError: a
# kept-alive connection the server had closed, a reset in a connection burst). Each is
# retried on a new connection. The direct path (actorbot.api._wire) raises the same classes.
_NOT_SENT = (ConnectTimeoutError, EmptyPoolError, ProxyError, ClosedPoolError, RequestNotSentError)

# urllib3 must not retry on its own (it cannot tell whether a body reached the server);
# an instance, not ``False``, so urllib3 does not log a conversion on every call.
_NO_RETRIES = urllib3.Retry(total=False, redirect=0, raise_on_redirect=False)

_DEFAULT_POLICY = RetryPolicy()  # immutable

install_log_filter()


def _never_interrupted(seconds: float) -> bool:
    """A wait for a client used without a bot: an un-settable event's wait."""
    threading.Event().wait(seconds)
    return False


class HttpClient:
    """Performs Bot API calls: a :class:`~actorbot.api._wire.HostPool` per API host, urllib3 for the rest.

    Direct calls use the host pools; a proxy client sends every call through its
    ``urllib3.ProxyManager``; downloads use a ``urllib3.PoolManager`` (or the proxy's).

    :param pool_size: connections kept per host; callers beyond it queue.
    :param num_pools: hosts kept (the API host and, when different, the file host).
    :param connect_timeout: seconds to establish a connection.
    :param read_timeout: seconds to wait for an answer to a plain call; ``getUpdates``
        adds its long-poll ``timeout`` to it.
    :param upload_timeout: read timeout for calls that upload files.
    :param pool_timeout: seconds to wait for a free connection (None: as long as it takes).
    :param proxy: a :class:`~actorbot.api.ProxySettings` or a proxy URL.
    """

    def __init__(
        self,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        num_pools: int = 4,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        upload_timeout: float | None = 300.0,
        pool_timeout: float | None = None,
        proxy: ProxySettings | str | None = None,
    ) -> None:
        if pool_size < 1:
            raise ValueError("pool_size must be >= 1")
        self.pool_size = pool_size
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.upload_timeout = upload_timeout
        self.pool_timeout = pool_timeout
        if isinstance(proxy, str):
            proxy = ProxySettings(proxy)
        self.proxy = proxy
        kw: dict[str, Any] = dict(
            num_pools=num_pools,
            maxsize=pool_size,
            block=True,
            retries=_NO_RETRIES,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            headers={"User-Agent": "actorbot"},
        )
        self._manager: urllib3.PoolManager
        if proxy is not None:
            proxy_headers = None
            if proxy.basic_auth is not None:
                proxy_headers = urllib3.make_headers(proxy_basic_auth=":".join(proxy.basic_auth))
            self._manager = urllib3.ProxyManager(proxy.url, proxy_headers=proxy_headers, **kw)
        else:
            self._manager = urllib3.PoolManager(**kw)
        self._pools = cancellable_pool_classes()
        self._manager.pool_classes_by_scheme = self._pools.classes
        # The proxy path's pre-built values: no Timeout or header dict per call.
        self._timeouts: dict[tuple[float | None, bool], urllib3.Timeout] = {
            (None, False): urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            (None, True): urllib3.Timeout(connect=connect_timeout, read=upload_timeout),
        }
        self._json_headers = {"Content-Type": "application/json", "User-Agent": "actorbot"}
        self._num_pools = num_pools
        # Direct calls: api_url -> (its host's pool, the path prefix), and the pools by origin.
        self._routes: dict[str, tuple[HostPool, str]] = {}
        self._hosts: dict[tuple[str, str, int], HostPool] = {}
        self._routes_lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None  # made with the first https pool

    def __repr__(self) -> str:
        via = f", proxy={self.proxy!r}" if self.proxy else ""
        return f"HttpClient(pool_size={self.pool_size}{via})"

    # -- calls ------------------------------------------------------------------------------
    _TIMEOUTS_KEPT = 64  # distinct per-call read timeouts remembered (getUpdates uses one or two)

    def _timeout(self, read: float | urllib3.Timeout | None, uploading: bool) -> urllib3.Timeout:
        if isinstance(read, urllib3.Timeout):
            return read
        key = (read, uploading if read is None else False)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = urllib3.Timeout(connect=self.connect_timeout, read=read)
            if len(self._timeouts) < self._TIMEOUTS_KEPT:
                self._timeouts[key] = timeout
        return timeout

    def _read_seconds(self, timeout: float | urllib3.Timeout | None, uploading: bool) -> float | None:
        """The read timeout of a direct call (the pool's ``connect_timeout`` is the client's)."""
        if timeout is None:
            return self.upload_timeout if uploading else self.read_timeout
        if isinstance(timeout, urllib3.Timeout):
            read = timeout.read_timeout
            return read if read is None or isinstance(read, (int, float)) else self.read_timeout
        return timeout

    def _route(self, api_url: str) -> tuple[HostPool, str] | None:
        """``(host pool, path prefix)`` for direct calls to ``api_url``, or None for urllib3's path.

        Pools are kept per origin, at most ``num_pools`` of them (the oldest is closed
        and forgotten beyond that); any thread may call this.
        """
        route = self._routes.get(api_url)
        if route is not None or self.proxy is not None:
            return route
        parsed = urllib3.util.parse_url(api_url)
        if parsed.scheme not in ("http", "https") or not parsed.host or parsed.query or parsed.fragment:
            return None
        key = (parsed.scheme, parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
        with self._routes_lock:
            pool = self._hosts.get(key)
            if pool is None:
                if len(self._hosts) >= self._num_pools:
                    oldest_key = next(iter(self._hosts))
                    oldest = self._hosts.pop(oldest_key)
                    self._routes = {url: r for url, r in self._routes.items() if r[0] is not oldest}
                    oldest.close()
                if parsed.scheme == "https" and self._tls is None:
                    self._tls = tls_context()
                pool = HostPool(
                    *key,
                    size=self.pool_size,
                    connect_timeout=self.connect_timeout,
                    pool_timeout=self.pool_timeout,
                    ssl_context=self._tls if parsed.scheme == "https" else None,
                )
                self._hosts[key] = pool
            route = (pool, (parsed.path or "").rstrip("/"))
            self._routes[api_url] = route
        return route

    def request(
        self,
        api_url: str,
        token: str,
        method: str,
        fields: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        *,
        timeout: float | urllib3.Timeout | None = None,
        retry: RetryPolicy | None = None,
        wait: WaitFunction | None = None,
        cancel: CancelToken | None = None,
        flood: Passage | None = None,
    ) -> Any:
        """POST ``method`` and return the ``result`` of the answer.

        :param fields: the parameters (None values are dropped).
        :param files: ``{form name: file spec}``; any file makes the body multipart.
        :param timeout: read timeout in seconds for this call.
        :param retry: the policy (default :class:`RetryPolicy()`).
        :param wait: the wait used between retries when the policy has none.
        :param cancel: a :class:`CancelToken`; cancelling it (from any thread) makes this
            call raise :class:`~actorbot.exception.RequestCancelled` at once, whatever
            stage it is at (see :mod:`actorbot.api._cancel`).
        :param flood: the call's :class:`~actorbot.api.FloodGate` passage: each attempt
            waits for its turn there, and a 429 is handed to it (the gate decides when to
            retry and when to give up; ``retry``'s flood settings are the gate's then).
            Without one, a 429 is waited out here as ``retry`` says.
        :raises TelegramError: (or a subclass) for an error answer.
        :raises BadHTTPResponse: for an answer that is not Bot API JSON.
        :raises NetworkError: when no answer could be had.
        """
        policy = retry or _DEFAULT_POLICY
        do_wait = policy.wait or wait or _never_interrupted
        fields = {k: v for k, v in fields.items() if v is not None} if fields else {}
        if files:
            body, content_type = encode_multipart(fields, files)
            headers = {"Content-Type": content_type, "User-Agent": "actorbot"}
        else:
            body, content_type = encode_json(fields), "application/json"
            headers = self._json_headers
        route = self._route(api_url)
        if route is None:
            read_timeout = self._timeout(timeout, bool(files))
        else:
            read_seconds = self._read_seconds(timeout, bool(files))
        slot = self._pools.slot
        debug = log.isEnabledFor(logging.DEBUG)
        connect_failures = flood_retries = server_retries = 0
        resent_at_once = False
        while True:
            if cancel is not None and cancel.cancelled:
                raise RequestCancelled(f"{method}: cancelled before it was sent", sent=False)
            if flood is not None:
                flood.wait_turn()
            if debug:
                log.debug("-> %s (%s, %d bytes)", method, content_type.split(";")[0], len(body))
            try:
                if route is not None:  # direct: the lean path
                    response: Any = route[0].post(f"{route[1]}/bot{token}/{method}", content_type, body,
                                                  read_seconds, cancel)
                else:  # through a proxy: urllib3, the token travelling in the slot
                    slot.token = cancel
                    try:
                        response = self._manager.urlopen(
                            "POST",
                            f"{api_url}/bot{token}/{method}",
                            body=body,
                            headers=headers,
                            timeout=read_timeout,
                            retries=_NO_RETRIES,
                            redirect=False,
                            assert_same_host=False,
                            pool_timeout=self.pool_timeout,
                        )
                    finally:
                        slot.token = None
            except _NOT_SENT as exc:
                scrub_exception(exc, token)
                if cancel is not None and cancel.cancelled:
                    raise RequestCancelled(f"{method}: cancelled before it was sent", sent=False) from exc
                if isinstance(exc, RequestNotSentError) and not resent_at_once and policy.connect_retries:
                    resent_at_once = True  # a broken connection, not a down server: a new one at once
                    log.info("%s: connection broke before the request was sent; sending it again", method)
                    continue
                if connect_failures < policy.connect_retries:
                    delay = policy.backoff(connect_failures)
                    connect_failures += 1
                    log.warning("%s: cannot connect (%s); retry %d in %.2fs",
                                method, redact(str(exc), token), connect_failures, delay)
                    if not do_wait(delay):
                        continue
                raise NetworkError(
                    f"{method}: cannot connect to the Bot API (request not sent): {redact(str(exc), token)}",
                    sent=False,
                ) from exc
            except HTTPError as exc:
                scrub_exception(exc, token)
                if cancel is not None and cancel.cancelled:
                    raise RequestCancelled(f"{method}: cancelled while waiting for the answer", sent=True) from exc
                raise NetworkError(
                    f"{method}: connection failed after the request may have been sent: "
                    f"{redact(str(exc), token)}",
                    sent=True,
                ) from exc
            if debug:
                log.debug("<- %s HTTP %d", method, response.status)
            try:
                return self._parse(response, token)
            except TooManyRequestsError as exc:
                if flood is not None:
                    flood.flooded(exc)  # raises to give up
                    continue
                flood_delay = policy.flood_wait(exc.retry_after, flood_retries)
                if flood_delay is None:
                    raise
                flood_retries += 1
                log.warning("%s: flood control, waiting %.1fs (retry %d)", method, flood_delay, flood_retries)
                if do_wait(flood_delay):
                    raise
            except (ServerError, BadHTTPResponse) as exc:
                if isinstance(exc, BadHTTPResponse) and exc.status < 500:
                    raise
                if server_retries >= policy.server_error_retries or not policy.retries_server_errors(method):
                    raise
                delay = policy.backoff(server_retries)
                server_retries += 1
                log.warning("%s: server error; retry %d in %.2fs", method, server_retries, delay)
                if do_wait(delay):
                    raise

    @staticmethod
    def _parse(response: Any, token: str) -> Any:
        raw: bytes = response.data or b""
        try:
            data = json.loads(raw)  # bytes: UTF-8 (or -16/-32) detected by json itself
        except ValueError:  # includes UnicodeDecodeError
            data = None
        if not isinstance(data, dict) or "ok" not in data:
            text = redact(raw.decode("utf-8", errors="replace"), token)
            raise BadHTTPResponse(response.status, text, response)
        if data["ok"] is True:
            return data.get("result")
        raise TelegramError.create(data, response.status)

    def download(
        self,
        api_url: str,
        token: str,
        file_path: str,
        dest: str | os.PathLike[str] | IO[bytes],
        *,
        chunk_size: int = 65536,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        wait: WaitFunction | None = None,
    ) -> None:
        """Stream ``/file/bot<token>/<file_path>`` into ``dest`` (a path or a binary file).

        The body is copied ``chunk_size`` bytes at a time, never held whole in memory.
        A partially written file at a path is removed when the download fails.
        """
        policy = retry or _DEFAULT_POLICY
        do_wait = policy.wait or wait or _never_interrupted
        url = f"{api_url}/file/bot{token}/{file_path.lstrip('/')}"
        attempts = 0
        while True:
            try:
                response = self._manager.request(
                    "GET",
                    url,
                    preload_content=False,
                    timeout=self._timeout(timeout, False),
                    retries=_NO_RETRIES,
                    redirect=False,
                    pool_timeout=self.pool_timeout,
                )
                break
            except _NOT_SENT as exc:  # a GET may be repeated, but only connect errors are transient
                scrub_exception(exc, token)
                if attempts < policy.connect_retries:
                    delay = policy.backoff(attempts)
                    attempts += 1
                    if not do_wait(delay):
                        continue
                raise NetworkError(f"download: cannot connect: {redact(str(exc), token)}", sent=False) from exc
            except HTTPError as exc:
                scrub_exception(exc, token)
                raise NetworkError(f"download failed: {redact(str(exc), token)}", sent=True) from exc
        try:
            if response.status != 200:
                body = response.read(1 << 16)  # bounded: an error page is small
                raise self._error_from(response.status, body, token)
            self._copy(response, dest, chunk_size, token)
        finally:
            response.release_conn()

    def _error_from(self, status: int, body: bytes, token: str) -> Exception:
        try:
            self._parse(_Snapshot(status, body), token)
        except (TelegramError, BadHTTPResponse) as exc:
            return exc
        return BadHTTPResponse(status, redact(body.decode("utf-8", errors="replace"), token), None)

    @staticmethod
    def _copy(response: Any, dest: Any, chunk_size: int, token: str) -> None:
        opened = None
        try:
            if isinstance(dest, (str, bytes, os.PathLike)):
                opened = open(dest, "wb")
                out = opened
            else:
                out = dest
            for chunk in response.stream(chunk_size):
                out.write(chunk)
        except HTTPError as exc:
            scrub_exception(exc, token)
            if opened is not None:
                opened.close()
                os.unlink(opened.name)
                opened = None
            raise NetworkError(f"download interrupted: {redact(str(exc), token)}", sent=True) from exc
        finally:
            if opened is not None:
                opened.close()

    def close(self) -> None:
        """Close every pooled connection. Idempotent; later calls open new connections.

        Idle connections are closed at once; a call in flight finishes on its own
        connection, which is closed when the call returns it. Any thread may call this.
        """
        with self._routes_lock:
            pools = list(self._hosts.values())
        for pool in pools:
            pool.close()
        self._manager.clear()


class _Snapshot:
    """Status and body of an already-read response, for :meth:`HttpClient._parse`."""

    def __init__(self, status: int, data: bytes) -> None:
        self.status = status
        self.data = data

    def __repr__(self) -> str:
        return f"<HTTP response {self.status}>"
