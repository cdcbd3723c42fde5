"""``python -m actorbot``: the ``actorbot`` command (see :mod:`actorbot._cli`)."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
