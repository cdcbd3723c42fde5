"""Beyond ``core_workers`` a pool grows only while its workers are blocked, and shrinks back
when they are busy: the same stream of tasks gets more threads when the process's CPU says
the workers wait on something, and stays at the core when it says they compute.

The process CPU the pool reads is a clock the test controls (``cpu_clock``), and so is the
machine's stolen CPU time (``steal_ticks``), so what the pool concludes does not depend
on this machine's load. Each task holds its worker for a
millisecond (the work it stands for); every wait for an outcome is an event with a bound.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from actorbot.actors import WorkerPool
from actorbot.actors._clock import real_monotonic

WAIT = 10.0
CORE = 2


class CpuReading:
    """A process CPU clock that reads as one busy core, or as an idle process (it stands still)."""

    def __init__(self) -> None:
        self._before = 0.0  # CPU seconds counted before the current busy spell
        self._busy_since: float | None = None

    @property
    def busy(self) -> bool:
        return self._busy_since is not None

    def __call__(self) -> float:
        if self._busy_since is None:
            return self._before
        return self._before + real_monotonic() - self._busy_since

    def set_busy(self, busy: bool) -> None:
        if busy and self._busy_since is None:
            self._busy_since = real_monotonic()
        elif not busy and self._busy_since is not None:
            self._before, self._busy_since = self(), None


class Stream:
    """``chains`` tasks that each hold a worker 1 ms and submit the next, until stopped;
    records the most workers seen alive by a task."""

    def __init__(self, pool: WorkerPool, chains: int) -> None:
        self.pool = pool
        self.chains = chains
        self.stop = threading.Event()
        self.ended = threading.Semaphore(0)
        self._lock = threading.Lock()
        self.most = 0
        self.ran = 0
        self.reached: dict[int, threading.Event] = {}
        self.counted: dict[int, threading.Event] = {}

    def start(self) -> None:
        for _ in range(self.chains):
            self.pool.submit(self._task)

    def _task(self) -> None:
        count = self.pool.worker_count
        with self._lock:  # tasks run on several workers at once
            self.most = max(self.most, count)
            self.ran += 1
        for size, event in self.reached.items():
            if count >= size:
                event.set()
        for ran, event in self.counted.items():
            if self.ran >= ran:
                event.set()
        threading.Event().wait(0.001)  # the task's own work: it holds its worker 1 ms
        if self.stop.is_set():
            self.ended.release()
        else:
            self.pool.submit(self._task)

    def until(self, size: int) -> threading.Event:
        """Set once a task saw ``size`` workers alive."""
        return self.reached.setdefault(size, threading.Event())

    def after(self, tasks: int) -> threading.Event:
        """Set once about ``tasks`` tasks ran."""
        return self.counted.setdefault(tasks, threading.Event())

    def finish(self) -> None:
        self.stop.set()
        for _ in range(self.chains):
            assert self.ended.acquire(timeout=WAIT)


def no_steal() -> tuple[int, int]:
    """A machine of its own: no CPU time goes to other virtual machines."""
    return 0, 0


def submit_stuck(pool: WorkerPool, count: int, release: threading.Event) -> list[threading.Event]:
    """Submit ``count`` tasks that block until ``release``; each sets its event as it starts."""
    started = [threading.Event() for _ in range(count)]

    def stuck(event: threading.Event) -> Callable[[], None]:
        def task() -> None:
            event.set()
            assert release.wait(WAIT)
        return task

    for event in started:
        pool.submit(stuck(event))
    return started


@pytest.fixture
def cpu() -> CpuReading:
    return CpuReading()


@pytest.fixture
def make_pool(cpu: CpuReading) -> Iterator[Callable[..., WorkerPool]]:
    pools: list[WorkerPool] = []

    def make(max_workers: int = 16, **kwargs: object) -> WorkerPool:
        pool = WorkerPool(max_workers, core_workers=CORE, cpu_clock=cpu, steal_ticks=no_steal, name="growth",
                          **kwargs)  # type: ignore[arg-type]
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        assert pool.shutdown(WAIT)


def test_blocked_workers_grow_the_pool_beyond_its_core(make_pool: Callable[..., WorkerPool]) -> None:
    pool = make_pool()
    stream = Stream(pool, chains=12)
    grown = stream.until(8)
    stream.start()
    assert grown.wait(WAIT)  # an idle process with tasks waiting: the workers are blocked
    stream.finish()
    assert CORE < stream.most <= 16


def test_busy_workers_keep_the_pool_at_its_core(make_pool: Callable[..., WorkerPool], cpu: CpuReading) -> None:
    cpu.set_busy(True)  # the process uses a core: more threads would only compete for it
    pool = make_pool()
    stream = Stream(pool, chains=12)
    worked = stream.after(300)  # 300 tasks of 1 ms on two workers: a dozen of the grower's looks
    stream.start()
    assert worked.wait(WAIT)
    stream.finish()
    assert stream.most == CORE  # ten tasks waited all along, but the workers were busy


def test_a_grown_pool_shrinks_back_to_its_core_once_busy(cpu: CpuReading) -> None:
    shrunk = threading.Event()
    pool: WorkerPool

    def worker_ended() -> None:
        if pool.worker_count <= CORE:
            shrunk.set()

    pool = WorkerPool(16, core_workers=CORE, cpu_clock=cpu, steal_ticks=no_steal, name="shrinking",
                      on_worker_exit=worker_ended)
    try:
        stream = Stream(pool, chains=12)
        grown = stream.until(8)
        stream.start()
        assert grown.wait(WAIT)
        cpu.set_busy(True)  # the same stream, but now the workers compute
        assert shrunk.wait(WAIT)
        assert pool.worker_count == CORE  # retired one a tick, down to the core, not below
        stream.finish()
    finally:
        assert pool.shutdown(WAIT)


def test_growth_never_passes_max_workers(make_pool: Callable[..., WorkerPool]) -> None:
    pool = make_pool(max_workers=5)
    stream = Stream(pool, chains=12)
    full = stream.until(5)
    stream.start()
    assert full.wait(WAIT)
    stream.finish()
    assert stream.most == 5


def test_tasks_blocked_forever_still_let_the_pool_grow_though_the_cpu_is_busy(
        make_pool: Callable[..., WorkerPool], cpu: CpuReading) -> None:
    cpu.set_busy(True)  # something else uses the CPU; no task starts: the workers are stuck
    pool = make_pool(max_workers=8)
    release = threading.Event()
    try:
        for event in submit_stuck(pool, 6, release):
            assert event.wait(WAIT)  # all six run at once though only two start at once
    finally:
        release.set()


def test_core_workers_none_starts_every_worker_at_once() -> None:
    pool = WorkerPool(6, core_workers=None, growth_tick=3600.0, name="eager")
    release = threading.Event()
    try:
        for event in submit_stuck(pool, 6, release):
            assert event.wait(WAIT)  # no grower tick (an hour away) was needed
    finally:
        release.set()
        assert pool.shutdown(WAIT)


def test_invalid_growth_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="core_workers"):
        WorkerPool(4, core_workers=0)
    with pytest.raises(ValueError, match="growth_tick"):
        WorkerPool(4, growth_tick=0)


class Steady:
    """A process CPU clock reading ``cores`` busy cores, and a machine whose hypervisor
    takes ``stolen`` of its CPU time (as ``/proc/stat`` ticks)."""

    def __init__(self, cores: float, stolen: float) -> None:
        self.cores = cores
        self.stolen = stolen

    def cpu(self) -> float:
        return real_monotonic() * self.cores

    def steal(self) -> tuple[int, int]:
        ticks = int(real_monotonic() * 10_000)
        return int(ticks * self.stolen), ticks


@pytest.mark.parametrize(("stolen", "grows"), [(0.0, True), (0.5, False)])
def test_cpu_stolen_by_the_hypervisor_lowers_what_counts_as_busy(stolen: float, grows: bool) -> None:
    # 0.6 of a core: blocked on a machine of its own (under 0.8), busy when half the
    # machine's CPU time goes to other virtual machines (over 0.8 x 0.5)
    machine = Steady(cores=0.6, stolen=stolen)
    pool = WorkerPool(16, core_workers=CORE, cpu_clock=machine.cpu, steal_ticks=machine.steal, name="stolen")
    try:
        stream = Stream(pool, chains=12)
        worked = stream.after(300)  # a dozen of the grower's looks, tasks waiting all along
        stream.start()
        assert worked.wait(WAIT)
        stream.finish()
        assert (stream.most > CORE) is grows
    finally:
        assert pool.shutdown(WAIT)
