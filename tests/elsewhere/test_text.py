"""HTML and plain text from elsewhere made into reader text: the words kept, every character of
theirs escaped, and on the whole public XSS corpus nothing but the sanitizer's allowlist comes out."""

import re

import html5lib
import pytest
from conftest import HOSTILE, corpus_payloads
from pelican.plugins.reflections.core import sanitizer
from pelican.plugins.reflections.core.lengths import MAX_BODY
from pelican.plugins.reflections.elsewhere.text import from_html, from_plain

LINK = re.compile(r"^(https?|mailto):", re.IGNORECASE)


def only_the_allowlist(html: str) -> list[str]:
    """What in sanitized HTML the allowlist does not allow (nothing, for a safe text)."""
    wrong = []
    for element in html5lib.parse(f"<div>{html}</div>", namespaceHTMLElements=False).iter():
        if element.tag in ("html", "head", "body", "div") or not isinstance(element.tag, str):
            continue
        if element.tag not in sanitizer.ALLOWED_TAGS:
            wrong.append(f"<{element.tag}>")
        for name, value in element.attrib.items():
            if name not in sanitizer.ALLOWED_ATTRIBUTES.get(element.tag, ()):
                wrong.append(f"{element.tag}[{name}]")
            elif name == "href" and not LINK.match(value):
                wrong.append(f"href={value}")
    return wrong


def test_a_mastodon_post_keeps_its_words_mentions_and_links():
    html = (
        '<p><span class="h-card"><a href="https://m.example/@bob" class="u-url mention">@<span>bob</span></a>'
        '</span> Thank you. <a href="https://example.org/notes/long/path"><span class="invisible">https://'
        '</span><span class="ellipsis">example.org/notes/long</span><span class="invisible">/path</span></a>'
        " :heart_cat:</p><p>Line one<br>line two</p>"
    )
    text, shortened = from_html(html)
    assert not shortened
    shown = sanitizer.sanitize(text)
    assert '<a href="https://m.example/@bob" rel="nofollow ugc noopener">@bob</a> Thank you.' in shown
    assert '<a href="https://example.org/notes/long/path" rel="nofollow ugc noopener">' in shown
    assert ":heart_cat:" in shown  # a custom emoji stays its shortcode: no image is loaded
    assert "<p>Line one<br>\nline two</p>" in shown


def test_what_would_be_markdown_stays_words():
    text, _ = from_html("<p># not a heading</p><p>1. not a list</p><p>*not* _emphasis_ [not](a link)</p>")
    shown = sanitizer.sanitize(text)
    assert "<h1>" not in shown and "<ol>" not in shown and "<em>" not in shown
    assert (
        "# not a heading" in shown and "1. not a list" in shown and "*not* _emphasis_ [not](a link)" in shown
    )
    assert (
        sanitizer.plain_text(sanitizer.sanitize(from_plain("<b>bold</b> & *stars*")[0]))
        == "<b>bold</b> & *stars*"
    )


def test_what_a_reader_cannot_type_is_dropped_with_its_words():
    text, _ = from_html(
        '<div><script>alert("x")</script><style>p{}</style><img src="https://t.example/p.gif" alt="x">'
        '<iframe src="https://e.example"></iframe><p>kept</p><a href="javascript:alert(1)">words</a></div>'
    )
    shown = sanitizer.sanitize(text)
    assert (
        "alert" not in shown and "p{}" not in shown and "t.example" not in shown and "e.example" not in shown
    )
    assert "<p>kept</p>" in shown and "<p>words</p>" in shown  # a link's words without its bad address


def test_a_long_reply_is_cut_at_a_word_and_says_so():
    text, shortened = from_html("<p>" + "word " * 5000 + "</p>")
    assert shortened and len(text) <= MAX_BODY and text.endswith("word…")


@pytest.mark.parametrize("convert", [from_html, from_plain], ids=["html", "plain"])
def test_no_payload_of_the_corpus_comes_out_as_markup(convert):
    payloads = list(HOSTILE) + corpus_payloads()
    assert len(payloads) > 600
    wrong = {}
    for payload in payloads:
        html = str(sanitizer.sanitize(convert(payload)[0]))
        found = only_the_allowlist(html)
        if convert is from_plain:  # plain text: not even a link of its own
            found += [f"<{tag}>" for tag in re.findall(r"<(\w+)", html) if tag not in ("p", "br", "a")]
        if found:
            wrong[payload] = found
    assert wrong == {}
