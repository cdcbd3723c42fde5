"""Turn a message's text and entities back into Markdown, MarkdownV2 or HTML.

``apply_entities_as_html(msg['text'], msg['entities'])`` gives a string that, sent with
``parse_mode='HTML'``, shows the same formatting; likewise
:func:`apply_entities_as_markdown_v2` (``'MarkdownV2'``) and
:func:`apply_entities_as_markdown` (legacy ``'Markdown'``). Useful to echo, quote or
edit a formatted message.

- Offsets and lengths are Telegram's: UTF-16 code units. Text with emoji or other
  characters outside the Basic Multilingual Plane (two code units each) is handled,
  before and inside entities; an offset that falls inside such a character is rounded
  outwards to include it.
- Entities may be nested (bold inside italic inside a link...). Entities that overlap
  without one containing the other (Telegram does not produce them) are split at the
  outer entity's end. Entities inside ``code`` and ``pre`` are ignored, as Telegram
  does not allow them there.
- Special characters are escaped as each mode requires, inside and outside entities.
- Entity types: ``bold``, ``italic``, ``underline``, ``strikethrough``, ``spoiler``,
  ``code``, ``pre`` (with ``language``), ``text_link``, ``text_mention``,
  ``custom_emoji``, ``blockquote``, ``expandable_blockquote``, ``date_time``. Types a
  mode cannot express, and the ones Telegram detects by itself (``mention``, ``url``,
  ``hashtag``, ``bot_command``...), are rendered as plain (escaped) text.
- Legacy Markdown cannot nest entities nor express underline, strikethrough, spoiler,
  blockquotes, custom emoji or dates: only the outermost entities are applied there,
  and only those it can express. Prefer HTML or MarkdownV2.

Entities may be dicts or ``actorbot.namedtuple.MessageEntity`` instances. Pure
functions: any thread may call them.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["apply_entities_as_markdown", "apply_entities_as_markdown_v2", "apply_entities_as_html"]

_Token = tuple[str, bool]  # (text, is_markup)


class _Span:
    """One entity as a range of Python string indexes, with the entities nested in it."""

    __slots__ = ("start", "end", "entity", "children")

    def __init__(self, start: int, end: int, entity: Mapping[str, Any]) -> None:
        self.start = start
        self.end = end
        self.entity = entity
        self.children: list[_Span] = []

    @property
    def type(self) -> str:
        return str(self.entity.get("type"))


def _plain(obj: Any) -> Any:
    """A dict (recursively) from a namedtuple-like entity; dicts unchanged."""
    if isinstance(obj, Mapping):
        return obj
    if hasattr(obj, "_asdict"):
        return {k.rstrip("_") if k == "from_" else k: _plain(v) for k, v in obj._asdict().items()}
    return obj


def _utf16_offsets(text: str) -> list[int]:
    """``offsets[i]`` is the UTF-16 offset of ``text[i]``; ``offsets[len(text)]`` the total."""
    offsets = [0] * (len(text) + 1)
    total = 0
    for i, ch in enumerate(text):
        offsets[i] = total
        total += 2 if ord(ch) > 0xFFFF else 1
    offsets[len(text)] = total
    return offsets


def _spans(text: str, entities: Iterable[Any] | None) -> list[_Span]:
    """The entities as a forest of properly nested spans (Python indexes)."""
    offsets = _utf16_offsets(text)
    heap: list[tuple[int, int, int, _Span]] = []
    counter = 0
    for raw in entities or ():
        counter += 1
        entity = _plain(raw)
        offset, length = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or length <= 0:
            continue
        start = max(0, bisect_right(offsets, offset) - 1)
        end = min(len(text), bisect_left(offsets, offset + length))
        if start < end:
            heapq.heappush(heap, (start, -end, counter, _Span(start, end, entity)))
    roots: list[_Span] = []
    stack: list[_Span] = []
    while heap:
        _, _, _, span = heapq.heappop(heap)
        while stack and stack[-1].end <= span.start:
            stack.pop()
        if stack and span.end > stack[-1].end:
            # Overlaps its container's end: keep the part inside, queue the rest.
            counter += 1
            rest = _Span(stack[-1].end, span.end, span.entity)
            heapq.heappush(heap, (rest.start, -rest.end, counter, rest))
            span.end = stack[-1].end
        (stack[-1].children if stack else roots).append(span)
        stack.append(span)
    return roots


class _Mode:
    """How one parse mode escapes text and wraps entities."""

    def plain(self, s: str) -> str:  # text outside code
        raise NotImplementedError

    def code(self, s: str) -> str:  # text inside code/pre
        raise NotImplementedError

    def wrap(self, span: _Span, inner: list[_Token]) -> list[_Token]:
        raise NotImplementedError


def _render(text: str, start: int, end: int, children: list[_Span], mode: _Mode) -> list[_Token]:
    out: list[_Token] = []
    pos = start
    for child in children:
        if child.start > pos:
            out.append((mode.plain(text[pos:child.start]), False))
        if child.type in ("code", "pre"):
            inner = [(mode.code(text[child.start:child.end]), False)]
        else:
            inner = _render(text, child.start, child.end, child.children, mode)
        out.extend(mode.wrap(child, inner))
        pos = child.end
    if pos < end:
        out.append((mode.plain(text[pos:end]), False))
    return out


def _user_id(entity: Mapping[str, Any]) -> Any:
    user = entity.get("user")
    return user.get("id") if isinstance(user, Mapping) else None


# -- HTML --------------------------------------------------------------------------------


def _html_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _html_attr(value: Any) -> str:
    return _html_text(str(value)).replace('"', "&quot;")


class _Html(_Mode):
    _SIMPLE = {
        "bold": ("<b>", "</b>"),
        "italic": ("<i>", "</i>"),
        "underline": ("<u>", "</u>"),
        "strikethrough": ("<s>", "</s>"),
        "spoiler": ("<tg-spoiler>", "</tg-spoiler>"),
        "code": ("<code>", "</code>"),
        "blockquote": ("<blockquote>", "</blockquote>"),
        "expandable_blockquote": ("<blockquote expandable>", "</blockquote>"),
    }

    def plain(self, s: str) -> str:
        return _html_text(s)

    def code(self, s: str) -> str:
        return _html_text(s)

    def wrap(self, span: _Span, inner: list[_Token]) -> list[_Token]:
        e, t = span.entity, span.type
        if t in self._SIMPLE:
            opening, closing = self._SIMPLE[t]
        elif t == "pre":
            language = e.get("language")
            if language:
                opening, closing = f'<pre><code class="language-{_html_attr(language)}">', "</code></pre>"
            else:
                opening, closing = "<pre>", "</pre>"
        elif t == "text_link" and e.get("url"):
            opening, closing = f'<a href="{_html_attr(e["url"])}">', "</a>"
        elif t == "text_mention" and _user_id(e) is not None:
            opening, closing = f'<a href="tg://user?id={_html_attr(_user_id(e))}">', "</a>"
        elif t == "custom_emoji" and e.get("custom_emoji_id"):
            opening, closing = f'<tg-emoji emoji-id="{_html_attr(e["custom_emoji_id"])}">', "</tg-emoji>"
        elif t == "date_time" and e.get("unix_time") is not None:
            fmt = e.get("date_time_format")
            fmt_attr = f' format="{_html_attr(fmt)}"' if fmt else ""
            opening, closing = f'<tg-time unix="{_html_attr(e["unix_time"])}"{fmt_attr}>', "</tg-time>"
        else:
            return inner
        return [(opening, True), *inner, (closing, True)]


# -- MarkdownV2 --------------------------------------------------------------------------

_V2_SPECIAL = frozenset("_*[]()~`>#+-=|{}.!\\")


def _v2_escape(s: str, special: frozenset[str] | str) -> str:
    return "".join("\\" + ch if ch in special else ch for ch in s)


class _MarkdownV2(_Mode):
    _SIMPLE = {
        "bold": ("*", "*"),
        "italic": ("_", "_"),
        "underline": ("__", "__"),
        "strikethrough": ("~", "~"),
        "spoiler": ("||", "||"),
        "code": ("`", "`"),
    }

    def plain(self, s: str) -> str:
        return _v2_escape(s, _V2_SPECIAL)

    def code(self, s: str) -> str:
        return _v2_escape(s, "`\\")

    @staticmethod
    def _link(target: str) -> str:
        return "](" + _v2_escape(target, ")\\") + ")"

    def wrap(self, span: _Span, inner: list[_Token]) -> list[_Token]:
        e, t = span.entity, span.type
        if t in self._SIMPLE:
            opening, closing = self._SIMPLE[t]
        elif t == "pre":
            opening, closing = "```" + str(e.get("language") or "") + "\n", "```"
        elif t == "text_link" and e.get("url"):
            opening, closing = "[", self._link(str(e["url"]))
        elif t == "text_mention" and _user_id(e) is not None:
            opening, closing = "[", self._link(f"tg://user?id={_user_id(e)}")
        elif t == "custom_emoji" and e.get("custom_emoji_id"):
            opening, closing = "![", self._link(f"tg://emoji?id={e['custom_emoji_id']}")
        elif t == "date_time" and e.get("unix_time") is not None:
            fmt = e.get("date_time_format")
            target = f"tg://time?unix={e['unix_time']}" + (f"&format={fmt}" if fmt else "")
            opening, closing = "![", self._link(target)
        elif t in ("blockquote", "expandable_blockquote"):
            quoted = [(s.replace("\n", "\n>"), markup) for s, markup in inner]
            if t == "blockquote":
                return [(">", True), *quoted]
            return [("**>", True), *quoted, ("||", True)]
        else:
            return inner
        return [(opening, True), *inner, (closing, True)]


def _join_v2(tokens: list[_Token]) -> str:
    """Join MarkdownV2 tokens, separating ``_`` and ``__`` markers that would merge.

    Telegram reads ``__`` greedily as underline, so italic and underline markers that
    touch are separated by an empty bold entity (``**``), as its documentation advises.
    """
    out: list[str] = []
    previous_markup = ""
    for s, markup in tokens:
        if not s:
            continue
        if markup and previous_markup.endswith("_") and s.startswith("_"):
            out.append("**")
        out.append(s)
        previous_markup = s if markup else ""
    return "".join(out)


# -- legacy Markdown ---------------------------------------------------------------------

_MD_SPECIAL = frozenset("_*`[")


def _md_escape(s: str) -> str:
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in s)


def _md_url(url: str) -> str:
    return url.replace(")", "%29")


def _md_wrap(span: _Span, content: str) -> str:
    """One top-level entity in legacy Markdown (no escaping is possible inside entities:
    a delimiter inside is written by closing the entity, escaping, and reopening)."""
    e, t = span.entity, span.type

    def around(opening: str, closing: str, delimiter: str) -> str:
        between = "\\" + delimiter if delimiter in _MD_SPECIAL else delimiter
        return between.join(opening + piece + closing if piece else "" for piece in content.split(delimiter))

    if t == "bold":
        return around("*", "*", "*")
    if t == "italic":
        return around("_", "_", "_")
    if t == "code":
        return around("`", "`", "`")
    if t == "pre":
        return "```" + str(e.get("language") or "") + "\n" + content + "```"
    target = None
    if t == "text_link" and e.get("url"):
        target = _md_url(str(e["url"]))
    elif t == "text_mention" and _user_id(e) is not None:
        target = f"tg://user?id={_user_id(e)}"
    if target is not None:
        return around("[", f"]({target})", "]")
    return _md_escape(content)


# -- public functions --------------------------------------------------------------------


def apply_entities_as_markdown(text: str, entities: Iterable[Any] | None) -> str:
    """Format ``text`` as (legacy) Markdown, for ``parse_mode='Markdown'``.

    Special characters (``_ * ` [``) are escaped outside entities; inside one, its own
    delimiter is written by closing and reopening the entity, as Telegram requires.
    Legacy Markdown cannot nest: only the outermost entities are applied.

    :param text: plain text
    :param entities: a list of ``MessageEntity`` (dicts or namedtuples); offsets in UTF-16
    """
    out: list[str] = []
    pos = 0
    for span in _spans(text, entities):
        out.append(_md_escape(text[pos:span.start]))
        out.append(_md_wrap(span, text[span.start:span.end]))
        pos = span.end
    out.append(_md_escape(text[pos:]))
    return "".join(out)


def apply_entities_as_markdown_v2(text: str, entities: Iterable[Any] | None) -> str:
    """Format ``text`` as MarkdownV2, for ``parse_mode='MarkdownV2'``.

    Every character MarkdownV2 reserves is escaped with a backslash (``\\`` and `````
    inside code; ``)`` and ``\\`` inside link targets); entities nest.

    :param text: plain text
    :param entities: a list of ``MessageEntity`` (dicts or namedtuples); offsets in UTF-16
    """
    return _join_v2(_render(text, 0, len(text), _spans(text, entities), _MarkdownV2()))


def apply_entities_as_html(text: str, entities: Iterable[Any] | None) -> str:
    """Format ``text`` as HTML, for ``parse_mode='HTML'``.

    ``&``, ``<`` and ``>`` are escaped everywhere (and ``"`` in attribute values);
    entities nest.

    :param text: plain text
    :param entities: a list of ``MessageEntity`` (dicts or namedtuples); offsets in UTF-16
    """
    return "".join(s for s, _ in _render(text, 0, len(text), _spans(text, entities), _Html()))

