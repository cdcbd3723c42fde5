"""The HTTP surface: encodings, envelopes, tokens, unknown methods, validation, files."""

from __future__ import annotations

import json

from emukit import TOKEN, Client


def test_get_me_over_json_form_and_query(api, emu):
    me = api.ok("getMe")
    assert me["is_bot"] is True and me["id"] == 4242 and me["username"] == "emulator_bot"
    assert api.form("getMe").json["result"] == me
    assert api.raw("GET", f"/bot{TOKEN}/getMe").json["result"] == me
    assert api.raw("GET", f"/bot{TOKEN}/getme").json["result"] == me  # method names are case-insensitive


def test_urlencoded_and_multipart_parameters_reach_the_method(api, alice):
    sent = api.form("sendMessage", chat_id=alice.id, text="by form",
                    reply_markup=json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}))
    assert sent.json["result"]["text"] == "by form"
    assert sent.json["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    multi = api.multipart("sendMessage", {"chat_id": str(alice.id), "text": "by multipart"})
    assert multi.json["result"]["text"] == "by multipart"
    assert [m["text"] for m in alice.chat.messages()] == ["by form", "by multipart"]


def test_wrong_token_is_401_unauthorized(emu, api):
    answer = api.call("getMe", token="4242:wrong")
    assert answer.status == 401
    assert answer.json == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert "wrong" not in repr(emu.calls()[-1])  # the token is never logged


def test_unknown_method_is_404_not_found(api):
    answer = api.call("sendTelepathy", chat_id=1)
    assert answer.status == 404
    assert answer.json == {"ok": False, "error_code": 404, "description": "Not Found"}


def test_missing_and_mistyped_required_parameters(api, alice):
    assert api.error("sendMessage", text="hi") == (400, "Bad Request: chat_id is empty")
    assert api.error("sendMessage", chat_id=alice.id) == (400, "Bad Request: message text is empty")
    assert api.error("setMyCommands") == (400, 'Bad Request: parameter "commands" is required')
    assert api.error("getChatMember", chat_id=alice.id) == (400, "Bad Request: invalid user_id specified")
    assert api.error("forwardMessage", chat_id=alice.id, from_chat_id=alice.id, message_id="x") == (
        400, 'Bad Request: field "message_id" must be a valid Number')
    assert api.error("sendMessage", chat_id=alice.id, text="x", reply_markup="{broken") == (
        400, "Bad Request: can't parse reply_markup JSON object")


def test_other_methods_are_validated_and_answered_plausibly(api, alice):
    assert api.ok("setMyDescription", description="hello") is True
    assert api.ok("getStarTransactions") == {"transactions": []}
    profile = api.ok("getUserProfilePhotos", user_id=alice.id)
    assert profile == {"total_count": 0, "photos": []}
    link = api.ok("createChatInviteLink", chat_id=alice.id)
    assert set(link) >= {"invite_link", "creator", "creates_join_request", "is_primary", "is_revoked"}
    assert api.error("banChatSenderChat", chat_id=alice.id) == (
        400, 'Bad Request: parameter "sender_chat_id" is required')


def test_upload_is_kept_and_downloadable(api, alice, emu):
    photo = api.multipart("sendPhoto", {"chat_id": str(alice.id), "caption": "look",
                                        "photo": ("pic.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 8 + b"\0\0\0\x07\0\0\0\x05",
                                                  "image/png")})
    message = photo.json["result"]
    size = message["photo"][-1]
    assert (size["width"], size["height"]) == (7, 5)
    assert message["caption"] == "look"
    info = api.ok("getFile", file_id=size["file_id"])
    assert info["file_id"] == size["file_id"] and info["file_size"] == 24
    download = api.raw("GET", f"/file/bot{TOKEN}/{info['file_path']}")
    assert download.status == 200 and download.raw.startswith(b"\x89PNG")
    assert api.raw("GET", f"/file/bot4242:wrong/{info['file_path']}").status == 401
    assert api.raw("GET", f"/file/bot{TOKEN}/photos/none.jpg").status == 404
    assert api.error("getFile", file_id="nope") == (400, "Bad Request: invalid file_id")
    again = api.ok("sendPhoto", chat_id=alice.id, photo=size["file_id"])  # re-send by file_id
    assert again["photo"][-1]["file_id"] == size["file_id"]
    assert api.error("sendDocument", chat_id=alice.id, document="bogus") == (
        400, "Bad Request: wrong file identifier/HTTP URL specified")


def test_keep_alive_connection_serves_many_calls(emu, alice):
    client = Client(emu)
    for n in range(20):
        assert client.ok("sendMessage", chat_id=alice.id, text=f"m{n}")["message_id"] == n + 1
    pool = client.http.connection_from_url(emu.url)
    assert pool.num_connections == 1
    client.http.clear()


def test_call_log_records_parameters_and_answers(api, alice, emu):
    api.ok("sendMessage", chat_id=alice.id, text="logged")
    api.call("sendMessage", chat_id=alice.id, text="")
    calls = emu.calls("sendMessage")
    assert [c.params["text"] for c in calls] == ["logged", ""]
    assert calls[0].ok and calls[0].result["text"] == "logged" and calls[0].status == 200
    assert not calls[1].ok and calls[1].answer["description"] == "Bad Request: message text is empty"
