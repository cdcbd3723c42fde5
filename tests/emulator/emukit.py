"""What the emulator's tests share besides fixtures: its token and a plain HTTP client.

A module of its own, not ``conftest``: ``from conftest import ...`` finds whichever
conftest pytest loaded under that name first (tests/ has one too).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import urllib3

from actorbot.emulator import Emulator

TOKEN = "4242:EMU-test-token"


@dataclass
class Answer:
    status: int
    json: Any
    raw: bytes


class Client:
    """Talks to the emulator the way a bot library would (JSON, form or multipart)."""

    def __init__(self, emulator: Emulator, token: str = TOKEN) -> None:
        self.base = emulator.url
        self.token = token
        self.http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=10))

    def call(self, method: str, *, token: str | None = None, **params: Any) -> Answer:
        return self.raw("POST", f"/bot{token or self.token}/{method}", json=params)

    def form(self, method: str, **params: Any) -> Answer:
        return self.raw("POST", f"/bot{self.token}/{method}", fields={k: str(v) for k, v in params.items()},
                        encode_multipart=False)

    def multipart(self, method: str, fields: dict[str, Any]) -> Answer:
        return self.raw("POST", f"/bot{self.token}/{method}", fields=fields, encode_multipart=True)

    def raw(self, http_method: str, path: str, **kwargs: Any) -> Answer:
        response = self.http.request(http_method, self.base + path, **kwargs)
        try:
            body = json.loads(response.data) if response.data else None
        except ValueError:
            body = None
        return Answer(response.status, body, response.data)

    def ok(self, method: str, **params: Any) -> Any:
        answer = self.call(method, **params)
        assert answer.status == 200 and answer.json["ok"], answer.json
        return answer.json["result"]

    def error(self, method: str, **params: Any) -> tuple[int, str]:
        answer = self.call(method, **params)
        assert answer.json["ok"] is False, answer.json
        assert answer.json["error_code"] == answer.status
        return answer.status, answer.json["description"]
