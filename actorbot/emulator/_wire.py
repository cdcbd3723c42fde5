"""Request bodies as Telegram reads them: query string, JSON, urlencoded or multipart.

Pure functions; called on the HTTP handler thread.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from email.utils import collapse_rfc2231_value
from typing import Any

__all__ = ["Upload", "parse_body", "BodyError"]


@dataclass(frozen=True)
class Upload:
    """One uploaded file (a multipart part with a filename)."""

    field: str
    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:
        return f"Upload({self.field!r}, {self.filename!r}, {len(self.data)} bytes)"


class BodyError(ValueError):
    """A body that cannot be read (bad JSON, broken multipart)."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _has_lone_surrogate(value: Any) -> bool:
    """Whether any string in ``value`` holds a lone surrogate (``"\\ud800"``): not encodable as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def parse_body(content_type: str, body: bytes, query: str = "") -> tuple[dict[str, Any], dict[str, Upload]]:
    """Return ``(params, uploads)``; query-string parameters come first, the body wins."""
    params: dict[str, Any] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True)) if query else {}
    uploads: dict[str, Upload] = {}
    if not body:
        return params, uploads
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype == "application/json":
        try:
            data = json.loads(body, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            raise BodyError("can't parse JSON") from exc
        if _has_lone_surrogate(data):
            raise BodyError("strings must be encoded in UTF-8")
        if not isinstance(data, dict):
            raise BodyError("JSON body must be an object")
        params.update(data)
    elif ctype == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        if not message.is_multipart():
            raise BodyError("can't parse multipart body")
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, tuple):  # RFC 2231 (charset, language, value); the HTTP policy decodes it already
                name = collapse_rfc2231_value(name)
            if not name:
                continue
            raw = part.get_payload(decode=True)  # bytes for a leaf part, None for a nested multipart
            payload = raw if isinstance(raw, bytes) else b""
            filename = part.get_filename()
            if filename is not None:
                uploads[name] = Upload(name, filename, part.get_content_type(), payload)
            else:
                charset = part.get_content_charset() or "utf-8"
                params[name] = payload.decode(charset, errors="replace")
    else:
        # urlencoded, and what Telegram accepts without a content type
        params.update(urllib.parse.parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    return params, uploads
