"""The browser chat's HTTP side: the page and its assets under /chat/, the long-poll events
endpoint (users, chats, transcript entries, Bot API calls) and the file endpoint."""

from __future__ import annotations

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import urllib3

from actorbot import Bot
from actorbot.emulator import TINY_PNG
from actorbot.testing import serve_bot
from exampleloader import load_example


def events(api, **params: Any) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    answer = api.raw("GET", f"/chat/api/events?{query}")
    assert answer.status == 200 and answer.json["ok"], answer.json
    return answer.json["result"]


def sim(api, action: str, **params: Any) -> Any:
    answer = api.raw("POST", f"/sim/{action}", json=params)
    assert answer.json["ok"], answer.json
    return answer.json["result"]


def test_the_page_and_its_assets_are_served(api):
    page = api.http.request("GET", api.base + "/chat/")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.data.decode()
    assert "<title>actorbot emulator" in html and 'src="/chat/chat.js"' in html and "cdn" not in html.lower()
    for name, ctype in (("chat.js", "text/javascript"), ("chat.css", "text/css")):
        asset = api.http.request("GET", f"{api.base}/chat/{name}")
        assert asset.status == 200 and asset.headers["Content-Type"].startswith(ctype) and asset.data
    assert api.http.request("GET", api.base + "/chat").status == 200


@pytest.mark.parametrize("path", ["/chat/nothing.js", "/chat/..%2F_sim.py", "/chat/../_sim.py", "/chat/.hidden"])
def test_unknown_or_outside_files_are_not_found(api, path):
    assert api.raw("GET", path).status == 404


def test_a_snapshot_lists_users_chats_and_the_bot(api, emu, alice):
    group = emu.sim.create_chat("group", "Friends", members=[alice])
    result = events(api)
    assert result["bot"]["username"] == "emulator_bot"
    assert [(u["id"], u["first_name"]) for u in result["users"]] == [(alice.id, "alice")]
    chats = {c["id"]: c for c in result["chats"]}
    assert chats[alice.id]["type"] == "private" and chats[alice.id]["title"] == "alice"
    assert chats[group.id] | {"members": None} == {"id": group.id, "type": "group", "title": "Friends",
                                                   "members": None, "bot_status": "member"}
    assert chats[group.id]["members"] == {str(alice.id): "creator"}


def test_the_long_poll_answers_when_something_happens(api, emu, alice):
    version = events(api)["version"]
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(events, api, since=version, after=0, timeout=10)
        alice.send("hello *there*")
        result = waiting.result(timeout=10)
    assert result["version"] != version
    assert [(e["kind"], e["sender"], e["text"]) for e in result["entries"]] == [("message", "alice", "hello *there*")]


def test_a_poll_with_nothing_new_ends_at_its_bound(api, alice):
    first = events(api)
    again = events(api, since=first["version"], after=first["seq"], timeout=0.2)
    assert again["version"] == first["version"] and again["entries"] == [] and again["calls"] == []


def test_bot_messages_edits_deletions_answers_and_calls_appear_in_order(api, emu, alice):
    start = events(api)["seq"]
    sent = api.ok("sendMessage", chat_id=alice.id, text="<b>Hi</b> <a href='https://example.org'>there</a>",
                  parse_mode="HTML", reply_markup={"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]})
    pressed = sim(api, "press", user_id=alice.id, chat_id=alice.id, message_id=sent["message_id"], data="go")
    api.ok("answerCallbackQuery", callback_query_id=pressed["callback_query_id"], text="Going!")
    api.ok("editMessageText", chat_id=alice.id, message_id=sent["message_id"], text="Gone")
    api.ok("deleteMessage", chat_id=alice.id, message_id=sent["message_id"])
    result = events(api, after=start)
    entries = [(e["kind"], e["sender"], e["text"], e["message_id"]) for e in result["entries"]]
    mid = sent["message_id"]
    assert entries == [("message", "bot", "Hi there", mid), ("press", "alice", "Go", mid),
                       ("answer", "bot", "Going!", mid), ("edit", "bot", "Gone", mid), ("delete", "bot", "", mid)]
    first = result["entries"][0]["message"]
    assert [(e["type"], e.get("url")) for e in first["entities"]] == [("bold", None), ("text_link", "https://example.org")]
    assert first["reply_markup"]["inline_keyboard"][0][0]["text"] == "Go"
    assert [c["method"] for c in result["calls"]] == [
        "sendMessage", "answerCallbackQuery", "editMessageText", "deleteMessage"]
    assert all(c["status"] == 200 and c["fault"] is None for c in result["calls"])
    assert '"parse_mode": "HTML"' in result["calls"][0]["params"]


def test_an_injected_fault_shows_in_the_calls(api, emu, alice):
    start = events(api)["seq"]
    sim(api, "faults", method="sendMessage", kind="rate_limit", retry_after=3)
    assert api.call("sendMessage", chat_id=alice.id, text="hi").status == 429
    calls = events(api, after=start)["calls"]
    assert [(c["method"], c["status"], c["fault"], c["description"]) for c in calls] == [
        ("sendMessage", 429, "rate_limit", "Too Many Requests: retry after 3")]


def test_photos_a_user_sends_can_be_fetched_by_the_page(api, emu, alice):
    message = sim(api, "photo", user_id=alice.id, data_base64=base64.b64encode(TINY_PNG).decode(), caption="look")
    file_id = message["photo"][-1]["file_id"]
    answer = api.http.request("GET", f"{api.base}/chat/api/file?file_id={file_id}")
    assert answer.status == 200 and answer.data == TINY_PNG and answer.headers["Content-Type"] == "image/png"
    assert api.raw("GET", "/chat/api/file?file_id=nope").status == 404


def test_groups_created_through_sim_show_their_members(api, emu, alice):
    bob = emu.sim.create_user("bob")
    chat = sim(api, "chats", type="group", title="Team", members=[alice.id, bob.id])
    sim(api, "send", user_id=bob.id, chat_id=chat["id"], text="hi all")
    result = events(api)
    team = next(c for c in result["chats"] if c["id"] == chat["id"])
    assert team["members"] == {str(alice.id): "creator", str(bob.id): "member"}
    assert [(e["chat_id"], e["sender"], e["text"]) for e in result["entries"]] == [(chat["id"], "bob", "hi all")]


def test_bad_numbers_are_a_400(api):
    assert api.raw("GET", "/chat/api/events?after=x").status == 400


def test_stopping_the_emulator_ends_a_waiting_poll(api, emu, alice):
    version = events(api)["version"]
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(api.raw, "GET", f"/chat/api/events?since={version}&timeout=30")
        started = time.monotonic()
        emu.stop()  # joins the connection threads (5 s bound): a poll that kept waiting would show here
        stopped_in = time.monotonic() - started
        try:
            answer = waiting.result(timeout=10)
        except urllib3.exceptions.HTTPError:
            answer = None  # the poll arrived after the server had closed: refused, also fine
    assert stopped_in < 4.0
    assert answer is None or (answer.status == 200 and answer.json["result"]["entries"] == [])


def test_reply_keyboards_and_their_removal_reach_the_page(api, alice):
    start = events(api)["seq"]
    api.ok("sendMessage", chat_id=alice.id, text="Pick",
           reply_markup={"keyboard": [["Tea", "Coffee"]], "one_time_keyboard": True})
    api.ok("sendMessage", chat_id=alice.id, text="Done", reply_markup={"remove_keyboard": True})
    api.ok("sendMessage", chat_id=alice.id, text="Plain")
    entries = events(api, after=start)["entries"]
    assert [(e["text"], e.get("reply_keyboard")) for e in entries] == [
        ("Pick", {"keyboard": [["Tea", "Coffee"]], "one_time_keyboard": True}),
        ("Done", {"remove_keyboard": True}),
        ("Plain", None),
    ]
    assert "reply_markup" not in entries[0]["message"]  # as on Telegram: not part of the message


def test_the_page_is_read_only(api):
    assert api.raw("POST", "/chat/index.html").status == 405


def test_planned_faults_show_until_a_call_takes_them(api, alice):
    version = events(api)["version"]
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(events, api, since=version, timeout=10)
        sim(api, "faults", method="sendMessage", kind="rate_limit", retry_after=2, times=2)
        woken = waiting.result(timeout=10)  # planning a fault wakes the page's poll
    sim(api, "faults", method="*", kind="drop")
    sim(api, "faults", method="getMe", kind="slow", delay=0.5)
    assert [(f["method"], f["description"], f["times"]) for f in woken["faults"]] == [
        ("sendMessage", "429 Too Many Requests: retry after 2", 2)]
    assert [(f["method"], f["description"], f["times"]) for f in events(api)["faults"]] == [
        ("sendMessage", "429 Too Many Requests: retry after 2", 2), ("*", "connection dropped", 1),
        ("getMe", "answer delayed 0.5 s", 1)]
    api.call("sendMessage", chat_id=alice.id, text="one")
    assert [f["times"] for f in events(api)["faults"]] == [1, 1, 1]
    assert api.raw("DELETE", "/sim/faults").json["ok"]
    assert events(api)["faults"] == []


def conversations(api) -> dict[str, Any]:
    answer = api.raw("GET", "/chat/api/conversations")
    assert answer.status == 200 and answer.json["ok"], answer.json
    return answer.json["result"]


def test_without_an_attached_bot_the_conversations_are_empty_with_a_note(api):
    result = conversations(api)
    assert result["attached"] is False and result["conversations"] == []
    assert result["note"].startswith("No bot attached")


def test_the_conversations_of_the_attached_counter_bot(api, emu):
    counter = load_example("chat/counter.py")
    with serve_bot(counter.build, emu) as harness:
        assert emu.attached_bot is harness.bot  # serve_bot attached it
        assert conversations(api) == {"attached": True, "conversations": [], "note": "No live conversation."}
        alice = emu.sim.create_user("Alice")
        for text in ("hello", "again"):
            alice.send(text)
            alice.chat.wait_for_bot_message()
        harness.settle()
        result = conversations(api)
        assert result["note"] is None
        [conversation] = result["conversations"]
        assert conversation["values"]["state.count"] == "2"
        assert conversation | {"values": None} == {
            "pattern": 0, "seed": alice.id, "state": "live", "kind": "actor", "handler": "MessageCounter",
            "mailbox": 0, "values": None,
        }
        assert emu.token not in json.dumps(result)
        harness.stop()
        assert emu.attached_bot is None
    assert conversations(api)["attached"] is False


def test_a_plain_bot_has_no_conversations_to_show(api, emu):
    bot = Bot(emu.token, api_url=emu.url)
    try:
        emu.attach_bot(bot)
        result = conversations(api)
    finally:
        bot.stop()
    assert result["attached"] is True and result["conversations"] == []
    assert result["note"] == "Bot has no conversations (a DelegatorBot has)."
