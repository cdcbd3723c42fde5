"""The capture index routes exactly as telepot's matching would (unit tests of the matcher)."""

from __future__ import annotations

import random
import re
from typing import Any

from actorbot.actors import Capture, CaptureIndex, match, match_all


def _naive(captures: list[Capture], msg: Any) -> list[int]:
    return sorted({c.owner for c in captures if match_all(msg, c.templates)})


def test_match_semantics() -> None:
    msg = {"chat": {"id": 5, "type": "group"}, "from": {"id": 7}, "text": "hi"}
    assert match(msg, {"chat": {"id": 5}})
    assert not match(msg, {"chat": {"id": 6}})
    assert not match(msg, {"missing": 1})
    assert match(msg, {"chat": {"type": lambda t: t in ("group", "supergroup")}})
    assert match(msg, {re.compile("^fr"): {"id": 7}})
    assert not match(msg, {re.compile("^zz"): {"id": 7}})
    assert match(msg, lambda m: "text" in m)
    assert match_all(msg, [{"from": {"id": 7}}, lambda m: m["text"] == "hi"])
    assert not match_all(msg, [{"from": {"id": 7}}, lambda m: m["text"] == "no"])
    assert match(1, 1) and match(True, 1)  # equality, as telepot


def test_index_agrees_with_linear_matching_on_random_patterns() -> None:
    rng = random.Random(7)
    index = CaptureIndex()
    captures: list[Capture] = []
    templates = [
        lambda v: [{"chat": {"id": v}}],
        lambda v: [{"from": {"id": v}}],
        lambda v: [{"from": {"id": v}}, lambda m: "text" in m],
        lambda v: [{"message": {"chat": {"id": v}}}],
        lambda v: [{"message": {"chat": {"id": v}, "message_id": v * 10}}],
        lambda v: [{re.compile("^_.+"): {"source": {"space": 1, "id": v}}}],
        lambda v: [{"invoice_payload": f"p{v}"}],
        lambda v: [lambda m, v=v: m.get("chat", {}).get("id") == v],
        lambda v: [{"chat": {"id": lambda x, v=v: x == v}}],
        lambda v: [{"chat": {"id": [v]}}],  # unhashable leaf: linear
        lambda v: [{"chat": {"id": v}, "text": "t"}],  # two equality leaves: a bucket hit is a match
        lambda v: [{"chat": {"id": v, "type": lambda t: t == "group"}}],  # partly indexed: match() decides
        lambda v: [{"chat": {"id": v, "title": {}}}],  # an empty sub-template is not in the shape
    ]
    for owner in range(300):
        c = Capture.of(owner, rng.choice(templates)(rng.randrange(20)))
        index.add(c)
        captures.append(c)
    messages = []
    for _ in range(400):
        v = rng.randrange(22)
        messages.append(rng.choice([
            {"chat": {"id": v}, "from": {"id": v}, "text": "t"},
            {"from": {"id": v}, "query": "q"},
            {"message": {"chat": {"id": v}, "message_id": v * 10}, "from": {"id": 1}},
            {"_idle": {"source": {"space": 1, "id": v}, "seconds": 3}},
            {"_alarm": {"source": {"space": 2, "id": v}}},
            {"invoice_payload": f"p{v}", "from": {"id": v}},
            {"chat": {"id": [v]}},
            {"chat": {"id": v, "type": "group", "title": {"x": 1}}, "text": "t"},
            {"chat": {"id": v, "type": "private"}, "text": "u"},
            {"chat": {"idx": v}, "text": "t"},
        ]))
    for msg in messages:
        assert index.matching_owners(msg) == _naive(captures, msg)
    # removal keeps them in agreement
    for c in captures[::3]:
        index.remove(c)
    rest = [c for i, c in enumerate(captures) if i % 3]
    for msg in messages:
        assert index.matching_owners(msg) == _naive(rest, msg)


def test_index_keeps_equality_captures_out_of_the_linear_list() -> None:
    index = CaptureIndex()
    for owner in range(1000):
        index.add(Capture.of(owner, [{"chat": {"id": owner}}]))
        index.add(Capture.of(owner, [{re.compile("^_.+"): {"source": {"space": 9, "id": owner}}}]))
        index.add(Capture.of(owner, [{"from": {"id": owner}}, lambda m: True]))
    assert index.linear_size == 0
    assert index.matching_owners({"chat": {"id": 500}}) == [500]
    assert index.matching_owners({"_idle": {"source": {"space": 9, "id": 7}}}) == [7]
    index.remove_owner(500)
    assert index.matching_owners({"chat": {"id": 500}}) == []
    assert len(index) == 2997


def test_a_raising_template_is_no_match() -> None:
    index = CaptureIndex()
    index.add(Capture.of(1, [lambda m: m["nope"]]))
    index.add(Capture.of(2, [{"chat": {"id": 1}}]))
    assert index.matching_owners({"chat": {"id": 1}}) == [2]
