"""Webhook delivery: POST each pending update to the bot's URL, retrying on failure.

Worker threads (``emulator-webhook-N``; ``start`` starts the first, a worker that
takes an update starts another when none is idle and more updates wait, up to the
webhook's ``max_connections`` (Telegram: 40 by default, 100 at most) or
``workers``; ``stop`` joins them all) take updates from the world's pending list
under ``world.lock``; one chat's updates are delivered one at a time and in order,
different chats concurrently, each delivery on its own keep-alive connection.
A failed delivery is retried after a growing real-time delay. A JSON answer that
names a ``method`` is executed as a Bot API call, as Telegram does.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import urllib3

from ._clock import real_monotonic
from ._state import World

__all__ = ["WebhookDelivery"]

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: setWebhook's largest ``max_connections``.
MAX_CONNECTIONS = 100


class WebhookDelivery:
    def __init__(
        self,
        world: World,
        execute: Callable[[str, dict[str, Any]], Any],
        *,
        workers: int | None = None,
        retry_delay: float = 0.1,
        max_retry_delay: float = 5.0,
        timeout: float = 5.0,
    ) -> None:
        self._world = world
        self._execute = execute
        self._workers = MAX_CONNECTIONS if workers is None else workers
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        # A pooled keep-alive connection the bot's server closed meanwhile shows up as a reset
        # or a refused connection; retry those at once on a new connection (an update may then
        # arrive twice, as with Telegram: the bot drops duplicates), so a load test does not
        # count a delivery failure the bot did not cause. HTTP error statuses are not retried here.
        retries = urllib3.Retry(total=3, connect=3, read=1, other=0, status=0, redirect=0, allowed_methods=None,
                                raise_on_status=False, raise_on_redirect=False)
        self._http = urllib3.PoolManager(maxsize=self._workers, retries=retries, timeout=urllib3.Timeout(total=timeout))
        self._threads: list[threading.Thread] = []
        self._busy: set[Any] = set()
        self._in_flight: set[int] = set()
        self._attempts: dict[int, int] = {}
        self._retry_at: dict[int, float] = {}
        self._active = 0
        self._idle = 0  # workers waiting for an update
        self._stopping = False
        self.deliveries = 0

    @property
    def active(self) -> int:
        """Deliveries under way (read with ``world.lock`` held for a consistent view)."""
        return self._active

    @property
    def threads(self) -> int:
        """Worker threads started so far."""
        with self._world.lock:
            return len(self._threads)

    def start(self) -> None:
        """Start the first worker (the caller's thread)."""
        with self._world.lock:
            self._spawn()

    def _spawn(self) -> None:
        # world.lock held
        thread = threading.Thread(target=self._run, name=f"emulator-webhook-{len(self._threads) + 1}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _grow(self, max_connections: int) -> None:
        """Start one more worker when none is idle and more updates wait than are under way (lock held)."""
        if (
            self._idle == 0
            and len(self._threads) < min(self._workers, max_connections)
            and len(self._world.pending) > self._active
        ):
            self._spawn()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop delivering and join every worker (the caller's thread)."""
        with self._world.lock:
            self._stopping = True
            self._world.notify_updates()
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
        with self._world.lock:
            self._threads.clear()
        self._http.clear()

    def _pick(self) -> tuple[dict[str, Any] | None, float | None]:
        """The next deliverable update, or the real time to wake up at (lock held)."""
        world = self._world
        config = world.webhook
        if config is None or self._active >= config.max_connections:
            return None, None
        now = real_monotonic()
        blocked: set[Any] = set()
        wake: float | None = None
        for update in world.pending:
            update_id = update["update_id"]
            key = world.update_keys.get(update_id)
            key = ("update", update_id) if key is None else key
            if key in blocked or key in self._busy or update_id in self._in_flight:
                blocked.add(key)
                continue
            due = self._retry_at.get(update_id, 0.0)
            if due > now:
                blocked.add(key)
                wake = due if wake is None else min(wake, due)
                continue
            return update, None
        return None, wake

    def _run(self) -> None:
        world = self._world
        while True:
            with world.lock:
                while True:
                    if self._stopping:
                        return
                    update, wake = self._pick()
                    if update is not None:
                        break
                    self._idle += 1
                    try:
                        world.updates_changed.wait(None if wake is None else max(wake - real_monotonic(), 0.001))
                    finally:
                        self._idle -= 1
                config = world.webhook
                assert config is not None
                update_id = update["update_id"]
                key = world.update_keys.get(update_id)
                key = ("update", update_id) if key is None else key
                self._busy.add(key)
                self._in_flight.add(update_id)
                self._active += 1
                self._grow(config.max_connections)
            error, reply = self._post(config.url, config.secret_token, update)
            with world.lock:
                self._busy.discard(key)
                self._in_flight.discard(update_id)
                self._active -= 1
                if error is None:
                    self._attempts.pop(update_id, None)
                    self._retry_at.pop(update_id, None)
                    self.deliveries += 1
                    world.remove_update(update_id)
                else:
                    attempt = self._attempts.get(update_id, 0) + 1
                    self._attempts[update_id] = attempt
                    delay = min(self._retry_delay * 2 ** (attempt - 1), self._max_retry_delay)
                    self._retry_at[update_id] = real_monotonic() + delay
                    world.webhook_error = (world.clock.date(), error)
                    world.notify_updates()
            if reply is not None:
                method = reply.pop("method")
                try:
                    self._execute(str(method), reply)
                except Exception:  # noqa: BLE001 - a bad reply must not stop delivery
                    logger.warning("webhook reply method %s failed", method, exc_info=True)

    def _post(self, url: str, secret: str | None, update: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[SECRET_HEADER] = secret
        try:
            response = self._http.request("POST", url, body=json.dumps(update).encode(), headers=headers)
        except urllib3.exceptions.HTTPError as exc:
            reason = getattr(exc, "reason", None) or exc
            return f"Connection failed: {type(reason).__name__}", None
        if not 200 <= response.status < 300:
            return f"Wrong response from the webhook: {response.status} {response.reason or ''}".strip(), None
        if "json" in (response.headers.get("Content-Type") or ""):
            try:
                body = json.loads(response.data or b"null")
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("method"), str):
                return None, body
        return None, None
