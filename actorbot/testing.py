"""Test a bot against the local emulator: deterministic, no token, no network, no sleeps.

Use it as a pytest plugin (in ``conftest.py``: ``pytest_plugins = ["actorbot.testing"]``)
or directly::

    from actorbot.testing import BotHarness

    def build(token, **bot_kwargs):
        return DelegatorBot(token, [pave_event_space()(per_chat_id(), create_open, Counter, timeout=10)],
                            **bot_kwargs)

    def test_counter(run_bot):                 # the fixture starts emulator + bot, stops both
        harness = run_bot(build)
        alice = harness.sim.create_user("Alice")
        alice.send("hi")
        harness.settle()                       # every update handled, every reply sent
        assert alice.chat.text() == "Alice: hi\\nbot: 1"

Frozen time (freezegun) moves the engine's clock; :meth:`BotHarness.advance` moves it
*and* makes the event scheduler fire what became due, then settles::

    with freeze_time("2030-01-01") as frozen:
        harness = run_bot(build)
        ...
        harness.advance(frozen, 11)            # past the idle timeout: on_close has run

Threads: the emulator serves on its own threads, the bot polls on its loop thread
and handles on its actor threads; everything here is called from the test's thread
and waits on conditions with a bound (``TimeoutError`` when the bound passes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from .actors._clock import Deadline
from .emulator import Emulator, SimulationTimeout

__all__ = ["BotHarness", "BotFactory", "Connect", "serve_bot", "emulator", "run_bot"]


class BotFactory(Protocol):
    """``build(token, **bot_kwargs) -> bot``; the harness passes ``api_url=`` in ``bot_kwargs``."""

    def __call__(self, token: str, **bot_kwargs: Any) -> Any: ...


class BotHarness:
    """A bot under test, polling an :class:`~actorbot.emulator.Emulator`.

    :ivar bot: the bot (a :class:`~actorbot.Bot` or :class:`~actorbot.DelegatorBot`).
    :ivar emulator: the emulator; :attr:`sim` plays the users.
    """

    def __init__(self, emulator: Emulator, bot: Any, *, poll: bool = True, poll_timeout: int = 20) -> None:
        self.emulator = emulator
        self.bot = bot
        self.loop = bot.message_loop(relax=0, timeout=poll_timeout) if poll else None

    @property
    def sim(self) -> Any:
        """The :class:`~actorbot.emulator.Simulation`: create users and chats, act as them."""
        return self.emulator.sim

    def settle(self, timeout: float = 5.0) -> None:
        """Return once nothing is in flight anywhere; raise ``TimeoutError`` after ``timeout`` s.

        Quiescent means: the emulator holds no unacknowledged update and serves no call;
        the engine has no update being routed, every delegate mailbox is empty and idle,
        no scheduled event is due; the bot has no request outstanding. Checked again
        after the engine settles, because handling can cause more work.
        """
        deadline = Deadline(timeout)
        emu = self.emulator
        while True:
            try:
                self.sim.wait_until(emu.idle, _remaining(deadline), what="the emulator to be idle")
            except SimulationTimeout as exc:
                raise TimeoutError(f"not settled within {timeout}s: {exc}") from None
            engine_settle = getattr(self.bot, "settle", None)
            if engine_settle is None:  # a plain Bot: only its scheduler, if it made one, has work of its own
                scheduler = getattr(self.bot, "_scheduler", None)
                engine_settle = scheduler.settle if scheduler is not None else None
            if engine_settle is not None:
                engine_settle(timeout=_remaining(deadline))
            else:
                self.sim.wait_until(lambda: self.bot.requests_in_flight == 0, _remaining(deadline),
                                    what="the bot's requests")
            if emu.idle() and self.bot.requests_in_flight == 0:
                return
            if deadline.expired():
                raise TimeoutError(f"not settled within {timeout}s")

    def advance(self, frozen: Any, seconds: float, *, timeout: float = 5.0) -> None:
        """Move freezegun's ``frozen`` time ``seconds`` forward, fire what became due, settle.

        ``frozen`` is what ``with freeze_time(...) as frozen`` gives. The scheduler
        sleeps on real time, so it is poked to look at the clock again at once.
        """
        frozen.tick(seconds)
        self.settle(timeout)

    def stop(self) -> None:
        """Stop the bot (its loop, delegates, scheduler, HTTP). Idempotent."""
        self.bot.stop()


def _remaining(deadline: Deadline) -> float:
    remaining = deadline.remaining()
    return 0.0 if remaining is None else remaining


Connect = Callable[[Any, Emulator], AbstractContextManager[Any]]
"""``connect(bot, emulator)``: a context manager that feeds the bot its updates while it is open
(a webhook server, say) instead of polling."""


@contextmanager
def serve_bot(build: BotFactory, emulator: Emulator | None = None, *, connect: Connect | None = None,
              **harness_kwargs: Any) -> Iterator[BotHarness]:
    """Start ``build(token, api_url=...)`` against an emulator (a new one unless given); stop both after.

    The bot polls, unless ``connect`` is given: then the harness runs inside
    ``connect(bot, emulator)``, which delivers the updates.
    """
    own = emulator is None
    emu = Emulator().start() if emulator is None else emulator
    try:
        bot = build(emu.token, api_url=emu.url)
        try:
            if connect is None:
                yield BotHarness(emu, bot, **harness_kwargs)
            else:
                with connect(bot, emu):
                    yield BotHarness(emu, bot, poll=False, **harness_kwargs)
        finally:
            bot.stop()
    finally:
        if own:
            emu.stop()


# -- pytest fixtures (defined when pytest is installed) ------------------------------------------

try:
    import pytest
except ImportError:  # the kit's classes work without pytest
    pytest = None  # type: ignore[assignment]


def emulator() -> Iterator[Emulator]:
    """A started :class:`~actorbot.emulator.Emulator` on a free loopback port; stopped after the test."""
    with Emulator() as emu:
        yield emu


def run_bot(emulator: Emulator) -> Iterator[Callable[..., BotHarness]]:
    """``run_bot(build) -> BotHarness``: start a bot polling the test's emulator; stopped after the test."""
    harnesses: list[BotHarness] = []

    def start(build: BotFactory, **harness_kwargs: Any) -> BotHarness:
        harness = BotHarness(emulator, build(emulator.token, api_url=emulator.url), **harness_kwargs)
        harnesses.append(harness)
        return harness

    try:
        yield start
    finally:
        for harness in reversed(harnesses):
            harness.stop()


if pytest is not None:
    emulator = pytest.fixture(emulator)  # type: ignore[assignment]
    run_bot = pytest.fixture(run_bot)  # type: ignore[assignment]
