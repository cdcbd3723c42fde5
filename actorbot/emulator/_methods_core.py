"""The bot itself, updates and files: getMe, getUpdates, webhooks, getFile.

Handlers run on an HTTP handler thread with ``world.lock`` held; getUpdates
releases it while it long-polls (``world.changed.wait``).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from ._errors import Described, bad_request
from ._params import Params
from ._state import WebhookConfig, World

__all__ = ["HANDLERS"]

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def get_me(world: World, p: Params) -> dict[str, Any]:
    return dict(world.me)


def _allowed_updates(world: World, p: Params) -> None:
    allowed = p.json("allowed_updates")
    if allowed is not None:
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON object")
        world.allowed_updates = tuple(str(kind) for kind in allowed)


def get_updates(world: World, p: Params) -> list[dict[str, Any]]:
    offset = p.int("offset")
    limit = min(max(p.int("limit", 100) or 100, 1), 100)
    timeout = max(p.int("timeout", 0) or 0, 0)
    _allowed_updates(world, p)
    return world.poll(offset, limit, float(timeout))


def set_webhook(world: World, p: Params) -> Described:
    url = p.str("url", "") or ""
    if not url:
        return delete_webhook(world, p)
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.str("secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = p.int("max_connections", 40) or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    _allowed_updates(world, p)
    if p.bool("drop_pending_updates"):
        world.pending.clear()
        world.update_keys.clear()
    config = WebhookConfig(url, secret, max_connections, p.str("ip_address"))
    unchanged = world.webhook == config
    world.webhook = config
    world.webhook_error = None
    world.notify_updates()
    if world.on_webhook_change is not None:
        world.on_webhook_change()
    return Described(True, "Webhook is already set" if unchanged else "Webhook was set")


def delete_webhook(world: World, p: Params) -> Described:
    had = world.webhook is not None
    world.webhook = None
    world.webhook_error = None
    if p.bool("drop_pending_updates"):
        world.pending.clear()
        world.update_keys.clear()
    world.notify_updates()
    if world.on_webhook_change is not None:
        world.on_webhook_change()
    return Described(True, "Webhook was deleted" if had else "Webhook is already deleted")


def get_webhook_info(world: World, p: Params) -> dict[str, Any]:
    info: dict[str, Any] = {
        "url": world.webhook.url if world.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(world.pending),
    }
    if world.webhook is not None:
        info["max_connections"] = world.webhook.max_connections
        if world.webhook.ip_address:
            info["ip_address"] = world.webhook.ip_address
        if world.allowed_updates:
            info["allowed_updates"] = list(world.allowed_updates)
    if world.webhook_error is not None:
        info["last_error_date"], info["last_error_message"] = world.webhook_error
    return info


def get_file(world: World, p: Params) -> dict[str, Any]:
    record = world.files.get(p.require_str("file_id"))
    if record is None:
        raise bad_request("invalid file_id")
    result: dict[str, Any] = {"file_id": record.file_id, "file_unique_id": record.file_unique_id}
    if record.file_size is not None:
        result["file_size"] = record.file_size
    if record.data is not None:
        result["file_path"] = record.file_path
    return result


def log_out(world: World, p: Params) -> bool:
    return True


HANDLERS: dict[str, Callable[[World, Params], Any]] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "getFile": get_file,
    "logOut": log_out,
    "close": log_out,
}
