"""Metrics: ``bot.metrics()`` as plain data, and a Prometheus endpoint (``actorbot[prometheus]``).

``bot.metrics()`` (on :class:`~actorbot.Bot` and :class:`~actorbot.DelegatorBot`) returns a
:class:`MetricsSnapshot`; see its docstring for every field. No chat or user id is ever a
key: counters are keyed by update flavor, Bot API method and outcome.

With ``pip install 'actorbot[prometheus]'`` (prometheus_client), serve them::

    from actorbot.metrics import serve_metrics

    bot = DelegatorBot(TOKEN, patterns)
    bot.message_loop()
    server = serve_metrics(bot, port=9464)            # 127.0.0.1 unless host= says otherwise
    ...
    server.stop()                                    # or: with serve_metrics(...) as server:

``GET /metrics`` answers the Prometheus text format, read from ``bot.metrics()`` at
scrape time by a :class:`BotCollector` registered in a registry of the server's own (the
global ``prometheus_client.REGISTRY`` is left alone). ``GET /healthz`` answers 200
while an update loop (polling or webhook) of the bot runs and the bot is not stopping,
503 otherwise. The families (``actorbot_`` by default; ``namespace=`` changes it):

==========================================  =========  ==================================
name                                        type       labels
==========================================  =========  ==================================
``updates_received_total``                  counter    ``flavor``
``updates_handled_total``                   counter    ``flavor``
``updates_failed_total``                    counter    ``flavor``
``handler_latency_seconds``                 histogram
``update_lag_seconds``                      histogram
``handler_timeouts_total``                  counter
``mailbox_depth``                           gauge      (all mailboxes)
``mailbox_depth_largest``                   gauge
``conversations``                           gauge      ``state`` (live, restarting, quarantined)
``dead_letters``                            gauge      (held now)
``dead_letters_added_total``                counter
``pool_workers_busy`` / ``pool_workers``    gauge
``api_calls_total``                         counter    ``method``, ``outcome``
``api_latency_seconds``                     histogram  ``method``
``api_requests_in_flight``                  gauge
``flood_waits_total``                       counter    (429 answers)
``flood_wait_seconds_total``                counter
``flood_chat_429s_total``                   counter    (429s that paused one chat)
``flood_global_429s_total``                 counter    (429s that paused the bot)
``flood_global_pauses_total``               counter    (bot paused: many chats' 429s)
``flood_paused_seconds_total``              counter    (pause the 429s added)
``flood_lane_waiting_largest``              gauge      (calls in the fullest chat lane)
``loop_alive``                              gauge      (1 or 0)
==========================================  =========  ==================================

Threads: the server answers on a thread of its own (one per request, daemon); the
collector runs on it. :meth:`MetricsServer.stop` shuts it down and joins it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .actors._metrics import LATENCY_BUCKETS, Histogram, MetricsSnapshot

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

__all__ = ["Histogram", "LATENCY_BUCKETS", "MetricsSnapshot", "BotCollector", "MetricsServer", "serve_metrics"]


def _prometheus() -> Any:
    try:
        import prometheus_client
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError(
            "serving metrics needs prometheus_client: pip install 'actorbot[prometheus]'"
        ) from exc
    return prometheus_client


class BotCollector:
    """A prometheus_client collector reading ``bot.metrics()`` at each scrape.

    Register it in a registry of your own (``CollectorRegistry().register(BotCollector(bot))``)
    or let :func:`serve_metrics` do it.
    """

    def __init__(self, bot: Any, namespace: str = "actorbot") -> None:
        self._bot = bot
        self._prefix = f"{namespace}_" if namespace else ""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        snap: MetricsSnapshot = self._bot.metrics()
        p = self._prefix

        def counter_by(name: str, doc: str, label: str, values: dict[str, int]) -> Any:
            family = CounterMetricFamily(p + name, doc, labels=[label])
            for key, n in sorted(values.items()):
                family.add_metric([key], n)
            return family

        def histogram(name: str, doc: str, hist: Histogram) -> Any:
            family = HistogramMetricFamily(p + name, doc)
            family.add_metric([], _buckets(hist), hist.sum)
            return family

        def gauge(name: str, doc: str, value: float) -> Any:
            return GaugeMetricFamily(p + name, doc, value=value)

        def counter(name: str, doc: str, value: float) -> Any:
            return CounterMetricFamily(p + name, doc, value=value)

        yield counter_by("updates_received", "Updates (and scheduled events) handed to the bot.", "flavor",
                         snap.updates_received)
        yield counter_by("updates_handled", "Handler runs that returned.", "flavor", snap.updates_handled)
        yield counter_by("updates_failed", "Handler runs that raised.", "flavor", snap.updates_failed)
        yield histogram("handler_latency_seconds", "Seconds each handler run took.", snap.handler_latency)
        yield histogram("update_lag_seconds", "Seconds from an update's arrival until its handler finished.",
                        snap.update_lag)
        yield counter("handler_timeouts", "Handler runs reported for outlasting handler_timeout.",
                      snap.handler_timeouts)
        yield gauge("mailbox_depth", "Updates waiting in conversations' mailboxes.", snap.mailbox_total)
        yield gauge("mailbox_depth_largest", "Updates waiting in the fullest mailbox.", snap.mailbox_largest)
        states = GaugeMetricFamily(p + "conversations", "Conversations by state.", labels=["state"])
        states.add_metric(["live"], snap.conversations_live)
        states.add_metric(["restarting"], snap.conversations_restarting)
        states.add_metric(["quarantined"], snap.conversations_quarantined)
        yield states
        yield counter("conversations_unloaded", "Conversations unloaded for idling (unload_after).",
                      snap.conversations_unloaded)
        yield gauge("dead_letters", "Dead letters held now.", snap.dead_letters)
        yield counter("dead_letters_added", "Dead letters ever added.", snap.dead_letters_total)
        yield gauge("pool_workers_busy", "Pool worker threads handling a message.", snap.pool_workers_busy)
        yield gauge("pool_workers", "Pool worker threads alive.", snap.pool_workers_total)
        calls = CounterMetricFamily(p + "api_calls", "Bot API calls by method and outcome (ok, error code, network).",
                                    labels=["method", "outcome"])
        for (method, outcome), n in sorted(snap.api_calls.items()):
            calls.add_metric([method, outcome], n)
        yield calls
        latency = HistogramMetricFamily(p + "api_latency_seconds", "Seconds each Bot API call took, retries included.",
                                        labels=["method"])
        for method, hist in sorted(snap.api_latency.items()):
            latency.add_metric([method], _buckets(hist), hist.sum)
        yield latency
        yield gauge("api_requests_in_flight", "Bot API calls under way (getUpdates not counted).", snap.api_in_flight)
        yield counter("flood_waits", "429 Too Many Requests answers received.", snap.flood_waits)
        yield counter("flood_wait_seconds", "Seconds Telegram asked to wait for the 429s waited out.",
                      snap.flood_wait_seconds)
        yield counter("flood_chat_429s", "429 answers to calls with a chat (they paused that chat's lane).",
                      snap.flood_chat_429s)
        yield counter("flood_global_429s", "429 answers to calls without a chat (they paused the whole bot).",
                      snap.flood_global_429s)
        yield counter("flood_global_pauses", "Whole-bot pauses because many chats got 429s at once.",
                      snap.flood_global_pauses)
        yield counter("flood_paused_seconds", "Seconds of pause the 429s added, chat lanes and bot summed.",
                      snap.flood_paused_seconds)
        yield gauge("flood_lane_waiting_largest", "Calls in the fullest chat lane of flood control.",
                    snap.flood_lane_waiting_largest)
        yield gauge("loop_alive", "1 while an update loop of the bot runs and it is not stopping.",
                    1.0 if snap.loop_alive else 0.0)


def _buckets(hist: Histogram) -> list[tuple[str, float]]:
    """Prometheus buckets: ``(le, cumulative count)`` for each bound, then ``+Inf``."""
    cumulative = hist.cumulative()
    out = [(repr(float(bound)), float(cumulative[i])) for i, bound in enumerate(hist.buckets)]
    out.append(("+Inf", float(cumulative[-1])))
    return out


class MetricsServer:
    """An HTTP server answering ``/metrics`` and ``/healthz`` for one bot (see :func:`serve_metrics`).

    :attr:`host` and :attr:`port` are where it listens (the port the OS chose for ``port=0``);
    :meth:`stop` shuts it down and joins its thread. Usable as a context manager.
    """

    def __init__(self, bot: Any, *, host: str = "127.0.0.1", port: int = 0, namespace: str = "actorbot") -> None:
        prometheus = _prometheus()
        self.bot = bot
        self.registry: CollectorRegistry = prometheus.CollectorRegistry(auto_describe=False)
        self.registry.register(BotCollector(bot, namespace))
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server._answer(self)

            def log_message(self, format: str, *args: Any) -> None:  # scrapes are not news
                pass

        self._http = ThreadingHTTPServer((host, port), Handler)
        self._http.daemon_threads = True
        self.host = host
        self.port: int = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, name=f"actorbot-metrics-{self.port}",
                                        daemon=True)
        self._stopped = False
        self._lock = threading.Lock()
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        if path == "/metrics":
            prometheus = _prometheus()
            body = prometheus.generate_latest(self.registry)
            self._send(request, 200, body, prometheus.CONTENT_TYPE_LATEST)
        elif path == "/healthz":
            alive = bool(getattr(self.bot, "loop_alive", False))
            self._send(request, 200 if alive else 503, b"ok\n" if alive else b"not running\n",
                       "text/plain; charset=utf-8")
        else:
            self._send(request, 404, b"not found: try /metrics or /healthz\n", "text/plain; charset=utf-8")

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and join the server thread. Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve_metrics(bot: Any, port: int = 0, host: str = "127.0.0.1", *, namespace: str = "actorbot") -> MetricsServer:
    """Serve ``bot``'s metrics at ``http://host:port/metrics`` and its health at ``/healthz``.

    ``port=0`` lets the OS choose (read :attr:`MetricsServer.port`). Listens on loopback
    unless ``host`` says otherwise. Needs ``actorbot[prometheus]``. Returns the running
    :class:`MetricsServer`; stop it with :meth:`MetricsServer.stop` (the bot's ``stop()``
    does not).
    """
    return MetricsServer(bot, host=host, port=port, namespace=namespace)
