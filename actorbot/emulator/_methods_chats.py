"""Chats and members: getChat, member queries, admin methods, chat actions, bot commands.

Handlers run on an HTTP handler thread with ``world.lock`` held. ``make_member``
and ``change_member`` are shared with the simulation side.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ._errors import bad_request
from ._fallback import minimal_value
from ._params import Params
from ._state import ChatState, World

__all__ = ["HANDLERS", "make_member", "change_member", "ADMIN_RIGHTS", "CHAT_ACTIONS"]

ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories", "can_post_messages", "can_edit_messages",
    "can_pin_messages", "can_manage_topics", "can_manage_direct_messages",
)
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
})
_STATUS_TYPES = {
    "creator": "ChatMemberOwner",
    "administrator": "ChatMemberAdministrator",
    "member": "ChatMemberMember",
    "restricted": "ChatMemberRestricted",
    "left": "ChatMemberLeft",
    "kicked": "ChatMemberBanned",
}


def make_member(user: dict[str, Any], status: str, **fields: Any) -> dict[str, Any]:
    """A valid ChatMember object of ``status`` for ``user`` (rights default to false, or all for admins)."""
    member = minimal_value(_STATUS_TYPES[status])
    member["status"] = status
    member["user"] = dict(user)
    if status == "administrator":
        member.update({right: True for right in ADMIN_RIGHTS})
        member["can_be_edited"] = False
    member.update(fields)
    return member


def change_member(world: World, chat: ChatState, user: dict[str, Any], new: dict[str, Any],
                  actor: dict[str, Any] | None = None) -> None:
    """Store a member's new state and queue ``chat_member`` / ``my_chat_member``."""
    user_id = int(user["id"])
    old = chat.members.get(user_id) or make_member(user, "left")
    chat.members[user_id] = new
    kind = "my_chat_member" if user_id == world.bot_user["id"] else "chat_member"
    world.push_update(
        kind,
        {
            "chat": dict(chat.chat),
            "from": dict(actor or world.bot_user),
            "date": world.clock.date(),
            "old_chat_member": old,
            "new_chat_member": new,
        },
        key=chat.id,
    )


def _user(world: World, p: Params) -> dict[str, Any]:
    user_id = p.int("user_id")
    user = world.users.get(user_id) if user_id is not None else None
    if user is None:
        if user_id == world.bot_user["id"]:
            return world.bot_user
        raise bad_request("user not found")
    return user


def get_chat(world: World, p: Params) -> dict[str, Any]:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    info = minimal_value("ChatFullInfo")
    info.update(chat.chat)
    for name in ("description", "permissions", "invite_link", "pinned_message"):
        if name in chat.info:
            info[name] = chat.info[name]
    return info


def get_chat_administrators(world: World, p: Params) -> list[dict[str, Any]]:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    return [m for m in chat.members.values() if m["status"] in ("creator", "administrator")]


def get_chat_member(world: World, p: Params) -> dict[str, Any]:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    user = _user(world, p)
    if chat.type == "private":
        return make_member(user, "member")
    return chat.members.get(int(user["id"])) or make_member(user, "left")


def get_chat_member_count(world: World, p: Params) -> int:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    if chat.type == "private":
        return 2
    return sum(
        1 for m in chat.members.values()
        if m["status"] in ("creator", "administrator", "member") or m.get("is_member")
    )


def _target_member(world: World, p: Params, right: str, what: str) -> tuple[ChatState, dict[str, Any]]:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    user = _user(world, p)
    world.check_bot_right(chat, right, what)
    current = chat.members.get(int(user["id"]))
    if current is not None and current["status"] == "creator":
        raise bad_request("can't remove chat owner" if right == "can_restrict_members" else "CHAT_ADMIN_REQUIRED")
    return chat, user


def ban_chat_member(world: World, p: Params) -> bool:
    chat, user = _target_member(world, p, "can_restrict_members", "restrict/unrestrict chat member")
    change_member(world, chat, user, make_member(user, "kicked", until_date=p.int("until_date", 0)))
    world.record(chat, "service", None, text=f"bot banned {user.get('first_name', '')}")
    return True


def unban_chat_member(world: World, p: Params) -> bool:
    chat, user = _target_member(world, p, "can_restrict_members", "restrict/unrestrict chat member")
    current = chat.members.get(int(user["id"]))
    if current is None or (p.bool("only_if_banned") and current["status"] != "kicked"):
        return True
    if current["status"] == "kicked":
        change_member(world, chat, user, make_member(user, "left"))
    elif not p.bool("only_if_banned"):
        change_member(world, chat, user, make_member(user, "left"))
    return True


def restrict_chat_member(world: World, p: Params) -> bool:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    if chat.type != "supergroup":
        raise bad_request("method is available only for supergroups")
    chat, user = _target_member(world, p, "can_restrict_members", "restrict/unrestrict chat member")
    permissions = p.json("permissions")
    if not isinstance(permissions, dict):
        raise bad_request("can't parse permissions JSON object")
    change_member(world, chat, user, make_member(user, "restricted", is_member=True,
                                                 until_date=p.int("until_date", 0), **permissions))
    return True


def promote_chat_member(world: World, p: Params) -> bool:
    chat, user = _target_member(world, p, "can_promote_members", "promote/demote chat member")
    rights = {right: p.bool(right) for right in ADMIN_RIGHTS if p.has(right)}
    if any(rights.values()):
        change_member(world, chat, user,
                      make_member(user, "administrator", **{r: rights.get(r, False) for r in ADMIN_RIGHTS},
                                                     can_be_edited=True, is_anonymous=p.bool("is_anonymous")))
    else:
        change_member(world, chat, user, make_member(user, "member"))
    return True


def set_custom_title(world: World, p: Params) -> bool:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    user = _user(world, p)
    member = chat.members.get(int(user["id"]))
    if member is None or member["status"] != "administrator":
        raise bad_request("user is not an administrator")
    chat.members[int(user["id"])] = dict(member, custom_title=p.str("custom_title", ""))
    return True


def set_chat_permissions(world: World, p: Params) -> bool:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    world.check_bot_right(chat, "can_restrict_members", "change chat permissions")
    chat.info["permissions"] = p.json("permissions")
    return True


def set_chat_title(world: World, p: Params) -> bool:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    world.check_bot_right(chat, "can_change_info", "change chat title")
    title = p.require_str("title")
    if len(title) > 128:
        raise bad_request("chat title is too long")
    if title == chat.chat.get("title"):
        raise bad_request("chat title is not modified")
    chat.chat = dict(chat.chat, title=title)
    world.new_message(chat, None, {"new_chat_title": title})
    return True


def set_chat_description(world: World, p: Params) -> bool:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    world.check_bot_right(chat, "can_change_info", "change chat description")
    description = p.str("description", "") or ""
    if description == chat.info.get("description", ""):
        raise bad_request("chat description is not modified")
    chat.info["description"] = description
    return True


def pin_chat_message(world: World, p: Params) -> bool:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    if chat.type != "private":
        world.check_bot_right(chat, "can_pin_messages", "manage pinned messages in the chat")
    message = chat.messages.get(p.require_int("message_id"))
    if message is None:
        raise bad_request("message to pin not found")
    chat.info["pinned_message"] = message
    chat.info.setdefault("pinned", []).append(int(message["message_id"]))
    world.record(chat, "service", None, text=f"bot pinned #{message['message_id']}")
    return True


def unpin_chat_message(world: World, p: Params) -> bool:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    if chat.type != "private":
        world.check_bot_right(chat, "can_pin_messages", "manage pinned messages in the chat")
    pinned: list[int] = chat.info.get("pinned", [])
    target = p.int("message_id", pinned[-1] if pinned else None)
    if target is None or target not in pinned:
        raise bad_request("message to unpin not found")
    pinned.remove(target)
    if pinned:
        chat.info["pinned_message"] = chat.messages.get(pinned[-1])
    else:
        chat.info.pop("pinned_message", None)
    return True


def unpin_all(world: World, p: Params) -> bool:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    if chat.type != "private":
        world.check_bot_right(chat, "can_pin_messages", "manage pinned messages in the chat")
    chat.info.pop("pinned", None)
    chat.info.pop("pinned_message", None)
    return True


def leave_chat(world: World, p: Params) -> bool:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    change_member(world, chat, world.bot_user, make_member(world.bot_user, "left"))
    return True


def export_invite_link(world: World, p: Params) -> str:
    chat = world.resolve_chat(p.raw.get("chat_id"))
    world.check_bot_right(chat, "can_invite_users", "manage invite links")
    link = f"https://t.me/+{world.mint('')}"
    chat.info["invite_link"] = link
    return link


def send_chat_action(world: World, p: Params) -> bool:
    action = p.require_str("action")
    chat = world.resolve_chat(p.raw.get("chat_id"))
    world.check_can_send(chat)
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    world.record(chat, "action", None, text=action)
    return True


def _scope_key(p: Params) -> tuple[str, str]:
    scope = p.json("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), p.str("language_code", "") or ""


def set_my_commands(world: World, p: Params) -> bool:
    commands = p.json("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    cleaned = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand JSON object")
        name = str(command.get("command", "")).lstrip("/")
        description = str(command.get("description", ""))
        if not name or len(name) > 32 or not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not description.strip() or len(description) > 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        cleaned.append({"command": name.lower(), "description": description})
    world.commands[_scope_key(p)] = cleaned
    return True


def get_my_commands(world: World, p: Params) -> list[dict[str, Any]]:
    return list(world.commands.get(_scope_key(p), []))


def delete_my_commands(world: World, p: Params) -> bool:
    world.commands.pop(_scope_key(p), None)
    return True


HANDLERS: dict[str, Callable[[World, Params], Any]] = {
    "getChat": get_chat,
    "getChatAdministrators": get_chat_administrators,
    "getChatMember": get_chat_member,
    "getChatMemberCount": get_chat_member_count,
    "banChatMember": ban_chat_member,
    "unbanChatMember": unban_chat_member,
    "restrictChatMember": restrict_chat_member,
    "promoteChatMember": promote_chat_member,
    "setChatAdministratorCustomTitle": set_custom_title,
    "setChatPermissions": set_chat_permissions,
    "setChatTitle": set_chat_title,
    "setChatDescription": set_chat_description,
    "pinChatMessage": pin_chat_message,
    "unpinChatMessage": unpin_chat_message,
    "unpinAllChatMessages": unpin_all,
    "leaveChat": leave_chat,
    "exportChatInviteLink": export_invite_link,
    "sendChatAction": send_chat_action,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
}
