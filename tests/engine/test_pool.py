"""The pooled actor runtime (actorbot.actors.PooledActor / WorkerPool) on its own, then under a bot.

Every wait is bounded (events, futures, joins with timeouts); nothing sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pykka
import pytest

from actorbot import DelegatorBot
from actorbot.actors import PoolClosed, PooledActor, PooledDelegateActor, WorkerPool
from actorbot.delegate import create_open, pave_event_space, per_chat_id
from actorbot.helper import ChatHandler
from enginekit import TOKEN, Telegram, chat_message

WAIT = 5.0


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    p = WorkerPool(8, idle_timeout=1.0, name="test-pool")
    yield p
    pykka.ActorRegistry.stop_all(timeout=WAIT)
    assert p.shutdown(WAIT)


class Recorder(PooledActor):
    """Records what it handled and on which thread; a message ("block", event) waits on the event."""

    def __init__(self, pool: WorkerPool, name: str = "r", log: list[Any] | None = None,
                 made: list[Any] | None = None) -> None:
        super().__init__(pool=pool)
        if made is not None:
            made.append(self)  # lets a test look at the actor object after it stopped
        self.name = name
        self.log: list[Any] = log if log is not None else []
        self.threads: list[threading.Thread] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()

    def on_start(self) -> None:
        self.threads.append(threading.current_thread())
        self.log.append((self.name, "start"))

    def on_receive(self, message: Any) -> Any:
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self.threads.append(threading.current_thread())
            if isinstance(message, tuple) and message[0] == "block":
                message[1].set()  # tell the test it is running
                assert message[2].wait(WAIT)
            elif message == "boom":
                raise ValueError("boom")
            elif message == "get":
                return list(self.log)
            self.log.append((self.name, message))
            return message
        finally:
            with self.lock:
                self.in_flight -= 1

    def on_stop(self) -> None:
        self.log.append((self.name, "stop"))

    def on_failure(self, *exc_info: Any) -> None:
        self.log.append((self.name, "failure", type(exc_info[1]).__name__))

    def double(self, x: int) -> int:  # for the proxy test
        return 2 * x


def spawn(cls: type[Recorder], pool: WorkerPool, name: str = "r",
          log: list[Any] | None = None) -> tuple[pykka.ActorRef[Any], Any]:
    made: list[Any] = []
    ref = cls.start(pool, name, log, made)
    return ref, made[0]


def blocker() -> tuple[str, threading.Event, threading.Event]:
    return ("block", threading.Event(), threading.Event())


# -- ordering and exclusivity -----------------------------------------------------------------------------
def test_messages_of_one_actor_are_handled_in_order_on_pool_workers(pool: WorkerPool) -> None:
    ref, actor = spawn(Recorder, pool)
    for n in range(500):
        ref.tell(n)
    log = ref.ask("get", timeout=WAIT)
    assert log == [("r", "start")] + [("r", n) for n in range(500)]
    assert all(t.name.startswith("test-pool-") for t in actor.threads)
    assert pool.worker_count <= pool.max_workers


def test_on_start_runs_before_a_message_told_during_init(pool: WorkerPool) -> None:
    class Early(Recorder):
        def __init__(self, pool: WorkerPool) -> None:
            super().__init__(pool)
            self.actor_ref.tell("told in __init__")

    ref = Early.start(pool)
    ref.tell("after start")
    assert ref.ask("get", timeout=WAIT) == [("r", "start"), ("r", "told in __init__"), ("r", "after start")]


def test_an_actor_never_runs_on_two_workers_at_once(pool: WorkerPool) -> None:
    class Small(Recorder):
        batch_size = 2  # re-queued often, so workers hand the actor around

    spawned = [spawn(Small, pool, f"a{i}") for i in range(4)]
    refs = [ref for ref, _ in spawned]

    def send(offset: int) -> None:
        for n in range(300):
            refs[n % 4].tell((offset, n))

    senders = [threading.Thread(target=send, args=(k,)) for k in range(3)]
    for t in senders:
        t.start()
    for t in senders:
        t.join(WAIT)
    for i, (ref, actor) in enumerate(spawned):
        log = ref.ask("get", timeout=WAIT)
        assert actor.max_in_flight == 1
        assert len(log) == 1 + 3 * 75
        for k in range(3):  # each sender's messages to this actor, in the order it sent them
            assert [m[1] for _, m in log[1:] if m[0] == k] == [n for n in range(300) if n % 4 == i]


def test_a_busy_actor_is_requeued_behind_others_after_a_batch() -> None:
    single = WorkerPool(1, name="single")
    try:
        log: list[Any] = []
        a = Recorder.start(single, "a", log)
        b = Recorder.start(single, "b", log)
        a.ask("get", timeout=WAIT)
        b.ask("get", timeout=WAIT)
        assert log == [("a", "start"), ("b", "start")]
        gate = blocker()
        a.tell(gate)  # the only worker now runs a, inside this message
        assert gate[1].wait(WAIT)
        for n in range(100):
            a.tell(n)
        b.tell("b's one message")
        gate[2].set()
        assert a.ask("get", timeout=WAIT)[-1] == ("a", 99)
        handled = [entry for entry in log if entry[1] != "start"]
        # a's first batch is 32 messages (the gate and 0..30); then b, queued meanwhile, runs.
        assert handled[31] == ("a", 30)
        assert handled[32] == ("b", "b's one message")
        assert handled[33:] == [("a", n) for n in range(31, 100)]
    finally:
        pykka.ActorRegistry.stop_all(timeout=WAIT)
        assert single.shutdown(WAIT)


# -- concurrency -------------------------------------------------------------------------------------------
def test_a_slow_actor_does_not_block_the_others(pool: WorkerPool) -> None:
    slow = Recorder.start(pool, "slow")
    fast = [Recorder.start(pool, f"fast{i}") for i in range(5)]
    gate = blocker()
    slow.tell(gate)
    assert gate[1].wait(WAIT)  # slow holds one worker
    for i, ref in enumerate(fast):
        assert ref.ask(f"hello {i}", timeout=WAIT) == f"hello {i}"  # answered while slow waits
    assert not gate[2].is_set()
    gate[2].set()
    slow.tell("after")
    assert slow.ask("get", timeout=WAIT)[-1] == ("slow", "after")


def test_actors_run_concurrently_on_several_workers(pool: WorkerPool) -> None:
    spawned = [spawn(Recorder, pool, f"b{i}") for i in range(3)]
    refs = [ref for ref, _ in spawned]
    gates = [blocker() for _ in refs]
    for ref, gate in zip(refs, gates, strict=True):
        ref.tell(gate)
    for gate in gates:
        assert gate[1].wait(WAIT)  # all three are inside a handler at the same time
    threads = {actor.threads[-1] for _, actor in spawned}
    assert len(threads) == 3
    for gate in gates:
        gate[2].set()


def test_without_a_limit_a_blocked_actor_never_delays_another() -> None:
    pool = WorkerPool(name="test-pool-unbounded", idle_timeout=0.2)
    try:
        stuck = [spawn(Recorder, pool)[0] for _ in range(8)]
        release = threading.Event()
        running = [threading.Event() for _ in stuck]
        for ref, started in zip(stuck, running, strict=True):
            ref.tell(("block", started, release))
        for started in running:
            assert started.wait(WAIT)  # all 8 are blocked in their handlers at once
        free, _ = spawn(Recorder, pool)
        free.tell(1)
        assert free.ask("get", timeout=WAIT)[-1] == ("r", 1)  # served while the 8 are still blocked
        release.set()
        for ref in stuck + [free]:
            ref.stop()
    finally:
        assert pool.shutdown(WAIT)


def test_at_max_workers_further_actors_wait_for_a_free_worker() -> None:
    """The documented limit: with every worker blocked, a ready actor waits."""
    small = WorkerPool(2, name="small")
    try:
        refs = [Recorder.start(small, f"c{i}") for i in range(3)]
        gates = [blocker() for _ in refs]
        refs[0].tell(gates[0])
        refs[1].tell(gates[1])
        assert gates[0][1].wait(WAIT) and gates[1][1].wait(WAIT)
        third = refs[2].ask("queued", block=False)
        with pytest.raises(pykka.Timeout):
            third.get(timeout=0.2)  # no worker is free (bounded wait; nothing sleeps)
        assert small.worker_count == 2
        gates[0][2].set()
        assert third.get(timeout=WAIT) == "queued"
        gates[1][2].set()
    finally:
        pykka.ActorRegistry.stop_all(timeout=WAIT)
        assert small.shutdown(WAIT)


# -- pykka's semantics --------------------------------------------------------------------------------------
def test_ask_exception_goes_to_the_future_and_the_actor_goes_on(pool: WorkerPool) -> None:
    ref = Recorder.start(pool)
    with pytest.raises(ValueError, match="boom"):
        ref.ask("boom", timeout=WAIT)
    assert ref.is_alive()
    assert ref.ask("still here", timeout=WAIT) == "still here"


def test_tell_exception_takes_pykkas_failure_path(pool: WorkerPool) -> None:
    ref, actor = spawn(Recorder, pool)
    gate = blocker()
    ref.tell(gate)
    assert gate[1].wait(WAIT)
    ref.tell("boom")
    pending = ref.ask("never handled", block=False)
    gate[2].set()
    assert ref.actor_stopped.wait(WAIT)
    with pytest.raises(pykka.ActorDeadError):
        pending.get(timeout=WAIT)
    assert actor.log[-1] == ("r", "failure", "ValueError")  # on_failure ran; on_stop did not
    assert ("r", "stop") not in actor.log
    assert ref not in pykka.ActorRegistry.get_all()
    with pytest.raises(pykka.ActorDeadError):
        ref.tell("too late")


def test_on_start_failure_stops_the_actor_and_fails_queued_asks(pool: WorkerPool) -> None:
    class BadStart(Recorder):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self.early = self.actor_ref.ask("queued before start", block=False)

        def on_start(self) -> None:
            raise RuntimeError("cannot start")

    ref, actor = spawn(BadStart, pool)
    assert ref.actor_stopped.wait(WAIT)
    with pytest.raises(pykka.ActorDeadError):
        actor.early.get(timeout=WAIT)
    assert actor.log == []  # neither on_failure nor on_stop


def test_stop_is_queued_behind_earlier_messages_and_fails_later_asks(pool: WorkerPool) -> None:
    ref, actor = spawn(Recorder, pool)
    gate = blocker()
    ref.tell(gate)
    assert gate[1].wait(WAIT)
    before = ref.ask("before stop", block=False)
    stopped = ref.stop(block=False)
    after = ref.ask("after stop", block=False)
    gate[2].set()
    assert before.get(timeout=WAIT) == "before stop"
    assert stopped.get(timeout=WAIT) is True
    with pytest.raises(pykka.ActorDeadError):
        after.get(timeout=WAIT)
    assert actor.log == [("r", "start"), ("r", gate), ("r", "before stop"), ("r", "stop")]
    assert ref.actor_stopped.is_set()
    assert ref.stop(timeout=WAIT) is False  # already dead


def test_proxies_and_the_registry_work(pool: WorkerPool) -> None:
    ref = Recorder.start(pool)
    assert pykka.ActorRegistry.get_by_urn(ref.actor_urn) is ref
    assert ref.proxy().double(21).get(timeout=WAIT) == 42
    assert ref.proxy().name.get(timeout=WAIT) == "r"


def test_a_base_exception_stops_every_actor(pool: WorkerPool) -> None:
    class Exiting(Recorder):
        def on_receive(self, message: Any) -> Any:
            if message == "exit":
                raise SystemExit(3)
            return super().on_receive(message)

    bystander, bystander_actor = spawn(Recorder, pool, "bystander")
    ref = Exiting.start(pool, "exiting")
    ref.tell("exit")
    assert ref.actor_stopped.wait(WAIT)
    assert bystander.actor_stopped.wait(WAIT)
    assert bystander_actor.log[-1] == ("bystander", "stop")


# -- the pool itself ------------------------------------------------------------------------------------------
def test_idle_workers_end_and_shutdown_joins_every_worker() -> None:
    p = WorkerPool(4, idle_timeout=0.05, name="idle-pool")
    seen: list[threading.Thread] = []
    done = threading.Event()

    def task() -> None:
        seen.append(threading.current_thread())
        done.set()

    p.submit(task)
    assert done.wait(WAIT)
    seen[0].join(WAIT)  # ends on its own after 50 ms with nothing to do
    assert not seen[0].is_alive()
    assert p.worker_count == 0

    gates = [blocker() for _ in range(3)]
    for gate in gates:
        p.submit(lambda gate=gate: (gate[1].set(), gate[2].wait(WAIT)))
    for gate in gates:
        assert gate[1].wait(WAIT)
    assert p.worker_count == 3
    for gate in gates:
        gate[2].set()
    assert p.shutdown(WAIT)
    assert p.worker_count == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("idle-pool-")]
    with pytest.raises(PoolClosed):
        p.submit(task)


def test_an_actor_started_on_a_closed_pool_is_dead_at_once() -> None:
    p = WorkerPool(2, name="closed-pool")
    p.shutdown(WAIT)
    ref = Recorder.start(p)
    assert ref.actor_stopped.is_set()
    with pytest.raises(pykka.ActorDeadError):
        ref.ask("anything", timeout=WAIT)
    assert ref not in pykka.ActorRegistry.get_all()


def test_pool_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        WorkerPool(0)
    with pytest.raises(ValueError):
        WorkerPool(2, idle_timeout=0)


# -- under a DelegatorBot ---------------------------------------------------------------------------------------
class Echo(ChatHandler):
    def on_chat_message(self, msg: dict[str, Any]) -> None:
        self.sender.sendMessage(f"{msg['text']}@{threading.current_thread().name.split('-')[1]}")


def test_a_pool_bot_runs_many_delegates_on_few_threads(loopback_api: Any) -> None:
    telegram = Telegram(loopback_api)
    before = set(threading.enumerate())
    bot = DelegatorBot(TOKEN, [pave_event_space()(per_chat_id(), create_open, Echo, timeout=10)],
                       api_url=loopback_api.url, runtime="pool", max_workers=3)
    try:
        assert bot.engine.runtime == "pool" and bot.engine.delegate_class is PooledDelegateActor
        for chat in range(1, 41):
            bot.handle(chat_message(chat, f"hi{chat}"))
        bot.settle()
        assert bot.engine.supervisor is not None and bot.engine.supervisor.live_count == 40
        for chat in range(1, 41):
            assert telegram.texts_to(chat) == [f"hi{chat}@pool"]
        started = {t.name for t in set(threading.enumerate()) - before}
        workers = {name for name in started if name.startswith("actorbot-pool-")}
        assert 1 <= len(workers) <= 3
        # 40 live delegates, no thread of their own: the workers, the supervisor, the scheduler
        others = {name.split("-")[0] for name in started - workers if not name.startswith("loopback")}
        assert others == {"SupervisorActor", "_SchedulerActor"}  # (the loopback server's aside)
    finally:
        bot.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("actorbot-pool-") and t.is_alive()]
    assert not pykka.ActorRegistry.get_all()


def test_the_runtime_is_chosen_by_argument_else_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    bots: list[DelegatorBot] = []

    def make(**kwargs: Any) -> DelegatorBot:
        bots.append(DelegatorBot(TOKEN, [], **kwargs))
        return bots[-1]

    monkeypatch.delenv("ACTORBOT_RUNTIME", raising=False)
    assert make().engine.runtime == "pool"
    assert make().engine.pool.max_workers == 64  # by default bounded (see test_pool_bound.py)
    monkeypatch.setenv("ACTORBOT_RUNTIME", "threads")
    assert make().engine.runtime == "threads"
    assert make(runtime="pool").engine.pool is not None
    assert make(runtime="threads").engine.pool is None
    for bot in bots:
        bot.stop()
    monkeypatch.setenv("ACTORBOT_RUNTIME", "fibers")
    with pytest.raises(ValueError, match="ACTORBOT_RUNTIME"):
        DelegatorBot(TOKEN, [])
    with pytest.raises(ValueError, match="runtime"):
        DelegatorBot(TOKEN, [], runtime="fibers")
