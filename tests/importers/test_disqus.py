"""Importing real Disqus exports into a site's essays: every comment published, queued or counted
with its reason; counts taken from the files themselves."""

import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import pytest
from conftest import REFLECTIONS, bare_site, build_site, corpus_file
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
    corpus = corpus_file("disqus/yesilmavihayat.xml")
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
    corpus = corpus_file("disqus/laisky-blog.xml")
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


def _post(number, thread, name, message, when, parent=None, anonymous=False, username=""):
    parent_tag = f'<parent dsq:id="{parent}"/>' if parent else ""
    return f"""<post dsq:id="{number}"><message><![CDATA[{message}]]></message>
    <createdAt>{when}</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><name>{name}</name><isAnonymous>{"true" if anonymous else "false"}</isAnonymous>
    {f"<username>{username}</username>" if username else ""}</author>
    <thread dsq:id="{thread}"/>{parent_tag}</post>"""


def test_a_page_that_moved_has_its_comments_once_and_the_owners_anonymous_replies_are_responses(tmp_path):
    owner = "<author><name>Mira Holm</name><isAnonymous>false</isAnonymous><username>mira</username></author>"
    threads = "".join(
        f'<thread dsq:id="{number}"><id>{identifier}</id><link>{link}</link>{owner}</thread>'
        for number, identifier, link in (
            ("t1", "", "https://blog.example/staying/"),
            ("t2", "", "https://blog.example/blog/staying.html"),
        )
    )
    posts = [
        _post("1", "t1", "Asha", "<p>Thank you.</p>", "2015-03-01T10:00:00Z"),
        _post(
            "2", "t1", "Mira Holm", "<p>Glad it reached you.</p>", "2015-03-01T11:00:00Z", "1", anonymous=True
        ),
        # The same two again, in the thread of the page's later address.
        _post("11", "t2", "Asha", "<p>Thank you.</p>", "2015-03-01T10:00:00Z"),
        _post(
            "12",
            "t2",
            "Mira Holm",
            "<p>Glad it reached you.</p>",
            "2015-03-01T11:00:00Z",
            "11",
            anonymous=True,
        ),
        # A reply to the copy still answers the comment kept; the same post id twice is once.
        _post("13", "t2", "Jon", "<p>Me too.</p>", "2015-03-02T09:00:00Z", "11"),
        _post("13", "t2", "Jon", "<p>Me too.</p>", "2015-03-02T09:00:00Z", "11"),
        # The same words at another moment are another comment.
        _post("14", "t2", "Asha", "<p>Thank you.</p>", "2016-01-01T10:00:00Z"),
    ]
    path = tmp_path / "export.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
        'xmlns:dsq="http://disqus.com/disqus-internals"><category dsq:id="c"><forum>blog</forum></category>'
        f"{threads}{''.join(posts)}</disqus>",
        encoding="utf-8",
    )
    site = site_with(tmp_path, ["staying"])
    result = run(site, "import", "disqus", str(path), "--author", "Mira Holm")
    assert result.returncode == 0, result.stderr
    assert "imported once: 3" in result.stdout
    items, errors = published.read_all(site / "content" / "reflections")
    assert errors == []
    assert sorted(i.body for i in items) == ["Glad it reached you.", "Me too.", "Thank you.", "Thank you."]
    by_body = {i.body: i for i in items}
    first = next(i for i in items if i.body == "Thank you." and i.date.year == 2015)
    assert (
        by_body["Glad it reached you."].kind == "response"
        and by_body["Glad it reached you."].parent == first.id
    )
    assert by_body["Me too."].parent == first.id
    # Without --author, an anonymous post in the owner's name stays a reader's.
    other = site_with(tmp_path / "other", ["staying"])
    assert run(other, "import", "disqus", str(path)).returncode == 0
    kinds = {i.body: i.kind for i in published.read_all(other / "content" / "reflections")[0]}
    assert kinds["Glad it reached you."] != "response"


IMPORT_FORMAT = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dsq="http://www.disqus.com/" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:wp="http://wordpress.org/export/1.0/">
<channel>
  <item>
    <title>Staying</title>
    <link>https://blog.example/staying/</link>
    <content:encoded><![CDATA[Words.]]></content:encoded>
    <dsq:thread_identifier>staying</dsq:thread_identifier>
    <wp:post_date_gmt>2015-03-01 09:00:00</wp:post_date_gmt>
    <wp:comment_status>open</wp:comment_status>
    <wp:comment>
      <wp:comment_id>65</wp:comment_id>
      <wp:comment_author>Asha</wp:comment_author>
      <wp:comment_author_email>asha@reader.example</wp:comment_author_email>
      <wp:comment_author_url>https://asha.example/</wp:comment_author_url>
      <wp:comment_author_IP>192.0.2.1</wp:comment_author_IP>
      <wp:comment_date_gmt>2015-03-01 10:00:00</wp:comment_date_gmt>
      <wp:comment_content><![CDATA[<p>Thank you.</p>]]></wp:comment_content>
      <wp:comment_approved>1</wp:comment_approved>
      <wp:comment_parent>0</wp:comment_parent>
    </wp:comment>
    <wp:comment>
      <wp:comment_id>66</wp:comment_id>
      <wp:comment_author>Mira Holm</wp:comment_author>
      <wp:comment_author_email>mira@blog.example</wp:comment_author_email>
      <wp:comment_author_url></wp:comment_author_url>
      <wp:comment_date_gmt>2015-03-01 11:00:00</wp:comment_date_gmt>
      <wp:comment_content><![CDATA[Glad it reached you.]]></wp:comment_content>
      <wp:comment_approved>1</wp:comment_approved>
      <wp:comment_parent>65</wp:comment_parent>
    </wp:comment>
    <wp:comment>
      <wp:comment_id>67</wp:comment_id>
      <wp:comment_author>Jon</wp:comment_author>
      <wp:comment_author_email>jon@reader.example</wp:comment_author_email>
      <wp:comment_date_gmt>2015-03-02 11:00:00</wp:comment_date_gmt>
      <wp:comment_content><![CDATA[Waiting words.]]></wp:comment_content>
      <wp:comment_approved>0</wp:comment_approved>
      <wp:comment_parent>0</wp:comment_parent>
    </wp:comment>
  </item>
</channel>
</rss>
"""


def test_disqus_s_own_import_format_is_read_and_the_wordpress_importer_names_it(tmp_path):
    path = tmp_path / "for-disqus.xml"
    path.write_text(IMPORT_FORMAT, encoding="utf-8")
    site = site_with(tmp_path, ["staying"])
    result = run(site, "import", "disqus", str(path), "--author", "mira@blog.example")
    assert result.returncode == 0, result.stderr
    assert "untyped" not in result.stdout and "comments queued as pending: 1" in result.stdout
    items = {i.body: i for i in published.read_all(site / "content" / "reflections")[0]}
    assert set(items) == {"Thank you.", "Glad it reached you."}
    assert items["Thank you."].author == "Asha" and items["Thank you."].website == "https://asha.example/"
    assert items["Glad it reached you."].kind == "response"
    assert items["Glad it reached you."].parent == items["Thank you."].id
    assert items["Thank you."].date.isoformat() == "2015-03-01T10:00:00+00:00"
    emails = b"".join(p.read_bytes() for p in (site / "content").rglob("*") if p.is_file())
    assert b"reader.example" not in emails and b"192.0.2.1" not in emails
    wrong = run(site_with(tmp_path / "w", ["staying"]), "import", "wordpress", str(path))
    assert wrong.returncode == 1 and wrong.stderr.count("\n") == 1
    assert "Disqus's import format" in wrong.stderr and "reflections import disqus" in wrong.stderr


def _disqus_post(number: int, thread: int, name: str, message: str, created: str) -> str:
    return f"""<post dsq:id="{number}">
    <message><![CDATA[{message}]]></message>
    <createdAt>{created}</createdAt>
    <isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><name>{name}</name><isAnonymous>true</isAnonymous></author>
    <thread dsq:id="{thread}"/>
  </post>"""


def test_the_shapes_real_exports_take_and_comments_on_pages(tmp_path):
    """A byte order mark, CRLF, Windows-1252 bytes in a file that says UTF-8, an empty author, a
    date without a zone (Disqus's are UTC), and a thread on one of the site's pages."""
    site = site_with(tmp_path, ["first"])
    (site / "content" / "pages" / "about.md").write_text(
        "Title: About\n\nWho writes here.\n", encoding="utf-8"
    )
    quoted = "<p>It is CP1252OPENhomeCP1252CLOSE now, café.</p>"
    text = f"""<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <category dsq:id="1"><forum>old-blog</forum><title>General</title></category>
  <thread dsq:id="10"><id>first</id><link>https://old.example/2016/01/first/</link>
    <forum>old-blog</forum><title>First</title></thread>
  <thread dsq:id="11"><id></id><link>https://old.example/about/</link>
    <forum>old-blog</forum><title>About</title></thread>
  {_disqus_post(100, 10, "Ana", "<p>Line one.</p><p>Line two.</p>", "2016-02-03T04:05:06Z")}
  {_disqus_post(101, 10, "RenCP1252E", quoted, "2016-02-04T10:00:00Z")}
  {_disqus_post(102, 10, "", "<p>No name given.</p>", "2016-02-05T10:00:00")}
  {_disqus_post(103, 11, "Eve", "<p>Hello from the about page.</p>", "2016-02-06T10:00:00Z")}
</disqus>
"""
    data = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")
    data = data.replace(b"CP1252E", b"\xe9e").replace(b"CP1252OPEN", b"\x93").replace(b"CP1252CLOSE", b"\x94")
    export = tmp_path / "export.xml"
    export.write_bytes(data)
    result = run(site, "import", "disqus", str(export))
    assert result.returncode == 0, result.stderr
    assert "comments on pages skipped (pages take no reflections): 1" in result.stdout
    assert "no essay matches" not in result.stdout
    found = {i.body: i for i in published.read_all(site / "content" / "reflections")[0]}
    assert set(found) == {
        "Line one.\n\nLine two.",
        "It is \u201chome\u201d now, caf\u00e9.",
        "No name given.",
    }
    assert found["It is \u201chome\u201d now, caf\u00e9."].author == "Ren\u00e9e"
    assert found["No name given."].author == ""
    assert found["No name given."].date == datetime(2016, 2, 5, 10, 0, tzinfo=UTC)
