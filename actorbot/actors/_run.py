"""Run-style delegates: a function (``create_run``, ``call``, or a plain callable) on its own thread.

Such a function blocks in ``listener.wait()`` for its next message, so it gets a
dedicated thread. The engine tracks it like an actor delegate: updates for it go to
its listeners' queues, and when the function returns (or raises) the thread tells the
supervisor :class:`~actorbot.actors._messages.Closing`; the supervisor then takes back
whatever is left in those queues and hands it to a fresh delegate for the same seed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from ..exception import IdleTerminate, StopListening
from ._messages import Closing

__all__ = ["RunDelegate", "RunPort"]

logger = logging.getLogger(__name__)


class RunPort(Protocol):
    """What a run-style delegate's thread may do with the engine (the engine is one)."""

    local: threading.local  # .delegate_id: the delegate a thread works for (listeners bind to it)

    def release_busy(self, owner: int) -> None: ...

    def tell_supervisor(self, message: Any) -> bool: ...


class RunDelegate:
    """A thread running ``func(*args, **kwargs)`` for delegate ``delegate_id``."""

    def __init__(
        self,
        engine: RunPort,
        delegate_id: int,
        func: Callable[..., Any],
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        self._engine = engine
        self._id = delegate_id
        self._func = func
        self._args = args
        self._kwargs = kwargs or {}
        name = getattr(func, "__qualname__", type(func).__name__)
        self.thread = threading.Thread(target=self._main, name=f"actorbot-run-{delegate_id}-{name}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def is_alive(self) -> bool:
        return self.thread.is_alive()

    def _main(self) -> None:
        """The delegate's thread: run the function, then report the close."""
        engine = self._engine
        engine.local.delegate_id = self._id
        try:
            self._func(*self._args, **self._kwargs)
        except (IdleTerminate, StopListening) as ex:
            logger.info("run-style delegate %s ended: %r", self._id, ex)
        except Exception:
            logger.error("run-style delegate %s failed", self._id, exc_info=True)
        finally:
            engine.release_busy(self._id)
            engine.tell_supervisor(Closing(self._id))
