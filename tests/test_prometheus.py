"""``actorbot[prometheus]``: ``/metrics`` and ``/healthz`` over real HTTP on loopback."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest
from freezegun import freeze_time

prometheus_client = pytest.importorskip("prometheus_client")
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from actorbot import DelegatorBot  # noqa: E402
from actorbot.delegate import create_open, pave_event_space, per_chat_id  # noqa: E402
from actorbot.helper import ChatHandler  # noqa: E402
from actorbot.metrics import serve_metrics  # noqa: E402


class Counter(ChatHandler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._count = 0

    def on_chat_message(self, msg: dict[str, Any]) -> None:
        if msg["text"] == "boom":
            raise ValueError("boom")
        self._count += 1
        self.sender.sendMessage(str(self._count))


def build(token: str, **kwargs: Any) -> DelegatorBot:
    return DelegatorBot(
        token,
        [pave_event_space()(per_chat_id(), create_open, Counter, timeout=60)],
        on_error=lambda exc, update, conversation: None,
        **kwargs,
    )


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], error.read().decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_endpoint_serves_the_snapshot_as_prometheus_text(run_bot) -> None:
    # Frozen time: Bob's restart (0.5 s on the engine clock) stays pending while we look.
    with freeze_time("2030-01-01 12:00:00"):
        _scrape_and_check(run_bot)


def _scrape_and_check(run_bot) -> None:
    harness = run_bot(build)
    alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
    with harness.expect_errors():
        alice.send("a")
        alice.send("b")
        bob.send("c")
        bob.send("boom")
    with serve_metrics(harness.bot, port=0) as server:
        assert server.host == "127.0.0.1" and server.port > 0
        status, content_type, text = get(f"{server.url}/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    assert 'actorbot_updates_received_total{flavor="chat"} 4.0' in text
    got = samples(text)
    assert got[("actorbot_updates_handled_total", (("flavor", "chat"),))] == 3
    assert got[("actorbot_updates_failed_total", (("flavor", "chat"),))] == 1
    assert got[("actorbot_handler_latency_seconds_count", ())] == 4
    assert got[("actorbot_handler_latency_seconds_bucket", (("le", "+Inf"),))] == 4
    assert got[("actorbot_update_lag_seconds_count", ())] == 4
    assert got[("actorbot_api_calls_total", (("method", "sendMessage"), ("outcome", "ok")))] == 3
    assert got[("actorbot_api_latency_seconds_count", (("method", "sendMessage"),))] == 3
    # Bob's conversation waits out its restart backoff (the default policy, 0.5 s) to retry "boom"
    assert got[("actorbot_conversations", (("state", "live"),))] == 1
    assert got[("actorbot_conversations", (("state", "restarting"),))] == 1
    assert got[("actorbot_conversations", (("state", "quarantined"),))] == 0
    assert got[("actorbot_mailbox_depth", ())] == 0
    assert got[("actorbot_flood_waits_total", ())] == 0
    assert got[("actorbot_loop_alive", ())] == 1
    # no chat or user id ever becomes a label
    label_names = {name for (_, labels) in got for name, _ in labels}
    assert label_names == {"flavor", "le", "method", "outcome", "state"}
    ids = {str(alice.id), str(bob.id), str(alice.chat.id), str(bob.chat.id)}
    assert not ids & {value for (_, labels) in got for _, value in labels}


def test_healthz_follows_the_update_loop(run_bot) -> None:
    harness = run_bot(build)
    with serve_metrics(harness.bot) as server:
        assert get(f"{server.url}/healthz")[0] == 200
        assert get(f"{server.url}/nothing")[0] == 404
        harness.loop.stop()
        status, _, body = get(f"{server.url}/healthz")
        assert (status, body) == (503, "not running\n")
        assert samples(get(f"{server.url}/metrics")[2])[("actorbot_loop_alive", ())] == 0


def test_healthz_is_503_for_a_bot_that_never_polled(run_bot) -> None:
    harness = run_bot(build, poll=False)
    with serve_metrics(harness.bot) as server:
        assert get(f"{server.url}/healthz")[0] == 503


def test_each_server_has_its_own_registry_and_stops(run_bot) -> None:
    bot = run_bot(build, poll=False).bot
    before = set(prometheus_client.REGISTRY._names_to_collectors)
    one, two = serve_metrics(bot), serve_metrics(bot, namespace="other")
    try:
        assert one.port != two.port
        assert "other_updates_received_total" in get(f"{two.url}/metrics")[2]
        assert set(prometheus_client.REGISTRY._names_to_collectors) == before
    finally:
        one.stop()
        two.stop()
    one.stop()  # idempotent
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{one.url}/metrics", timeout=2)
    assert not one._thread.is_alive() and not two._thread.is_alive()
