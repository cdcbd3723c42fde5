"""examples/event/alarm.py: custom `_alarm` events fire on (frozen) time, per chat; cancel and replace."""

from __future__ import annotations

from freezegun import freeze_time

from exampleloader import load_example

alarm = load_example("event/alarm.py")

FROZEN = "2030-01-01 07:00:00"


def texts(user) -> list[str]:
    return [m["text"] for m in user.chat.bot_messages()]


def test_the_alarm_rings_when_its_time_comes_and_not_before(run_bot):
    with freeze_time(FROZEN) as frozen:
        harness = run_bot(alarm.build)
        alice = harness.sim.create_user("Alice")
        alice.command("alarm", "5")
        harness.settle()
        harness.advance(frozen, 4.9)
        assert texts(alice) == ["Alarm set for 5 s from now."]
        harness.advance(frozen, 0.1)
        assert alice.chat.text() == "\n".join([
            "Alice: /alarm 5", "bot: Alarm set for 5 s from now.", "bot: Beep beep! 5 s are up.",
        ])
        harness.advance(frozen, 60)  # it rings once
    assert texts(alice)[-1] == "Beep beep! 5 s are up."
    assert len(texts(alice)) == 2


def test_each_chat_hears_its_own_alarm(run_bot):
    with freeze_time(FROZEN) as frozen:
        harness = run_bot(alarm.build)
        alice, bob = harness.sim.create_user("Alice"), harness.sim.create_user("Bob")
        alice.command("alarm", "5")
        bob.command("alarm", "3")
        harness.settle()
        harness.advance(frozen, 3)
        assert texts(bob)[-1] == "Beep beep! 3 s are up."
        assert texts(alice) == ["Alarm set for 5 s from now."]
        harness.advance(frozen, 2)
        assert texts(alice)[-1] == "Beep beep! 5 s are up."
        assert len(texts(bob)) == 2


def test_a_cancelled_alarm_never_rings(run_bot):
    with freeze_time(FROZEN) as frozen:
        harness = run_bot(alarm.build)
        alice = harness.sim.create_user("Alice")
        for command in ("alarm 5", "cancel", "cancel"):
            alice.send("/" + command)
            harness.settle()
        harness.advance(frozen, 10)
    assert texts(alice) == ["Alarm set for 5 s from now.", "Alarm cancelled.", "No alarm to cancel."]


def test_a_new_alarm_replaces_the_pending_one(run_bot):
    with freeze_time(FROZEN) as frozen:
        harness = run_bot(alarm.build)
        alice = harness.sim.create_user("Alice")
        alice.command("alarm", "10")
        harness.settle()
        alice.command("alarm", "2")
        harness.settle()
        harness.advance(frozen, 2)
        harness.advance(frozen, 10)
    assert texts(alice) == [
        "Alarm set for 10 s from now.",
        "Alarm set for 2 s from now. The previous alarm is cancelled.",
        "Beep beep! 2 s are up.",
    ]


def test_a_pending_alarm_outlives_the_idle_timeout(run_bot):
    # Had the handler closed when idle, the event would reach a fresh handler with no alarm
    # pending, which drops it: the ring shows the handler stayed open for it.
    with freeze_time(FROZEN) as frozen:
        harness = run_bot(alarm.build)
        alice = harness.sim.create_user("Alice")
        alice.command("alarm", str(alarm.IDLE_SECONDS * 3))
        harness.settle()
        harness.advance(frozen, alarm.IDLE_SECONDS + 1)
        harness.advance(frozen, alarm.IDLE_SECONDS + 1)
        assert texts(alice) == [f"Alarm set for {alarm.IDLE_SECONDS * 3} s from now."]
        harness.advance(frozen, alarm.IDLE_SECONDS)
    assert texts(alice)[-1] == f"Beep beep! {alarm.IDLE_SECONDS * 3} s are up."


def test_anything_else_gets_the_usage(run_bot):
    harness = run_bot(alarm.build)
    alice = harness.sim.create_user("Alice")
    for text in ("hello", "/alarm soon", "/alarm -1"):
        alice.send(text)
        harness.settle()
    alice.send_photo()
    harness.settle()
    how_many = f"How many seconds? For example: /alarm 5 (at most {alarm.MAX_SECONDS})."
    assert texts(alice) == [alarm.USAGE, how_many, how_many, alarm.USAGE]


def test_the_demo_prints_the_ring_and_the_cancel(capsys):
    alarm.demo.main(alarm.build, alarm.simulate, alarm.__doc__, argv=[])
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if line.startswith("[Alice]")] == [
        "[Alice] Alice: /alarm 1.5",
        "[Alice] bot: Alarm set for 1.5 s from now.",
        "[Alice] bot: Beep beep! 1.5 s are up.",
    ]
    assert [line for line in out if line.startswith("[Bob]")] == [
        "[Bob] Bob: /alarm 3", "[Bob] bot: Alarm set for 3 s from now.",
        "[Bob] Bob: /cancel", "[Bob] bot: Alarm cancelled.",
    ]
