"""What became of one update handed to a loop: :class:`Outcome` and :class:`Delivery`.

A :class:`Delivery` is created by the thread that feeds an update (a web server
thread calling ``feed``) and resolved exactly once by the loop's thread when the
update has been handled, skipped, or abandoned because the loop stopped. The
feeding thread may block on :meth:`Delivery.wait` (bounded) to learn the outcome
before it answers the HTTP request that carried the update.
"""

from __future__ import annotations

import enum
import threading

__all__ = ["Outcome", "Delivery"]


class Outcome(enum.Enum):
    """The fate of one update."""

    #: ``handle`` returned for it: the handler accepted it (or the bot's intake took it).
    ACCEPTED = "accepted"
    #: ``handle`` raised; the exception was logged with its traceback.
    FAILED = "failed"
    #: Not handed to ``handle``: unreadable, a duplicate (for the loop, or for the bot's
    #: intake, which accepted it before), or it arrived after its turn was given up
    #: (``maxhold``). Logged; re-sending it would not help.
    SKIPPED = "skipped"
    #: The loop stopped before the update's turn came. It was *not* handled.
    STOPPED = "stopped"
    #: Refused: the loop already holds its limit of updates not yet handled
    #: (``max_pending``), or the bot's intake could not store it (a ``StoreError``).
    #: It was *not* handled; the sender should retry.
    BUSY = "busy"

    @property
    def acknowledged(self) -> bool:
        """True when the sender may forget the update (everything but ``STOPPED`` and ``BUSY``).

        ``FAILED`` counts as acknowledged: an exception in a user handler is that
        handler's bug, and delivering the same update again would raise again.
        """
        return self is not Outcome.STOPPED and self is not Outcome.BUSY


class Delivery:
    """A one-shot, thread-safe holder for the :class:`Outcome` of one fed update."""

    __slots__ = ("_event", "_outcome", "_lock", "update_id")

    def __init__(self, update_id: int | None = None) -> None:
        self.update_id = update_id
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._outcome: Outcome | None = None

    def resolve(self, outcome: Outcome) -> bool:
        """Set the outcome (first call wins). Returns False if it was already set."""
        with self._lock:
            if self._outcome is not None:
                return False
            self._outcome = outcome
        self._event.set()
        return True

    @property
    def outcome(self) -> Outcome | None:
        """The outcome, or None while the update is still pending."""
        return self._outcome

    def done(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> Outcome | None:
        """Block the calling thread until resolved or ``timeout`` seconds passed.

        Returns the outcome, or None on timeout.
        """
        self._event.wait(timeout)
        return self._outcome

    def __repr__(self) -> str:
        state = self._outcome.value if self._outcome is not None else "pending"
        return f"<Delivery update_id={self.update_id} {state}>"
