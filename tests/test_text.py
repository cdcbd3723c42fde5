"""actorbot.text: entities back to HTML, MarkdownV2 and legacy Markdown."""

from __future__ import annotations

from typing import Any

import pytest

from actorbot.text import apply_entities_as_html, apply_entities_as_markdown, apply_entities_as_markdown_v2


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def entity(kind: str, text: str, part: str, occurrence: int = 0, **extra: Any) -> dict[str, Any]:
    """An entity over ``part`` of ``text`` with Telegram's UTF-16 offset and length."""
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(part, index + 1)
    return {"type": kind, "offset": utf16_len(text[:index]), "length": utf16_len(part), **extra}


ALL = (apply_entities_as_html, apply_entities_as_markdown_v2, apply_entities_as_markdown)


# -- UTF-16 offsets ---------------------------------------------------------------------


def test_emoji_before_an_entity() -> None:
    text = "👋🏽 hi Bob!"
    ents = [entity("bold", text, "Bob")]
    assert ents[0]["offset"] == 8  # two astral characters (4 code units) + " hi "
    assert apply_entities_as_html(text, ents) == "👋🏽 hi <b>Bob</b>!"
    assert apply_entities_as_markdown_v2(text, ents) == "👋🏽 hi *Bob*\\!"
    assert apply_entities_as_markdown(text, ents) == "👋🏽 hi *Bob*!"


def test_emoji_inside_an_entity_and_after_it() -> None:
    text = "go 🚀🚀 now 🎉 end"
    ents = [entity("italic", text, "🚀🚀 now"), entity("bold", text, "end")]
    assert apply_entities_as_html(text, ents) == "go <i>🚀🚀 now</i> 🎉 <b>end</b>"
    assert apply_entities_as_markdown_v2(text, ents) == "go _🚀🚀 now_ 🎉 *end*"


def test_entity_on_exactly_one_astral_character() -> None:
    text = "a😀b"
    ents = [{"type": "custom_emoji", "offset": 1, "length": 2, "custom_emoji_id": "5368324170671202286"}]
    assert apply_entities_as_html(text, ents) == 'a<tg-emoji emoji-id="5368324170671202286">😀</tg-emoji>b'
    assert apply_entities_as_markdown_v2(text, ents) == "a![😀](tg://emoji?id=5368324170671202286)b"
    assert apply_entities_as_markdown(text, ents) == "a😀b"  # legacy Markdown cannot say it


def test_an_offset_inside_a_surrogate_pair_is_rounded_outwards() -> None:
    text = "x😀y"
    assert apply_entities_as_html(text, [{"type": "bold", "offset": 2, "length": 1}]) == "x<b>😀</b>y"


def test_entities_out_of_range_or_empty_are_ignored() -> None:
    text = "abc"
    ents = [{"type": "bold", "offset": 1, "length": 0}, {"type": "italic", "offset": 2, "length": 99},
            {"type": "bold"}]
    assert apply_entities_as_html(text, ents) == "ab<i>c</i>"
    for fn in ALL:
        assert fn(text, None) == "abc"
        assert fn("", []) == ""


# -- nesting ----------------------------------------------------------------------------


def test_nested_entities() -> None:
    text = "bold italic link end"
    ents = [
        entity("bold", text, "bold italic link"),
        entity("italic", text, "italic link"),
        entity("text_link", text, "link", url="https://example.org/a_b"),
    ]
    assert apply_entities_as_html(text, ents) == (
        '<b>bold <i>italic <a href="https://example.org/a_b">link</a></i></b> end')
    assert apply_entities_as_markdown_v2(text, ents) == (
        "*bold _italic [link](https://example.org/a_b)_* end")
    # legacy Markdown cannot nest: the outermost entity only
    assert apply_entities_as_markdown(text, ents) == "*bold italic link* end"


def test_order_of_the_entity_list_does_not_matter() -> None:
    text = "one two three"
    ents = [entity("italic", text, "two"), entity("bold", text, "one two three"), entity("code", text, "one")]
    expected = "<b><code>one</code> <i>two</i> three</b>"
    assert apply_entities_as_html(text, ents) == expected
    assert apply_entities_as_html(text, list(reversed(ents))) == expected


def test_same_range_keeps_the_given_order() -> None:
    text = "both"
    ents = [entity("bold", text, "both"), entity("underline", text, "both")]
    assert apply_entities_as_html(text, ents) == "<b><u>both</u></b>"


def test_partially_overlapping_entities_are_split() -> None:
    text = "abcdef"
    ents = [{"type": "bold", "offset": 0, "length": 4}, {"type": "italic", "offset": 2, "length": 4}]
    assert apply_entities_as_html(text, ents) == "<b>ab<i>cd</i></b><i>ef</i>"


def test_entities_inside_code_are_ignored() -> None:
    text = "x = a*b"
    ents = [entity("code", text, "x = a*b"), entity("bold", text, "a*b")]
    assert apply_entities_as_html(text, ents) == "<code>x = a*b</code>"
    assert apply_entities_as_markdown_v2(text, ents) == "`x = a*b`"


def test_italic_and_underline_markers_are_kept_apart() -> None:
    text = "iu"
    ents = [{"type": "underline", "offset": 0, "length": 2}, {"type": "italic", "offset": 0, "length": 2}]
    assert apply_entities_as_markdown_v2(text, ents) == "__**_iu_**__"


# -- escaping ---------------------------------------------------------------------------


def test_html_escapes_everywhere() -> None:
    text = "a<b & c>d \"q\""
    ents = [entity("bold", text, "<b & c>"), entity("text_link", text, '"q"', url='https://x.org/?a=1&b="2"')]
    assert apply_entities_as_html(text, ents) == (
        'a<b>&lt;b &amp; c&gt;</b>d <a href="https://x.org/?a=1&amp;b=&quot;2&quot;">"q"</a>')


def test_markdown_v2_escapes_every_reserved_character() -> None:
    reserved = "_*[]()~`>#+-=|{}.!\\"
    assert apply_entities_as_markdown_v2(reserved, []) == "".join("\\" + c for c in reserved)
    text = "1+1=2. ok"
    assert apply_entities_as_markdown_v2(text, [entity("bold", text, "1+1=2.")]) == "*1\\+1\\=2\\.* ok"


def test_markdown_v2_code_and_link_targets() -> None:
    text = "run `ls \\tmp` or see docs"
    ents = [entity("code", text, "`ls \\tmp`"), entity("text_link", text, "docs", url="https://e.org/x_(y)\\z")]
    assert apply_entities_as_markdown_v2(text, ents) == (
        "run `\\`ls \\\\tmp\\`` or see [docs](https://e.org/x_(y\\)\\\\z)")


def test_legacy_markdown_escapes_outside_and_reopens_inside() -> None:
    text = "2*2=4 and snake_case and [x] `q`"
    ents = [entity("bold", text, "2*2=4"), entity("italic", text, "snake_case"), entity("code", text, "`q`")]
    assert apply_entities_as_markdown(text, ents) == (
        "*2*\\**2=4* and _snake_\\__case_ and \\[x] \\``q`\\`")


def test_legacy_markdown_link_with_bracket_and_parenthesis() -> None:
    text = "see [1] here"
    ents = [entity("text_link", text, "[1]", url="https://e.org/a_(b)")]
    assert apply_entities_as_markdown(text, ents) == "see [[1](https://e.org/a_(b%29)] here"


# -- every entity type ------------------------------------------------------------------


def test_pre_with_and_without_language() -> None:
    text = "code:\nprint('<hi>')\nend"
    with_lang = [entity("pre", text, "print('<hi>')", language="python")]
    plain = [entity("pre", text, "print('<hi>')")]
    assert apply_entities_as_html(text, with_lang) == (
        'code:\n<pre><code class="language-python">print(\'&lt;hi&gt;\')</code></pre>\nend')
    assert apply_entities_as_html(text, plain) == "code:\n<pre>print('&lt;hi&gt;')</pre>\nend"
    assert apply_entities_as_markdown_v2(text, with_lang) == "code:\n```python\nprint('<hi>')```\nend"
    assert apply_entities_as_markdown_v2(text, plain) == "code:\n```\nprint('<hi>')```\nend"
    assert apply_entities_as_markdown(text, with_lang) == "code:\n```python\nprint('<hi>')```\nend"


def test_text_mention_with_dict_and_namedtuple_entities() -> None:
    from actorbot.namedtuple import MessageEntity, User

    text = "hi Ann"
    raw = entity("text_mention", text, "Ann", user={"id": 77, "is_bot": False, "first_name": "Ann"})
    for ents in ([raw], [MessageEntity(**raw)],
                 [MessageEntity(type="text_mention", offset=3, length=3, user=User(id=77))]):
        assert apply_entities_as_html(text, ents) == 'hi <a href="tg://user?id=77">Ann</a>'
        assert apply_entities_as_markdown_v2(text, ents) == "hi [Ann](tg://user?id=77)"
        assert apply_entities_as_markdown(text, ents) == "hi [Ann](tg://user?id=77)"


@pytest.mark.parametrize("kind,html,v2", [
    ("bold", "<b>x</b>", "*x*"),
    ("italic", "<i>x</i>", "_x_"),
    ("underline", "<u>x</u>", "__x__"),
    ("strikethrough", "<s>x</s>", "~x~"),
    ("spoiler", "<tg-spoiler>x</tg-spoiler>", "||x||"),
    ("code", "<code>x</code>", "`x`"),
    ("mention", "x", "x"),
    ("hashtag", "x", "x"),
    ("url", "x", "x"),
])
def test_simple_entity_types(kind: str, html: str, v2: str) -> None:
    ents = [{"type": kind, "offset": 0, "length": 1}]
    assert apply_entities_as_html("x", ents) == html
    assert apply_entities_as_markdown_v2("x", ents) == v2


def test_blockquotes() -> None:
    text = "said:\nline one\nline two.\nafter"
    quote = [entity("blockquote", text, "line one\nline two.")]
    expandable = [entity("expandable_blockquote", text, "line one\nline two.")]
    assert apply_entities_as_html(text, quote) == "said:\n<blockquote>line one\nline two.</blockquote>\nafter"
    assert apply_entities_as_html(text, expandable) == (
        "said:\n<blockquote expandable>line one\nline two.</blockquote>\nafter")
    assert apply_entities_as_markdown_v2(text, quote) == "said:\n>line one\n>line two\\.\nafter"
    assert apply_entities_as_markdown_v2(text, expandable) == "said:\n**>line one\n>line two\\.||\nafter"
    assert apply_entities_as_markdown(text, quote) == text


def test_date_time() -> None:
    text = "meet at 22:45 tomorrow"
    with_format = [entity("date_time", text, "22:45 tomorrow", unix_time=1647531900, date_time_format="wDT")]
    without = [entity("date_time", text, "22:45 tomorrow", unix_time=1647531900)]
    assert apply_entities_as_html(text, with_format) == (
        'meet at <tg-time unix="1647531900" format="wDT">22:45 tomorrow</tg-time>')
    assert apply_entities_as_html(text, without) == 'meet at <tg-time unix="1647531900">22:45 tomorrow</tg-time>'
    assert apply_entities_as_markdown_v2(text, with_format) == (
        "meet at ![22:45 tomorrow](tg://time?unix=1647531900&format=wDT)")
    assert apply_entities_as_markdown_v2(text, without) == "meet at ![22:45 tomorrow](tg://time?unix=1647531900)"
    assert apply_entities_as_markdown(text, with_format) == text


def test_legacy_markdown_escapes_unsupported_entities_as_plain_text() -> None:
    text = "a_b c*d"
    ents = [entity("underline", text, "a_b"), entity("spoiler", text, "c*d")]
    assert apply_entities_as_markdown(text, ents) == "a\\_b c\\*d"
