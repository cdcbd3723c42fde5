"""``python -m actorbot.emulator``: run the Bot API emulator until Ctrl-C or SIGTERM.

    python -m actorbot.emulator --port 8081 --token 123:abc --user alice --user bob

It prints the token it accepts, its URLs and the users' ids, then logs the conversation
as it happens. Point a bot at ``http://127.0.0.1:8081`` (as its Bot API base URL) and
drive the users through the HTTP API under ``/sim/`` (see ``actorbot.emulator._sim_http``).
Same as ``actorbot emulator`` (see :mod:`actorbot._cli`).
"""

from __future__ import annotations

from .._cli import emulator_main

if __name__ == "__main__":
    raise SystemExit(emulator_main())
