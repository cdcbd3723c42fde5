"""Telling "the request never reached the server" from "it may have": :class:`RequestNotSentError`.

urllib3 swallows a reset or broken pipe while it writes a request (the server may
have answered early and closed, and that answer is still readable), then fails on
reading the answer; by then nothing says whether the request went out. The
connection classes of :mod:`actorbot.api._cancel` mix in :class:`WriteWatch`,
which remembers that the write failed: when no answer can be read afterwards, it
raises :class:`RequestNotSentError` instead. The server cannot have received the
whole request then (its last bytes never left this process), so the client may
send it again on a new connection, whatever the method.

A reset or close *after* the whole request was written stays ambiguous (the server
may have carried the request out) and is left as urllib3 reports it.

:class:`RequestNotSentError` is raised by both paths: the lean direct path of
:mod:`actorbot.api._wire` raises it itself; :class:`WriteWatch` serves only the urllib3
path (calls through a proxy, and downloads).

Everything here runs on the calling thread of the request.
"""

from __future__ import annotations

import http.client
from typing import Any

from urllib3.exceptions import HTTPError

__all__ = ["RequestNotSentError", "WriteWatch"]


class RequestNotSentError(HTTPError):
    """The connection failed while the request was written, and no answer came."""


class WriteWatch:
    """Mixin for urllib3 connection classes (proxy path): a failed write, then no answer, is not sent.

    It raises :class:`RequestNotSentError` then.
    """

    _write_error: OSError | None = None

    def request(self, *args: Any, **kwargs: Any) -> None:
        self._write_error = None
        try:
            super().request(*args, **kwargs)  # type: ignore[misc]
        except OSError as exc:  # urllib3 swallows a reset or broken pipe here and reads the answer
            self._write_error = exc
            raise

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().getresponse(*args, **kwargs)  # type: ignore[misc]
        except (OSError, http.client.HTTPException) as exc:
            failed, self._write_error = self._write_error, None
            if failed is None:
                raise
            raise RequestNotSentError(
                f"connection failed while the request was written ({type(failed).__name__}), no answer"
            ) from exc
