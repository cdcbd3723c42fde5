"""parse_mode: entities in UTF-16 units, markup stripped, parse errors in Telegram's words."""

from __future__ import annotations

import pytest

from actorbot.emulator import MarkupError, parse_markup


def _sent(api, alice, text, mode):
    return api.ok("sendMessage", chat_id=alice.id, text=text, parse_mode=mode)


def test_markdown_entities_in_utf16(api, alice):
    msg = _sent(api, alice, "😀 *bold* _it_ `code` [link](http://example.com)", "Markdown")
    assert msg["text"] == "😀 bold it code link"
    assert msg["entities"] == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "italic", "offset": 8, "length": 2},
        {"type": "code", "offset": 11, "length": 4},
        {"type": "text_link", "offset": 16, "length": 4, "url": "http://example.com"},
    ]


def test_markdown_v2_nesting_and_escapes(api, alice):
    msg = _sent(api, alice, "*bold _both_* __u__ ~s~ ||sp|| 1\\.5 ```py\nx = 1```", "MarkdownV2")
    assert msg["text"] == "bold both u s sp 1.5 x = 1"
    assert msg["entities"] == [
        {"type": "bold", "offset": 0, "length": 9},
        {"type": "italic", "offset": 5, "length": 4},
        {"type": "underline", "offset": 10, "length": 1},
        {"type": "strikethrough", "offset": 12, "length": 1},
        {"type": "spoiler", "offset": 14, "length": 2},
        {"type": "pre", "offset": 21, "length": 5, "language": "py"},
    ]


def test_html_entities_and_escapes(api, alice):
    html = ('<b>a<i>b</i></b> &lt;tag&gt; <a href="tg://user?id=5">you</a> '
            '<pre><code class="language-go">go</code></pre>')
    msg = _sent(api, alice, html, "HTML")
    assert msg["text"] == "ab <tag> you go"
    assert msg["entities"][0] == {"type": "bold", "offset": 0, "length": 2}
    assert msg["entities"][1] == {"type": "italic", "offset": 1, "length": 1}
    assert msg["entities"][2]["type"] == "text_mention" and msg["entities"][2]["user"]["id"] == 5
    assert msg["entities"][3] == {"type": "pre", "offset": 13, "length": 2, "language": "go"}


def test_auto_detected_entities(api, alice):
    msg = api.ok("sendMessage", chat_id=alice.id, text="/help @someone #tag https://x.org")
    assert [e["type"] for e in msg["entities"]] == ["bot_command", "mention", "hashtag", "url"]


@pytest.mark.parametrize(("text", "mode", "error"), [
    ("*open", "Markdown", "Can't find end of the entity starting at byte offset 0"),
    ("1.5", "MarkdownV2", "Character '.' is reserved and must be escaped with the preceding '\\'"),
    ("é *x", "MarkdownV2", "Can't find end of Bold entity at byte offset 3"),
    ("<b>x", "HTML", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<x>y</x>", "HTML", 'Unsupported start tag "x" at byte offset 0'),
    ("<b>x</i>", "HTML", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
])
def test_parse_errors(api, alice, text, mode, error):
    assert api.error("sendMessage", chat_id=alice.id, text=text, parse_mode=mode) == (
        400, f"Bad Request: can't parse entities: {error}")
    with pytest.raises(MarkupError):
        parse_markup(text, mode)


def test_markup_in_transcript_is_plain(api, alice):
    _sent(api, alice, "<b>Hi!</b>", "HTML")
    assert alice.chat.text() == "bot: Hi!"
