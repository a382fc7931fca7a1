"""A webmention's source as other blogs publish it: the entry that answers the essay, its author
(never their photo), its words and its kind."""

from datetime import UTC, datetime

import pytest
from other_sites import fixture
from pelican.plugins.reflections.elsewhere.fetch import Fetched
from pelican.plugins.reflections.elsewhere.remote import Unreadable, normalised
from pelican.plugins.reflections.elsewhere.webmention import links_to, read

TARGET = "https://site.example/essays/learning-to-stay/"


def page(html: str, url: str = "https://blog.example/post/") -> Fetched:
    return Fetched(url, 200, "text/html", html, {})


def test_a_wordpress_reply():
    source = "https://hill.example/2026/03/re-learning-to-stay/"
    remote = read(
        page(fixture("reply-wordpress.html", target=TARGET, words="Thank you."), source), source, TARGET
    )
    assert (remote.kind, remote.name, remote.website) == (
        "reply",
        "Marit Hollis",
        "https://hill.example/author/marit/",
    )
    assert remote.published == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    assert "I wrote back to my sister that evening." in remote.text and "Thank you." in remote.text
    assert "gravatar" not in remote.text and "table.jpg" not in remote.text  # no image, no photo


def test_a_reply_among_other_entries_with_the_author_as_the_page_s_card():
    source = "https://ade.example/2026/03/04/a-note.html"
    html = fixture("reply-microblog.html", home="https://ade.example/", target=TARGET, words="It helped.")
    remote = read(page(html, source), source, TARGET)
    assert (remote.kind, remote.name, remote.website) == ("reply", "Ade Okafor", "https://ade.example/")
    assert "It helped." in remote.text and "older note" not in remote.text


def test_a_like_and_a_plain_mention():
    like = read(
        page(fixture("like.html", home="https://jo.example/", target=TARGET)), "https://jo.example/l", TARGET
    )
    assert like.kind == "like"
    plain = read(page(fixture("mention-plain.html", target=TARGET)), "https://links.example/sunday", TARGET)
    assert (plain.kind, plain.text, plain.name) == ("mention", "Links for a Sunday", "")


def test_a_page_that_does_not_link_to_the_essay_is_not_a_mention():
    with pytest.raises(Unreadable, match="does not link to the essay"):
        read(
            page('<a href="https://site.example/essays/another/">x</a>'), "https://blog.example/post/", TARGET
        )


def test_a_relative_link_and_a_link_without_its_slash_count():
    assert links_to('<a href="/essays/learning-to-stay">x</a>', "https://site.example/blog/", TARGET)
    assert links_to(
        '<a href="https://SITE.example:443/essays/learning-to-stay/#r-1">x</a>', "https://b.example/", TARGET
    )
    assert not links_to(
        '<a href="https://site.example/essays/learning-to-stay-more/">x</a>', "https://b.example/", TARGET
    )
    assert links_to(
        '<![><p>a malformed declaration</p><a href="' + TARGET + '">x</a>', "https://b.example/", TARGET
    )  # malformed markup


def test_addresses_compare_as_the_same_page():
    assert normalised("HTTP://Example.org:80/a/index.html#top") == normalised("http://example.org/a/")
    assert normalised("https://example.org/a?x=1") != normalised("https://example.org/a?x=2")
