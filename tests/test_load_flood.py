"""Issue 13's flood, smaller: updates for many distinct chats and for one chat, arriving faster
than handlers finish, through a real MessageLoop and DelegatorBot (``benchmarks/load_flood.py``
runs the full size: 100,000 + 50,000).

Asserted: every update handled once, the one chat's in order; the pool's threads within
``max_workers``; the updates accepted and not handled within ``max_unfinished`` and, for one
chat, ``max_unfinished_per_chat``, and each bound reached (the loop paused at it). The first
handlers block until the loop pauses (a bounded wait on an event); nothing sleeps.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from load_flood import run_flood  # noqa: E402

FIXED_THREADS = 6  # the loop, the supervisor, the scheduler, the sampler, headroom


@pytest.mark.parametrize(
    ("mode", "distinct", "one_chat", "bound_reached"),
    [("interleaved", 2_000, 5_000, "one_chat"), ("phases", 2_000, 1_000, "unfinished")],
)
def test_a_flood_stays_within_the_bounds_and_loses_nothing(
    mode: str, distinct: int, one_chat: int, bound_reached: str
) -> None:
    bounds: dict[str, Any] = {"max_unfinished": 300, "per_chat": 50, "max_workers": 8}
    result = run_flood(distinct, one_chat, mode=mode, timeout=60, **bounds)
    assert result["finished"], result
    assert (result["lost"], result["duplicates"], result["out_of_order"]) == (0, 0, 0), result
    assert result["handled"] == distinct + one_chat
    assert result["peak_pool_threads"] <= bounds["max_workers"], result
    assert result["peak_threads"] <= result["base_threads"] + bounds["max_workers"] + FIXED_THREADS, result
    assert result["peak_unfinished"] <= bounds["max_unfinished"], result
    assert result["peak_unfinished_one_chat"] <= bounds["per_chat"], result
    # the flood outran the handlers: the loop paused exactly at a bound
    limit = {"one_chat": bounds["per_chat"], "unfinished": bounds["max_unfinished"]}[bound_reached]
    assert result["at_pause"][bound_reached] == limit, result
