"""End-to-end benchmark: the per-chat counter bot on each library, side by side, one run.

A loopback fake Bot API server (``benchmarks/fakeapi.js``, one Node process) serves N
text updates spread round-robin over C chats and records every ``sendMessage``. For each
workload and each bot, a fresh bot process (``benchmarks/e2e_bots.py``) polls it until
every update has its reply, or the run's bound is reached; then the bot is terminated
(SIGTERM, SIGKILL 3 s later).

Per run it prints:

- msgs/s: replies / (last reply - first getUpdates), both on the server's clock;
- order: replies that arrived after a larger number of the same chat;
- missing / dup: numbers 1..k of a chat never answered / answered twice;
- RSS MB: peak resident memory of the bot process (VmHWM);
- thr: the most threads the process had at any sample (every 50 ms);
- cpu/1k: CPU seconds of the bot process per 1,000 replies, from its first getUpdates;
- csw/msg: context switches of the bot's threads per reply, from its first getUpdates
  (each is a hand-off between threads or a wait; unlike CPU, it barely depends on the
  machine's load);
- start s: process start to first getUpdates, on the server's clock (interpreter, imports, set-up; with
  ``PYTHONDONTWRITEBYTECODE`` set and no ``__pycache__``, compiling actorbot's modules
  too: so by default (``--bytecode cached``) every bot gets a bytecode cache, as an installed
  package has; ``--bytecode as-is`` leaves it to the environment);
- x best: msgs/s over the best peer's (the non-actorbot bots) in the same workload;
- note: why a run stopped early, and "server N%": the fake server's CPU time over the
  run's duration (startup included), showing how far it was from being the bottleneck;
  "steal N%": the share of the machine's CPU time its hypervisor gave to others during
  the run (a virtual machine's neighbours), when there was any; replies per getUpdates.

Usage (the peers: ``pip install -r benchmarks/requirements.txt``; Node.js 18+):

    python benchmarks/e2e.py                 # every workload, every bot, median of 2 runs
    python benchmarks/e2e.py --quick         # 2,000/10 and the 50 ms run, one repetition
    python benchmarks/e2e.py --bots actorbot-pool ptb --sizes 2000/10 --repeat 1
    python benchmarks/e2e.py --latency-only

The machine is shared by everything running on it: only numbers of the same run compare.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BOTS = ("telepot", "ptb", "ptb-concurrent", "aiogram", "actorbot-pool", "actorbot-threads")
PEERS = ("telepot", "ptb", "ptb-concurrent", "aiogram")
SIZES = ("2000/10", "5000/1000", "10000/10000")
LATENCY = "5000/1000"
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    bot: str
    replies: int = 0
    msgs_s: float = 0.0
    out_of_order: int = 0
    missing: int = 0
    duplicated: int = 0
    wrong: int = 0
    peak_rss_mb: float = 0.0
    threads: int = 0
    cpu_per_1k: float = 0.0
    switches_per_msg: float = 0.0
    start_s: float = 0.0
    bounded: bool = False
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def server_busy(self) -> float:
        """The share of the measured interval the fake server spent on CPU (all its work)."""
        return self.extra.get("server_cpu_s", 0.0) * self.msgs_s / self.replies if self.replies else 0.0


class FakeApi:
    """The Node fake Bot API server, started once for the whole run."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(["node", str(HERE / "fakeapi.js"), "0"], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"fakeapi.js did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())["result"]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def ceiling(seconds: float = 2.0) -> dict[str, int]:
    """The fake server's sendMessage rate against a Node client, and its CPU per call."""
    out = subprocess.run(["node", str(HERE / "fakeapi.js"), "--ceiling", str(seconds), "32"],
                         capture_output=True, text=True, timeout=seconds + 30)
    return json.loads(out.stdout)


def proc_sample(pid: int) -> tuple[float, int, float] | None:
    """(peak RSS MB, threads, CPU seconds) of a live process, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            status = f.read()
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    hwm = int(fields["VmHWM"].split()[0]) / 1024
    threads = int(fields["Threads"])
    rest = stat.rsplit(")", 1)[1].split()
    cpu = (int(rest[11]) + int(rest[12])) / CLK_TCK  # utime, stime
    return hwm, threads, cpu


class Switches:
    """Context switches of a process's threads (voluntary and not), summed over every thread
    seen alive: a thread that ended keeps the count it had when last sampled."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._seen: dict[str, int] = {}

    def total(self) -> int:
        try:
            tids = os.listdir(f"/proc/{self.pid}/task")
        except OSError:
            return sum(self._seen.values())
        for tid in tids:
            try:
                with open(f"/proc/{self.pid}/task/{tid}/status") as f:
                    lines = f.read().splitlines()
            except OSError:
                continue  # ended between the listing and the read
            count = sum(int(line.split()[1]) for line in lines if "ctxt_switches:" in line)
            self._seen[tid] = max(self._seen.get(tid, 0), count)
        return sum(self._seen.values())


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def child_pid(pid: int, timeout: float = 10.0) -> int:
    """The first child of ``pid`` (the bot under ``py-spy record``), waiting for it to exist."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                kids = f.read().split()
        except OSError:
            kids = []
        if kids:
            return int(kids[0])
        time.sleep(0.01)
    raise RuntimeError("py-spy did not start the bot")


def kill_if_bot(pid: int) -> None:
    """SIGKILL ``pid`` if it is still one of our bot processes (and wait for it to go)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if b"e2e_bots.py" not in f.read():
                return
        os.kill(pid, signal.SIGKILL)
    except OSError:
        return
    for _ in range(100):
        if not os.path.exists(f"/proc/{pid}"):
            return
        time.sleep(0.05)


def cpu_ticks() -> tuple[int, int]:
    """(steal, total) jiffies of the whole machine so far (``/proc/stat``); (0, 0) where there is none."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def run_one(api: FakeApi, bot: str, updates: int, chats: int, delay: int, limit: float, stall: float,
            log_dir: Path, root: Path = ROOT, profile: Path | None = None, start_limit: float = 120.0,
            pycache: Path | None = None) -> Result:
    api.call("/ctl/reset", {"updates": updates, "chats": chats, "delay": delay})
    server_cpu0 = api.call("/ctl/stats")["cpu"]
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("ACTORBOT_API_URL", None)
    if pycache is not None:  # --bytecode cached: one cache per checkout
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache / (root.name if root != ROOT else "this"))
    label = bot if root == ROOT else f"{bot} ({root.name})"
    log_path = log_dir / f"{label.replace(' ', '_').replace('(', '').replace(')', '')}-{updates}-{chats}-{delay}.log"
    res = Result(label)
    with open(log_path, "wb") as log:
        server_started = api.call("/ctl/stats")["now"]  # ms on the server's clock, as firstPoll
        steal0, total0 = cpu_ticks()
        started = time.monotonic()
        cmd = [sys.executable, str(HERE / "e2e_bots.py"), bot, api.url]
        if profile is not None:
            profile.mkdir(parents=True, exist_ok=True)
            out = profile / f"{log_path.stem}.txt"
            cmd = ["py-spy", "record", "-r", "67", "--gil", "--format", "raw", "-o", str(out), "--"] + cmd
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(ROOT))
        pid = child_pid(proc.pid) if profile is not None else proc.pid
        try:
            cpu0 = None
            switches, switches0, switched = Switches(pid), 0, 0
            last_progress, last_replies = started, -1
            sample = None
            while True:
                time.sleep(0.05)
                stats = api.call("/ctl/stats")
                s = proc_sample(pid)
                if s is not None:
                    sample = s
                    res.peak_rss_mb = max(res.peak_rss_mb, s[0])
                    res.threads = max(res.threads, s[1])
                now = time.monotonic()
                if stats["firstPoll"] is not None and cpu0 is None and sample is not None:
                    cpu0 = sample[2]
                    switches0 = switches.total()
                    res.start_s = (stats["firstPoll"] - server_started) / 1000
                    last_progress = now  # the stall bound counts from the first poll
                elif cpu0 is not None:
                    switches.total()  # keep the count of threads that may end before the last look
                if stats["replies"] != last_replies:
                    last_replies, last_progress = stats["replies"], now
                if stats["replies"] >= updates:
                    time.sleep(0.2)  # late duplicates
                    break
                if proc.poll() is not None:
                    res.note = f"exited {proc.returncode}"
                    break
                if cpu0 is None:
                    if now - started > start_limit:
                        res.bounded, res.note = True, "no getUpdates before the start-up bound"
                        break
                elif now - started - res.start_s > limit or now - last_progress > stall:
                    res.bounded = True
                    res.note = f"stopped at {'stall' if now - last_progress > stall else 'limit'}"
                    break
            s = proc_sample(pid)
            if s is not None:
                sample = s
                res.peak_rss_mb = max(res.peak_rss_mb, s[0])
            switched = switches.total() - switches0
        finally:
            if pid != proc.pid:  # py-spy writes its profile once the bot is gone
                try:
                    os.kill(pid, signal.SIGTERM)
                    proc.wait(10)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            stop_process(proc)
            if pid != proc.pid:  # the bot outlived py-spy: it must not outlive the run
                kill_if_bot(pid)
    steal1, total1 = cpu_ticks()
    res.extra["steal"] = (steal1 - steal0) / max(total1 - total0, 1)
    stats = api.call("/ctl/stats")
    check = api.call("/ctl/check")
    res.replies = stats["replies"]
    res.extra["polls"] = stats["polls"]
    res.extra["server_cpu_s"] = (stats["cpu"] - server_cpu0) / 1e6
    if stats["firstPoll"] is not None and stats["lastReply"] is not None and res.replies:
        res.msgs_s = res.replies / max((stats["lastReply"] - stats["firstPoll"]) / 1000, 1e-9)
    res.out_of_order, res.missing = check["outOfOrder"], check["missing"]
    res.duplicated, res.wrong = check["duplicated"], check["wrong"]
    if sample is not None and cpu0 is not None and res.replies:
        res.cpu_per_1k = (sample[2] - cpu0) / res.replies * 1000
        res.switches_per_msg = switched / res.replies
    return res


def median_result(runs: list[Result]) -> Result:
    runs = sorted(runs, key=lambda r: r.msgs_s)
    return runs[(len(runs) - 1) // 2]  # the lower median: a real run, not an average


def fmt_row(r: Result, best: float) -> str:
    ratio = f"{r.msgs_s / best:.2f}" if best else "-"
    note = r.note + (f"; {r.wrong} wrong numbers" if r.wrong else "")
    note = (note + "; " if note else "") + f"server {r.server_busy:.0%}"
    if r.extra.get("steal"):
        note += f"; steal {r.extra['steal']:.0%}"
    if r.extra.get("polls"):
        note += f"; {r.replies / r.extra['polls']:.0f} replies/poll"
    return (f"| {r.bot} | {r.msgs_s:,.0f} | {r.out_of_order} | {r.missing} | {r.duplicated} | "
            f"{r.peak_rss_mb:.0f} | {r.threads} | {r.cpu_per_1k:.2f} | {r.switches_per_msg:.1f} | "
            f"{r.start_s:.2f} | {ratio} | {note} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bots", nargs="+", default=list(BOTS), choices=BOTS)
    parser.add_argument("--sizes", nargs="*", default=list(SIZES), help="UPDATES/CHATS workloads")
    parser.add_argument("--latency", default=LATENCY,
                        help="UPDATES/CHATS for the delayed sendMessage run ('' for none)")
    parser.add_argument("--delay", type=int, default=50, help="ms before the server answers a sendMessage")
    parser.add_argument("--latency-only", action="store_true")
    parser.add_argument("--repeat", type=int, default=2, help="runs per bot and workload (the median is shown)")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds a run may take from its first getUpdates")
    parser.add_argument("--latency-limit", type=float, default=20.0, help="the bound of a delayed run")
    parser.add_argument("--start-limit", type=float, default=120.0, help="seconds a bot may take to poll first")
    parser.add_argument("--stall", type=float, default=10.0, help="stop a run after this long without a reply")
    parser.add_argument("--quick", action="store_true", help="2,000/10 and the delayed run, once each")
    parser.add_argument("--baseline", type=Path, action="append", default=[],
                        help="another checkout: its actorbot bots run too, labelled with its directory name")
    parser.add_argument("--profile", type=Path,
                        help="record each bot with py-spy (raw folded stacks) into this directory")
    parser.add_argument("--logs", default="/tmp/actorbot-e2e", help="directory for the bots' output")
    parser.add_argument("--bytecode", choices=["as-is", "cached"], default="cached",
                        help="as-is: the environment decides (with PYTHONDONTWRITEBYTECODE set and no __pycache__, "
                             "actorbot is compiled from source at each start, installed peers are not); cached: "
                             "every bot gets a bytecode cache (PYTHONPYCACHEPREFIX under --logs), filled by a "
                             "discarded warm-up run, as an installed package has (the default: every library is "
                             "then started as a user's installed copy would be)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.repeat = ["2000/10"], 1
        args.latency = "2000/1000" if args.latency == LATENCY else args.latency
    workloads = [] if args.latency_only else [(s, 0, args.limit) for s in args.sizes]
    if args.latency:
        workloads.append((args.latency, args.delay, args.latency_limit))
    log_dir = Path(args.logs)
    log_dir.mkdir(parents=True, exist_ok=True)

    top = ceiling()
    print(f"fake Bot API ceiling: {top['per_core']:,} sendMessage/s per core of server CPU "
          f"({top['server_cpu_us']} µs each); {top['sendMessage_per_s']:,}/s measured against a Node "
          "client process sharing the cores (32 keep-alive connections)")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; load average "
          f"{os.getloadavg()[0]:.2f}; median of {args.repeat} run(s); bytecode {args.bytecode}; "
          f"bots' logs in {log_dir}")
    api = FakeApi()
    pycache = log_dir / "pycache" if args.bytecode == "cached" else None
    try:
        if pycache is not None:  # warm-up runs, discarded: they fill the bytecode cache
            for bot in args.bots:
                for root in [ROOT] + [b.resolve() for b in args.baseline if bot.startswith("actorbot")]:
                    run_one(api, bot, 20, 2, 0, 5.0, 5.0, log_dir, root, None, args.start_limit, pycache)
        for spec, delay, limit in workloads:
            updates, chats = (int(x) for x in spec.split("/"))
            title = f"{updates:,} updates / {chats:,} chats"
            title += f", sendMessage answered after {delay} ms" if delay else ""
            print(f"\n### {title} (each run bounded at {limit:.0f} s from its first poll)\n")
            print("| bot | msgs/s | order | missing | dup | RSS MB | thr | cpu/1k | csw/msg | start s | x best "
                  "| note |")
            print("|---|---|---|---|---|---|---|---|---|---|---|---|")
            entries = [(bot, ROOT) for bot in args.bots]
            entries += [(bot, base.resolve()) for base in args.baseline for bot in args.bots
                        if bot.startswith("actorbot")]
            runs: dict[tuple[str, Path], list[Result]] = {entry: [] for entry in entries}
            for _ in range(args.repeat):  # interleaved: a burst of load elsewhere hits every bot alike
                for bot, root in entries:
                    runs[(bot, root)].append(run_one(api, bot, updates, chats, delay, limit, args.stall, log_dir,
                                                     root, args.profile, args.start_limit, pycache))
            results = [median_result(r) for r in runs.values()]
            best = max((r.msgs_s for r in results if r.bot in PEERS), default=0.0)
            for r in results:
                print(fmt_row(r, best), flush=True)
    finally:
        api.stop()


if __name__ == "__main__":
    main()
