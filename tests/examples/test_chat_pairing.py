"""examples/chat/pairing.py: five seeder/delegator pairs; each answer names the pair that gave it."""

from __future__ import annotations

import re

from freezegun import freeze_time

from exampleloader import load_example

pairing = load_example("chat/pairing.py")

VIP = "[per_chat_id_in -> VipChat] Welcome back, VIP! Message {} in this chat."
GUEST = "[per_chat_id_except -> GuestChat] Hello, guest. Message {} in this chat."
ROLLED = re.compile(r"\[per_message -> call\(roll_die\)\] You rolled [1-6]\.")
SESSION = "[per_inline_from_id -> create_run(InlineSession)] {} (query {} of this session)"


def texts(chat) -> list[str]:
    return [m["text"] for m in chat.bot_messages()]


def test_vip_chats_and_other_chats_get_different_handlers(run_bot):
    harness = run_bot(pairing.build)
    vera = harness.sim.create_user("Vera", user_id=pairing.DEMO_VIP_ID)
    gus, ann = harness.sim.create_user("Gus"), harness.sim.create_user("Ann")
    for _ in range(2):
        for user in (vera, gus, ann):
            user.send("hi")
    harness.settle()
    assert texts(vera.chat) == [VIP.format(1), VIP.format(2)]
    assert texts(gus.chat) == texts(ann.chat) == [GUEST.format(1), GUEST.format(2)]
    assert vera.chat.bot_messages()[0]["reply_markup"] == {
        "inline_keyboard": [[{"text": "Roll a die", "callback_data": "roll"}]]}


def test_the_vip_list_is_a_parameter_and_may_name_a_group(run_bot):
    club = -4_000_777
    harness = run_bot(lambda token, **kw: pairing.build(token, vip_chat_ids=[club], **kw))
    vera = harness.sim.create_user("Vera", user_id=pairing.DEMO_VIP_ID)
    group = harness.sim.create_chat("group", "Club", members=[vera], chat_id=club)
    vera.send("hi")
    vera.send("hi all", chat=group)
    harness.settle()
    assert texts(vera.chat) == [GUEST.format(1)]
    assert texts(group) == [VIP.format(1)]


def test_every_press_is_a_new_call_and_only_it_answers(run_bot):
    harness = run_bot(pairing.build)
    gus = harness.sim.create_user("Gus")
    gus.send("hi")
    harness.settle()
    offer = gus.chat.bot_messages()[0]
    presses = [gus.press(offer, label="Roll a die") for _ in range(4)]
    harness.settle()
    assert all(ROLLED.fullmatch(press.wait_answer()["text"]) for press in presses)
    assert len(harness.sim.calls("answerCallbackQuery")) == 4
    assert texts(gus.chat) == [GUEST.format(1)]  # the chat handler does not capture presses


def census(updates: int, users: int) -> str:
    return f"[per_application -> Census] {updates} updates so far; users seen: {users}."


def test_the_census_sees_every_update_and_answers_only_its_command(run_bot):
    harness = run_bot(pairing.build)
    vera = harness.sim.create_user("Vera", user_id=pairing.DEMO_VIP_ID)
    gus = harness.sim.create_user("Gus")
    vera.send("hi")
    gus.send("hi")
    harness.settle()
    gus.press(gus.chat.bot_messages()[0], label="Roll a die").wait_answer()
    gus.inline_query("x").wait_results()
    gus.send(pairing.CENSUS)  # the chat handlers leave this one to the census
    harness.settle()
    vera.send(pairing.CENSUS)
    harness.settle()
    assert texts(gus.chat) == [GUEST.format(1), census(5, 2)]
    assert texts(vera.chat) == [VIP.format(1), census(6, 2)]


def test_a_run_style_session_reads_inline_queries_until_a_result_is_chosen(run_bot):
    harness = run_bot(pairing.build)
    gus = harness.sim.create_user("Gus")
    first, second = gus.inline_query("he"), gus.inline_query("hey")
    assert first.wait_results()[0]["title"] == SESSION.format("he", 1)
    assert second.wait_results()[0]["title"] == SESSION.format("hey", 2)
    second.choose()
    harness.settle()
    assert gus.chat.text() == "\n".join([
        f"Gus: {SESSION.format('hey', 2)} (via @emulator_bot)",
        f"bot: {GUEST.format(1)}  [Roll a die]",
    ])
    again = gus.inline_query("new")  # the chosen result ended that session: a new one starts
    assert again.wait_results()[0]["title"] == SESSION.format("new", 1)


def test_chat_handlers_time_out_but_the_census_lives_on(run_bot):
    with freeze_time("2030-01-01 12:00:00") as frozen:
        harness = run_bot(pairing.build)
        gus = harness.sim.create_user("Gus")
        gus.send("one")
        harness.settle()
        harness.advance(frozen, pairing.IDLE_SECONDS + 1)
        gus.send("two")
        harness.settle()
        gus.send(pairing.CENSUS)
        harness.settle()
    assert texts(gus.chat) == [GUEST.format(1), GUEST.format(1),
                               census(3, 1)]


def test_the_demo_prints_who_answered(capsys):
    pairing.demo.main(pairing.build, pairing.simulate, pairing.__doc__, argv=[])
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if line.startswith("[Vera]")] == [
        "[Vera] Vera: Hello!", f"[Vera] bot: {VIP.format(1)}  [Roll a die]",
        f"[Vera] Vera: {SESSION.format('hello', 2)} (via @emulator_bot)",
        f"[Vera] bot: {VIP.format(2)}  [Roll a die]",
    ]
    gus = [line for line in out if line.startswith("[Gus]")]
    assert gus[:5] == [
        "[Gus] Gus: Hi.", f"[Gus] bot: {GUEST.format(1)}  [Roll a die]",
        "[Gus] Gus: Anyone there?", f"[Gus] bot: {GUEST.format(2)}  [Roll a die]",
        "[Gus] Gus pressed [Roll a die]",
    ]
    assert ROLLED.fullmatch(gus[5].removeprefix("[Gus] bot answered: "))
    assert gus[6:] == ["[Gus] Gus: /census", f"[Gus] bot: {census(9, 2)}"]
