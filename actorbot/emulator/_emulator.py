"""``Emulator``: a local Bot API server for one bot, plus the simulation that plays its users.

    with Emulator(token="123:abc") as emu:          # started on a free 127.0.0.1 port
        alice = emu.sim.create_user("alice")
        ...point the bot at emu.url...
        alice.send("hello")
        reply = alice.chat.wait_for_bot_message()
        print(alice.chat.text())

Threads: ``start()`` starts the HTTP selector thread (it accepts connections and
watches idle ones), the HTTP workers (started on demand, at most ``http_workers``,
each serving one request at a time) and the webhook workers (on demand, up to the
webhook's ``max_connections``); ``stop()`` stops and joins all of them (closing
keep-alive connections and ending long polls at once).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from ..api._pacing import TelegramLimits
from ._clock import Clock
from ._dispatch import Dispatcher
from ._errors import unauthorized
from ._faults import Fault, FaultPlan
from ._limits import EMULATOR_LIMITS, ServerLimits
from ._records import ApiCall
from ._server import DEFAULT_WORKERS, HttpServer
from ._sim import Simulation
from ._sim_http import SimHttp
from ._state import World
from ._webchat import WebChat
from ._webhook import WebhookDelivery
from ._wire import Upload

__all__ = ["Emulator", "DEFAULT_TOKEN"]

logger = logging.getLogger(__name__)
DEFAULT_TOKEN = "123456789:EMULATOR-token"
_JSON = "application/json"


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Emulator:
    """A Bot API server on loopback for the bot whose token is ``token``.

    ``clock`` is a callable returning epoch seconds used for every ``date`` (default:
    ``time.time`` looked up at each call, so freezegun applies); waits always use real
    time. ``port=0`` picks a free port. ``webhook_workers``: the most webhook deliveries
    at once (None: as many as setWebhook's ``max_connections``, 40 by default, 100 at
    most). ``webhook_retry_delay`` is the first delay
    before a failed webhook delivery is retried (it doubles, up to 5 s).
    ``http_workers``: the most requests served at once (a long poll holds one until it
    ends); more connections wait their turn, they are never reset.
    ``flood_limits``: enforce Telegram's flood limits (True: Telegram's numbers; or a
    :class:`~actorbot.api.TelegramLimits`); see :meth:`enforce_limits`.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] | None = None,
        bot_username: str = "emulator_bot",
        bot_first_name: str = "Emulator Bot",
        call_log_size: int = 100_000,
        seed: int = 0,
        webhook_workers: int | None = None,
        http_workers: int = DEFAULT_WORKERS,
        webhook_retry_delay: float = 0.1,
        flood_limits: TelegramLimits | bool | None = None,
    ) -> None:
        head = token.split(":", 1)[0]
        bot_id = int(head) if head.isdigit() else 123456789
        self._token = token
        self.bot: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.world = World(self.bot, Clock(clock), call_log_size=call_log_size, seed=seed)
        self.faults = FaultPlan()
        self._stopping = threading.Event()
        self._dispatcher = Dispatcher(self.world, token, self.faults, self._stopping)
        self.sim = Simulation(self.world)
        self._sim_http = SimHttp(self.sim, self.world, self.faults)
        self._webchat = WebChat(self.world, self.faults)
        self._webhook = WebhookDelivery(
            self.world,
            lambda method, params: self._dispatcher.call(self._token, method, params, {}),
            workers=webhook_workers,
            retry_delay=webhook_retry_delay,
        )
        self._host, self._port = host, port
        self._http_workers = http_workers
        self._server: HttpServer | None = None
        self.enforce_limits(flood_limits)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Emulator:
        """Listen and serve; returns ``self``. Call once."""
        if self._server is not None:
            raise RuntimeError("emulator already started")
        self._server = HttpServer(self, self._host, self._port, workers=self._http_workers)
        self._server.start()
        self._webhook.start()
        logger.info("Bot API emulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        """End long polls, stop webhook delivery, close connections, join every thread. Idempotent."""
        with self.world.lock:
            self.world.closing = True
            self.world.notify_updates()
        self._stopping.set()
        self._webhook.stop()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start() if self._server is None else self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8081`` (use as the Bot API URL of a client)."""
        if self._server is None:
            raise RuntimeError("emulator not started")
        host, port = self._server.address
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.url.rsplit(":", 1)[1])

    @property
    def token(self) -> str:
        """The only bot token it accepts (``DEFAULT_TOKEN`` unless given)."""
        return self._token

    def __repr__(self) -> str:
        state = self.url if self._server is not None else "stopped"
        return f"<Emulator {state} bot=@{self.bot['username']}>"

    # ------------------------------------------------------------------ observing

    def attach_bot(self, bot: Any) -> None:
        """Show ``bot``'s live conversations in the browser chat's side panel (``/chat/``).

        For a bot running in this process: a :class:`~actorbot.DelegatorBot` (anything with
        ``conversations()`` returning objects with ``to_json()``); the page asks for them
        through ``GET /chat/api/conversations``. ``serve_bot``, ``BotHarness`` and
        ``actorbot run --emulator`` attach their bot. ``None`` detaches.
        """
        self._webchat.attach(bot)

    @property
    def attached_bot(self) -> Any:
        """The bot given to :meth:`attach_bot` (or ``None``)."""
        return self._webchat.attached

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """The Bot API call log (see :meth:`Simulation.calls`)."""
        return self.sim.calls(method)

    def fail(self, method: str, fault: Fault, times: int = 1, *, chat_id: int | str | None = None) -> None:
        """Inject ``fault`` into the next ``times`` calls of ``method`` (``"*"``: any but getUpdates).

        With ``chat_id``, only calls whose ``chat_id`` is that chat are affected.
        """
        self.faults.add(method, fault, times, chat_id=chat_id)

    def enforce_limits(self, limits: TelegramLimits | bool | None = True) -> None:
        """Answer sends over Telegram's flood limits with 429 and a realistic ``retry_after``.

        ``True``: about 1 a second per private chat (bursts of 3), 20 a minute per group,
        30 a second overall (1,000 with ``allow_paid_broadcast``), on the emulator's clock;
        a :class:`~actorbot.api.TelegramLimits` for other numbers; ``False``/``None``: off
        (the default). Refused calls appear in :meth:`calls` with ``fault="flood_limit"``.
        Callable at any time, from any thread; it starts with full buckets.
        """
        if limits is True:
            limits = EMULATOR_LIMITS
        self._dispatcher.limits = ServerLimits(limits) if isinstance(limits, TelegramLimits) else None

    @property
    def flood_refusals(self) -> int:
        """Calls refused with 429 by :meth:`enforce_limits` so far (since it was last called)."""
        limits = self._dispatcher.limits
        return limits.refused if limits is not None else 0

    @property
    def pending_updates(self) -> int:
        """Updates not yet acknowledged (getUpdates) or delivered (webhook)."""
        with self.world.lock:
            return len(self.world.pending)

    @property
    def requests_in_progress(self) -> int:
        """Bot API calls being served now, getUpdates excluded."""
        with self.world.lock:
            return self.world.in_progress

    def idle(self) -> bool:
        """No pending update, no call being served, no webhook delivery under way."""
        with self.world.lock:
            return not self.world.pending and self.world.in_progress == 0 and self._webhook.active == 0

    # ------------------------------------------------------------------ Application (HTTP threads)

    def bot_call(self, token: str, method: str, params: dict[str, Any],
                 uploads: dict[str, Upload]) -> tuple[int, bytes | None, str]:
        outcome = self._dispatcher.call(token, method, params, uploads)
        return outcome.status, None if outcome.body is None else _dumps(outcome.body), _JSON

    def file(self, token: str, path: str) -> tuple[int, bytes | None, str]:
        if token != self._token:
            return 401, _dumps(unauthorized().envelope()), _JSON
        with self.world.lock:
            record = self.world.files_by_path.get(path)
        if record is None or record.data is None:
            return 404, _dumps({"ok": False, "error_code": 404, "description": "Not Found"}), _JSON
        return 200, record.data, record.mime_type or "application/octet-stream"

    def sim_call(self, http_method: str, action: str, params: dict[str, Any]) -> tuple[int, bytes | None, str]:
        status, body = self._sim_http.call(http_method, action, params)
        if isinstance(body.get("result"), str) and action == "transcript" and params.get("format", "text") == "text":
            return status, body["result"].encode("utf-8"), "text/plain; charset=utf-8"
        return status, _dumps(body), _JSON

    def web_call(self, http_method: str, path: str, params: dict[str, Any]) -> tuple[int, bytes | None, str]:
        """The browser chat under ``/chat/`` (see ``actorbot.emulator._webchat``)."""
        return self._webchat.call(http_method, path, params)
