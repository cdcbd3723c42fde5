"""The simulation side: users and chats that talk to the bot, and helpers to observe the result.

:class:`Simulation` is used from the test's (or script's) thread; every method
takes ``world.lock`` for its whole duration, and the ``wait_*`` helpers wait on
``world.changed`` with a real-time bound (never a sleep), so they return as soon
as the bot's HTTP call has been served, and raise :class:`SimulationTimeout` after
``timeout`` seconds otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..exception import ActorbotException
from ._clock import real_monotonic
from ._content import file_reference, media_fields
from ._errors import ApiError
from ._markup import detect_entities, parse
from ._methods_chats import change_member, make_member
from ._methods_queries import start_payment
from ._records import ApiCall, TranscriptEntry, chat_label, render_transcript
from ._state import CallbackState, ChatState, InlineQueryState, PaymentState, World

__all__ = [
    "Simulation",
    "SimUser",
    "SimChat",
    "CallbackHandle",
    "InlineQueryHandle",
    "PaymentHandle",
    "SimulationError",
    "SimulationTimeout",
    "TINY_PNG",
]

T = TypeVar("T")

TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


class SimulationError(ActorbotException):
    """A simulated action that cannot happen (user not in the chat, no such button, ...)."""


class SimulationTimeout(SimulationError, TimeoutError):
    """A ``wait_*`` helper ran out of time; the message includes what was seen."""


def _id(value: Any) -> int:
    if isinstance(value, (SimUser, SimChat)):
        return value.id
    if isinstance(value, dict):
        return int(value["id"])
    return int(value)


@dataclass(frozen=True)
class SimUser:
    """A simulated Telegram user; its methods act through the simulation that created it."""

    id: int
    first_name: str
    username: str | None = None
    sim: Simulation | None = field(default=None, repr=False, compare=False)

    def _s(self) -> Simulation:
        if self.sim is None:
            raise SimulationError("this user is not bound to a simulation")
        return self.sim

    @property
    def chat(self) -> SimChat:
        """The private chat between this user and the bot."""
        return self._s().private_chat(self)

    def send(self, text: str, chat: SimChat | int | None = None, **kwargs: Any) -> dict[str, Any]:
        """Send ``text`` as this user (in the private chat unless ``chat``); returns the message.

        Keyword arguments are :meth:`Simulation.send_text`'s (``reply_to``, ``parse_mode``...).
        """
        return self._s().send_text(self, text, chat, **kwargs)

    def command(self, command: str, args: str = "", chat: SimChat | int | None = None) -> dict[str, Any]:
        """Send ``/command args`` (``command`` without the slash); returns the message."""
        return self._s().send_command(self, command, args, chat)

    def send_photo(self, data: bytes = TINY_PNG, **kwargs: Any) -> dict[str, Any]:
        """Send a photo (a tiny PNG unless ``data``); ``caption=``, ``chat=``. Returns the message."""
        return self._s().send_photo(self, data, **kwargs)

    def send_document(self, data: bytes, filename: str = "file.txt", **kwargs: Any) -> dict[str, Any]:
        """Send ``data`` as a document named ``filename``; ``caption=``, ``chat=``. Returns the message."""
        return self._s().send_document(self, data, filename, **kwargs)

    def press(self, message: Any, *, label: str | None = None, data: str | None = None) -> CallbackHandle:
        """Press the inline button of ``message`` with this ``label`` (or callback ``data``).

        Returns a :class:`CallbackHandle`; its ``wait_answer()`` gives the bot's ``answerCallbackQuery``.
        """
        return self._s().press(self, message, label=label, data=data)

    def inline_query(self, query: str, **kwargs: Any) -> InlineQueryHandle:
        """Type an inline query; returns an :class:`InlineQueryHandle` (``wait_results()``, ``choose()``)."""
        return self._s().inline_query(self, query, **kwargs)

    def pay(self, invoice_message: dict[str, Any], **kwargs: Any) -> PaymentHandle:
        """Pay the invoice in ``invoice_message``; returns a :class:`PaymentHandle` (``wait()``, ``status``)."""
        return self._s().pay(self, invoice_message, **kwargs)

    def block(self) -> None:
        """Block the bot: its messages to this user fail with 403 until :meth:`unblock`."""
        self._s().block(self)

    def unblock(self) -> None:
        """Unblock the bot."""
        self._s().unblock(self)


@dataclass(frozen=True)
class SimChat:
    """A chat known to the simulation (private, group, supergroup or channel)."""

    id: int
    type: str
    title: str | None = None
    sim: Simulation | None = field(default=None, repr=False, compare=False)

    def _s(self) -> Simulation:
        if self.sim is None:
            raise SimulationError("this chat is not bound to a simulation")
        return self.sim

    def transcript(self) -> list[TranscriptEntry]:
        """Everything that happened in this chat, in order (messages, edits, deletions...)."""
        return self._s().transcript(self)

    def text(self, *, actions: bool = False) -> str:
        """The transcript as lines (``Alice: hi`` / ``bot: 1``); ``actions`` adds edits, presses..."""
        return self._s().transcript_text(self, actions=actions)

    def messages(self) -> list[dict[str, Any]]:
        """The chat's current messages (latest version of each, deleted ones gone), oldest first."""
        return self._s().messages(self)

    def bot_messages(self) -> list[dict[str, Any]]:
        """The messages the bot sent here, as sent (later edits not applied), oldest first."""
        return [e.message for e in self.transcript() if e.kind == "message" and e.from_bot and e.message]

    def wait_for_bot_message(self, predicate: Callable[[dict[str, Any]], bool] | None = None,
                             timeout: float = 5.0, **kwargs: Any) -> dict[str, Any]:
        """Wait (bounded) for a bot message here matching ``predicate``; see :meth:`Simulation.wait_for_bot_message`."""
        return self._s().wait_for_bot_message(self, predicate, timeout, **kwargs)

    def add_member(self, user: SimUser | int, status: str = "member") -> None:
        """Add ``user`` to this group with ``status`` (``member``, ``administrator``...)."""
        self._s().add_member(self, user, status=status)


@dataclass(frozen=True)
class CallbackHandle:
    """A pressed inline button; ``answer`` is the bot's answerCallbackQuery parameters once given."""

    id: str
    sim: Simulation = field(repr=False, compare=False)

    @property
    def answer(self) -> dict[str, Any] | None:
        """The bot's ``answerCallbackQuery`` parameters, or None while it has not answered."""
        with self.sim.world.lock:
            return self.sim.world.callbacks[self.id].answer

    def wait_answer(self, timeout: float = 5.0) -> dict[str, Any]:
        """Wait (bounded) for the bot to answer this callback query."""
        world = self.sim.world
        return self.sim.wait_until(lambda: world.callbacks[self.id].answer, timeout,
                                   what=f"an answer to callback query {self.id}")


@dataclass(frozen=True)
class InlineQueryHandle:
    """A typed inline query; ``results`` is what the bot answered (``None`` until then)."""

    id: str
    user_id: int
    sim: Simulation = field(repr=False, compare=False)

    @property
    def answer(self) -> dict[str, Any] | None:
        """The bot's ``answerInlineQuery`` parameters, or None while it has not answered."""
        with self.sim.world.lock:
            return self.sim.world.inline_queries[self.id].answer

    @property
    def results(self) -> list[dict[str, Any]] | None:
        """The results the bot answered with, or None while it has not answered."""
        answer = self.answer
        return None if answer is None else list(answer["results"])

    def wait_results(self, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait (bounded) for the bot's answer; returns its results."""
        world = self.sim.world
        answer = self.sim.wait_until(lambda: world.inline_queries[self.id].answer, timeout,
                                     what=f"an answer to inline query {self.id}")
        return list(answer["results"])

    def choose(self, result_id: str | None = None, *, index: int = 0,
               chat: SimChat | int | None = None) -> dict[str, Any]:
        """Choose a result (by ``result_id``, else the ``index``-th); see :meth:`Simulation.choose_inline_result`."""
        return self.sim.choose_inline_result(self, result_id, index=index, chat=chat)


@dataclass(frozen=True)
class PaymentHandle:
    """A payment in progress; ``status`` is shipping, pre_checkout, paid or failed."""

    id: str
    sim: Simulation = field(repr=False, compare=False)

    def _state(self) -> PaymentState:
        return self.sim.world.payments[self.id]

    @property
    def status(self) -> str:
        """``shipping``, ``pre_checkout``, ``paid`` or ``failed``."""
        with self.sim.world.lock:
            return self._state().status

    @property
    def error(self) -> str | None:
        """Why the payment failed (the bot's error message), or None."""
        with self.sim.world.lock:
            return self._state().error

    @property
    def message(self) -> dict[str, Any] | None:
        """The ``successful_payment`` message once paid."""
        with self.sim.world.lock:
            return self._state().message

    def wait(self, timeout: float = 5.0) -> str:
        """Wait (bounded) until the payment is paid or failed; returns the status."""
        return self.sim.wait_until(
            lambda: self._state().status if self._state().status in ("paid", "failed") else None,
            timeout, what=f"payment {self.id} to finish")


class Simulation:
    """Plays the users. Create it through :class:`~actorbot.emulator.Emulator` (``emulator.sim``)."""

    def __init__(self, world: World) -> None:
        self.world = world

    # ------------------------------------------------------------------ users and chats

    def create_user(self, first_name: str, *, username: str | None = None, last_name: str | None = None,
                    language_code: str | None = "en", user_id: int | None = None) -> SimUser:
        """A user who has started the bot (so the private chat exists)."""
        world = self.world
        with world.lock:
            if user_id is None:
                user_id = world.next_user_id
                world.next_user_id += 1
            if user_id in world.users:
                raise SimulationError(f"user {user_id} exists already")
            user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
            if last_name:
                user["last_name"] = last_name
            if username:
                user["username"] = username
            if language_code:
                user["language_code"] = language_code
            world.users[user_id] = user
            chat = {k: v for k, v in user.items() if k in ("first_name", "last_name", "username")}
            world.chats[user_id] = ChatState(chat={"id": user_id, "type": "private", **chat})
            world.notify()
        return SimUser(user_id, first_name, username, self)

    def user(self, user_id: int) -> SimUser:
        """The user with this id (:class:`SimulationError` if there is none)."""
        with self.world.lock:
            user = self.world.users.get(user_id)
            if user is None:
                raise SimulationError(f"no user {user_id}")
            return SimUser(user_id, user["first_name"], user.get("username"), self)

    def create_chat(self, type: str, title: str | None = None, *, members: Iterable[SimUser | int] = (),
                    admins: Iterable[SimUser | int] = (), owner: SimUser | int | None = None,
                    bot_status: str = "member", username: str | None = None,
                    chat_id: int | None = None, announce: bool = False) -> SimChat:
        """A group, supergroup or channel with the bot in it as ``bot_status``.

        ``owner`` (default: the first admin or member) is the creator. With
        ``announce`` the bot gets a ``my_chat_member`` update for being added.
        """
        if type not in ("group", "supergroup", "channel"):
            raise SimulationError("type must be group, supergroup or channel (private chats come with users)")
        world = self.world
        with world.lock:
            if chat_id is None:
                if type == "group":
                    chat_id = -world.next_group_id
                    world.next_group_id += 1
                else:
                    chat_id = -world.next_channel_id
                    world.next_channel_id += 1
            chat: dict[str, Any] = {"id": chat_id, "type": type, "title": title or f"{type} {abs(chat_id)}"}
            if username:
                chat["username"] = username
            state = ChatState(chat=chat)
            world.chats[chat_id] = state
            member_ids = [_id(m) for m in members]
            admin_ids = [_id(a) for a in admins]
            owner_id = _id(owner) if owner is not None else next(iter(admin_ids or member_ids), None)
            for uid in dict.fromkeys([owner_id, *admin_ids, *member_ids]):
                if uid is None:
                    continue
                user = self._user(uid)
                status = "creator" if uid == owner_id else "administrator" if uid in admin_ids else "member"
                state.members[uid] = make_member(user, status)
            bot = make_member(world.bot_user, bot_status) if bot_status != "left" else None
            if bot is not None:
                if announce:
                    change_member(world, state, world.bot_user, bot,
                                  actor=world.users.get(owner_id) if owner_id else None)
                else:
                    state.members[int(world.bot_user["id"])] = bot
            world.notify()
            return SimChat(chat_id, type, chat["title"], self)

    def private_chat(self, user: SimUser | int) -> SimChat:
        """The private chat between ``user`` and the bot (its id is the user's id)."""
        uid = _id(user)
        with self.world.lock:
            self._user(uid)
            return SimChat(uid, "private", None, self)

    def chat_label(self, chat: SimChat | int) -> str:
        """A chat's title, or the user's name for a private chat (for printing transcripts)."""
        with self.world.lock:
            return chat_label(self._chat(_id(chat)).chat)

    def chat(self, chat_id: int) -> SimChat:
        """The chat with this id (:class:`SimulationError` if there is none)."""
        with self.world.lock:
            state = self._chat(chat_id)
            return SimChat(state.id, state.type, state.chat.get("title"), self)

    def add_member(self, chat: SimChat | int, user: SimUser | int, *, status: str = "member") -> dict[str, Any]:
        """``user`` joins ``chat``: a ``new_chat_members`` message and a ``chat_member`` update."""
        world = self.world
        with world.lock:
            state = self._chat(_id(chat))
            member = self._user(_id(user))
            change_member(world, state, member, make_member(member, status), actor=member)
            message = world.new_message(state, member, {"new_chat_members": [member], "new_chat_member": member})
            self._deliver(state, message)
            return message

    def remove_member(self, chat: SimChat | int, user: SimUser | int) -> dict[str, Any]:
        """``user`` leaves ``chat``: a ``left_chat_member`` message and a ``chat_member`` update."""
        world = self.world
        with world.lock:
            state = self._chat(_id(chat))
            member = self._user(_id(user))
            change_member(world, state, member, make_member(member, "left"), actor=member)
            message = world.new_message(state, member, {"left_chat_member": member})
            self._deliver(state, message)
            return message

    def set_bot_status(self, chat: SimChat | int, status: str, *, by: SimUser | int | None = None,
                       **rights: Any) -> None:
        """Change the bot's membership (``my_chat_member`` update), e.g. promote it to administrator."""
        world = self.world
        with world.lock:
            state = self._chat(_id(chat))
            actor = self._user(_id(by)) if by is not None else None
            change_member(world, state, world.bot_user, make_member(world.bot_user, status, **rights), actor=actor)

    def block(self, user: SimUser | int) -> None:
        """The user blocks the bot: sends to them get 403, and the bot gets ``my_chat_member``."""
        self._set_blocked(_id(user), True)

    def unblock(self, user: SimUser | int) -> None:
        """The user unblocks the bot."""
        self._set_blocked(_id(user), False)

    def _set_blocked(self, uid: int, blocked: bool) -> None:
        world = self.world
        with world.lock:
            user = self._user(uid)
            if (uid in world.blocked) == blocked:
                return
            (world.blocked.add if blocked else world.blocked.discard)(uid)
            state = world.chats[uid]
            old, new = ("member", "kicked") if blocked else ("kicked", "member")
            state.members[int(world.bot_user["id"])] = make_member(world.bot_user, old)
            change_member(world, state, world.bot_user, make_member(world.bot_user, new), actor=user)
            world.record(state, "service", user,
                         text=f"{user['first_name']} {'blocked' if blocked else 'unblocked'} the bot")

    # ------------------------------------------------------------------ messages from users

    def send_text(self, user: SimUser | int, text: str, chat: SimChat | int | None = None, *,
                  reply_to: dict[str, Any] | int | None = None, parse_mode: str | None = None) -> dict[str, Any]:
        """The user sends ``text`` (entities such as commands and mentions are detected)."""
        plain, entities = parse(text, parse_mode) if parse_mode else (text, [])
        entities = detect_entities(plain, entities)
        content: dict[str, Any] = {"text": plain}
        if entities:
            content["entities"] = entities
        return self._user_message(user, chat, content, reply_to)

    def send_command(self, user: SimUser | int, command: str, args: str = "",
                     chat: SimChat | int | None = None) -> dict[str, Any]:
        """The user sends ``/command args``."""
        text = "/" + command.lstrip("/") + (f" {args}" if args else "")
        return self.send_text(user, text, chat)

    def send_photo(self, user: SimUser | int, data: bytes = TINY_PNG, *, caption: str | None = None,
                   chat: SimChat | int | None = None, filename: str = "photo.png") -> dict[str, Any]:
        """The user sends a photo (``data``: image bytes, a tiny PNG by default); returns the message."""
        with self.world.lock:
            record = self.world.add_file("photo", data, file_name=filename, mime_type="image/png")
            content = media_fields(self.world, record, "photo")
            if caption:
                content["caption"] = caption
                found = detect_entities(caption)
                if found:
                    content["caption_entities"] = found
            return self._user_message(user, chat, content, None)

    def send_document(self, user: SimUser | int, data: bytes, filename: str = "file.txt", *,
                      mime_type: str = "application/octet-stream", caption: str | None = None,
                      chat: SimChat | int | None = None) -> dict[str, Any]:
        """The user sends ``data`` as a document named ``filename``; returns the message."""
        with self.world.lock:
            record = self.world.add_file("document", data, file_name=filename, mime_type=mime_type)
            content = media_fields(self.world, record, "document")
            if caption:
                content["caption"] = caption
            return self._user_message(user, chat, content, None)

    def edit_text(self, user: SimUser | int, message: dict[str, Any], text: str) -> dict[str, Any]:
        """The user edits one of their messages: an ``edited_message`` update."""
        world = self.world
        with world.lock:
            state = self._chat(int(message["chat"]["id"]))
            current = state.messages.get(int(message["message_id"]))
            if current is None or current.get("from", {}).get("id") != _id(user):
                raise SimulationError("users can edit only their own messages")
            new = {k: v for k, v in current.items() if k != "entities"}
            new["text"] = text
            entities = detect_entities(text)
            if entities:
                new["entities"] = entities
            new["edit_date"] = world.clock.date()
            world.replace_message(state, new)
            kind = "edited_channel_post" if state.type == "channel" else "edited_message"
            world.push_update(kind, new, key=state.id)
            return new

    def _user_message(self, user: SimUser | int, chat: SimChat | int | None, content: dict[str, Any],
                      reply_to: dict[str, Any] | int | None) -> dict[str, Any]:
        world = self.world
        with world.lock:
            sender = self._user(_id(user))
            state = self._chat(_id(chat) if chat is not None else int(sender["id"]))
            self._check_member(state, sender)
            if reply_to is not None:
                target_id = int(reply_to["message_id"]) if isinstance(reply_to, dict) else int(reply_to)
                target = state.messages.get(target_id)
                if target is None:
                    raise SimulationError(f"no message {target_id} to reply to")
                content["reply_to_message"] = {k: v for k, v in target.items() if k != "reply_to_message"}
            message = world.new_message(state, sender, content)
            self._deliver(state, message)
            return message

    def _deliver(self, state: ChatState, message: dict[str, Any]) -> None:
        world = self.world
        if state.type == "private":
            world.push_update("message", message, key=state.id)
            return
        bot = world.bot_member(state) or {}
        if bot.get("status") in ("creator", "administrator", "member", "restricted"):
            world.push_update("channel_post" if state.type == "channel" else "message", message, key=state.id)

    def _check_member(self, state: ChatState, user: dict[str, Any]) -> None:
        uid = int(user["id"])
        if state.type == "private":
            if state.id != uid:
                raise SimulationError("a user can write only in their own private chat with the bot")
            if uid in self.world.blocked:
                raise SimulationError(f"{user['first_name']} has blocked the bot; unblock() first")
            return
        member = state.members.get(uid)
        status = member.get("status") if member else "left"
        allowed = ("creator", "administrator") if state.type == "channel" else ("creator", "administrator", "member")
        if status not in allowed and not (status == "restricted" and member and member.get("can_send_messages")):
            raise SimulationError(f"{user['first_name']} cannot write in chat {state.id} (status {status})")

    # ------------------------------------------------------------------ buttons, inline mode, payments

    def press(self, user: SimUser | int, message: dict[str, Any] | str, *, label: str | None = None,
              data: str | None = None) -> CallbackHandle:
        """The user presses an inline button (by ``label`` or ``data``) on a bot message.

        ``message`` is a message dict (the latest version is used) or an
        ``inline_message_id``.
        """
        if (label is None) == (data is None):
            raise SimulationError("give exactly one of label= or data=")
        world = self.world
        with world.lock:
            sender = self._user(_id(user))
            inline_id: str | None
            if isinstance(message, str):
                ref = world.inline_messages.get(message)
                if ref is None:
                    raise SimulationError(f"no inline message {message}")
                state, current, inline_id = world.chats[ref[0]], world.chats[ref[0]].messages.get(ref[1]), message
            else:
                state = self._chat(int(message["chat"]["id"]))
                current = state.messages.get(int(message["message_id"]))
                # A message posted through inline mode: its buttons report the inline_message_id.
                inline_id = next((k for k, ref in world.inline_messages.items()
                                  if ref == (state.id, int(message["message_id"]))), None)
            if current is None:
                raise SimulationError("the message was deleted")
            button = self._find_button(current, label, data)
            query = CallbackState(world.mint(""), int(sender["id"]), button.get("callback_data"),
                                  state.id, int(current["message_id"]), inline_id)
            world.callbacks[query.id] = query
            world.record(state, "press", sender, text=str(button.get("text")), message_id=int(current["message_id"]))
            payload: dict[str, Any] = {"id": query.id, "from": sender, "chat_instance": str(abs(hash((state.id, 7))))}
            if inline_id is not None:
                payload["inline_message_id"] = inline_id
            else:
                payload["message"] = current
            if "callback_data" in button:
                payload["data"] = button["callback_data"]
            if "callback_game" in button:
                payload["game_short_name"] = current.get("game", {}).get("title", "")
            world.push_update("callback_query", payload, key=state.id)
            return CallbackHandle(query.id, self)

    @staticmethod
    def _find_button(message: dict[str, Any], label: str | None, data: str | None) -> dict[str, Any]:
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        for row in rows:
            for button in row:
                if (label is not None and button.get("text") == label) or (
                    data is not None and button.get("callback_data") == data
                ):
                    if "callback_data" not in button and "callback_game" not in button:
                        raise SimulationError(f"button {button.get('text')!r} is not a callback button")
                    return button
        labels = [b.get("text") for row in rows for b in row]
        raise SimulationError(f"no button {label or data!r} on message {message.get('message_id')} (has {labels})")

    def inline_query(self, user: SimUser | int, query: str, *, offset: str = "",
                     chat_type: str | None = "sender") -> InlineQueryHandle:
        """The user types ``@bot query``: an ``inline_query`` update."""
        world = self.world
        with world.lock:
            sender = self._user(_id(user))
            state = InlineQueryState(world.mint(""), int(sender["id"]), query, None)
            world.inline_queries[state.id] = state
            payload: dict[str, Any] = {"id": state.id, "from": sender, "query": query, "offset": offset}
            if chat_type:
                payload["chat_type"] = chat_type
            world.push_update("inline_query", payload, key=("inline", state.user_id))
            return InlineQueryHandle(state.id, state.user_id, self)

    def choose_inline_result(self, query: InlineQueryHandle | str, result_id: str | None = None, *,
                             index: int = 0, chat: SimChat | int | None = None) -> dict[str, Any]:
        """The user picks a result: the message appears in ``chat`` (default: their chat with the bot)
        and the bot gets ``chosen_inline_result``."""
        world = self.world
        query_id = query.id if isinstance(query, InlineQueryHandle) else str(query)
        with world.lock:
            state = world.inline_queries.get(query_id)
            if state is None or state.answer is None:
                raise SimulationError("the bot has not answered this inline query")
            results = state.answer["results"]
            if result_id is None:
                if not results:
                    raise SimulationError("the bot answered with no results")
                result = results[index]
            else:
                result = next((r for r in results if str(r["id"]) == str(result_id)), None)
                if result is None:
                    raise SimulationError(f"no inline result {result_id!r}")
            sender = world.users[state.user_id]
            target = self._chat(_id(chat) if chat is not None else state.user_id)
            content = self._result_content(result)
            content["via_bot"] = dict(world.bot_user)
            markup = result.get("reply_markup")
            inline_id = None
            if isinstance(markup, dict):
                content["reply_markup"] = markup
            message = world.new_message(target, sender, content)
            if isinstance(markup, dict):
                inline_id = world.mint("AgAAA")
                world.inline_messages[inline_id] = (target.id, int(message["message_id"]))
            chosen: dict[str, Any] = {"result_id": str(result["id"]), "from": sender, "query": state.query}
            if inline_id is not None:
                chosen["inline_message_id"] = inline_id
            world.push_update("chosen_inline_result", chosen, key=("inline", state.user_id))
            if target.type == "private" or (world.bot_member(target) or {}).get("status") in (
                    "creator", "administrator", "member"):
                self._deliver(target, message)
            return message

    def _result_content(self, result: dict[str, Any]) -> dict[str, Any]:
        imc = result.get("input_message_content")
        if isinstance(imc, dict) and "message_text" in imc:
            text, entities = parse(str(imc["message_text"]), imc.get("parse_mode")) if imc.get("parse_mode") else (
                str(imc["message_text"]), list(imc.get("entities") or []))
            content: dict[str, Any] = {"text": text}
            if entities:
                content["entities"] = entities
            return content
        if isinstance(imc, dict) and "latitude" in imc:
            return {"location": {"latitude": imc["latitude"], "longitude": imc["longitude"]}}
        kind = str(result.get("type", "article"))
        ref = result.get(f"{kind}_file_id") or result.get(f"{kind}_url")
        if kind in ("photo", "document", "video", "audio", "voice", "gif", "mpeg4_gif", "sticker") and ref:
            media_kind = {"gif": "animation", "mpeg4_gif": "animation"}.get(kind, kind)
            try:
                record = file_reference(self.world, str(ref), media_kind)
            except ApiError as exc:
                raise SimulationError(f"inline result {result['id']}: {exc.description}") from None
            content = media_fields(self.world, record, media_kind)
            if result.get("caption"):
                content["caption"] = result["caption"]
            return content
        return {"text": str(result.get("title", ""))}

    def pay(self, user: SimUser | int, invoice_message: dict[str, Any], *,
            shipping_address: dict[str, Any] | None = None, order_info: dict[str, Any] | None = None,
            shipping_option_id: str | None = None) -> PaymentHandle:
        """The user pays an invoice message: shipping query (flexible invoices), pre-checkout
        query, then a ``successful_payment`` message once the bot has said yes to both."""
        world = self.world
        with world.lock:
            sender = self._user(_id(user))
            chat_id = int(invoice_message["chat"]["id"])
            message_id = int(invoice_message["message_id"])
            invoice = world.invoices.get((chat_id, message_id))
            if invoice is None:
                raise SimulationError("that message is not an invoice sent by the bot")
            address = shipping_address or {"country_code": "US", "state": "CA", "city": "Springfield",
                                           "street_line1": "1 Main St", "street_line2": "", "post_code": "12345"}
            payment = PaymentState(world.mint("pay"), int(sender["id"]), chat_id, message_id, dict(invoice),
                                   address, dict(order_info or {}), shipping_option_id)
            start_payment(world, payment, bool(invoice["is_flexible"]))
            return PaymentHandle(payment.id, self)

    # ------------------------------------------------------------------ observing

    def transcript(self, chat: SimChat | int) -> list[TranscriptEntry]:
        """Everything that happened in ``chat``, in order (:class:`TranscriptEntry` records)."""
        with self.world.lock:
            return list(self._chat(_id(chat)).transcript)

    def transcript_text(self, chat: SimChat | int, *, actions: bool = False) -> str:
        """The chat as readable lines (``alice: hi`` / ``bot: Hello!  [Yes] [No]``)."""
        return render_transcript(self.transcript(chat), actions=actions)

    def messages(self, chat: SimChat | int) -> list[dict[str, Any]]:
        """The chat's current messages (latest versions, deleted ones gone), oldest first."""
        with self.world.lock:
            state = self._chat(_id(chat))
            return [state.messages[k] for k in sorted(state.messages)]

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """The Bot API call log (optionally one method's calls), oldest first."""
        with self.world.lock:
            return [c for c in self.world.calls if method is None or c.method == method]

    def on_transcript(self, listener: Callable[[TranscriptEntry], None]) -> Callable[[], None]:
        """Call ``listener(entry)`` for every transcript entry from now on, in order; return a
        function that unsubscribes it.

        Runs on the thread that made the entry (a server thread for the bot's calls, the
        caller's for simulated users) with the emulator's state locked: keep it short
        (print a line, append to a list); it may read the simulation (the lock is
        reentrant) but must not act in it.
        """
        with self.world.lock:
            self.world.transcript_listeners.append(listener)

        def unsubscribe() -> None:
            with self.world.lock:
                if listener in self.world.transcript_listeners:
                    self.world.transcript_listeners.remove(listener)

        return unsubscribe

    def mark(self) -> int:
        """A cursor: pass it as ``after=`` to wait only for what happens from now on."""
        with self.world.lock:
            return self.world.next_seq()

    def wait_until(self, probe: Callable[[], T | None], timeout: float = 5.0, *, what: str = "a condition") -> T:
        """Return ``probe()``'s first truthy value; ``probe`` runs with the world locked after each change."""
        world = self.world
        deadline = real_monotonic() + timeout
        with world.lock:
            while True:
                value = probe()
                if value:
                    return value
                remaining = deadline - real_monotonic()
                if remaining <= 0 or world.closing:
                    raise SimulationTimeout(f"timed out after {timeout}s waiting for {what}")
                world.changed.wait(remaining)

    def wait_for_bot_message(self, chat: SimChat | int, predicate: Callable[[dict[str, Any]], bool] | None = None,
                             timeout: float = 5.0, *, after: int | None = None) -> dict[str, Any]:
        """The first bot message in ``chat`` matching ``predicate`` sent after the user's last action
        there (or after the ``after`` cursor). Edits count too: the edited message is returned."""
        chat_id = _id(chat)

        def probe() -> dict[str, Any] | None:
            state = self._chat(chat_id)
            since = state.last_user_seq if after is None else after
            for entry in state.transcript:
                if entry.seq > since and entry.from_bot and entry.kind in ("message", "edit") and entry.message:
                    if predicate is None or predicate(entry.message):
                        return dict(entry.message)
            return None

        try:
            return self.wait_until(probe, timeout, what=f"a bot message in chat {chat_id}")
        except SimulationTimeout:
            raise SimulationTimeout(
                f"no matching bot message in chat {chat_id} within {timeout}s; transcript:\n"
                + self.transcript_text(chat_id)
            ) from None

    def wait_for_call(self, method: str, predicate: Callable[[ApiCall], bool] | None = None,
                      timeout: float = 5.0, *, after: int = 0) -> ApiCall:
        """The first logged call of ``method`` (after the ``after`` cursor) matching ``predicate``."""
        world = self.world

        def probe() -> ApiCall | None:
            for call in world.calls:
                if call.seq > after and call.method == method and (predicate is None or predicate(call)):
                    return call
            return None

        return self.wait_until(probe, timeout, what=f"a {method} call")

    # ------------------------------------------------------------------ lookups (lock held)

    def _user(self, user_id: int) -> dict[str, Any]:
        user = self.world.users.get(user_id)
        if user is None:
            raise SimulationError(f"no user {user_id}")
        return user

    def _chat(self, chat_id: int) -> ChatState:
        state = self.world.chats.get(chat_id)
        if state is None:
            raise SimulationError(f"no chat {chat_id}")
        return state

