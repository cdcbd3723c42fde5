"""examples/simple/deeplinking.py: /invite makes a t.me link; /start <payload> tells who invited."""

from __future__ import annotations

import re

from exampleloader import load_example

deeplinking = load_example("simple/deeplinking.py")

LINK = re.compile(r"Share this link: https://t\.me/emulator_bot\?start=([A-Za-z0-9_-]{1,64})")


def invite(user) -> str:
    user.command("invite")
    found = LINK.fullmatch(user.chat.wait_for_bot_message()["text"])
    assert found, user.chat.text()
    return found.group(1)


def test_start_without_a_payload_greets(run_bot):
    harness = run_bot(deeplinking.build)
    alice = harness.sim.create_user("Alice")
    alice.command("start")
    assert alice.chat.wait_for_bot_message()["text"] == "Hello, Alice! Send /invite to get a link for your friends."


def test_a_friend_who_opens_the_link_is_greeted_and_the_inviter_told(run_bot):
    harness = run_bot(deeplinking.build)
    alice, bob, carol = (harness.sim.create_user(name) for name in ("Alice", "Bob", "Carol"))
    payload = invite(alice)
    bob.command("start", payload)
    carol.command("start", payload)  # a link may be shared with many
    harness.settle()
    assert bob.chat.text() == f"Bob: /start {payload}\nbot: Welcome, Bob! Alice invited you."
    assert carol.chat.text() == f"Carol: /start {payload}\nbot: Welcome, Carol! Alice invited you."
    assert [m["text"] for m in alice.chat.bot_messages()][1:] == [
        "Bob joined through your invitation.", "Carol joined through your invitation."]


def test_every_invitation_is_personal(run_bot):
    harness = run_bot(deeplinking.build)
    alice, bob, carol = (harness.sim.create_user(name) for name in ("Alice", "Bob", "Carol"))
    from_alice, from_bob = invite(alice), invite(bob)
    assert from_alice != from_bob
    carol.command("start", from_bob)
    assert carol.chat.wait_for_bot_message()["text"] == "Welcome, Carol! Bob invited you."
    alice.command("start", from_alice)
    assert alice.chat.wait_for_bot_message()["text"] == "That is your own invitation: share it with a friend."


def test_an_unknown_payload_is_refused(run_bot):
    harness = run_bot(deeplinking.build)
    carol = harness.sim.create_user("Carol")
    carol.command("start", "no-such-code")
    assert carol.chat.wait_for_bot_message()["text"] == (
        "That invitation link is not valid. Send /invite to make your own.")
    carol.send("hello")
    assert carol.chat.wait_for_bot_message()["text"] == "Send /invite to get a link for your friends."


def test_group_chats_are_left_alone(run_bot):
    harness = run_bot(deeplinking.build)
    alice = harness.sim.create_user("Alice")
    group = harness.sim.create_chat("group", "Friends", members=[alice])
    alice.command("invite", chat=group)
    harness.settle()
    assert group.bot_messages() == []


def test_the_demo_prints_the_conversation(capsys):
    deeplinking.demo.main(deeplinking.build, deeplinking.simulate, deeplinking.__doc__, argv=[])
    out = capsys.readouterr().out.splitlines()
    payload = LINK.fullmatch(out[3].removeprefix("[Alice] bot: ")).group(1)
    assert out == [
        "[Alice] Alice: /start",
        "[Alice] bot: Hello, Alice! Send /invite to get a link for your friends.",
        "[Alice] Alice: /invite",
        f"[Alice] bot: Share this link: https://t.me/emulator_bot?start={payload}",
        f"[Bob] Bob: /start {payload}",
        "[Bob] bot: Welcome, Bob! Alice invited you.",
        "[Alice] bot: Bob joined through your invitation.",
        "[Carol] Carol: /start no-such-code",
        "[Carol] bot: That invitation link is not valid. Send /invite to make your own.",
    ]
