"""The store interface: what the engine and the loops need from a durable store.

A store keeps three things for one bot:

- the **journal** of accepted updates: every update a loop took from Telegram, written
  before it is confirmed to Telegram (the ``getUpdates`` offset, the webhook's 200), and
  marked *done* once handled;
- **records**: JSON objects by ``(namespace, key)``: a conversation's state (namespace
  ``"conv"``), data outliving a conversation (``"chat"``, ``"user"``), anything a program
  keeps through :attr:`actorbot.DelegatorBot.store`;
- nothing else: timers and captures are records too.

A :class:`Commit` is applied in one transaction (all of it or nothing), so a handled
update's state and its *done* mark never disagree after a crash. Methods may be called
from any thread; an implementation serialises them itself. Every method raises a
:class:`~actorbot.exception.StoreError` subclass on failure, never a bare driver error.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Store", "Write", "Commit", "Json"]

Json = dict[str, Any]
"""A record: a JSON object (decoded)."""


@dataclass(frozen=True)
class Write:
    """Set the record ``(namespace, key)`` to ``value``; ``value=None`` deletes it."""

    namespace: str
    key: str
    value: Json | None


@dataclass(frozen=True)
class Commit:
    """One unit of a group commit: record writes and the update ids that became done with them."""

    writes: tuple[Write, ...] = ()
    done: tuple[int, ...] = ()


class Store(abc.ABC):
    """A durable store (see the module docstring). Implementations: SQLite, Redis, memory."""

    # -- the journal of accepted updates -------------------------------------------------------
    @abc.abstractmethod
    def accept(self, updates: Sequence[tuple[int, Json]]) -> list[int]:
        """Journal ``(update_id, update)`` pairs as accepted, in one transaction.

        Returns the ids that are new, in the order given: an id already in the journal
        (pending or done, from this run or an earlier one) is ignored. Durable on return.
        """

    @abc.abstractmethod
    def pending(self) -> list[tuple[int, Json]]:
        """The accepted updates not yet done, by increasing ``update_id``."""

    @abc.abstractmethod
    def forget_done(self, below: int) -> None:
        """Drop done journal entries with ``update_id < below`` (Telegram will not send them again)."""

    # -- records ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def get(self, namespace: str, key: str) -> Json | None:
        """The record ``(namespace, key)``, or None."""

    @abc.abstractmethod
    def keys(self, namespace: str) -> list[str]:
        """The keys of ``namespace``'s records (any order)."""

    # -- writing ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def commit(self, commits: Sequence[Commit]) -> None:
        """Apply every write and mark every done id of ``commits``, in order, in one transaction."""

    def put(self, namespace: str, key: str, value: Json | None) -> None:
        """Write (or with None delete) one record at once: ``commit([Commit((Write(...),))])``."""
        self.commit([Commit((Write(namespace, key, value),))])

    def items(self, namespace: str) -> Iterator[tuple[str, Json]]:
        """``(key, record)`` for each record of ``namespace`` (records deleted meanwhile are skipped)."""
        for key in self.keys(namespace):
            value = self.get(namespace, key)
            if value is not None:
                yield key, value

    # -- lifecycle -------------------------------------------------------------------------------
    @abc.abstractmethod
    def close(self) -> None:
        """Release the store's connections and locks. Idempotent."""

    def describe(self) -> str:
        """Where the store is, for messages (never a password)."""
        return type(self).__name__

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
