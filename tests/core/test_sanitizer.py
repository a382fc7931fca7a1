"""The one sanitizer: hostile reader text, in every form the project renders it, comes out inert."""

import html5lib
import pytest
from conftest import HOSTILE, corpus_payloads
from pelican.plugins.reflections.core.sanitizer import (
    MAX_NESTING,
    MAX_SOURCE_CHARS,
    TooLong,
    nesting_depth,
    sanitize,
)

ALLOWED = {"p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "pre", "hr"}


def assert_inert(html: str) -> None:
    fragment = html5lib.parseFragment(html, namespaceHTMLElements=False)
    for element in fragment.iter():
        if not isinstance(element.tag, str) or element.tag == "DOCUMENT_FRAGMENT":
            continue
        assert element.tag in ALLOWED, (element.tag, html)
        for name, value in element.attrib.items():
            assert name in ("href", "rel"), (name, html)
            if name == "href":
                assert value.split(":", 1)[0].lower() in ("http", "https", "mailto"), (value, html)


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_input_comes_out_inert(payload):
    assert_inert(sanitize(payload))


def test_raw_html_shows_as_text():
    assert sanitize("<b>bold</b> & <i>x</i>") == "<p>&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;x&lt;/i&gt;</p>"


def test_template_syntax_and_pelican_placeholders_stay_plain_text():
    html = sanitize("{{ 7 * 7 }} and [a]({filename}/x.md)")
    assert "{{ 7 * 7 }}" in html and "49" not in html
    assert 'href="{filename}' not in html


def test_markdown_that_readers_use_is_kept():
    html = sanitize(
        "*soft* **strong** `code`\nnext line\n\n> quoted\n\n- one\n- two\n\n1. first\n\n```\nblock\n```\n"
    )
    for fragment in (
        "<em>soft</em>",
        "<strong>strong</strong>",
        "<code>code</code>",
        "<br>",
        "<blockquote>",
        "<ul>",
        "<ol>",
        "<pre><code>block",
    ):
        assert fragment in html, fragment


def test_links_are_http_https_or_mailto_with_rel():
    html = sanitize("[site](https://example.org) and http://example.net/x and [m](mailto:a@b.org)")
    assert html.count('rel="nofollow ugc noopener"') == 3
    assert 'href="https://example.org"' in html and 'href="http://example.net/x"' in html


def test_images_are_never_loaded():
    assert "<img" not in sanitize("![a picture](https://example.org/x.png)")


def test_headings_do_not_become_page_headings():
    assert "<h1" not in sanitize("# A heading\n\nSetext\n======")


def test_text_over_the_limit_is_refused():
    with pytest.raises(TooLong):
        sanitize("x" * (MAX_SOURCE_CHARS + 1))


@pytest.mark.parametrize(
    "hostile",
    [
        "[" * 5000 + "x" + "]" * 5000,
        "> " * 3000 + "deep",
        "".join("  " * n + "- x\n" for n in range(60)),
        "(" * 8000,
        "[a](" * 3000,
    ],
)
def test_deep_nesting_is_shown_as_plain_text_not_parsed(hostile):
    assert nesting_depth(hostile) > MAX_NESTING
    html = sanitize(hostile)
    assert_inert(html)
    assert "<blockquote>" not in html and "<li>" not in html


def test_every_public_corpus_payload_comes_out_inert():
    payloads = corpus_payloads()
    assert len(payloads) > 6000
    for payload in payloads:
        assert_inert(sanitize(payload))


def test_sanitizing_from_many_threads_gives_the_single_threaded_results():
    """One reader's words never come out under another's: the service sanitizes from the event
    loop, the threadpool and the watcher at once."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [
        f"Reader {n} wrote this.\n\n> a quote of {n}\n\n* item {n}\n* [link](https://example.org/{n})\n\n"
        + f"*emphasis {n}* and `code {n}`\n" * 20
        for n in range(8)
    ]
    expected = [str(sanitize(text)) for text in texts]

    def many(n: int) -> list[str]:
        return [str(sanitize(texts[n])) for _ in range(150)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(many, range(8)))
    wrong = sum(result != expected[n] for n, runs in enumerate(results) for result in runs)
    assert wrong == 0, f"{wrong} of {8 * 150} results held another text"


def _reference(text: str) -> str:
    """The sanitizer's result the long way: Markdown, then the allowlist with the linkifier."""
    from pelican.plugins.reflections.core import sanitizer

    converter, cleaner, _quiet, _url = sanitizer._make_tools()
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if nesting_depth(text) > MAX_NESTING:
        html = sanitizer._plain_paragraphs(text)
    else:
        html = converter.convert(text)
    return cleaner.clean(html)


def _prose(rng) -> str:
    words = [
        "the",
        "kettle",
        "Ana's",
        "Åsa",
        "naïve",
        "café",
        "جدة",
        "мама",
        "2024",
        "x1",
        "it's",
        "example.org",
    ]
    marks = [" ", " ", " ", ", ", ". ", "; ", ": ", "! ", "? ", "'", '"', "’", "“", "”", " — ", " – ", "…"]
    lines = []
    for _ in range(rng.randint(1, 6)):
        line = "".join(rng.choice(words) + rng.choice(marks) for _ in range(rng.randint(1, 12))).strip(" ")
        lines.append(line)
        lines += [""] * rng.choice([0, 0, 1, 2])
    return "\n" * rng.choice([0, 1]) + "\n".join(lines) + "\n" * rng.choice([0, 1, 2])


def test_plain_prose_takes_a_shorter_way_to_the_same_html():
    """Plain prose skips Markdown (and, without an address, the linkifier): the result is the one
    the long way gives, on thousands of texts, some plain and some only nearly so."""
    import random

    from pelican.plugins.reflections.core.sanitizer import is_plain

    rng = random.Random(2026)
    texts = [_prose(rng) for _ in range(3000)]
    nearly = [
        "A line\n  indented",
        "1. a list",
        "a_b",
        "end  \nnext",
        "*em*",
        "a\n===",
        "- item",
        "Tab\there",
    ]
    texts += nearly + [f"{text}\n{extra}" for text, extra in zip(texts[:200], nearly * 25, strict=True)]
    texts += ["", "\n\n", "One.", "Visit example.org today.", "mail ana@example.org", "Ana\n\n\n\nBo"]
    plain = sum(is_plain(text) for text in texts)
    assert plain > 2000 and len(texts) - plain > 200  # both ways really are taken
    for text in texts:
        assert str(sanitize(text)) == _reference(text), repr(text)


def test_every_public_corpus_payload_gives_what_the_long_way_gives():
    for payload in corpus_payloads():
        if len(payload) <= MAX_SOURCE_CHARS:
            assert str(sanitize(payload)) == _reference(payload), repr(payload[:80])
