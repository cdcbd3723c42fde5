"""actorbot's engine: the supervisor actor, delegate actors, the event scheduler, the clock.

Private machinery behind :class:`actorbot.DelegatorBot`; the names re-exported here
are what other parts of actorbot (``Bot.scheduler``, ``actorbot.testing``) use.
"""

from __future__ import annotations

from ._activity import Activity
from ._clock import Deadline, now, real_monotonic
from ._delegate import DelegateActor, HandlerDelegate, PooledDelegateActor
from ._engine import RUNTIMES, Engine, EngineMicrophone, ListenerBinding
from ._matching import Capture, CaptureIndex, match, match_all
from ._pool import PoolClosed, PooledActor, WorkerPool
from ._scheduler import Event, EventScheduler

__all__ = [
    "Activity",
    "Capture",
    "CaptureIndex",
    "Deadline",
    "DelegateActor",
    "Engine",
    "EngineMicrophone",
    "Event",
    "EventScheduler",
    "HandlerDelegate",
    "ListenerBinding",
    "PoolClosed",
    "PooledActor",
    "PooledDelegateActor",
    "RUNTIMES",
    "WorkerPool",
    "match",
    "match_all",
    "now",
    "real_monotonic",
]
