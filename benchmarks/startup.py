"""Start-up: ``import actorbot``, and process start to the counter bot's first getUpdates.

    python benchmarks/startup.py                          # this checkout and telepot, 10 runs each
    python benchmarks/startup.py --baseline ../other-checkout --repeat 20
    python benchmarks/startup.py --importtime /tmp/it     # also save one -X importtime per target

For each target (this checkout's actorbot, each ``--baseline`` checkout's, telepot 12.7
when installed) and each repetition, interleaved, two fresh processes:

- **import**: ``python -c "import actorbot"`` (telepot: ``import telepot``, after the
  ``collections.Hashable`` alias it needs on Python 3.10+), timed inside the process:
  wall and CPU seconds of the import statement alone;
- **bot imports**: the same for what the counter bot imports (``DelegatorBot``,
  ``delegate``, ``helper``, the polling loop; telepot's equivalents);
- **start**: ``benchmarks/e2e_bots.py BOT URL`` (the counter bot of ``e2e.py``:
  ``actorbot-pool``, or ``telepot``) against a loopback fake Bot API served by this
  script: wall seconds from just before the process is created to the moment the
  server reads its first ``getUpdates``, and the bot process's CPU seconds by then
  (``/proc``). The bot is killed at once; the methods it called before polling are listed.

Both run in two bytecode conditions:

- **source**: no bytecode cache for actorbot (``PYTHONDONTWRITEBYTECODE=1`` and no
  ``__pycache__`` in the checkout, as in this repository's CI and ``e2e.py`` here):
  every actorbot module is compiled from source at each start. Installed packages
  (telepot, urllib3, pykka) keep the ``.pyc`` files pip wrote.
- **cached**: every module's bytecode cached, as for an installed package
  (``PYTHONPYCACHEPREFIX`` set to a temporary directory, filled by one warm-up run).

Median and minimum of ``--repeat`` runs; the machine is shared, so only numbers of one
run compare. Nothing needs the network; no process is left behind.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")

IMPORT_CODE = {
    "actorbot": "import actorbot",
    "telepot": "import collections, collections.abc\n"
               "collections.Hashable = collections.abc.Hashable\n"
               "import telepot",
}
# What the counter bot imports (e2e_bots.py), the library's whole start-up import cost.
BOT_IMPORT_CODE = {
    "actorbot": "from actorbot import DelegatorBot\n"
                "from actorbot.delegate import create_open, pave_event_space, per_chat_id\n"
                "from actorbot.helper import ChatHandler\n"
                "import actorbot.loop._message_loop",
    "telepot": IMPORT_CODE["telepot"] + "\n"
               "import telepot.api, telepot.loop\n"
               "from telepot.delegate import create_open, pave_event_space, per_chat_id\n"
               "from telepot.helper import ChatHandler",
}
TIMED = ("import time\n"
         "t0, c0 = time.perf_counter(), time.process_time()\n"
         "{code}\n"
         "print(time.perf_counter() - t0, time.process_time() - c0)\n")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) the process ``pid`` has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(rest[11]) + int(rest[12])) / CLK_TCK


class FakeApi(ThreadingHTTPServer):
    """A loopback Bot API that notes the time of the first ``getUpdates`` of each run."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a killed bot resets its connection

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.polled = threading.Event()
        self.first_poll = 0.0
        self.cpu = 0.0
        self.pid = 0
        self.calls: list[str] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def reset(self, pid: int) -> None:
        self.polled.clear()
        self.calls = []
        self.pid = pid


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeApi

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        method = self.path.rsplit("/", 1)[-1].split("?", 1)[0]
        srv = self.server
        if method == "getUpdates" and not srv.polled.is_set():
            srv.first_poll = time.monotonic()
            srv.cpu = proc_cpu(srv.pid)
            srv.polled.set()
        elif not srv.polled.is_set():
            srv.calls.append(method)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        result: Any = True
        if method == "getUpdates":
            result = []
        elif method == "getMe":
            result = {"id": 123456, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
        body = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class Target:
    def __init__(self, label: str, lib: str, root: Path | None) -> None:
        self.label, self.lib, self.root = label, lib, root
        self.samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
        self.calls: set[str] = set()

    def env(self, mode: str, cache: Path) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("ACTORBOT_API_URL", None)
        env.pop("PYTHONPYCACHEPREFIX", None)
        if self.root is not None:
            env["PYTHONPATH"] = str(self.root) + os.pathsep + env.get("PYTHONPATH", "")
        if mode == "source":
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(cache / self.label.replace(" ", "_"))
        return env

    def cwd(self) -> str:
        return str(self.root) if self.root is not None else tempfile.gettempdir()

    def bot(self) -> str:
        return "actorbot-pool" if self.lib == "actorbot" else "telepot"

    def add(self, mode: str, what: str, wall: float, cpu: float) -> None:
        self.samples.setdefault((mode, what), []).append((wall, cpu))


def time_import(t: Target, env: dict[str, str], code: dict[str, str] = IMPORT_CODE) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", TIMED.format(code=code[t.lib])], env=env,
                         cwd=t.cwd(), capture_output=True, text=True, timeout=60)
    if out.returncode:
        raise RuntimeError(f"{t.label}: import failed:\n{out.stderr}")
    wall, cpu = out.stdout.split()
    return float(wall), float(cpu)


def time_start(t: Target, api: FakeApi, env: dict[str, str], extra: Sequence[str] = (),
               stderr: Any = subprocess.DEVNULL) -> tuple[float, float]:
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, *extra, str(HERE / "e2e_bots.py"), t.bot(), api.url], env=env,
                            cwd=t.cwd(), stdout=subprocess.DEVNULL, stderr=stderr)
    api.reset(proc.pid)
    try:
        if not api.polled.wait(60):
            raise RuntimeError(f"{t.label}: no getUpdates within 60 s")
        t.calls.update(api.calls)
        return api.first_poll - started, api.cpu
    finally:
        if extra:  # -X importtime: let it write what it has (SIGTERM: the bot stops)
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def fmt(samples: list[tuple[float, float]]) -> str:
    walls = [w for w, _ in samples]
    cpus = [c for _, c in samples]
    return f"{statistics.median(walls):.3f} | {min(walls):.3f} | {statistics.median(cpus):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=10, help="runs per target, condition and measure")
    parser.add_argument("--baseline", type=Path, action="append", default=[],
                        help="another checkout: its actorbot is measured too, labelled with its directory name")
    parser.add_argument("--no-telepot", action="store_true", help="leave telepot out")
    parser.add_argument("--modes", nargs="+", default=["source", "cached"], choices=["source", "cached"])
    parser.add_argument("--importtime", type=Path,
                        help="save one -X importtime of each target's bot (to its first getUpdates) here")
    args = parser.parse_args()

    targets = [Target(f"actorbot ({ROOT.name})", "actorbot", ROOT)]
    targets += [Target(f"actorbot ({b.resolve().name})", "actorbot", b.resolve()) for b in args.baseline]
    if not args.no_telepot:
        try:
            import importlib.util

            if importlib.util.find_spec("telepot") is not None:
                targets.append(Target("telepot 12.7", "telepot", None))
        except ImportError:
            pass
    for t in targets:
        if t.root is not None and any((t.root / "actorbot").rglob("__pycache__")) and "source" in args.modes:
            print(f"note: {t.root}/actorbot has __pycache__ directories: 'source' may use their bytecode")

    api = FakeApi()
    with tempfile.TemporaryDirectory(prefix="actorbot-startup-") as tmp:
        cache = Path(tmp)
        if "cached" in args.modes:
            for t in targets:  # fill the bytecode cache: one import, one start
                time_import(t, t.env("cached", cache))
                time_start(t, api, t.env("cached", cache))
        for _ in range(args.repeat):  # interleaved: a burst of load elsewhere hits every target alike
            for mode in args.modes:
                for t in targets:
                    env = t.env(mode, cache)
                    t.add(mode, "import", *time_import(t, env))
                    t.add(mode, "bot imports", *time_import(t, env, BOT_IMPORT_CODE))
                    t.add(mode, "start", *time_start(t, api, env))
        if args.importtime:
            args.importtime.mkdir(parents=True, exist_ok=True)
            for mode in args.modes:
                for t in targets:
                    path = args.importtime / f"{t.label.replace(' ', '_').strip('()')}-{mode}.txt"
                    with open(path, "w") as f:
                        time_start(t, api, t.env(mode, cache), ["-X", "importtime"], stderr=f)
    api.shutdown()

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}; "
          f"{args.repeat} runs per cell, interleaved; seconds")
    for mode in args.modes:
        print(f"\n#### bytecode: {mode}\n")
        print("| target | import median | min | CPU | bot imports median | min | CPU "
              "| start median | min | CPU |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for t in targets:
            print(f"| {t.label} | {fmt(t.samples[(mode, 'import')])} | {fmt(t.samples[(mode, 'bot imports')])} "
                  f"| {fmt(t.samples[(mode, 'start')])} |")
    for t in targets:
        if t.calls:
            print(f"\n{t.label} called before its first getUpdates: {', '.join(sorted(t.calls))}")
    if args.importtime:
        print(f"\n-X importtime of each bot to its first getUpdates: {args.importtime}/")


if __name__ == "__main__":
    main()
