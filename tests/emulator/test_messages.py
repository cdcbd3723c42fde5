"""Send, forward, copy, delete and edit; Telegram's strict refusals with its wording."""

from __future__ import annotations

import json

from actorbot.emulator._methods_edit import NOT_MODIFIED

KEYBOARD = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}, {"text": "No", "callback_data": "no"}]]}


def test_send_methods_produce_typed_messages(api, alice):
    ids = set()
    doc = api.multipart("sendDocument",
                        {"chat_id": str(alice.id), "document": ("notes.txt", b"hello", "text/plain")}).json["result"]
    assert doc["document"]["file_name"] == "notes.txt" and doc["document"]["file_size"] == 5
    ids.add(doc["document"]["file_id"])
    audio = api.multipart("sendAudio",
                          {"chat_id": str(alice.id), "title": "Song",
                           "audio": ("a.mp3", b"ID3", "audio/mpeg")}).json["result"]
    assert audio["audio"]["title"] == "Song"
    ids.add(audio["audio"]["file_id"])
    voice = api.multipart("sendVoice",
                          {"chat_id": str(alice.id), "voice": ("v.ogg", b"Ogg", "audio/ogg")}).json["result"]
    assert "voice" in voice
    ids.add(voice["voice"]["file_id"])
    assert len(ids) == 3  # file ids are minted per upload
    loc = api.ok("sendLocation", chat_id=alice.id, latitude=1.5, longitude=2.5)
    assert loc["location"] == {"latitude": 1.5, "longitude": 2.5}
    venue = api.ok("sendVenue", chat_id=alice.id, latitude=1, longitude=2, title="Cafe", address="Main St")
    assert venue["venue"]["title"] == "Cafe"
    contact = api.ok("sendContact", chat_id=alice.id, phone_number="+1", first_name="Ann")
    assert contact["contact"] == {"phone_number": "+1", "first_name": "Ann"}
    poll = api.ok("sendPoll", chat_id=alice.id, question="Q?", options=[{"text": "a"}, {"text": "b"}])
    assert [o["text"] for o in poll["poll"]["options"]] == ["a", "b"] and poll["poll"]["total_voter_count"] == 0
    dice = api.ok("sendDice", chat_id=alice.id, emoji="🎯")
    assert dice["dice"]["emoji"] == "🎯" and 1 <= dice["dice"]["value"] <= 6
    group = api.multipart("sendMediaGroup", {
        "chat_id": str(alice.id),
        "media": json.dumps([{"type": "photo", "media": "attach://p1", "caption": "one"},
                             {"type": "document", "media": "attach://d1"}]),
        "p1": ("1.png", b"x", "image/png"), "d1": ("d.bin", b"y", "application/octet-stream")}).json["result"]
    assert len(group) == 2 and group[0]["media_group_id"] == group[1]["media_group_id"]
    assert group[0]["caption"] == "one" and "document" in group[1]
    checklist = api.ok("sendChecklist", business_connection_id="b", chat_id=alice.id,
                       checklist={"title": "todo", "tasks": [{"id": 1, "text": "x"}]})
    assert checklist["checklist"]["title"] == "todo"
    api.ok("sendChatAction", chat_id=alice.id, action="typing")
    assert api.error("sendChatAction", chat_id=alice.id, action="dancing") == (
        400, "Bad Request: wrong parameter action in request")
    assert "alice" not in alice.chat.text() and "[document notes.txt]" in alice.chat.text()
    assert "bot is typing" in alice.chat.text(actions=True)


def test_forward_copy_delete(api, alice, emu):
    bob = emu.sim.create_user("bob")
    original = alice.send("forward me")
    fwd = api.ok("forwardMessage", chat_id=bob.id, from_chat_id=alice.id, message_id=original["message_id"])
    assert fwd["text"] == "forward me" and fwd["forward_origin"]["sender_user"]["id"] == alice.id
    assert fwd["forward_from"]["id"] == alice.id
    copied = api.ok("copyMessage", chat_id=bob.id, from_chat_id=alice.id, message_id=original["message_id"])
    copy = emu.sim.messages(bob.chat)[-1]
    assert copy["message_id"] == copied["message_id"] and copy["text"] == "forward me" and "forward_origin" not in copy
    assert api.error("forwardMessage", chat_id=bob.id, from_chat_id=alice.id, message_id=99) == (
        400, "Bad Request: message to forward not found")
    assert api.error("copyMessage", chat_id=bob.id, from_chat_id=alice.id, message_id=99) == (
        400, "Bad Request: message to copy not found")
    assert api.ok("deleteMessage", chat_id=bob.id, message_id=fwd["message_id"]) is True
    second = alice.send("and me")
    ids = [original["message_id"], second["message_id"]]
    forwarded = api.ok("forwardMessages", chat_id=bob.id, from_chat_id=alice.id, message_ids=ids)
    copies = api.ok("copyMessages", chat_id=bob.id, from_chat_id=alice.id, message_ids=ids)
    by_id = {m["message_id"]: m for m in emu.sim.messages(bob.chat)}
    assert [by_id[r["message_id"]]["text"] for r in forwarded + copies] == ["forward me", "and me"] * 2
    assert [("forward_origin" in by_id[r["message_id"]]) for r in forwarded + copies] == [True, True, False, False]
    assert api.error("copyMessages", chat_id=bob.id, from_chat_id=alice.id, message_ids=[]) == (
        400, "Bad Request: message identifiers are not specified")
    assert api.error("deleteMessage", chat_id=bob.id, message_id=fwd["message_id"]) == (
        400, "Bad Request: message to delete not found")
    assert f"bot deleted #{fwd['message_id']}" in bob.chat.text()


def test_strict_text_refusals(api, alice):
    assert api.error("sendMessage", chat_id=alice.id, text="") == (400, "Bad Request: message text is empty")
    assert api.error("sendMessage", chat_id=alice.id, text="   \n ") == (400, "Bad Request: message text is empty")
    assert api.error("sendMessage", chat_id=alice.id, text="x" * 4097) == (400, "Bad Request: message is too long")
    assert len(api.ok("sendMessage", chat_id=alice.id, text="x" * 4096)["text"]) == 4096
    assert api.error("sendPhoto", chat_id=alice.id, photo="http://127.0.0.1/x.jpg", caption="c" * 1025) == (
        400, "Bad Request: message caption is too long")


def test_callback_data_over_64_bytes_is_refused(api, alice):
    markup = {"inline_keyboard": [[{"text": "big", "callback_data": "é" * 33}]]}  # 66 bytes
    assert api.error("sendMessage", chat_id=alice.id, text="x", reply_markup=markup) == (
        400, "Bad Request: BUTTON_DATA_INVALID")
    markup = {"inline_keyboard": [[{"text": "ok", "callback_data": "é" * 32}]]}  # 64 bytes
    assert api.ok("sendMessage", chat_id=alice.id, text="x", reply_markup=markup)["reply_markup"] == markup


def test_reply_to_a_missing_message(api, alice):
    assert api.error("sendMessage", chat_id=alice.id, text="x", reply_to_message_id=77) == (
        400, "Bad Request: message to be replied not found")
    assert api.error("sendMessage", chat_id=alice.id, text="x", reply_parameters={"message_id": 77}) == (
        400, "Bad Request: message to be replied not found")
    sent = api.ok("sendMessage", chat_id=alice.id, text="x",
                  reply_parameters={"message_id": 77, "allow_sending_without_reply": True})
    assert "reply_to_message" not in sent
    question = alice.send("question?")
    answer = api.ok("sendMessage", chat_id=alice.id, text="answer", reply_to_message_id=question["message_id"])
    assert answer["reply_to_message"]["text"] == "question?"


def test_chat_not_found_and_blocked_user(api, alice):
    assert api.error("sendMessage", chat_id=999, text="x") == (400, "Bad Request: chat not found")
    assert api.error("sendMessage", chat_id="@nobody", text="x") == (400, "Bad Request: chat not found")
    alice.block()
    assert api.error("sendMessage", chat_id=alice.id, text="x") == (403, "Forbidden: bot was blocked by the user")
    kinds = [list(u)[1] for u in api.ok("getUpdates")]
    assert kinds == ["my_chat_member"]
    alice.unblock()
    assert api.ok("sendMessage", chat_id=alice.id, text="back")["text"] == "back"


def test_edits_of_text_caption_media_and_markup(api, alice):
    msg = api.ok("sendMessage", chat_id=alice.id, text="v1", reply_markup=KEYBOARD)
    ref = {"chat_id": alice.id, "message_id": msg["message_id"]}
    edited = api.ok("editMessageText", text="v2", reply_markup=KEYBOARD, **ref)
    assert edited["text"] == "v2" and "edit_date" in edited
    assert api.error("editMessageText", text="v2", reply_markup=KEYBOARD, **ref) == (
        400, f"Bad Request: {NOT_MODIFIED}")
    no_keys = api.ok("editMessageReplyMarkup", **ref)
    assert "reply_markup" not in no_keys
    assert api.error("editMessageReplyMarkup", **ref) == (400, f"Bad Request: {NOT_MODIFIED}")
    assert api.error("editMessageText", chat_id=alice.id, message_id=99, text="x") == (
        400, "Bad Request: message to edit not found")
    users = alice.send("mine")
    assert api.error("editMessageText", chat_id=alice.id, message_id=users["message_id"], text="x") == (
        400, "Bad Request: message can't be edited")
    photo = api.ok("sendPhoto", chat_id=alice.id, photo="http://127.0.0.1/p.jpg", caption="old")
    pref = {"chat_id": alice.id, "message_id": photo["message_id"]}
    assert api.ok("editMessageCaption", caption="<b>new</b>", parse_mode="HTML", **pref)["caption_entities"] == [
        {"type": "bold", "offset": 0, "length": 3}]
    media = api.ok("editMessageMedia", media={"type": "document", "media": "http://127.0.0.1/d.pdf", "caption": "doc"},
                   **pref)
    assert "photo" not in media and media["document"]["file_name"] == "d.pdf" and media["caption"] == "doc"
    assert api.error("editMessageText", text="x", **pref) == (
        400, "Bad Request: there is no text in the message to edit")
    text = alice.chat.text()
    assert f"bot edited #{msg['message_id']}: v2  [Yes] [No]" in text
    assert f"bot edited #{msg['message_id']}: v2\n" in text + "\n"


def test_live_location_edits_until_stopped(api, alice):
    live = api.ok("sendLocation", chat_id=alice.id, latitude=1, longitude=1, live_period=60)
    ref = {"chat_id": alice.id, "message_id": live["message_id"]}
    moved = api.ok("editMessageLiveLocation", latitude=2, longitude=3, **ref)
    assert moved["location"]["latitude"] == 2 and moved["location"]["longitude"] == 3
    assert api.error("editMessageLiveLocation", latitude=2, longitude=3, **ref) == (400, f"Bad Request: {NOT_MODIFIED}")
    api.ok("stopMessageLiveLocation", **ref)
    assert api.error("editMessageLiveLocation", latitude=5, longitude=5, **ref) == (
        400, "Bad Request: message can't be edited")
    still = api.ok("sendLocation", chat_id=alice.id, latitude=1, longitude=1)
    assert api.error("editMessageLiveLocation", chat_id=alice.id, message_id=still["message_id"], latitude=2,
                     longitude=2) == (
        400, "Bad Request: message can't be edited")


def test_commands_are_stored_per_scope(api):
    commands = [{"command": "start", "description": "Start"}, {"command": "help", "description": "Help"}]
    assert api.ok("setMyCommands", commands=commands) is True
    assert api.ok("getMyCommands") == commands
    assert api.ok("getMyCommands", scope={"type": "all_private_chats"}) == []
    assert api.error("setMyCommands", commands=[{"command": "Bad Command", "description": "x"}]) == (
        400, "Bad Request: BOT_COMMAND_INVALID")
    api.ok("deleteMyCommands")
    assert api.ok("getMyCommands") == []
