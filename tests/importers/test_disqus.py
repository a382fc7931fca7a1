"""Importing real Disqus exports into a site's essays: every comment published, queued or counted
with its reason; counts taken from the files themselves."""

import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from urllib.parse import unquote, urlsplit

import pytest
from conftest import REFLECTIONS, bare_site, build_site, shared_file
from links import broken_links
from pelican.plugins.reflections.core import published

NS = "{http://disqus.com}"
ID = "{http://disqus.com/disqus-internals}id"


def site_with(tmp_path, slugs: list[str]):
    root = bare_site(tmp_path / "site")
    for number, slug in enumerate(slugs):
        text = f"Title: Essay {slug}\nDate: 2020-01-{1 + number:02d} 10:00\nSlug: {slug}\n\nWords.\n"
        (root / "content" / "essays" / f"{slug}.md").write_text(text, encoding="utf-8")
    return root


def run(site, *arguments) -> subprocess.CompletedProcess:
    return subprocess.run([REFLECTIONS, *arguments], cwd=site, capture_output=True, text=True, timeout=300)


def snapshot(site) -> dict:
    return {str(p.relative_to(site)): p.read_bytes() for p in (site / "content").rglob("*") if p.is_file()}


def export(path):
    """(posts, threads by Disqus id) of an export, read here on their own."""
    root = ET.parse(path).getroot()
    threads = {t.get(ID): t for t in root.findall(NS + "thread")}
    return root.findall(NS + "post"), threads


def kept(post) -> bool:
    return post.findtext(NS + "isDeleted") != "true" and post.findtext(NS + "isSpam") != "true"


def test_a_one_thread_export_becomes_the_essays_reflections(tmp_path):
    corpus = shared_file("corpora/disqus/yesilmavihayat.xml")
    posts, threads = export(corpus)
    (thread,) = threads.values()
    site = site_with(tmp_path, [thread.findtext(NS + "id")])  # the page's identifier is the slug
    result = run(site, "import", "disqus", str(corpus))
    assert result.returncode == 0, result.stderr
    items, errors = published.read_all(site / "content" / "reflections")
    assert errors == []
    expected = [p for p in posts if kept(p)]
    assert len(items) == len(expected) and f"comments published: {len(expected)}" in result.stdout
    deleted = sum(p.findtext(NS + "isDeleted") == "true" for p in posts)
    assert f"deleted comments skipped: {deleted}" in result.stdout
    # Turkish and emoji survive, as written.
    assert any("🙏" in item.body for item in items) and any("ğ" in item.body for item in items)
    again = snapshot(site)
    assert run(site, "import", "disqus", str(corpus)).returncode == 0
    assert snapshot(site) == again
    built = build_site(site / "pelicanconf.py", site / "output", site / "cache", cwd=site)
    assert built.returncode == 0, built.stderr
    assert broken_links(site / "output", other_hosts=True) == []


def test_threads_are_matched_by_address_or_map_and_the_rest_reported(tmp_path):
    corpus = shared_file("corpora/disqus/laisky-blog.xml")
    posts, threads = export(corpus)
    per_thread = Counter(p.find(NS + "thread").get(ID) for p in posts if kept(p))
    busiest = [t for t, _ in per_thread.most_common(4)]
    links = [threads[t].findtext(NS + "link") for t in busiest]
    slugs = [unquote(urlsplit(link).path).strip("/").rsplit("/", 1)[-1] for link in links]
    # Three essays are found by the last part of their thread's address; one only through --map.
    site = site_with(tmp_path, [*slugs[:3], "mapped-essay"])
    (site / "map.txt").write_text(f"# old address, new essay\n{links[3]} mapped-essay\n", encoding="utf-8")

    before = snapshot(site)
    dry = run(site, "import", "disqus", str(corpus), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert snapshot(site) == before
    # Every comment is accounted for: published, or counted with why not.
    said = dict(
        line.strip().rsplit(": ", 1)
        for line in dry.stdout.splitlines()
        if line.startswith("  ") and "note:" not in line
    )
    counted = {
        k: int(v) for k, v in said.items() if k != "files that would be written" and k != "files written"
    }
    assert sum(counted.values()) == len(posts)
    unmatched_threads = [line for line in dry.stdout.splitlines() if "no essay matches" in line]
    assert len(unmatched_threads) == len({t for t in per_thread if t not in busiest[:3]})

    result = run(site, "import", "disqus", str(corpus), "--map", str(site / "map.txt"))
    assert result.returncode == 0, result.stderr
    items, errors = published.read_all(site / "content" / "reflections")
    assert errors == []
    assert Counter(item.essay for item in items) == {
        slug: per_thread[thread] for slug, thread in zip([*slugs[:3], "mapped-essay"], busiest, strict=True)
    }
    # The forum owner's replies are the author's responses; threads keep their replies.
    owner = Counter(p.findtext(f"{NS}author/{NS}username") for p in posts).most_common(1)[0][0]
    owners_replies = [
        p
        for p in posts
        if kept(p)
        and p.find(NS + "thread").get(ID) in busiest
        and p.findtext(f"{NS}author/{NS}username") == owner
        and p.find(NS + "parent") is not None
    ]
    responses = [item for item in items if item.kind == "response"]
    assert owners_replies and len(responses) == len(owners_replies) and all(item.parent for item in responses)
    assert sum(1 for item in items if item.parent) == sum(
        1
        for p in posts
        if kept(p) and p.find(NS + "thread").get(ID) in busiest and p.find(NS + "parent") is not None
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<rss><channel/></rss>", "not a Disqus export"),
        ("<disqus", "not a readable XML file"),
        (
            '<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><disqus>&b;</disqus>',
            "not a readable XML file",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, text, message):
    site = site_with(tmp_path, ["an-essay"])
    bad = tmp_path / "export.xml"
    bad.write_text(text)
    before = snapshot(site)
    result = run(site, "import", "disqus", str(bad))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and str(bad) in lines[0]
    assert snapshot(site) == before
