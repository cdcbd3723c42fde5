"""Parameters of the telepot/amanobot era, rewritten for Bot API 10.1, and call validation.

Telegram has renamed or restructured several parameters since telepot 12.7 and
amanobot 1.6. Programs written for them keep working: :func:`modernize` rewrites
an old-style call into the current one before it is validated and sent.

========================================  ==============================================
old                                       sent as
========================================  ==============================================
``kickChatMember``                        ``banChatMember``
``getChatMembersCount``                   ``getChatMemberCount``
``reply_to_message_id=N``                 ``reply_parameters={"message_id": N}``
``allow_sending_without_reply=B``         ``reply_parameters.allow_sending_without_reply``
``disable_web_page_preview=B``            ``link_preview_options={"is_disabled": B}``
``thumb=...``                             ``thumbnail=...``
``correct_option_id=N`` (sendPoll)        ``correct_option_ids=[N]``
poll ``options`` as strings               ``[{"text": s}, ...]`` (InputPollOption)
``switch_pm_text`` / ``switch_pm_parameter``  ``button={"text": ..., "start_parameter": ...}``
flat ``can_*`` (restrictChatMember,       ``permissions={...}``; ``can_send_media_messages``
setChatPermissions)                       becomes the six per-media rights
``setWebhook(url=None)``                  ``url=""`` (removes the webhook)
``uploadStickerFile(user, png_sticker)``  ``sticker=..., sticker_format="static"``
``createNewStickerSet(..., png_sticker,   ``stickers=[{"sticker", "format": "static",
emojis, contains_masks, mask_position)``  "emoji_list", "mask_position"}]``, ``sticker_type``
``addStickerToSet(..., png_sticker,       ``sticker={...}`` (an InputSticker)
emojis, mask_position)``
========================================  ==============================================

A rewrite only happens when the old name is *not* a parameter of the method in the
current spec, so a newer spec that brings a name back wins. Runs on the calling
thread; pure functions.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from .. import _spec

__all__ = ["RENAMED_METHODS", "modernize", "check_call", "split_emojis"]

RENAMED_METHODS: dict[str, str] = {
    "kickChatMember": "banChatMember",
    "getChatMembersCount": "getChatMemberCount",
}
"""Old method name -> the current method it calls."""

_MEDIA_RIGHTS = (
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
)

_PARAM_NAMES: dict[str, frozenset[str]] = {
    name: frozenset(p.name for p in m.params) for name, m in _spec.METHODS.items()
}


def _known(method: str, name: str) -> bool:
    return name in _PARAM_NAMES.get(method, frozenset())


def _merge_into(params: dict[str, Any], target: str, key: str, value: Any) -> None:
    current = params.get(target)
    merged = dict(current) if isinstance(current, dict) else {}
    merged.setdefault(key, value)
    params[target] = merged


def split_emojis(text: str) -> list[str]:
    """Split a string of emoji into single emoji (ZWJ sequences, modifiers, flags kept whole)."""
    out: list[str] = []
    join_next = False
    for ch in text:
        cp = ord(ch)
        if ch.isspace():
            join_next = False
            continue
        attach = (
            join_next
            or cp == 0x200D  # zero width joiner
            or 0xFE00 <= cp <= 0xFE0F  # variation selectors
            or 0x1F3FB <= cp <= 0x1F3FF  # skin tones
            or cp == 0x20E3  # combining keycap
            or 0xE0020 <= cp <= 0xE007F  # tags (subdivision flags)
            or unicodedata.combining(ch) != 0
        )
        if (
            not attach
            and 0x1F1E6 <= cp <= 0x1F1FF  # second regional indicator of a flag
            and out
            and len(out[-1]) == 1
            and 0x1F1E6 <= ord(out[-1]) <= 0x1F1FF
        ):
            attach = True
        if attach and out:
            out[-1] += ch
        else:
            out.append(ch)
        join_next = cp == 0x200D
    return out


def _input_sticker(sticker: Any, emojis: Any, mask_position: Any) -> dict[str, Any]:
    emoji_list = split_emojis(emojis) if isinstance(emojis, str) else list(emojis or [])
    item: dict[str, Any] = {"sticker": sticker, "format": "static", "emoji_list": emoji_list}
    if mask_position is not None:
        item["mask_position"] = mask_position
    return item


def modernize(method: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Rewrite an old-style call (see the module table). ``params`` has no None values."""
    method = RENAMED_METHODS.get(method, method)
    p = dict(params)

    def take(name: str) -> Any:
        return p.pop(name) if name in p and not _known(method, name) else None

    value = take("reply_to_message_id")
    if value is not None:
        _merge_into(p, "reply_parameters", "message_id", value)
    value = take("allow_sending_without_reply")
    if value is not None:
        _merge_into(p, "reply_parameters", "allow_sending_without_reply", value)
    value = take("disable_web_page_preview")
    if value is not None:
        _merge_into(p, "link_preview_options", "is_disabled", value)
    value = take("thumb")
    if value is not None:
        p.setdefault("thumbnail", value)
    value = take("correct_option_id")
    if value is not None:
        p.setdefault("correct_option_ids", [value])
    for old, new in (("switch_pm_text", "text"), ("switch_pm_parameter", "start_parameter")):
        value = take(old)
        if value is not None:
            _merge_into(p, "button", new, value)

    if method in ("restrictChatMember", "setChatPermissions"):
        flat = {k: p.pop(k) for k in list(p) if k.startswith("can_") and not _known(method, k)}
        if flat:
            rights = dict(p.get("permissions") or {})
            media = flat.pop("can_send_media_messages", None)
            if media is not None:
                for right in _MEDIA_RIGHTS:
                    rights.setdefault(right, media)
            for k, v in flat.items():
                rights.setdefault(k, v)
            p["permissions"] = rights

    if method == "sendPoll" and isinstance(p.get("options"), (list, tuple)):
        p["options"] = [{"text": o} if isinstance(o, str) else o for o in p["options"]]

    if method == "setWebhook" and "url" not in p:
        p["url"] = ""

    if method == "uploadStickerFile":
        value = take("png_sticker")
        if value is not None:
            p.setdefault("sticker", value)
            p.setdefault("sticker_format", "static")

    if method == "createNewStickerSet":
        png, emojis = take("png_sticker"), take("emojis")
        masks, mask_position = take("contains_masks"), take("mask_position")
        if png is not None and "stickers" not in p:
            p["stickers"] = [_input_sticker(png, emojis, mask_position)]
        if masks:
            p.setdefault("sticker_type", "mask")

    if method == "addStickerToSet":
        png, emojis, mask_position = take("png_sticker"), take("emojis"), take("mask_position")
        if png is not None and "sticker" not in p:
            p["sticker"] = _input_sticker(png, emojis, mask_position)

    return method, p


def check_call(method: str, params: dict[str, Any], *, shown_as: str | None = None) -> None:
    """Raise :class:`TypeError` naming an unknown or a missing required parameter.

    Runs before anything is sent. ``shown_as`` is the name the caller used (an old
    method name, for instance).
    """
    spec = _spec.METHODS.get(method)
    label = f"{shown_as or method}()"
    if spec is None:
        raise TypeError(f"{label}: {method!r} is not a Bot API method")
    names = _PARAM_NAMES[method]
    for name in params:
        if name not in names:
            raise TypeError(f"{label} got an unexpected keyword argument {name!r}")
    for param in spec.params:
        if param.required and param.name not in params:
            raise TypeError(f"{label} missing required argument {param.name!r}")
