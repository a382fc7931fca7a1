"""Published reflections in a real build: the page, counts, feeds, JSON-LD and named errors."""

import json
import random
import re
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from conftest import build_site, copy_site
from pelican.plugins.reflections.core import published
from pelican.plugins.reflections.core.published import PublishedItem

ESSAY = "learning-to-stay"
START = datetime(2026, 5, 1, 9, tzinfo=UTC)
HOSTILE_NAME = '</script><script>window.__pwn=1</script>"><img src=x onerror=alert(1)>'


def item(number, parent=None, kind="reflection", essay=ESSAY, **fields) -> PublishedItem:
    values = dict(
        id=f"01JR{number:022d}",
        essay=essay,
        kind=kind,
        date=START + timedelta(hours=number),
        body=f"Reflection number {number}.",
        author=f"Reader {number}",
        parent=f"01JR{parent:022d}" if parent else "",
    )
    return PublishedItem(**{**values, **fields})


@pytest.fixture
def fixture_site(tmp_path):
    root = copy_site(tmp_path / "site")
    shutil.rmtree(root / "content" / "reflections")
    return root


def publish(root, *items):
    for each in items:
        published.write(root / "content" / "reflections", each)


def build(root, **extra):
    return build_site(root / "pelicanconf.py", root / "output", root / "cache", cwd=root, extra=extra)


def page(root, slug=ESSAY):
    return (root / "output" / "essays" / slug / "index.html").read_text(encoding="utf-8")


def json_ld(html):
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))


def test_no_reflections_yet(fixture_site):
    assert build(fixture_site).returncode == 0
    html = page(fixture_site)
    assert '<h2 id="reflections-heading">No reflections yet</h2>' in html
    assert 'id="reflect"' in html


def test_thread_is_nested_with_the_right_heading(fixture_site):
    publish(
        fixture_site,
        item(1),
        item(2, parent=1, kind="comment"),
        item(3, parent=2, kind="comment"),
        item(4, parent=1, kind="response", author="Ana Lindqvist", body="Thank you for this."),
        item(5),
    )
    assert build(fixture_site).returncode == 0
    html = page(fixture_site)
    assert "4 reflections on “Learning to Stay”" in html
    ids = re.findall(r'<article class="reflection[^"]*" id="r-01JR0+(\d+)"', html)
    assert ids == ["1", "4", "2", "3", "5"]
    # Reply 3 sits in the replies of 2, which sit in the replies of 1.
    position = {n: html.index(f'id="r-01JR{n:022d}"') for n in (1, 2, 3, 5)}
    replies = [m.start() for m in re.finditer('<ol class="replies">', html)]
    closes = [m.start() for m in re.finditer("</ol>", html)]
    assert len(replies) == 2
    assert position[1] < replies[0] < position[2] < replies[1] < position[3] < closes[0] < position[5]
    assert "Author’s response" in html


def test_one_reflection_is_singular(fixture_site):
    publish(fixture_site, item(1))
    assert build(fixture_site).returncode == 0
    assert "1 reflection on “Learning to Stay”" in page(fixture_site)


def test_deep_thread_stops_at_the_configured_depth(fixture_site):
    publish(fixture_site, item(1), *[item(n, parent=n - 1, kind="comment") for n in range(2, 8)])
    assert build(fixture_site, REFLECTIONS_MAX_DEPTH=3, REFLECTIONS_FOLD_REPLIES=0).returncode == 0
    html = page(fixture_site)
    assert html.count('<ol class="replies">') == 2
    assert "in reply to <bdi>Reader 6</bdi>" in html and "depth-4" not in html


def test_orphan_reply_is_shown_with_a_note(fixture_site):
    publish(fixture_site, item(1, parent=99, kind="comment"))
    assert build(fixture_site).returncode == 0
    assert "In reply to something that is no longer here." in page(fixture_site)


def test_content_note_folds_the_body(fixture_site):
    publish(fixture_site, item(1, content_note="grief <b>and</b> loss"))
    assert build(fixture_site).returncode == 0
    html = page(fixture_site)
    assert re.search(
        r"<details class=\"content-note\">\s*"
        r"<summary>Content note: grief &lt;b&gt;and&lt;/b&gt; loss</summary>\s*"
        r"<div class=\"reflection-body\"><p>Reflection number 1.</p></div>",
        html,
    )


def test_names_and_notes_are_escaped_and_json_ld_stays_closed(fixture_site):
    publish(fixture_site, item(1, author=HOSTILE_NAME, content_note=HOSTILE_NAME))
    assert build(fixture_site).returncode == 0
    html = page(fixture_site)
    assert "<img src=x" not in html and "<script>window.__pwn" not in html
    assert html.count("<script") == 2  # the JSON-LD block and reflect.js, nothing else
    data = json_ld(html)
    assert data["comment"][0]["author"]["name"] == HOSTILE_NAME


def test_json_ld_counts_and_lists_the_comments(fixture_site):
    publish(fixture_site, item(1), item(2, parent=1, kind="response", body="With *thanks*."))
    assert build(fixture_site).returncode == 0
    data = json_ld(page(fixture_site))
    assert data["commentCount"] == 2
    assert [c["text"] for c in data["comment"]] == ["Reflection number 1.", "With thanks."]
    assert data["comment"][1]["author"]["name"] == "Ana Lindqvist"
    assert datetime.fromisoformat(data["comment"][0]["dateCreated"]) == START + timedelta(hours=1)


def test_the_count_says_what_it_counts_when_the_author_has_responded(fixture_site):
    publish(fixture_site, item(1), item(2, parent=1, kind="response"), item(3, parent=1, kind="comment"))
    assert build(fixture_site).returncode == 0
    html = page(fixture_site)
    assert "2 reflections on" in html
    assert "2 from readers, and 1 response from the author." in html


def test_counts_on_the_index_and_the_year_s_archive(fixture_site):
    publish(fixture_site, item(1), item(2), item(3, parent=1, kind="comment"))
    assert build(fixture_site).returncode == 0
    for listing in ("index.html", "archives/2026/index.html"):
        text = (fixture_site / "output" / listing).read_text(encoding="utf-8")
        assert re.search(r'learning-to-stay/#reflections">3 reflections</a>', text), listing
    # The archives list the years, each linking to its page, under the id the one-page archive gave
    # its heading (an old link to archives/#year-2026 still lands on the year).
    years = (fixture_site / "output" / "archives" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<li id="year-2026"><a href="[^"]*/archives/2026/">2026</a>', years)
    assert "reflections</a>" not in years


def test_without_year_pages_the_archives_list_every_essay_with_counts_when_asked(fixture_site):
    publish(fixture_site, item(1), item(2))
    one_page = {"YEAR_ARCHIVE_SAVE_AS": "", "REFLECTIONS_COUNT_TEMPLATES": ["index", "archives"]}
    assert build(fixture_site, **one_page).returncode == 0
    text = (fixture_site / "output" / "archives" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<h2 id="year-2026">2026</h2>', text)
    assert re.search(r'learning-to-stay/#reflections">2 reflections</a>', text)
    assert not (fixture_site / "output" / "archives" / "2026").exists()


def test_feeds_of_one_essay_and_of_the_whole_site(fixture_site):
    publish(
        fixture_site,
        item(1, body="First, with a [link](https://example.org)."),
        item(2, essay="the-kitchen-table"),
        item(3, parent=1, kind="response", body="The author answers."),
    )
    assert build(fixture_site).returncode == 0
    output = fixture_site / "output"
    essay_feed = feedparser.parse((output / "feeds/reflections/learning-to-stay.atom.xml").read_bytes())
    assert not essay_feed.bozo
    assert [e.title for e in essay_feed.entries] == [
        "The author’s response on “Learning to Stay”",
        "Reader 1 on “Learning to Stay”",
    ]
    assert 'rel="nofollow ugc noopener"' in essay_feed.entries[1].content[0].value
    site_feed = feedparser.parse((output / "feeds/reflections.atom.xml").read_bytes())
    assert not site_feed.bozo and len(site_feed.entries) == 3
    assert (output / "feeds/reflections/learning-to-stay.atom.xml").stat().st_mode & 0o044
    html = page(fixture_site)
    assert 'href="../../feeds/reflections/learning-to-stay.atom.xml"' in html
    assert 'href="../../feeds/reflections.atom.xml"' in html


def test_closed_essay_shows_reflections_but_no_form(fixture_site):
    essay = fixture_site / "content" / "essays" / "learning-to-stay.md"
    essay.write_text(
        essay.read_text().replace("Slug: learning-to-stay", "Slug: learning-to-stay\nReflections: closed")
    )
    publish(fixture_site, item(1))
    assert build(fixture_site).returncode == 0
    html = page(fixture_site)
    assert "Reflection number 1." in html
    assert 'id="reflect"' not in html and ">Reply</a>" not in html
    assert "Reflections on this essay are closed." in html


def test_malformed_file_fails_the_build_naming_file_and_field(fixture_site):
    folder = fixture_site / "content" / "reflections" / ESSAY
    folder.mkdir(parents=True)
    (folder / "bad1.md").write_text(
        f"Id: bad1\nEssay: {ESSAY}\nKind: letter\nDate: 2026-01-01T00:00:00+00:00\n\nHi\n"
    )
    result = build(fixture_site)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"content/reflections/{ESSAY}/bad1.md: Kind: 'letter' is not one of reflection, comment, response"
    )


def test_malformed_file_is_skipped_when_not_strict(fixture_site):
    publish(fixture_site, item(1))
    folder = fixture_site / "content" / "reflections" / ESSAY
    (folder / "bad2.md").write_text(f"Id: bad2\nEssay: {ESSAY}\nKind: comment\n\nHi\n")
    result = build(fixture_site, REFLECTIONS_STRICT=False)
    assert result.returncode == 0
    assert "bad2.md: Date: missing" in result.stdout + result.stderr
    assert "1 reflection on" in page(fixture_site)


def test_same_id_twice_names_both_files(fixture_site):
    publish(fixture_site, item(1), item(1, essay="the-kitchen-table"))
    result = build(fixture_site)
    assert result.returncode != 0
    assert "01JR0000000000000000000001" in result.stderr
    assert f"reflections/{ESSAY}/" in result.stderr and "reflections/the-kitchen-table/" in result.stderr


def test_unknown_essay_slug_warns_and_the_build_goes_on(fixture_site):
    publish(fixture_site, item(1, essay="an-essay-that-moved"))
    result = build(fixture_site)
    assert result.returncode == 0
    assert "no essay has the slug 'an-essay-that-moved'" in " ".join((result.stdout + result.stderr).split())


def test_unchanged_feed_is_not_rewritten_and_a_changed_one_is(fixture_site):
    publish(fixture_site, item(1))
    assert build(fixture_site).returncode == 0
    feed = fixture_site / "output" / "feeds/reflections/learning-to-stay.atom.xml"
    first = feed.stat().st_mtime_ns
    assert build(fixture_site).returncode == 0
    assert feed.stat().st_mtime_ns == first
    publish(fixture_site, item(2, parent=1, kind="response", body="A new response."))
    assert build(fixture_site).returncode == 0
    assert "A new response." in feed.read_text()


def test_edited_file_is_read_again_on_a_warm_build(fixture_site):
    publish(fixture_site, item(1, body="Before the edit."))
    assert build(fixture_site).returncode == 0
    path = fixture_site / "content/reflections" / ESSAY / "01JR0000000000000000000001.md"
    path.write_text(path.read_text().replace("Before the edit.", "After a longer edit by hand."))
    assert build(fixture_site).returncode == 0
    assert "After a longer edit by hand." in page(fixture_site)


def test_stale_or_foreign_cache_files_are_ignored(fixture_site):
    publish(fixture_site, item(1))
    cache = fixture_site / "cache"
    cache.mkdir()
    (cache / "reflections-cache.sqlite").write_bytes(b"not a database, but <script> all the same")
    (cache / "reflections-items.pickle").write_bytes(b"not a pickle")
    (cache / "reflections-feeds.json").write_text("[1, 2")
    result = build(fixture_site)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "Reflection number 1." in page(fixture_site)


def test_a_cache_of_another_version_is_emptied_not_trusted(fixture_site):
    publish(fixture_site, item(1))
    assert build(fixture_site).returncode == 0
    with sqlite3.connect(fixture_site / "cache" / "reflections-cache.sqlite") as db:
        db.execute("UPDATE rendered SET html = '<p>from an old version</p>'")
        db.execute("PRAGMA user_version = 1")
    assert build(fixture_site).returncode == 0
    assert "from an old version" not in page(fixture_site)


def cached(site, sql: str) -> list:
    db = sqlite3.connect(site / "cache" / "reflections-cache.sqlite")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def change_cache(site, sql: str, *arguments) -> None:
    db = sqlite3.connect(site / "cache" / "reflections-cache.sqlite")
    with db:
        db.execute(sql, arguments)
    db.close()


def test_warm_build_reuses_rendered_html(fixture_site):
    publish(fixture_site, item(1))
    assert build(fixture_site).returncode == 0
    assert cached(fixture_site, "SELECT html FROM rendered") == [("<p>Reflection number 1.</p>",)]
    # A changed entry proves the warm build read the cache instead of sanitizing again (the
    # thread's own cache is emptied, so the thread is made again from the rendered texts).
    change_cache(fixture_site, "UPDATE rendered SET html = '<p>from the cache</p>'")
    change_cache(fixture_site, "DELETE FROM threads")
    assert build(fixture_site).returncode == 0
    assert "<p>from the cache</p>" in page(fixture_site)


def test_a_whole_build_forgets_what_it_no_longer_shows(fixture_site):
    publish(fixture_site, item(1), item(2))
    assert build(fixture_site).returncode == 0
    assert len(cached(fixture_site, "SELECT key FROM rendered")) == 2
    (fixture_site / "content/reflections" / ESSAY / "01JR0000000000000000000002.md").unlink()
    assert build(fixture_site).returncode == 0
    assert cached(fixture_site, "SELECT html FROM rendered") == [("<p>Reflection number 1.</p>",)]


def test_warm_build_reuses_a_rendered_thread_until_what_it_shows_changes(fixture_site):
    publish(fixture_site, item(1), item(2, parent=1, kind="comment"))
    assert build(fixture_site).returncode == 0
    [(signature, html)] = cached(fixture_site, f"SELECT signature, html FROM threads WHERE slug = '{ESSAY}'")
    assert 'id="r-01JR0000000000000000000002"' in html
    # A changed entry with the same signature proves the warm build used the cache...
    change_cache(
        fixture_site, "UPDATE threads SET html = ?", '<ol class="thread"><li>from the cache</li></ol>'
    )
    assert build(fixture_site).returncode == 0
    assert "<li>from the cache</li>" in page(fixture_site)
    # ...and that a change to what the thread shows renders it again.
    assert build(fixture_site, AUTHOR="Another Author").returncode == 0
    assert "<li>from the cache</li>" not in page(fixture_site)
    publish(fixture_site, item(3, parent=2, kind="comment", body="A new reply."))
    assert build(fixture_site).returncode == 0
    assert "A new reply." in page(fixture_site)


def test_an_edited_quote_renders_the_thread_again(fixture_site):
    """The quote a reflection answers is part of what its thread shows, so the author mending it
    (a typo, a quote trimmed) must not leave the old words in a cached thread."""
    publish(fixture_site, item(1, quote="the first words quoted"))
    assert build(fixture_site).returncode == 0
    assert "the first words quoted" in page(fixture_site)
    publish(fixture_site, item(1, quote="the mended words"))
    assert build(fixture_site).returncode == 0
    html = page(fixture_site)
    assert "the mended words" in html and "the first words quoted" not in html


def test_dates_are_shown_in_the_sites_time_zone(fixture_site):
    """Sent at 23:30 UTC on 15 March: just after midnight in Stockholm (pelicanconf's TIMEZONE)."""
    publish(fixture_site, item(1, date=datetime(2026, 3, 15, 23, 30, tzinfo=UTC)))
    assert build(fixture_site).returncode == 0
    html = page(fixture_site)
    assert ">16 March 2026</time>" in html and 'datetime="2026-03-16T00:30:00+01:00"' in html


def test_feeds_show_the_content_note_before_the_words(fixture_site):
    """As the page folds it behind its note, a feed reader meets the note first: in the entry's
    title and before its words."""
    publish(fixture_site, item(1, content_note="suicide <b>", body="Words behind a note."), item(2))
    assert build(fixture_site).returncode == 0
    for feed in ("feeds/reflections/learning-to-stay.atom.xml", "feeds/reflections.atom.xml"):
        parsed = feedparser.parse((fixture_site / "output" / feed).read_bytes())
        noted = next(e for e in parsed.entries if "Words behind a note." in e.content[0].value)
        assert noted.title.startswith("Content note: suicide <b> · ")
        content = noted.content[0].value
        assert content.index("Content note: suicide &lt;b&gt;") < content.index("Words behind a note.")
        plain = next(e for e in parsed.entries if e is not noted)
        assert "Content note" not in plain.title + plain.content[0].value


def test_json_ld_carries_the_count_and_a_bounded_number_of_excerpts(fixture_site):
    long_body = "A long reflection that goes on " + "and on " * 100
    publish(fixture_site, *[item(n, body=long_body if n == 1 else f"Short {n}.") for n in range(1, 15)])
    assert build(fixture_site).returncode == 0
    data = json_ld(page(fixture_site))
    assert data["commentCount"] == 14
    assert len(data["comment"]) == 10
    first = data["comment"][0]["text"]
    assert len(first) <= 300 and first.endswith("…") and first.startswith("A long reflection")


def test_a_publish_build_reuses_rendered_reflections_from_a_restored_cache(fixture_site):
    """LOAD_CONTENT_CACHE = False (publishconf.py) reads Pelican's cache afresh, but rendered texts
    are found by their own hash: a CI host that restores cache/ does not sanitize them again."""
    publish(fixture_site, item(1))
    assert build(fixture_site).returncode == 0
    change_cache(fixture_site, "UPDATE rendered SET html = '<p>from the cache</p>'")
    change_cache(fixture_site, "DELETE FROM threads")
    assert build(fixture_site, LOAD_CONTENT_CACHE=False).returncode == 0
    assert "<p>from the cache</p>" in page(fixture_site)


class _Essay:
    """An essay as the site feed's ranking sees it: compared by identity, as Pelican's are."""

    def __init__(self, key) -> None:
        self.reflections_newest_key = key


def _brute_latest(essays: list, limit: int) -> list[int]:
    answered = [i for i, e in enumerate(essays) if e.reflections_newest_key is not None]
    return sorted(answered, key=lambda i: essays[i].reflections_newest_key, reverse=True)[:limit]


@pytest.mark.parametrize("seed", range(5))
def test_the_site_feeds_ranking_kept_between_publishes_is_the_ranking_made_afresh(seed):
    from pelican.plugins.reflections.site import feeds

    rng = random.Random(seed)
    moment = datetime(2026, 1, 1, tzinfo=UTC)

    def key():
        return (moment + timedelta(minutes=rng.randint(0, 5000)), f"{rng.getrandbits(40):010x}")

    essays = [_Essay(key() if rng.random() < 0.8 else None) for _ in range(300)]
    for step in range(60):
        # Publishes add (a newer key), withdrawals take back (an older key, or none left), an edited
        # essay is a new object, and the limit is met with ties on the date.
        place = rng.randrange(len(essays))
        action = rng.choice(["add", "add", "add", "withdraw", "empty", "new object", "tie"])
        old = essays[place].reflections_newest_key
        if action == "add":
            essays[place].reflections_newest_key = (moment + timedelta(minutes=6000 + step), f"z{step}")
        elif action == "withdraw":
            essays[place].reflections_newest_key = key()
        elif action == "empty":
            essays[place].reflections_newest_key = None
        elif action == "new object":
            essays[place] = _Essay(old)
        elif old is not None:
            essays[place].reflections_newest_key = (old[0], "0")
        # As a publish asks (the essays it touched known) and as a whole build asks (not known).
        touched = [essays[place]] if rng.random() < 0.7 else None
        assert feeds._latest(essays, 50, touched) == _brute_latest(essays, 50), (seed, step, action)
