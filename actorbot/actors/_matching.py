"""Capture templates: telepot's matching semantics, and an index that routes by them.

A *pattern* is a list of *templates*; a message matches a pattern when it matches every
template. A template is

- a function, called with the (selected part of the) message, matching when it
  returns a true value;
- a dict whose keys *select* parts of the message (a key, or a compiled regular
  expression matching any number of keys: one of the selected parts must match) and
  whose values are templates for those parts, recursively;
- anything else, matching by equality.

:class:`CaptureIndex` holds the patterns of every live delegate. A pattern with a
dict template is indexed by the equality leaves of that template (for
``{'chat': {'id': 123}}`` the path ``chat.id`` and the value ``123``), so finding the
delegates interested in a message costs one dict look-up per distinct *path shape*,
whatever the number of delegates. Candidates are then confirmed with the full
:func:`match_all`, so the index never changes which patterns match. Patterns with no
indexable leaf (only functions, say) are kept in a short list checked one by one.

Not thread-safe: the supervisor actor owns its index and is its only user.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["match", "match_all", "normalize_pattern", "CaptureIndex", "Capture"]

logger = logging.getLogger(__name__)


def _is_regex(key: Any) -> bool:
    return hasattr(key, "search") and hasattr(key, "pattern")


def _pick(data: Any, key: Any) -> Any:
    return data[key] if type(data) is dict else getattr(data, key)


def match(data: Any, template: Any) -> bool:
    """Whether ``data`` matches ``template`` (telepot's ``filtering.match`` semantics)."""
    if isinstance(template, dict) and isinstance(data, dict):
        for tkey, tvalue in template.items():
            if _is_regex(tkey):
                keys = [k for k in data.keys() if isinstance(k, str) and tkey.search(k)]
                if not keys:
                    return False
            elif tkey in data:
                keys = [tkey]
            else:
                return False
            if not any(match(_pick(data, k), tvalue) for k in keys):
                return False
        return True
    if callable(template):
        return bool(template(data))
    return bool(data == template)


def match_all(msg: Any, pattern: Iterable[Any]) -> bool:
    """Whether ``msg`` matches every template of ``pattern``."""
    return all(match(msg, t) for t in pattern)


def normalize_pattern(pattern: Any) -> tuple[Any, ...]:
    """A pattern as a tuple of templates; a lone dict or function counts as one template."""
    if isinstance(pattern, (list, tuple)):
        return tuple(pattern)
    if isinstance(pattern, dict) or callable(pattern):
        return (pattern,)
    raise TypeError(f"a capture pattern is a list of templates, not {type(pattern).__name__}")


# -- the index -------------------------------------------------------------------------------
# A *shape* is the hashable skeleton of a dict template's equality leaves:
#   ((keyspec, sub), ...) where keyspec is ("k", key) or ("re", compiled regex) and sub is
#   _LEAF or a nested shape. The leaf values, in the shape's order, form the index key.

_LEAF = "<leaf>"


def _hashable(value: Any) -> bool:
    try:
        hash(value)  # raises for what ``Hashable`` rejects too (``__hash__ = None``)
    except TypeError:
        return False
    return True


def _shape_of(template: Mapping[Any, Any]) -> tuple[tuple[Any, Any], tuple[Any, ...]] | None:
    """``(shape, values)`` of a dict template's equality leaves, or None if it has none."""
    entries: list[tuple[Any, Any, tuple[Any, ...]]] = []
    for key, value in template.items():
        if _is_regex(key):
            keyspec: Any = ("re", key)
        elif _hashable(key):
            keyspec = ("k", key)
        else:
            continue
        if isinstance(value, dict):
            sub = _shape_of(value)
            if sub is None:
                continue
            entries.append((keyspec, sub[0], sub[1]))
        elif callable(value) or not _hashable(value):
            continue
        else:
            entries.append((keyspec, _LEAF, (value,)))
    if not entries:
        return None
    if len(entries) > 1:
        entries.sort(key=lambda e: repr(e[0]))
    shape = tuple((e[0], e[1]) for e in entries)
    values = tuple(itertools.chain.from_iterable(e[2] for e in entries))
    return shape, values  # type: ignore[return-value]


def _extract(data: Any, shape: Any) -> set[tuple[Any, ...]]:
    """Every tuple of leaf values ``data`` offers for ``shape`` (empty if none)."""
    if not isinstance(data, dict):
        return set()
    per_entry: list[set[tuple[Any, ...]]] = []
    for keyspec, sub in shape:
        kind, key = keyspec
        if kind == "re":
            selected = [data[k] for k in data if isinstance(k, str) and key.search(k)]
        elif key in data:
            selected = [data[key]]
        else:
            return set()
        found: set[tuple[Any, ...]] = set()
        for part in selected:
            if sub == _LEAF:
                if _hashable(part):
                    found.add((part,))
            else:
                found |= _extract(part, sub)
        if not found:
            return set()
        per_entry.append(found)
    if len(per_entry) == 1:
        return per_entry[0]
    return {tuple(itertools.chain.from_iterable(combo)) for combo in itertools.product(*per_entry)}


def _chain(shape: Any) -> tuple[Any, ...] | None:
    """The keys of ``shape`` when it is one plain key per level down to one leaf, else None."""
    keys = []
    while True:
        if len(shape) != 1:
            return None
        (kind, key), sub = shape[0]
        if kind != "k":
            return None
        keys.append(key)
        if sub == _LEAF:
            return tuple(keys)
        shape = sub


def _follow(data: Any, path: tuple[Any, ...]) -> tuple[tuple[Any], ...]:
    """What :func:`_extract` finds for a chain shape of keys ``path``: ``((leaf,),)`` or ``()``."""
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return ()
        data = data[key]
    return ((data,),) if _hashable(data) else ()


def _fully_indexed(template: Any) -> bool:
    """Whether ``template``'s shape is all of it: plain keys, equality leaves and sub-dicts of
    the same kind only. Then a message found in its index bucket matches it (its leaf values
    were looked up by equality along the same paths): :func:`match` need not run again."""
    if not isinstance(template, dict) or not template:
        return False
    for key, value in template.items():
        if _is_regex(key) or not _hashable(key):
            return False
        if isinstance(value, dict):
            if not _fully_indexed(value):
                return False
        elif callable(value) or not _hashable(value):
            return False
    return True


@dataclass(frozen=True, eq=False)
class Capture:
    """One pattern registered for one owner (a delegate id); identity-compared, it is the
    token that removes the pattern again. ``templates`` is the normalized pattern."""

    owner: int
    templates: tuple[Any, ...]

    @classmethod
    def of(cls, owner: int, pattern: Any) -> Capture:
        return cls(owner, normalize_pattern(pattern))


@dataclass
class CaptureIndex:
    """Owner ids by pattern, indexed by equality paths (see the module docstring)."""

    # shape -> leaf values -> the captures there: one Capture alone (most buckets: a chat's
    # conversation), else a dict by id (a dict is 224 bytes per live conversation)
    _by_shape: dict[Any, dict[tuple[Any, ...], Capture | dict[int, Capture]]] = field(default_factory=dict)
    _linear: dict[int, Capture] = field(default_factory=dict)
    # owner -> its captures, each (capture, shape, values): a list (an owner has a few)
    _by_owner: dict[int, list[tuple[Capture, Any, Any]]] = field(default_factory=dict)
    _exact: set[int] = field(default_factory=set)  # ids of captures a bucket hit matches (no match() run)
    _shapes: dict[Any, Any] = field(default_factory=dict)  # each shape in use -> its one shared copy
    _paths: dict[Any, tuple[Any, ...] | None] = field(default_factory=dict)  # shape -> its keys, if a chain

    def add(self, capture: Capture) -> None:
        """Register a capture (adding the same token twice has no effect)."""
        owned = self._by_owner.setdefault(capture.owner, [])
        if any(entry[0] is capture for entry in owned):
            return
        shape = values = None
        for template in capture.templates:
            if isinstance(template, dict):
                found = _shape_of(template)
                if found is not None:
                    shape, values = found
                    break
        if shape is None:
            self._linear[id(capture)] = capture
        else:
            shared = self._shapes.get(shape)
            if shared is None:
                shared = self._shapes[shape] = shape  # one copy for the many captures of a shape
                self._paths[shape] = _chain(shape)
            shape = shared
            table = self._by_shape.setdefault(shape, {})
            bucket = table.get(values)  # type: ignore[arg-type]
            if bucket is None:
                table[values] = capture  # type: ignore[index]
            elif isinstance(bucket, Capture):
                table[values] = {id(bucket): bucket, id(capture): capture}  # type: ignore[index]
            else:
                bucket[id(capture)] = capture
            if len(capture.templates) == 1 and _fully_indexed(capture.templates[0]):
                self._exact.add(id(capture))
        owned.append((capture, shape, values))

    def remove(self, capture: Capture) -> None:
        """Forget one capture (no error if it is already gone)."""
        owned = self._by_owner.get(capture.owner)
        if owned is None:
            return
        for i, entry in enumerate(owned):
            if entry[0] is capture:
                del owned[i]
                break
        else:
            return
        if not owned:
            del self._by_owner[capture.owner]
        self._exact.discard(id(capture))
        _, shape, values = entry
        if shape is None:
            self._linear.pop(id(capture), None)
            return
        table = self._by_shape[shape]
        bucket = table[values]
        if isinstance(bucket, Capture):
            if bucket is capture:
                del table[values]
        else:
            bucket.pop(id(capture), None)
            if len(bucket) == 1:
                [table[values]] = bucket.values()
        if not table:
            del self._by_shape[shape]
            self._shapes.pop(shape, None)
            self._paths.pop(shape, None)

    def remove_owner(self, owner: int) -> None:
        """Forget every capture of ``owner``."""
        for capture, _, _ in list(self._by_owner.get(owner, ())):
            self.remove(capture)

    def compact(self) -> None:
        """Rebuild the tables at their size now (after many owners were removed)."""
        self._by_owner = dict(self._by_owner)
        self._linear = dict(self._linear)
        self._by_shape = {shape: dict(table) for shape, table in self._by_shape.items()}

    def owners(self) -> set[int]:
        return set(self._by_owner)

    def captures_of(self, owner: int) -> list[Capture]:
        return [entry[0] for entry in self._by_owner.get(owner, ())]

    def __len__(self) -> int:
        return sum(len(c) for c in self._by_owner.values())

    @property
    def linear_size(self) -> int:
        """How many captures could not be indexed (checked one by one for every message)."""
        return len(self._linear)

    def owner_matches(self, owner: int, msg: Any) -> bool:
        """Whether one of ``owner``'s captures matches ``msg``."""
        return any(_safe_match(msg, entry[0]) for entry in self._by_owner.get(owner, ()))

    def matching_owners(self, msg: Any) -> list[int]:
        """Owners with at least one pattern ``msg`` matches, in ascending owner order."""
        hits: set[int] = set()
        exact = self._exact
        paths = self._paths
        for shape, table in self._by_shape.items():
            path = paths.get(shape)
            if path is not None:  # one key per level down to one leaf (``{'chat': {'id': 5}}``)
                found = _follow(msg, path)
                if not found:
                    continue
                offered: Any = found
            else:
                offered = _extract(msg, shape)
            for values in offered:
                bucket = table.get(values)
                if bucket is None:
                    continue
                for capture in (bucket,) if isinstance(bucket, Capture) else bucket.values():
                    if capture.owner not in hits and (id(capture) in exact or _safe_match(msg, capture)):
                        hits.add(capture.owner)
        for capture in self._linear.values():
            if capture.owner not in hits and _safe_match(msg, capture):
                hits.add(capture.owner)
        return sorted(hits)


def _safe_match(msg: Any, capture: Capture) -> bool:
    """:func:`match_all`, with a template that raises counted as no match (and logged)."""
    try:
        return match_all(msg, capture.templates)
    except Exception:
        logger.warning("a capture template of delegate %s raised; taken as no match", capture.owner, exc_info=True)
        return False
