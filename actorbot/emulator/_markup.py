"""Formatting: ``parse_mode`` text to plain text plus ``entities``, as Telegram does it.

Pure functions, no state; any thread may call them. Offsets and lengths are in
UTF-16 code units. A text that cannot be parsed raises :class:`MarkupError` whose
message is Telegram's wording after ``"can't parse entities: "``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MarkupError",
    "parse",
    "detect_entities",
    "strip_text",
    "utf16_len",
    "entities_text",
]


class MarkupError(ValueError):
    """A text that the chosen ``parse_mode`` cannot parse (message in Telegram's words)."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (how Telegram counts entity offsets)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


@dataclass
class _Builder:
    """Accumulates the plain text and open/closed entities, counting UTF-16 units."""

    pieces: list[str] = field(default_factory=list)
    pos: int = 0
    entities: list[dict[str, Any]] = field(default_factory=list)

    def add(self, text: str) -> None:
        if text:
            self.pieces.append(text)
            self.pos += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        length = self.pos - start
        if length > 0:
            item: dict[str, Any] = {"type": kind, "offset": start, "length": length}
            item.update({k: v for k, v in extra.items() if v is not None})
            self.entities.append(item)

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        return "".join(self.pieces), sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))


def _link_entity(url: str) -> tuple[str, dict[str, Any]]:
    match = re.fullmatch(r"tg://user\?id=(\d+)", url)
    if match:
        return "text_mention", {"user": {"id": int(match.group(1)), "is_bot": False, "first_name": ""}}
    return "text_link", {"url": url}


# --------------------------------------------------------------------------- Markdown (legacy)

_MD1_ESCAPABLE = "_*`["


def _parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in _MD1_ESCAPABLE:
            out.add(text[i + 1])
            i += 2
            continue
        if ch not in "_*`[":
            out.add(ch)
            i += 1
            continue
        begin = i
        if ch == "[":
            close = text.find("]", i + 1)
            if close < 0:
                raise MarkupError(f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}")
            label = text[i + 1 : close]
            if close + 1 < n and text[close + 1] == "(":
                end = text.find(")", close + 2)
                if end < 0:
                    raise MarkupError(f"Can't find end of a URL at byte offset {_byte_offset(text, close + 1)}")
                url = text[close + 2 : end]
                start = out.pos
                out.add(label)
                kind, extra = _link_entity(url)
                if url:
                    out.entity(kind, start, **extra)
                i = end + 1
            else:
                out.add(label)
                i = close + 1
            continue
        if ch == "`" and text.startswith("```", i):
            end = text.find("```", i + 3)
            if end < 0:
                raise MarkupError(f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}")
            body = text[i + 3 : end]
            language = None
            first, sep, rest = body.partition("\n")
            if sep and first and re.fullmatch(r"[A-Za-z0-9_+#-]+", first):
                language, body = first, rest
            start = out.pos
            out.add(body)
            out.entity("pre", start, language=language)
            i = end + 3
            continue
        end = text.find(ch, i + 1)
        if end < 0:
            raise MarkupError(f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}")
        start = out.pos
        out.add(text[i + 1 : end])
        out.entity({"*": "bold", "_": "italic", "`": "code"}[ch], start)
        i = end + 1
    return out.result()


# --------------------------------------------------------------------------- MarkdownV2

_MD2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "blockquote": "BlockQuote",
}
_MD2_MARKERS = (("||", "spoiler"), ("__", "underline"), ("*", "bold"), ("_", "italic"), ("~", "strikethrough"))


def _parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[tuple[str, int, int]] = []  # (kind, utf16 start, source index)
    quote: tuple[int, int] | None = None
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        at_line_start = i == 0 or text[i - 1] == "\n"
        if at_line_start and ch == ">":
            if quote is None:
                quote = (out.pos, i)
            i += 1
            continue
        if ch == "\n" and quote is not None and not text.startswith(">", i + 1):
            out.entity("blockquote", quote[0])
            quote = None
        if ch == "\\":
            if i + 1 < n and 0 < ord(text[i + 1]) <= 126:
                out.add(text[i + 1])
                i += 2
                continue
            raise MarkupError("Character '\\' is reserved and must be escaped with the preceding '\\'")
        if ch == "`":
            is_pre = text.startswith("```", i)
            marker = "```" if is_pre else "`"
            j = i + len(marker)
            language = None
            if is_pre:
                first_end = text.find("\n", j)
                first = text[j:first_end] if first_end >= 0 else ""
                if first_end >= 0 and first and re.fullmatch(r"[A-Za-z0-9_+#-]+", first):
                    language, j = first, first_end + 1
            start = out.pos
            while True:
                if j >= n:
                    kind = "Pre" if is_pre else "Code"
                    raise MarkupError(f"Can't find end of {kind} entity at byte offset {_byte_offset(text, i)}")
                if text[j] == "\\" and j + 1 < n:
                    out.add(text[j + 1])
                    j += 2
                    continue
                if text.startswith(marker, j):
                    break
                out.add(text[j])
                j += 1
            out.entity("pre" if is_pre else "code", start, language=language)
            i = j + len(marker)
            continue
        if ch == "[":
            stack.append(("text_link", out.pos, i))
            i += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "text_link":
            _, start, src = stack.pop()
            if not text.startswith("(", i + 1):
                raise MarkupError(f"Can't find end of TextUrl entity at byte offset {_byte_offset(text, src)}")
            j, url_chars = i + 2, []
            while j < n and text[j] != ")":
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                url_chars.append(text[j])
                j += 1
            if j >= n:
                raise MarkupError(f"Can't find end of a URL at byte offset {_byte_offset(text, i + 1)}")
            kind, extra = _link_entity("".join(url_chars))
            out.entity(kind, start, **extra)
            i = j + 1
            continue
        for marker, kind in _MD2_MARKERS:
            if text.startswith(marker, i):
                if stack and stack[-1][0] == kind:
                    _, start, _src = stack.pop()
                    out.entity(kind, start)
                elif any(entry[0] == kind for entry in stack):
                    raise MarkupError(
                        f"Can't find end of {_MD2_NAMES[stack[-1][0]]} entity at byte offset "
                        f"{_byte_offset(text, stack[-1][2])}"
                    )
                else:
                    stack.append((kind, out.pos, i))
                i += len(marker)
                break
        else:
            if ch in _MD2_RESERVED:
                raise MarkupError(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
            out.add(ch)
            i += 1
    if stack:
        kind, _start, src = stack[-1]
        raise MarkupError(f"Can't find end of {_MD2_NAMES[kind]} entity at byte offset {_byte_offset(text, src)}")
    if quote is not None:
        out.entity("blockquote", quote[0])
    return out.result()


# --------------------------------------------------------------------------- HTML

_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}
_ATTR = re.compile(r"""\s*([A-Za-z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[tuple[str, int, dict[str, str], int]] = []  # (tag, utf16 start, attrs, source index)
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            end = text.find(";", i + 1, i + 12)
            if end > 0:
                decoded = html.unescape(text[i : end + 1])
                if decoded != text[i : end + 1]:
                    out.add(decoded)
                    i = end + 1
                    continue
            out.add(ch)
            i += 1
            continue
        if ch != "<":
            out.add(ch)
            i += 1
            continue
        close = text.find(">", i + 1)
        if close < 0:
            raise MarkupError(f"Unclosed start tag at byte offset {_byte_offset(text, i)}")
        inner = text[i + 1 : close]
        if inner.startswith("/"):
            name = inner[1:].strip().lower()
            if not stack:
                raise MarkupError(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
            tag, start, attrs, _src = stack[-1]
            if name != tag:
                raise MarkupError(
                    f'Unmatched end tag at byte offset {_byte_offset(text, i)}, expected "</{tag}>", found "</{name}>"'
                )
            stack.pop()
            _close_html_entity(out, tag, start, attrs, stack)
            i = close + 1
            continue
        match = re.match(r"([A-Za-z][A-Za-z0-9-]*)", inner)
        name = match.group(1).lower() if match else ""
        if name not in _HTML_SIMPLE:
            raise MarkupError(f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}')
        attrs = {}
        for m in _ATTR.finditer(inner[len(name) :]):
            if m.group(1):
                value = next((g for g in m.group(2, 3, 4) if g is not None), "")
                attrs[m.group(1).lower()] = html.unescape(value)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise MarkupError(f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, i)}')
        stack.append((name, out.pos, attrs, i))
        i = close + 1
    if stack:
        raise MarkupError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _close_html_entity(out: _Builder, tag: str, start: int, attrs: dict[str, str], stack: list) -> None:
    kind = _HTML_SIMPLE[tag]
    if kind == "text_link":
        href = attrs.get("href", "")
        if href:
            link_kind, extra = _link_entity(href)
            out.entity(link_kind, start, **extra)
        return
    if kind == "code":
        language = attrs.get("class", "")
        if stack and stack[-1][0] == "pre" and language.startswith("language-"):
            stack[-1][2]["language"] = language[len("language-") :]
            return
        if stack and stack[-1][0] == "pre":
            return
    if kind == "pre":
        out.entity("pre", start, language=attrs.get("language"))
        return
    if kind == "blockquote" and "expandable" in attrs:
        out.entity("expandable_blockquote", start)
        return
    if kind == "custom_emoji":
        out.entity("custom_emoji", start, custom_emoji_id=attrs.get("emoji-id"))
        return
    out.entity(kind, start)


# --------------------------------------------------------------------------- public functions


def parse(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Parse ``text`` in ``parse_mode`` (case-insensitive; empty means none).

    Returns the plain text and its entities. Raises :class:`MarkupError` with
    Telegram's wording, or ``ValueError("unsupported parse_mode")`` for an
    unknown mode.
    """
    mode = (parse_mode or "").strip().lower()
    if not mode:
        return text, []
    if mode == "markdown":
        return _parse_markdown(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "html":
        return _parse_html(text)
    raise ValueError("unsupported parse_mode")


_AUTO = re.compile(
    r"(?P<url>https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'])"
    r"|(?P<email>(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
    r"|(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/]))"
    r"|(?P<mention>(?<![\w@])@[A-Za-z0-9_]{4,32}(?!\w))"
    r"|(?P<hashtag>(?<![\w#])#\w*[^\W\d]\w*)"
    r"|(?P<cashtag>(?<![\w$])\$[A-Z]{3,8}(?![\w]))"
)


def detect_entities(text: str, existing: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Entities Telegram finds by itself (commands, mentions, hashtags, URLs, e-mails).

    Matches overlapping an existing ``code``, ``pre``, ``text_link`` or ``url``
    entity are skipped. Returns ``existing`` plus the found ones, sorted.
    """
    existing = list(existing or [])
    blocked = [
        (e["offset"], e["offset"] + e["length"])
        for e in existing
        if e["type"] in ("code", "pre", "text_link", "url", "email", "text_mention")
    ]
    found: list[dict[str, Any]] = []
    for match in _AUTO.finditer(text):
        kind = match.lastgroup or ""
        start = utf16_len(text[: match.start()])
        length = utf16_len(match.group(0))
        if any(start < end and begin < start + length for begin, end in blocked):
            continue
        found.append({"type": kind, "offset": start, "length": length})
    return sorted(existing + found, key=lambda e: (e["offset"], -e["length"]))


def strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace as Telegram does, shifting and clipping the entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    result = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def entities_text(text: str, entity: dict[str, Any]) -> str:
    """The part of ``text`` an entity covers (offsets in UTF-16 units)."""
    encoded = text.encode("utf-16-le")
    start, length = entity["offset"] * 2, entity["length"] * 2
    return encoded[start : start + length].decode("utf-16-le")
