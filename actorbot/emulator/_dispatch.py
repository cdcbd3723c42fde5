"""From an HTTP request to a Bot API answer: token, method, faults, validation, handler, log.

``Dispatcher.call`` runs on the HTTP handler thread (and on webhook workers for
methods answered in a webhook response). It takes ``world.lock`` for the handler.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _methods_chats, _methods_core, _methods_edit, _methods_queries, _methods_send
from ._errors import ApiError, Described, not_found, unauthorized
from ._fallback import minimal_result
from ._faults import Fault, FaultPlan
from ._limits import ServerLimits
from ._params import Params, method_names, validate
from ._records import ApiCall
from ._state import World
from ._wire import Upload

__all__ = ["Dispatcher", "Outcome", "HANDLERS"]

Handler = Callable[[World, Params], Any]
HANDLERS: dict[str, Handler] = {
    **_methods_send.HANDLERS,
    **_methods_edit.HANDLERS,
    **_methods_queries.HANDLERS,
    **_methods_chats.HANDLERS,
    **_methods_core.HANDLERS,
}


@dataclass(frozen=True)
class Outcome:
    """What to send back: ``status`` and JSON ``body``; ``body is None`` means drop the connection."""

    status: int
    body: dict[str, Any] | None


class Dispatcher:
    """Serves Bot API calls against one :class:`World` for one bot token."""

    def __init__(self, world: World, token: str, faults: FaultPlan, stopping: threading.Event) -> None:
        self._world = world
        self._token = token
        self._faults = faults
        self._stopping = stopping
        self._names = method_names()
        self.limits: ServerLimits | None = None  # set by Emulator.enforce_limits

    def call(self, token: str, method: str, params: dict[str, Any], uploads: dict[str, Upload]) -> Outcome:
        """Serve one call; never raises for a Bot API error (it becomes the answer)."""
        world = self._world
        if token != self._token:
            return self._log(method, params, uploads, unauthorized().envelope(), 401)
        canonical = self._names.get(method.lower())
        if canonical is None:
            return self._log(method, params, uploads, not_found().envelope(), 404)
        counted = canonical != "getUpdates"
        if counted:
            with world.lock:
                world.in_progress += 1
        try:
            fault = self._faults.take(canonical, params.get("chat_id"))
            limits = self.limits
            if fault is None and limits is not None:
                retry_after = limits.check(canonical, params, world.clock.time())
                if retry_after is not None:
                    error = ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
                    return self._log(canonical, params, uploads, error.envelope(), 429, fault="flood_limit")
            if fault is not None and fault.kind != "slow" and not (fault.kind == "drop" and fault.processed):
                return self._fault(canonical, params, uploads, fault)
            if fault is not None and fault.kind == "slow":
                self._stopping.wait(fault.delay)
            status, body = self._serve(canonical, params, uploads)
            if fault is not None and fault.kind == "drop":
                return self._log(canonical, params, uploads, None, 0, fault="drop")
            return self._log(canonical, params, uploads, body, status, fault=fault.kind if fault else None)
        finally:
            if counted:
                with world.lock:
                    world.in_progress -= 1
                    world.notify()

    def _serve(self, method: str, params: dict[str, Any], uploads: dict[str, Upload]) -> tuple[int, dict[str, Any]]:
        world = self._world
        try:
            validate(method, params, uploads)
            handler = HANDLERS.get(method)
            with world.lock:
                result = handler(world, Params(params, uploads)) if handler else minimal_result(method)
        except ApiError as error:
            return error.code, error.envelope()
        if isinstance(result, Described):
            return 200, {"ok": True, "result": result.result, "description": result.description}
        return 200, {"ok": True, "result": result}

    def _fault(self, method: str, params: dict[str, Any], uploads: dict[str, Upload], fault: Fault) -> Outcome:
        if fault.kind == "drop":
            return self._log(method, params, uploads, None, 0, fault="drop")
        if fault.kind == "rate_limit":
            error = ApiError(429, fault.description, {"retry_after": fault.retry_after})
        else:
            error = ApiError(fault.status, fault.description)
        return self._log(method, params, uploads, error.envelope(), error.code, fault=fault.kind)

    def _log(self, method: str, params: dict[str, Any], uploads: dict[str, Upload],
             body: dict[str, Any] | None, status: int, fault: str | None = None) -> Outcome:
        world = self._world
        with world.lock:
            world.log_call(ApiCall(
                seq=world.next_seq(),
                method=method,
                params=dict(params),
                files={name: upload.filename for name, upload in uploads.items()},
                status=status,
                answer=body,
                date=world.clock.time(),
                fault=fault,
            ))
        return Outcome(status, body)
