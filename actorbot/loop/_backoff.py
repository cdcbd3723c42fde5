"""The retry delay policy of the polling loop (an immutable value object)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Backoff"]


@dataclass(frozen=True)
class Backoff:
    """Bounded exponential backoff: ``initial * factor ** (failures - 1)``, at most ``maximum``.

    Used by :class:`~actorbot.loop.MessageLoop` after a network error, a 5xx, a 409
    Conflict or any other failed ``getUpdates``; the count resets after a success.
    """

    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0

    def __post_init__(self) -> None:
        if self.initial < 0 or self.maximum < 0:
            raise ValueError("backoff delays must not be negative")
        if self.factor < 1:
            raise ValueError("backoff factor must be at least 1")

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` consecutive failures (``failures >= 1``)."""
        if failures <= 0:
            return 0.0
        # Cap the exponent so huge failure counts cannot overflow a float.
        exponent = min(failures - 1, 64)
        return min(self.maximum, self.initial * self.factor**exponent)
