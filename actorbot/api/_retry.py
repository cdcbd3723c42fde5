"""When a failed request is sent again: the :class:`RetryPolicy` value object.

The rule that overrides every setting: **a request that may have reached the
server is never sent again because of a connection problem**, so a message is
never delivered twice by a retry. Concretely:

* **429 Too Many Requests** (flood control) is waited out for
  ``parameters.retry_after`` seconds and sent again, as long as the total wait since the
  call's first 429 stays within ``max_flood_wait`` seconds (and, when ``flood_retries``
  is set, at most that many times). Telegram did not perform a request it refused with
  429, so this cannot duplicate. A :class:`~actorbot.Bot` waits in its
  :class:`~actorbot.api.FloodGate` (per-chat lanes, see :mod:`actorbot.api._flood`); a
  bare :class:`~actorbot.api.HttpClient` waits each ``retry_after`` in the calling thread,
  at most ``flood_retries`` times (2 when unset).
* **Connection failures before the request was sent** (connection refused or
  reset while connecting, name resolution, connect timeout, no free connection in
  the pool, or a connection that broke while the request was being written and gave
  no answer, e.g. a kept-alive connection the server had closed) are retried on a
  new connection up to ``connect_retries`` times with exponential backoff:
  ``backoff_initial * backoff_factor ** n`` capped at ``backoff_max``; a connection
  that broke while the request was written is first replaced at once, with no wait
  (see :mod:`actorbot.api._unsent`).
* **Failures after the request may have been sent** (connection reset or dropped
  after the whole request was written, while waiting for the answer; read timeout)
  are never retried, whatever the method: they raise
  :class:`~actorbot.exception.NetworkError` with ``sent=True``. This includes a
  kept-alive connection that the server closed just as it was reused and whose
  write still succeeded: the client discards connections it can see are dropped before
  reusing them, and the rare remaining race is reported rather than risk a duplicate.
* **5xx answers** (Bot API errors or non-JSON gateway pages) are retried only for
  read-only methods (names starting with one
  of ``read_only_prefixes``, default ``get``, except ``getUpdates``, whose caller
  already loops), at most ``server_error_retries`` times with the same backoff.
  A 5xx for any other method is raised at once: a gateway error may come after
  Telegram carried out the request, and resending ``sendMessage`` could send it twice.

Waits go through ``wait(seconds) -> bool``: when it returns True (interrupted,
e.g. the bot is stopping) the retry is abandoned and the last error raised. By
default the bot passes its stop event's ``wait``; tests inject a recording
function so nothing really sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RetryPolicy", "WaitFunction", "NO_RETRY"]

WaitFunction = Callable[[float], bool]
"""``wait(seconds)`` blocks for up to ``seconds``; returns True when interrupted."""


@dataclass(frozen=True)
class RetryPolicy:
    """How a :class:`~actorbot.api.HttpClient` call reacts to failures (immutable).

    Use :func:`dataclasses.replace` to derive a variant, e.g.
    ``replace(RetryPolicy(), flood_retries=0)``.
    """

    flood_retries: int | None = None
    max_flood_wait: float = 60.0
    connect_retries: int = 3
    server_error_retries: int = 2
    backoff_initial: float = 0.5
    backoff_factor: float = 2.0
    backoff_max: float = 10.0
    read_only_prefixes: tuple[str, ...] = ("get",)
    wait: WaitFunction | None = None

    def __post_init__(self) -> None:
        for name in ("flood_retries", "connect_retries", "server_error_retries"):
            if (getattr(self, name) or 0) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.max_flood_wait < 0 or self.backoff_initial < 0 or self.backoff_max < 0:
            raise ValueError("waits must be >= 0")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        return min(self.backoff_max, self.backoff_initial * self.backoff_factor ** attempt)

    def flood_wait(self, retry_after: float | None, attempt: int) -> float | None:
        """Seconds to wait out a 429 before retry ``attempt``, or None to give up."""
        cap = 2 if self.flood_retries is None else self.flood_retries
        if retry_after is None or attempt >= cap or retry_after > self.max_flood_wait:
            return None
        return max(0.0, retry_after)

    def retries_server_errors(self, method: str) -> bool:
        """Whether a 5xx answer to ``method`` may be retried (read-only methods only)."""
        return (
            self.server_error_retries > 0
            and method != "getUpdates"
            and any(method.startswith(p) for p in self.read_only_prefixes)
        )


NO_RETRY = RetryPolicy(flood_retries=0, connect_retries=0, server_error_retries=0)
"""A policy that never retries anything."""
