"""The Store contract, one set of tests over memory, SQLite and a real Redis."""

from __future__ import annotations

import math
import threading
from datetime import datetime

import pytest

from actorbot.exception import StateNotSerializable, StoreError
from actorbot.store import Commit, Store, Write


def test_accept_returns_only_new_ids_in_the_order_given(store: Store):
    assert store.accept([(5, {"n": 5}), (3, {"n": 3}), (5, {"again": True})]) == [5, 3]
    assert store.accept([(3, {"n": 3}), (4, {"n": 4}), (5, {"n": 5})]) == [4]
    assert store.accept([]) == []
    assert store.pending() == [(3, {"n": 3}), (4, {"n": 4}), (5, {"n": 5})]


def test_accept_ignores_done_ids(store: Store):
    store.accept([(1, {}), (2, {})])
    store.commit([Commit(done=(1,))])
    assert store.accept([(1, {"redelivered": True}), (2, {}), (3, {})]) == [3]
    assert [update_id for update_id, _ in store.pending()] == [2, 3]


def test_pending_is_by_increasing_update_id_and_keeps_bodies(store: Store):
    ids = [907, 12, 450, 3, 100000000001, 77]
    body = {"message": {"text": "héllo ✓", "entities": [{"offset": 0}], "n": 1.5, "ok": None}}
    store.accept([(update_id, {**body, "update_id": update_id}) for update_id in ids])
    pending = store.pending()
    assert [update_id for update_id, _ in pending] == sorted(ids)
    assert all(update == {**body, "update_id": update_id} for update_id, update in pending)


def test_commit_writes_and_marks_done_together(store: Store):
    store.accept([(1, {"a": 1}), (2, {"b": 2})])
    store.commit([
        Commit((Write("conv", "10", {"step": 1}), Write("chat", "10", {"lang": "en"})), done=(1,)),
        Commit((Write("conv", "10", {"step": 2}),), done=(2,)),
    ])
    assert store.pending() == []
    assert store.get("conv", "10") == {"step": 2}  # the later write wins
    assert store.get("chat", "10") == {"lang": "en"}


def test_commit_with_a_value_json_cannot_hold_writes_nothing(store: Store):
    store.accept([(1, {}), (2, {})])
    store.put("conv", "1", {"old": True})
    with pytest.raises(StateNotSerializable):
        store.commit([
            Commit((Write("conv", "1", {"new": True}),), done=(1,)),
            Commit((Write("conv", "2", {"when": datetime(2026, 1, 1)}),), done=(2,)),
        ])
    assert store.get("conv", "1") == {"old": True}
    assert store.get("conv", "2") is None
    assert [update_id for update_id, _ in store.pending()] == [1, 2]


def test_none_deletes_a_record(store: Store):
    store.put("conv", "1", {"x": 1})
    store.put("conv", "2", {"x": 2})
    store.commit([Commit((Write("conv", "1", None), Write("conv", "3", None)))])  # deleting a missing one is fine
    assert store.get("conv", "1") is None
    assert store.keys("conv") == ["2"]
    store.put("conv", "2", None)
    assert store.keys("conv") == []
    assert list(store.items("conv")) == []


def test_keys_and_items_are_per_namespace(store: Store):
    store.commit([Commit(tuple(Write("user", str(i), {"i": i}) for i in range(5)))])
    store.put("chat", "0", {"chat": True})
    # namespaces with ':' or '%' must not collide with others' keys
    store.put("a:b", "c", {"which": "a:b/c"})
    store.put("a", "b:c", {"which": "a/b:c"})
    store.put("a%3Ab", "c", {"which": "a%3Ab/c"})
    assert sorted(store.keys("user")) == ["0", "1", "2", "3", "4"]
    assert dict(store.items("user")) == {str(i): {"i": i} for i in range(5)}
    assert store.keys("chat") == ["0"]
    assert store.keys("nothing") == []
    assert store.get("a:b", "c") == {"which": "a:b/c"}
    assert store.get("a", "b:c") == {"which": "a/b:c"}
    assert store.get("a%3Ab", "c") == {"which": "a%3Ab/c"}
    assert store.keys("a") == ["b:c"]


def test_put_and_get_copy_values(store: Store):
    value = {"list": [1, 2, {"deep": "x"}], "nested": {"k": None}, "big": 2**60, "f": 0.1}
    store.put("conv", "k", value)
    value["list"].append(3)  # changing the caller's dict afterwards changes nothing stored
    got = store.get("conv", "k")
    assert got == {"list": [1, 2, {"deep": "x"}], "nested": {"k": None}, "big": 2**60, "f": 0.1}
    assert got is not None
    got["nested"]["k"] = "changed"
    assert store.get("conv", "k") == {"list": [1, 2, {"deep": "x"}], "nested": {"k": None}, "big": 2**60, "f": 0.1}
    assert store.get("conv", "missing") is None


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"when": datetime(2026, 1, 1)}, "['when']"),
        ({"items": [1, {"s": {1, 2}}]}, "['items'][1]['s']"),
        ({"x": math.nan}, "['x']"),
        ({"x": [math.inf]}, "['x'][0]"),
        ({(1, 2): "tuple key"}, "key (1, 2)"),
    ],
)
def test_value_json_cannot_hold_raises_state_not_serializable_naming_the_key(store: Store, value, where):
    with pytest.raises(StateNotSerializable) as info:
        store.put("conv", "42", value)
    assert info.value.key == "conv/42"
    assert "conv/42" in str(info.value) and where in str(info.value)
    assert isinstance(info.value, TypeError) and isinstance(info.value, StoreError)
    assert store.get("conv", "42") is None


def test_a_record_is_a_json_object(store: Store):
    with pytest.raises(StateNotSerializable, match="conv/1.*JSON object"):
        store.put("conv", "1", [1, 2])  # type: ignore[arg-type]


def test_forget_done_drops_done_ids_below(store: Store):
    store.accept([(i, {"i": i}) for i in range(1, 7)])
    store.commit([Commit(done=(1, 2, 3, 5))])
    store.forget_done(3)
    # 1 and 2 are forgotten (accepted again), 3 and 5 are still done, 4 and 6 still pending
    assert store.accept([(i, {"i": i}) for i in range(1, 7)]) == [1, 2]
    assert [update_id for update_id, _ in store.pending()] == [1, 2, 4, 6]


def test_done_for_an_id_never_accepted_still_dedupes(store: Store):
    store.commit([Commit(done=(9,))])
    assert store.accept([(9, {})]) == []
    assert store.pending() == []


def test_concurrent_use_from_threads(store: Store):
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(25):
                store.commit([Commit((Write("t", f"{n}-{i}", {"n": n, "i": i}),))])
                assert store.get("t", f"{n}-{i}") == {"n": n, "i": i}
            store.accept([(n * 1000 + i, {}) for i in range(10)])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,), name=f"store-{n}") for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert len(store.keys("t")) == 100
    assert len(store.pending()) == 40


def test_close_is_idempotent_and_a_closed_store_refuses_work(backend):
    store = backend.open()
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.get("conv", "1")


# -- durability: a new store object on the same data -----------------------------------------------
def test_reopen_keeps_journal_records_and_done_marks(durable_backend):
    store = durable_backend.open()
    assert store.accept([(1, {"a": 1}), (2, {"b": 2}), (3, {"c": 3})]) == [1, 2, 3]
    store.commit([Commit((Write("conv", "7", {"step": 3}), Write("user", "5", {"name": "Ann"})), done=(2,))])
    store.put("chat", "7", {"x": [1, 2]})

    reopened = durable_backend.open()
    assert reopened is not store
    assert reopened.pending() == [(1, {"a": 1}), (3, {"c": 3})]
    assert reopened.accept([(1, {}), (2, {}), (3, {}), (4, {"d": 4})]) == [4]
    assert reopened.get("conv", "7") == {"step": 3}
    assert dict(reopened.items("user")) == {"5": {"name": "Ann"}}
    assert reopened.get("chat", "7") == {"x": [1, 2]}


def test_context_manager_closes(durable_backend):
    with durable_backend.open() as store:
        store.put("conv", "1", {"x": 1})
    with pytest.raises(StoreError):
        store.get("conv", "1")
    assert durable_backend.open().get("conv", "1") == {"x": 1}


def test_describe_names_the_store(backend):
    store = backend.open()
    text = store.describe()
    expected = {"memory": "memory", "sqlite": "SQLite bot.db", "redis": "Redis 127.0.0.1:"}[backend.kind]
    assert text.startswith(expected)


def test_json_coercions_are_the_same_in_every_store(store: Store):
    """What JSON holds but does not give back as it was: tuples come back lists, int keys strings."""
    store.put("conv", "c", {"point": (1, 2), "by_id": {7: "x"}, "flag": True})
    assert store.get("conv", "c") == {"point": [1, 2], "by_id": {"7": "x"}, "flag": True}
