"""``actorbot broadcast``: a real process sends one message to every listed chat, paced, with its
progress on stderr, and says which chats did not get it (exit 1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from actorbot.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]


def broadcast(emu: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("BOT_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "actorbot", "broadcast", *args, "--token", emu.token,
                           "--api-url", emu.url], env=env, capture_output=True, text=True, timeout=60)


def test_every_listed_chat_gets_the_message_and_failures_are_counted(tmp_path: Path) -> None:
    with Emulator() as emu:
        users = [emu.sim.create_user(name) for name in ("Ann", "Bob", "Cid", "Dee")]
        chats = tmp_path / "chats.txt"
        chats.write_text("# our users\n" + "".join(f"{u.id}\n" for u in users) + "999999\n")
        done = broadcast(emu, str(chats), "--text", "We moved to a new server.")
        assert done.returncode == 1, done.stderr  # one chat did not get it
        for user in users:
            assert [m["text"] for m in user.chat.bot_messages()] == ["We moved to a new server."]
        assert "5/5" in done.stderr and "sent 4" in done.stderr
        assert "broadcast: chat_not_found 1, sent 4" in done.stderr
        assert emu.token not in done.stderr


def test_a_job_with_a_store_is_not_sent_twice(tmp_path: Path) -> None:
    with Emulator() as emu:
        users = [emu.sim.create_user(name) for name in ("Ann", "Bob")]
        chats = tmp_path / "chats.txt"
        chats.write_text("".join(f"{u.id}\n" for u in users))
        store = str(tmp_path / "jobs.db")
        first = broadcast(emu, str(chats), "--text", "hello", "--store", store, "--job-id", "news-1")
        assert first.returncode == 0, first.stderr
        again = broadcast(emu, str(chats), "--text", "hello", "--store", store, "--job-id", "news-1")
        assert again.returncode == 0, again.stderr
        assert "already done before 2" in again.stderr
        for user in users:
            assert [m["text"] for m in user.chat.bot_messages()] == ["hello"]


def test_a_broadcast_killed_halfway_and_run_again_reaches_every_chat(tmp_path: Path) -> None:
    with Emulator(flood_limits=True) as emu:  # 30 messages a second, enforced: a 429 beyond
        users = [emu.sim.create_user(f"user{n}") for n in range(120)]
        chats = tmp_path / "chats.txt"
        chats.write_text("".join(f"{u.id}\n" for u in users))
        store = str(tmp_path / "jobs.db")
        args = [sys.executable, "-m", "actorbot", "broadcast", str(chats), "--text", "news", "--store", store,
                "--job-id", "news-1", "--token", emu.token, "--api-url", emu.url]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            emu.sim.wait_until(lambda: len(emu.calls("sendMessage")) >= 40, 30, what="a third of the sends")
            first.kill()  # SIGKILL: no chance to record anything more
            first.communicate(timeout=10)
        finally:
            if first.poll() is None:
                first.kill()
                first.communicate()
        sent_before = len(emu.calls("sendMessage"))
        assert sent_before < len(users), "the job finished before the kill: nothing to resume"
        again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stderr
        received = [len(u.chat.bot_messages()) for u in users]
        assert min(received) == 1, "a chat never got the message"
        duplicates = sum(received) - len(users)
        assert duplicates <= 4, (duplicates, again.stderr)  # at most the sends in flight (4 workers)
        assert "429" not in again.stderr
        print(f"killed after {sent_before} sends; {duplicates} duplicate(s);", again.stderr.strip().splitlines()[-1])


def test_a_broadcast_without_a_token_or_chats_says_so_with_its_own_usage_line(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("BOT_TOKEN", None)
    chats = tmp_path / "chats.txt"
    chats.write_text("1\n")
    no_token = subprocess.run([sys.executable, "-m", "actorbot", "broadcast", str(chats), "--text", "hello"],
                              env=env, capture_output=True, text=True, timeout=60)
    assert no_token.returncode == 2
    assert no_token.stderr.startswith("usage: actorbot broadcast "), no_token.stderr
    assert "no bot token: pass --token or set $BOT_TOKEN" in no_token.stderr
    missing = subprocess.run([sys.executable, "-m", "actorbot", "broadcast", str(tmp_path / "none.txt"),
                              "--text", "hello", "--token", "123:abc"],
                             env=env, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2
    assert missing.stderr.startswith("usage: actorbot broadcast "), missing.stderr
    assert "cannot read the chat ids: [Errno 2]" in missing.stderr
