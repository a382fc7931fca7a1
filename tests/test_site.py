"""The real content built with the real settings: every page there, parsed, linked and small."""

import json
import re
import xml.etree.ElementTree as ET

import feedparser
import html5lib
import pytest
from conftest import essay_slugs, output_pages
from links import broken_links, parse

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
SERVICE = "/reflections/"  # answered by the reflections service, not by a file in output/
PUBLISHED_URL = "https://withness.example"


def test_every_essay_has_its_page(site):
    slugs = essay_slugs()
    assert len(slugs) >= 5
    for slug in slugs:
        page = site / "essays" / slug / "index.html"
        assert page.exists(), slug
        assert "A question to sit with" in page.read_text(encoding="utf-8")


def test_site_has_its_list_pages_feeds_and_sitemap(site):
    for path in (
        "index.html",
        "archives/index.html",
        "tags/index.html",
        "categories/index.html",
        "category/belonging/index.html",
        "tag/grief/index.html",
        "about/index.html",
        "404.html",
        "feeds/all.atom.xml",
        "feeds/category/healing.atom.xml",
        "feeds/tag/friendship.atom.xml",
        "sitemap.xml",
        "robots.txt",
    ):
        assert (site / path).is_file(), path


def test_every_internal_link_and_asset_resolves(site):
    assert broken_links(site) == []


def test_every_page_is_valid_html_with_one_h1_lang_and_title(site):
    for page in output_pages(site):
        text = page.read_text(encoding="utf-8")
        html5lib.HTMLParser(strict=True).parse(text)  # raises on any parse error
        assert len(re.findall(r"<h1[\s>]", text)) == 1, page
        assert re.search(r'<html lang="[a-z]{2}', text), page
        assert re.search(r"<title>[^<]+</title>", text), page
        # Locally (relative addresses) no canonical link: a relative one is one search engines reject.
        assert 'rel="canonical"' not in text, page


def test_the_only_script_is_the_optional_reply_helper(site):
    for page in output_pages(site):
        text = page.read_text(encoding="utf-8")
        executable = re.findall(r"<script(?![^>]*application/ld\+json)[^>]*>", text)
        assert executable in ([], ['<script src="../../withness/reflect.js" defer>']), page


def test_json_ld_carries_the_essays_title_and_date(site):
    page = site / "essays" / "the-kitchen-table" / "index.html"
    [block] = [text for kind, text in parse(page).scripts if kind == "application/ld+json"]
    data = json.loads(block)
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == "The Kitchen Table"
    assert data["datePublished"].startswith("2026-03-14T08:30:00")
    assert data["dateModified"].startswith("2026-03-20T19:10:00")
    assert data["wordCount"] > 800


def test_essay_page_shows_what_a_reader_needs(site):
    text = (site / "essays" / "learning-to-stay" / "index.html").read_text(encoding="utf-8")
    assert '<time datetime="2026-04-22T07:45:00' in text
    assert re.search(r"· \d+ min read", text)
    assert 'href="#the-urge-to-fix"' in text  # heading anchors
    assert 'rel="prev"' in text and 'rel="next"' in text
    assert 'rel="tag"' in text
    assert 'property="og:title" content="Learning to Stay"' in text
    assert 'type="application/atom+xml"' in text


def test_essay_page_with_its_css_is_under_40_kb(site):
    css = sum(path.stat().st_size for path in (site / "theme" / "css").glob("*.css"))
    for page in (site / "essays").glob("*/index.html"):
        assert page.stat().st_size + css <= 40 * 1024, page


def test_index_lists_essays_newest_first_with_reading_time(site):
    text = (site / "index.html").read_text(encoding="utf-8")
    titles = re.findall(r'<h2 id="card-[^"]+"><a href="[^"]+">([^<]+)</a>', text)
    assert titles[0] == "Small Rooms, Open Doors"
    assert titles[-1] == "The Kitchen Table"
    assert "min read" in text


def test_published_site_uses_absolute_urls(published_site):
    for page in output_pages(published_site):
        for url in parse(page).urls:
            if url.startswith(("#", "mailto:", SERVICE)):  # same page, or the service on the same host
                continue
            assert url.startswith(PUBLISHED_URL + "/"), (page, url)


@pytest.mark.parametrize(
    "feed",
    [
        "feeds/all.atom.xml",
        "feeds/all.rss.xml",
        "feeds/category/healing.atom.xml",
        "feeds/category/healing.rss.xml",
        "feeds/tag/friendship.atom.xml",
        "feeds/tag/friendship.rss.xml",
    ],
)
def test_published_feeds_parse(published_site, feed):
    parsed = feedparser.parse((published_site / feed).read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.entries
    for entry in parsed.entries:
        assert entry.link.startswith(PUBLISHED_URL + "/essays/")


def test_published_sitemap_lists_every_essay(published_site):
    root = ET.parse(published_site / "sitemap.xml").getroot()
    locations = {loc.text for loc in root.findall("s:url/s:loc", SITEMAP_NS)}
    for slug in essay_slugs():
        assert f"{PUBLISHED_URL}/essays/{slug}/" in locations
    robots = (published_site / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {PUBLISHED_URL}/sitemap.xml" in robots


def test_published_pages_have_an_absolute_canonical_link_and_local_ones_none(site, published_site):
    for page in output_pages(published_site):
        text = page.read_text(encoding="utf-8")
        if "<html" in text:
            assert re.search(rf'<link rel="canonical" href="{re.escape(PUBLISHED_URL)}/[^"]*">', text), page
    assert "Sitemap:" not in (site / "robots.txt").read_text(encoding="utf-8")
