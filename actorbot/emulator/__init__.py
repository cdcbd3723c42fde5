"""A local Telegram Bot API server with a simulation side: run and test bots with no token.

:class:`Emulator` serves ``/bot<token>/<method>`` (JSON, urlencoded, multipart),
``/file/bot<token>/<path>`` and the simulation's HTTP API under ``/sim/``; its
``sim`` attribute is the Python :class:`Simulation` (users, chats, button presses,
inline queries, payments, transcripts, the call log, bounded waits). Faults are
injected with :class:`Fault`. Run it standalone with ``python -m actorbot.emulator``.

It uses only the generated Bot API tables and ``actorbot.exception`` from the rest of
actorbot: a bot written with any library can be tested against it.
"""

from ._emulator import DEFAULT_TOKEN, Emulator
from ._faults import Fault, FaultPlan
from ._markup import MarkupError
from ._markup import parse as parse_markup
from ._records import ApiCall, TranscriptEntry
from ._sim import (
    TINY_PNG,
    CallbackHandle,
    InlineQueryHandle,
    PaymentHandle,
    SimChat,
    Simulation,
    SimulationError,
    SimulationTimeout,
    SimUser,
)

__all__ = [
    "DEFAULT_TOKEN",
    "Emulator",
    "Fault",
    "FaultPlan",
    "MarkupError",
    "parse_markup",
    "ApiCall",
    "TranscriptEntry",
    "Simulation",
    "SimUser",
    "SimChat",
    "CallbackHandle",
    "InlineQueryHandle",
    "PaymentHandle",
    "SimulationError",
    "SimulationTimeout",
    "TINY_PNG",
]
