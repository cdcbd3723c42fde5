"""examples/chat/chatbox.py: visitors' handlers and the owner's handler share one mailbox."""

from __future__ import annotations

from exampleloader import load_example

chatbox = load_example("chat/chatbox.py")

OWNER_ID = 555
GREETING = "Hi! Leave a message here and the owner will read it soon."


def build(token, **kw):
    return chatbox.build(token, owner_id=OWNER_ID, **kw)


def texts(chat) -> list[str]:
    return [m.get("text", "") for m in chat.bot_messages()]


def test_the_owner_reads_what_visitors_left_one_sender_at_a_time(run_bot):
    harness = run_bot(build)
    sim = harness.sim
    olivia = sim.create_user("Olivia", user_id=OWNER_ID)
    alice, bob = sim.create_user("Alice"), sim.create_user("Bob")
    for user, text in ((alice, "/start"), (alice, "Where is my order?"), (bob, "Open on Sunday?"),
                       (alice, "It is order 1234."), (olivia, "/unread"), (olivia, "/next")):
        user.send(text)
        harness.settle()
    assert texts(alice.chat) == [GREETING, "Saved for the owner (1 unread from you).",
                                 "Saved for the owner (2 unread from you)."]
    assert texts(bob.chat) == ["Saved for the owner (1 unread from you)."]
    assert olivia.chat.text() == "\n".join([
        "Olivia: /unread", "bot: Alice: 2 unread\nBob: 1 unread",
        "Olivia: /next", "bot: From Alice:", "bot: Where is my order?", "bot: It is order 1234.",
        "bot: That was all from Alice. Senders still waiting: 1.",
    ])
    forwarded = [m for m in olivia.chat.bot_messages() if "forward_origin" in m]
    assert [m["forward_origin"]["sender_user"]["id"] for m in forwarded] == [alice.id, alice.id]

    for text in ("/next", "/next", "/unread"):
        olivia.send(text)
        harness.settle()
    assert texts(olivia.chat)[-5:] == ["From Bob:", "Open on Sunday?", "That was all from Bob. Nothing else is unread.",
                                       "No unread messages.", "No unread messages."]


def test_a_photo_is_forwarded_as_a_photo(run_bot):
    harness = run_bot(build)
    olivia = harness.sim.create_user("Olivia", user_id=OWNER_ID)
    alice = harness.sim.create_user("Alice")
    alice.send_photo(caption="the broken part")
    harness.settle()
    olivia.send("/next")
    harness.settle()
    photo = olivia.chat.bot_messages()[1]
    assert "photo" in photo and photo["caption"] == "the broken part"
    assert photo["forward_origin"]["sender_user"]["id"] == alice.id


def test_roles_follow_the_chat_not_the_words(run_bot):
    harness = run_bot(build)
    olivia = harness.sim.create_user("Olivia", user_id=OWNER_ID)
    alice = harness.sim.create_user("Alice")
    alice.send("/unread")  # a visitor cannot read the mailbox
    harness.settle()
    olivia.send("note to self")  # the owner's words are not filed
    harness.settle()
    olivia.send("/unread")
    harness.settle()
    assert texts(alice.chat) == [GREETING]
    assert texts(olivia.chat) == [chatbox.HELP, "No unread messages."]


def test_group_chats_are_left_alone(run_bot):
    harness = run_bot(build)
    olivia = harness.sim.create_user("Olivia", user_id=OWNER_ID)
    alice = harness.sim.create_user("Alice")
    group = harness.sim.create_chat("group", "Shop fans", members=[alice, olivia])
    alice.send("hello group", chat=group)
    olivia.send("/unread", chat=group)
    harness.settle()
    olivia.send("/unread")
    harness.settle()
    assert group.bot_messages() == []
    assert texts(olivia.chat) == ["No unread messages."]


def test_many_visitors_write_at_once(run_bot):
    harness = run_bot(build)
    olivia = harness.sim.create_user("Olivia", user_id=OWNER_ID)
    visitors = [harness.sim.create_user(f"Visitor{n}") for n in range(6)]
    for round_ in range(3):
        for user in visitors:
            user.send(f"{user.first_name} #{round_}")
    harness.settle()
    olivia.send("/unread")
    harness.settle()
    counts = sorted(texts(olivia.chat)[-1].split("\n"))
    assert counts == [f"Visitor{n}: 3 unread" for n in range(6)]
    for user in visitors:
        assert texts(user.chat) == [f"Saved for the owner ({n} unread from you)." for n in (1, 2, 3)]
    for _ in visitors:
        olivia.send("/next")
        harness.settle()
    read = [m["text"] for m in olivia.chat.bot_messages() if "forward_origin" in m]
    for user in visitors:  # every message once, each sender's in the order written
        assert [t for t in read if t.startswith(user.first_name + " ")] == [f"{user.first_name} #{r}" for r in range(3)]
    assert len(read) == 18


def test_the_owner_comes_from_the_environment(run_bot, monkeypatch):
    monkeypatch.setenv(chatbox.OWNER_ENV, "777")
    harness = run_bot(chatbox.build)
    boss = harness.sim.create_user("Boss", user_id=777)
    boss.send("/unread")
    harness.settle()
    assert texts(boss.chat) == ["No unread messages."]


def test_the_demo_prints_the_mailbox_at_work(capsys, monkeypatch):
    monkeypatch.delenv(chatbox.OWNER_ENV, raising=False)
    chatbox.demo.main(chatbox.build, chatbox.simulate, chatbox.__doc__, argv=[])
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if line.startswith("[Olivia] ")] == [
        "[Olivia] Olivia: /unread", "[Olivia] bot: Alice: 2 unread",  # the message's second line follows
        "[Olivia] Olivia: /next", "[Olivia] bot: From Alice:", "[Olivia] bot: Hello! Has my order shipped?",
        "[Olivia] bot: It is order 1234.", "[Olivia] bot: That was all from Alice. Senders still waiting: 1.",
        "[Olivia] Olivia: /next", "[Olivia] bot: From Bob:", "[Olivia] bot: Do you open on Sundays?",
        "[Olivia] bot: That was all from Bob. Nothing else is unread.",
        "[Olivia] Olivia: /next", "[Olivia] bot: No unread messages.",
        "[Olivia] Olivia: /unread", "[Olivia] bot: Bob: 1 unread",
    ]
    assert out[-3:-2] == ["[Bob] bot: Saved for the owner (1 unread from you)."]
