"""The messages engine actors exchange: immutable values, one class per intent.

Who sends what:

- ``handle()`` / the scheduler -> supervisor: :class:`Route`.
- delegate -> supervisor: :class:`Closing`, then (after :class:`Drain`) :class:`Drained`.
- any thread -> supervisor: :class:`AddCapture`, :class:`RemoveCapture`,
  :class:`AttachListener`, :class:`Broadcast`.
- supervisor -> delegate: :class:`Deliver`, :class:`Drain`, :class:`Shutdown`.
- scheduler facade -> scheduler actor: :class:`Wake`.
- ``DelegatorBot.stop()`` -> supervisor: :class:`Shutdown`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Route",
    "Broadcast",
    "Deliver",
    "Closing",
    "Drain",
    "Drained",
    "AddCapture",
    "RemoveCapture",
    "AttachListener",
    "Shutdown",
    "Wake",
]


@dataclass(frozen=True)
class Route:
    """An update (or a fired event) for the supervisor to seed and deliver."""

    update: Any


@dataclass(frozen=True)
class Broadcast:
    """A message for every delegate whose captures match it; no seeding (``bot.mic.send``)."""

    update: Any


@dataclass(frozen=True)
class Deliver:
    """An update for one delegate."""

    update: Any


@dataclass(frozen=True)
class Closing:
    """Delegate ``delegate_id`` closed: deliver nothing more to it; buffer what would go to it."""

    delegate_id: int


@dataclass(frozen=True)
class Drain:
    """Supervisor to a closing delegate: hand back what you received after closing, then stop."""


@dataclass(frozen=True)
class Drained:
    """A closed delegate's answer to :class:`Drain`: the updates it received but did not handle."""

    delegate_id: int
    bounced: tuple[Any, ...]


@dataclass(frozen=True)
class AddCapture:
    """Register a capture (an ``actorbot.actors._matching.Capture`` token)."""

    capture: Any


@dataclass(frozen=True)
class RemoveCapture:
    capture: Any


@dataclass(frozen=True)
class AttachListener:
    """A listener created on a run-style delegate's thread: deliver that delegate's updates to it too."""

    delegate_id: int
    listener: Any


@dataclass(frozen=True)
class Shutdown:
    """Close and stop (sent by ``stop()``)."""


@dataclass(frozen=True)
class Wake:
    """Scheduler: re-check due events now (a new earliest event, or a poke)."""
