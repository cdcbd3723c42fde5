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

**Handler errors fail the test.** An exception a handler raises (or anything else the
bot reports to ``on_error``) makes the next :meth:`BotHarness.settle` raise
:class:`HandlerError` with that exception's traceback chained, and the ``run_bot``
fixture fails the test at teardown if nothing raised it before. A test that expects
errors says so::

    with harness.expect_errors() as errors:
        alice.send("/crash")
    assert isinstance(errors[0].exc, ZeroDivisionError)

Threads: the emulator serves on its own threads, the bot polls on its loop thread
and handles on its actor threads; everything here is called from the test's thread
and waits on conditions with a bound (``TimeoutError`` when the bound passes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from .actors._clock import Deadline
from .emulator import Emulator, SimulationTimeout

__all__ = [
    "BotHarness", "BotFactory", "Connect", "HandlerError", "ReportedError", "serve_bot", "emulator", "run_bot",
]


@dataclass(frozen=True)
class ReportedError:
    """One error the bot reported to ``on_error`` while under test."""

    exc: BaseException
    update: Any
    conversation: Any


class HandlerError(AssertionError):
    """The bot under test reported an error the test did not expect (its cause is chained)."""


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
        self._lock = threading.Lock()
        self._errors: list[ReportedError] = []
        self._unexpected: list[ReportedError] = []
        self._expecting: list[list[ReportedError]] = []
        reporter = getattr(bot, "reporter", None)
        if reporter is not None:
            reporter.observe(self._observe)
        emulator.attach_bot(bot)  # the browser chat's side panel lists its conversations
        self.loop = bot.message_loop(relax=0, timeout=poll_timeout) if poll else None

    # -- errors -------------------------------------------------------------------------------
    def _observe(self, exc: BaseException, update: Any, conversation: Any) -> None:
        """The reporter's observer; runs on the thread where the error happened."""
        error = ReportedError(exc, update, conversation)
        with self._lock:
            self._errors.append(error)
            if self._expecting:
                self._expecting[-1].append(error)
            else:
                self._unexpected.append(error)

    @property
    def errors(self) -> list[ReportedError]:
        """Every error the bot reported so far, expected or not, oldest first."""
        with self._lock:
            return list(self._errors)

    @contextmanager
    def expect_errors(self, settle: bool = True) -> Iterator[list[ReportedError]]:
        """Errors reported inside the block are expected: collected in the list it gives,
        not failing the test. Settles before leaving (unless ``settle=False``), so errors
        of the updates sent inside the block are in the list."""
        collected: list[ReportedError] = []
        with self._lock:
            self._expecting.append(collected)
        try:
            yield collected
            if settle:
                self.settle(check_errors=False)
        finally:
            with self._lock:
                self._expecting.remove(collected)

    def check_errors(self) -> None:
        """Raise :class:`HandlerError` for the first error reported and not expected (once)."""
        with self._lock:
            unexpected, self._unexpected = self._unexpected, []
        if unexpected:
            first = unexpected[0]
            more = f" (and {len(unexpected) - 1} more)" if len(unexpected) > 1 else ""
            where = f" in {first.conversation}" if first.conversation is not None else ""
            raise HandlerError(
                f"the bot reported {type(first.exc).__name__}: {first.exc}{where}{more}; "
                "wrap the test's actions in harness.expect_errors() if this is expected"
            ) from first.exc

    @property
    def sim(self) -> Any:
        """The :class:`~actorbot.emulator.Simulation`: create users and chats, act as them."""
        return self.emulator.sim

    def settle(self, timeout: float = 5.0, *, check_errors: bool = True) -> None:
        """Return once nothing is in flight anywhere; raise ``TimeoutError`` after ``timeout`` s.

        Then raises :class:`HandlerError` if the bot reported an error the test did not
        expect (see :meth:`expect_errors`), unless ``check_errors`` is false.

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
                break
            if deadline.expired():
                raise TimeoutError(f"not settled within {timeout}s")
        if check_errors:
            self.check_errors()

    def advance(self, frozen: Any, seconds: float, *, timeout: float = 5.0) -> None:
        """Move freezegun's ``frozen`` time ``seconds`` forward, fire what became due, settle.

        ``frozen`` is what ``with freeze_time(...) as frozen`` gives. The scheduler
        sleeps on real time, so it is poked to look at the clock again at once.
        """
        frozen.tick(seconds)
        self.settle(timeout)

    def stop(self) -> None:
        """Stop the bot (its loop, delegates, scheduler, HTTP). Idempotent."""
        if self.emulator.attached_bot is self.bot:
            self.emulator.attach_bot(None)
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
    for harness in harnesses:
        harness.check_errors()  # an error no settle() raised fails the test here


if pytest is not None:
    emulator = pytest.fixture(emulator)  # type: ignore[assignment]
    run_bot = pytest.fixture(run_bot)  # type: ignore[assignment]
