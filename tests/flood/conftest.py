"""Fixtures of the flood tests: a virtual clock from 0, and an emulator enforcing Telegram's
limits on that clock (a module may define its own to start elsewhere)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from actorbot.api import VirtualClock
from actorbot.emulator import Emulator


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(start=0.0)


@pytest.fixture
def emu(clock: VirtualClock) -> Iterator[Emulator]:
    with Emulator(clock=clock.now, flood_limits=True) as emulator:
        yield emulator
