"""Refused webhook requests, logged in aggregate: :class:`RefusalLog`.

A remote party can send thousands of bad requests a second; one WARNING line
each would flood the log (and the disk). :class:`RefusalLog` counts refusals by
reason and writes at most one WARNING line per ``interval`` with the counts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

__all__ = ["RefusalLog"]

#: Default seconds between two summary lines.
DEFAULT_INTERVAL = 60.0


class RefusalLog:
    """Counts refused requests by reason; logs a summary at most once per ``interval``.

    The first refusal after a quiet interval is logged at once (with a count of
    one); later ones are added to the next summary, written by the first refusal
    after ``interval`` seconds or by :meth:`flush`. Thread-safe.
    """

    def __init__(
        self,
        logger: logging.Logger,
        what: str = "webhook requests refused",
        *,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._what = what
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: Counter[str] = Counter()
        self._totals: Counter[str] = Counter()
        self._next_report: float | None = None

    def refused(self, reason: str, count: int = 1) -> None:
        """Count ``count`` refusals for ``reason`` (a short phrase such as ``"wrong secret"``)."""
        with self._lock:
            self._pending[reason] += count
            self._totals[reason] += count
            now = self._clock()
            if self._next_report is not None and now < self._next_report:
                return
            self._next_report = now + self.interval
            summary = self._take()
        self._write(summary)

    def flush(self) -> None:
        """Log what was counted since the last summary, if anything."""
        with self._lock:
            summary = self._take()
        self._write(summary)

    @property
    def totals(self) -> dict[str, int]:
        """Every refusal counted so far, by reason."""
        with self._lock:
            return dict(self._totals)

    def _take(self) -> Counter[str]:
        summary, self._pending = self._pending, Counter()
        return summary

    def _write(self, summary: Counter[str]) -> None:
        if not summary:
            return
        detail = ", ".join(f"{count} {reason}" for reason, count in summary.most_common())
        self._logger.warning(
            "%d %s (at most one such line per %g s): %s", sum(summary.values()), self._what, self.interval, detail
        )
