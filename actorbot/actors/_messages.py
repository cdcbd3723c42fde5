"""The messages engine actors exchange: immutable values, one class per intent.

Who sends what:

- ``handle()`` / the scheduler -> supervisor: :class:`Route`; the intake: :class:`RouteBatch`.
- delegate -> supervisor: :class:`Closing` (with a :class:`Failure` when its handler
  raised), then (after :class:`Drain`) :class:`Drained`.
- scheduler -> supervisor: :class:`RestartDue` (a failed conversation's backoff ended),
  :class:`RestoredEvent` (a stored event of a conversation came due), :class:`UnloadDue`
  (time to look for idle conversations to unload).
- ``bot.dead_letters.retry()`` -> supervisor: :class:`RetryLetters`.
- any thread -> supervisor: :class:`AddCapture`, :class:`RemoveCapture`,
  :class:`AttachListener`, :class:`Broadcast`.
- supervisor -> delegate: :class:`Deliver`, :class:`Unload`, :class:`Drain`, :class:`Shutdown`.
- scheduler facade -> scheduler actor: :class:`Wake`.
- ``DelegatorBot.stop()`` -> supervisor: :class:`Shutdown`.
- ``DelegatorBot.conversations()`` -> supervisor: :class:`Inspect` (asked; answers a list).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Stamp = tuple[str, float]
"""What an update carries for the metrics: its flavor and when it arrived (``real_monotonic``)."""

__all__ = [
    "Route",
    "RouteBatch",
    "Inspect",
    "Broadcast",
    "Deliver",
    "Closing",
    "Constructed",
    "Failure",
    "RestartDue",
    "RestoredEvent",
    "RetryLetters",
    "UnloadDue",
    "Unload",
    "Drain",
    "Drained",
    "AddCapture",
    "RemoveCapture",
    "AttachListener",
    "Shutdown",
    "Wake",
    "Stamp",
]


@dataclass(frozen=True)
class Route:
    """An update (or a fired event) for the supervisor to seed and deliver.

    ``uid`` is the ``update_id`` of an update the intake accepted (its units of work are
    counted until it is done: :mod:`actorbot.actors._acks`); None for events and for
    updates given to ``bot.handle`` directly.
    """

    update: Any
    stamp: Stamp | None = None
    uid: int | None = None


@dataclass(frozen=True)
class RouteBatch:
    """Updates for the supervisor to route one after the other (a ``getUpdates`` batch)."""

    routes: tuple[Route, ...]


@dataclass(frozen=True)
class Broadcast:
    """A message for every delegate whose captures match it; no seeding (``bot.mic.send``)."""

    update: Any


@dataclass(frozen=True)
class Deliver:
    """An update for one delegate: one unit of work of update ``uid`` (when not None).

    The supervisor keeps the same object while it buffers or redelivers the update, so
    the unit goes wherever the update goes until a delegate handles it (or it is given up).
    """

    update: Any
    stamp: Stamp | None = None
    uid: int | None = None


@dataclass(frozen=True)
class Failure:
    """What made a handler fail: the update it was handling and the exception it raised."""

    update: Any
    error: BaseException
    uid: int | None = None  # the update's unit of work goes on with the restarted conversation


@dataclass(frozen=True)
class Closing:
    """Delegate ``delegate_id`` closed: deliver nothing more to it; buffer what would go to it.

    ``failure`` is set when its handler raised: the supervisor then restarts the
    conversation (see :mod:`actorbot.actors._supervision`). ``unloaded``: it closed
    because it was told :class:`Unload` (no ``on_close``; its record stays in the store).
    """

    delegate_id: int
    failure: Failure | None = None
    unloaded: bool = False


@dataclass(frozen=True)
class Constructed:
    """Delegate ``delegate_id`` built its handler (on its own thread): route to it by its captures.

    Carries the captures its constructor registered (``captures``; any registered otherwise
    were told before it), so the supervisor has them all; until then, updates seeded to it
    wait in its buffer. ``handler`` is the handler object (for
    :meth:`~actorbot.DelegatorBot.conversations`).
    """

    delegate_id: int
    handler: Any
    captures: tuple[Any, ...] = ()


@dataclass(frozen=True)
class RestartDue:
    """The backoff of a failed conversation (placeholder ``delegate_id``) has ended."""

    delegate_id: int


@dataclass(frozen=True)
class RestoredEvent:
    """A conversation's event kept in the store across a restart, now due (scheduler -> supervisor).

    ``data`` is the event's body without its source; the supervisor gives it the source of
    the conversation ``(pattern, seed)`` (starting it from its stored state if it is not live).
    """

    pattern: int
    seed: Any
    flavor: str
    data: Any


@dataclass(frozen=True)
class UnloadDue:
    """Time for the supervisor's sweep: unload the conversations idle for ``unload_after`` s."""


@dataclass(frozen=True)
class Unload:
    """Supervisor to an idle delegate: commit your record, hand your pending events over to
    the scheduler, and close without ``on_close`` (the next update rebuilds you from the store)."""


@dataclass(frozen=True)
class RetryLetters:
    """Dead letters handed back by the program: route them again, lifting quarantine."""

    letters: tuple[Any, ...]


@dataclass(frozen=True)
class Drain:
    """Supervisor to a closing delegate: hand back what you received after closing, then stop."""


@dataclass(frozen=True)
class Drained:
    """A closed delegate's answer to :class:`Drain`: the deliveries it received but did not handle."""

    delegate_id: int
    bounced: tuple[Deliver, ...]


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
    """Close and stop (sent by ``stop()``); the supervisor waits at most ``grace`` s for delegates."""

    grace: float = 0.0


@dataclass(frozen=True)
class Wake:
    """Scheduler: re-check due events now (a new earliest event, or a poke)."""


@dataclass(frozen=True)
class Inspect:
    """Asks the supervisor for a snapshot of its live conversations (``ConversationInfo`` list)."""

    token: str | None = None  # never shown in a state value
