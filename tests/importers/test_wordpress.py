"""Importing a WordPress export with its comments: the real theme-unit-test export, and a small
hand-written one with one post or comment per edge case."""

import html
import json
import os
import re
import subprocess
from datetime import UTC, datetime

import pytest
from conftest import REFLECTIONS, REPO, bare_site, build_site, corpus_file
from links import broken_links
from pelican.plugins.reflections.core import published
from pelican.plugins.reflections.core.threads import build_thread, walk

#: A minute or more in all (`-m "not slow"` leaves it out of a quick run).
pytestmark = pytest.mark.slow(seconds=50)

CORPUS = "wordpress/themeunittestdata.wordpress.xml"
EDGE_CASES = REPO / "tests" / "fixtures" / "wordpress" / "edge-cases.xml"
CONTENT_TAG = "{http://purl.org/rss/1.0/modules/content/}encoded"


@pytest.fixture
def empty_site(tmp_path):
    """A Withness site with no essays yet: what a writer moving from WordPress starts from."""
    root = bare_site(tmp_path / "site")
    (root / "plugins").symlink_to(REPO / "plugins")
    return root


def run(site, *arguments) -> subprocess.CompletedProcess:
    return subprocess.run([REFLECTIONS, *arguments], cwd=site, capture_output=True, text=True, timeout=300)


def snapshot(site) -> dict:
    return {str(p.relative_to(site)): p.read_bytes() for p in (site / "content").rglob("*") if p.is_file()}


def items(site) -> list:
    found, errors = published.read_all(site / "content" / "reflections")
    assert errors == []
    return found


def secrets_in(export) -> set[bytes]:
    text = export.read_text(encoding="utf-8")
    emails = re.findall(r"<wp:comment_author_email><!\[CDATA\[([^\]]+)\]\]>", text)
    addresses = re.findall(r"<wp:comment_author_IP><!\[CDATA\[([^\]]+)\]\]>", text)
    return {value.encode() for value in emails + addresses}


def test_theme_unit_test_export_becomes_essays_and_reflections(empty_site):
    corpus = corpus_file(CORPUS)
    result = run(empty_site, "import", "wordpress", str(corpus))
    assert result.returncode == 0, result.stderr
    assert "essays: 55" in result.stdout and "pingbacks and trackbacks skipped: 4" in result.stdout
    essays = list((empty_site / "content" / "essays").glob("*.md"))
    assert len(essays) == 58  # 56 published (the password-protected one a draft), a future one, a draft
    drafts = [p.name for p in essays if "\nStatus: draft\n" in p.read_text()]
    assert len(drafts) == 3
    locked = (empty_site / "content" / "essays" / "template-password-protected.md").read_text()
    assert "Status: draft" in locked
    assert len(list((empty_site / "content" / "pages").glob("*.md"))) == 21

    comments = items(empty_site)
    assert len(comments) == 23 and {c.kind for c in comments} == {"comment", "response"}
    by_id = {c.id: c for c in comments}

    def depth(item):
        return 1 + depth(by_id[item.parent]) if item.parent in by_id else 1

    assert max(depth(c) for c in comments) == 10
    deepest = max(comments, key=depth)
    chain = [deepest]
    while chain[-1].parent in by_id:
        chain.append(by_id[chain[-1].parent])
    assert len(chain) == 10  # the ten-deep chain of replies is kept, whoever wrote each link
    # The post's author answering a comment is the author's response, each to a published comment.
    responses = [c for c in comments if c.kind == "response"]
    assert responses and all(c.parent in by_id for c in responses)
    assert f"the author's replies imported as responses: {len(responses)}" in result.stdout

    pending = json.loads(run(empty_site, "queue", "--json", "--state", "pending").stdout)
    assert len(pending) == 1
    assert json.loads(run(empty_site, "show", pending[0]["id"], "--json").stdout)["email"]

    built = build_site(
        empty_site / "pelicanconf.py", empty_site / "output", empty_site / "cache", cwd=empty_site
    )
    assert built.returncode == 0, built.stderr
    page = (empty_site / "output" / "essays" / "template-comments" / "index.html").read_text()
    assert "depth-4" in page and "depth-5" not in page and "in reply to" in page

    everything = b"".join(
        p.read_bytes()
        for folder in ("content", "output")
        for p in (empty_site / folder).rglob("*")
        if p.is_file()
    )
    secrets = secrets_in(corpus)
    assert secrets  # the export does hold an email
    assert [s for s in secrets if s in everything] == []


def test_edge_cases_are_imported_as_a_writer_would_expect(empty_site):
    result = run(empty_site, "import", "wordpress", str(EDGE_CASES))
    assert result.returncode == 0, result.stderr
    essays = empty_site / "content" / "essays"
    close = (essays / "on-staying-close.md").read_text()
    assert (
        # The blogger's clock (09:30 local, 07:30 UTC), not UTC's.
        "Title: On Staying Close\nDate: 2019-04-02 09:30:00+02:00\nModified: 2019-05-01 12:00:00+02:00\n"
        in close
    )
    assert "Category: Healing\nTags: grief, friends old and new\n" in close
    assert "Summary: A short summary of staying close.\nAuthor: Mira Holm\n" in close
    assert "wp:paragraph" not in close
    assert "The first paragraph, with **strong** words and a [link](https://example.org/read)." in close
    assert "\n\nA second paragraph written the classic way, without tags.\n\n## A titled section\n" in close
    assert "Reflections: closed" in (essays / "an-empty-post.md").read_text()
    assert (essays / "über-das-zuhören.md").read_text().startswith("Title: Über das Zuhören\n")
    assert "Status: draft" in (essays / "a-locked-letter.md").read_text()
    assert (empty_site / "content" / "pages" / "about-me.md").exists()

    asha, mira, asha_again, stranger, intruder_item = sorted(items(empty_site), key=lambda c: c.date)
    assert [c.author for c in (asha, mira, asha_again, stranger)] == [
        "Asha",
        "Mira Holm",
        "Asha",
        "Kind Stranger",
    ]
    assert "> Staying is the whole of it." in asha.body and "*truly*" in asha.body
    assert mira.parent == asha.id and asha_again.parent == mira.id
    assert intruder_item.author == "<b>Bold</b> Intruder"
    intruder = intruder_item.body
    assert "__pwn" not in intruder and "alert" not in intruder.split("[click]")[0]
    thread = build_thread(list(items(empty_site)))
    assert [n.item.author for n in walk(thread) if not n.orphaned][:3] == ["Asha", "Mira Holm", "Asha"]

    pending = json.loads(run(empty_site, "queue", "--json").stdout)
    assert [row["name"] for row in pending] == ["Unsure Reader"]
    assert stranger.parent == pending[0]["id"]  # a reply to an unapproved comment keeps its thread

    built = build_site(
        empty_site / "pelicanconf.py", empty_site / "output", empty_site / "cache", cwd=empty_site
    )
    assert built.returncode == 0, built.stderr
    page = (empty_site / "output" / "essays" / "on-staying-close" / "index.html").read_text()
    assert "&lt;b&gt;Bold&lt;/b&gt; Intruder" in page and "<script>window.__pwn" not in page
    assert 'href="javascript:' not in page
    assert "In reply to something that is no longer here." in page  # until its parent is approved
    everything = b"".join(
        p.read_bytes()
        for folder in ("content", "output")
        for p in (empty_site / folder).rglob("*")
        if p.is_file()
    )
    assert [s for s in secrets_in(EDGE_CASES) if s in everything] == []


def test_pingbacks_are_imported_only_when_asked(empty_site):
    assert run(empty_site, "import", "wordpress", str(EDGE_CASES), "--include-pingbacks").returncode == 0
    [pingback] = [c for c in items(empty_site) if c.author == "Another Blog"]
    assert pingback.body.startswith("Linked from [Another Blog](https://another-blog.example/post)")


def test_importing_twice_changes_nothing(empty_site):
    assert run(empty_site, "import", "wordpress", str(EDGE_CASES)).returncode == 0
    before = snapshot(empty_site)
    queue_before = run(empty_site, "export").stdout
    again = run(empty_site, "import", "wordpress", str(EDGE_CASES))
    assert again.returncode == 0 and "files written" not in again.stdout
    assert snapshot(empty_site) == before
    assert run(empty_site, "export").stdout == queue_before


def test_an_existing_essay_is_kept_and_reported(empty_site):
    mine = empty_site / "content" / "essays" / "on-staying-close.md"
    mine.write_text("Title: My own version\nDate: 2020-01-01\nSlug: on-staying-close\n\nMine.\n")
    result = run(empty_site, "import", "wordpress", str(EDGE_CASES))
    assert result.returncode == 0
    assert mine.read_text().startswith("Title: My own version")
    assert "on-staying-close.md: already exists, kept as it is" in result.stdout


def test_dry_run_writes_nothing(empty_site):
    before = snapshot(empty_site)
    result = run(empty_site, "import", "wordpress", str(EDGE_CASES), "--dry-run")
    assert result.returncode == 0 and "Would import https://small-blog.example" in result.stdout
    assert snapshot(empty_site) == before
    assert not (empty_site / "reflections.db").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item/></channel></rss>',
            "not a WordPress export (no wp: elements)",
        ),
        (
            '<?xml version="1.0"?><html><body>hello</body></html>',
            "not a WordPress export (no <rss><channel>)",
        ),
        (None, "not a readable XML file"),
        # An undeclared prefix is forgiven (WordPress.com writes one); a file cut off is not.
        ('<?xml version="1.0"?><rss><channel><atom:link href="x"/><item>', "not a readable XML file"),
        (
            '<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/9.9/"><channel><wp:wxr_version>9.9'
            "</wp:wxr_version></channel></rss>",
            "unknown WordPress export version http://wordpress.org/export/9.9/",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;">]><r>&b;</r>',
            "not a readable XML file",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(empty_site, tmp_path, text, message):
    bad = tmp_path / "export.xml"
    if text is None:  # a real export cut off half way
        bad.write_bytes(EDGE_CASES.read_bytes()[:3000])
    else:
        bad.write_text(text)
    before = snapshot(empty_site)
    result = run(empty_site, "import", "wordpress", str(bad))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and str(bad) in lines[0]
    assert snapshot(empty_site) == before
    assert not list((empty_site / "content").glob(".wordpress-import-*"))


def test_the_sites_own_folders_are_used(empty_site):
    """A site whose essays, pages and published reflections live elsewhere gets them there."""
    settings = empty_site / "pelicanconf.py"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + '\nARTICLE_PATHS = ["posts"]\nPAGE_PATHS = ["about"]\nREFLECTIONS_PATH = "readers"\n',
        encoding="utf-8",
    )
    result = run(empty_site, "import", "wordpress", str(EDGE_CASES))
    assert result.returncode == 0, result.stderr
    content = empty_site / "content"
    assert list((content / "posts").glob("*.md")) and list((content / "about").glob("*.md"))
    found, errors = published.read_all(content / "readers")
    assert found and errors == []
    assert not (content / "reflections").exists()
    assert list((content / "essays").iterdir()) == [] and list((content / "pages").iterdir()) == []


def test_a_wordpress_com_export_with_an_undeclared_prefix_is_imported(empty_site):
    """WordPress.com writes <atom:link> without declaring the Atom namespace: no XML parser reads
    it as it is. The counts are taken from the file itself, read here with the namespace added."""
    import xml.etree.ElementTree as ET

    corpus = corpus_file("wordpress/timothyfitz.wordpress-com.xml")
    text = corpus.read_text(encoding="utf-8")
    with pytest.raises(ET.ParseError, match="unbound prefix"):
        ET.fromstring(text)
    root = ET.fromstring(text.replace("<rss ", '<rss xmlns:atom="http://www.w3.org/2005/Atom" ', 1))
    ns = {"wp": "http://wordpress.org/export/1.2/"}
    posts = [i for i in root.iter("item") if i.findtext("wp:post_type", namespaces=ns) == "post"]
    ordinary = [
        c
        for post in posts
        for c in post.findall("wp:comment", ns)
        if c.findtext("wp:comment_type", namespaces=ns) in ("", "comment")
        and c.findtext("wp:comment_approved", namespaces=ns) == "1"
    ]
    assert len(posts) > 10 and len(ordinary) > 100
    # The blog's author, and their comments on their own posts after a reader's: their responses.
    author = root.find("channel/wp:author", ns)
    author_id, email = (
        author.findtext("wp:author_id", namespaces=ns),
        author.findtext("wp:author_email", namespaces=ns),
    )

    def theirs(comment) -> bool:
        return comment.findtext("wp:comment_user_id", namespaces=ns) == author_id or (
            comment.findtext("wp:comment_author_email", namespaces=ns) == email
        )

    def opening(comment) -> str:
        return (
            re.sub(r"<[^>]*>", "", comment.findtext("wp:comment_content", namespaces=ns)).lstrip(" @").lower()
        )

    answering, answers = 0, []
    for post in posts:
        readers: list[str] = []
        dated = sorted(
            post.findall("wp:comment", ns), key=lambda c: c.findtext("wp:comment_date_gmt", namespaces=ns)
        )
        for comment in (c for c in dated if c in ordinary):
            if not theirs(comment):
                readers.append(comment.findtext("wp:comment_author", namespaces=ns).lower())
            elif any(re.match(re.escape(name) + r"(?!\w)", opening(comment)) for name in readers if name):
                answering += 1  # the flat blog's way of answering: "Ana: thank you"
                answers.append(comment)
    assert answering > 10  # the blog's author answered readers by name, in a flat list

    result = run(empty_site, "import", "wordpress", str(corpus))
    assert result.returncode == 0, result.stderr
    assert len(list((empty_site / "content" / "essays").glob("*.md"))) == len(posts)
    imported = items(empty_site)
    assert len(imported) == len(ordinary)
    responses = [item for item in imported if item.kind == "response"]
    assert len(responses) == answering and all(item.parent for item in responses)
    assert f"comments published: {len(ordinary) - answering}" in result.stdout
    assert f"the author's replies imported as responses: {answering}" in result.stdout
    again = snapshot(empty_site)
    assert run(empty_site, "import", "wordpress", str(corpus)).returncode == 0
    assert snapshot(empty_site) == again

    # Commenters' websites are kept (a bare "http://" is no address); the author's responses link
    # nowhere but the site they are on.
    sites = [
        c.findtext("wp:comment_author_url", namespaces=ns)
        for c in ordinary
        if c not in answers and c.findtext("wp:comment_author_url", namespaces=ns) not in ("", "http://")
    ]
    assert len(sites) > 50
    assert sorted(item.website for item in imported if item.website) == sorted(sites)
    assert all(not item.website for item in responses)
    built = build_site(
        empty_site / "pelicanconf.py", empty_site / "output", empty_site / "cache", cwd=empty_site
    )
    assert built.returncode == 0, built.stderr
    pages = "".join(
        p.read_text(encoding="utf-8") for p in (empty_site / "output" / "essays").rglob("index.html")
    )
    linked = re.findall(r'<a class="reflection-name" href="([^"]+)" rel="nofollow ugc noopener">', pages)
    assert sorted(html.unescape(link) for link in linked) == sorted(sites)
    # Search engines read the same link (the essay's JSON-LD names its first comments' people).
    data = [
        json.loads(block)
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', pages, re.S)
    ]
    people = [c["author"] for d in data for c in d.get("comment", [])]
    assert any(person.get("url") in sites for person in people)


def test_times_keep_the_blogs_own_offset_whatever_the_machines_zone(tmp_path):
    """WordPress writes each time twice, local (wp:post_date) and UTC (wp:post_date_gmt): an essay
    keeps the blogger's local time with its offset, and the files do not depend on the time zone
    of the machine that imports."""
    corpus = corpus_file("wordpress/timothyfitz.wordpress-com.xml")
    made = {}
    for zone in ("UTC", "Pacific/Auckland"):
        site = bare_site(tmp_path / zone.replace("/", "-"))
        command = [REFLECTIONS, "import", "wordpress", str(corpus)]
        environment = {**os.environ, "TZ": zone}
        result = subprocess.run(
            command, cwd=site, capture_output=True, text=True, timeout=300, env=environment
        )
        assert result.returncode == 0, result.stderr
        made[zone] = snapshot(site)
    assert made["UTC"] == made["Pacific/Auckland"]
    # The blog's clock: where WordPress wrote a local time eight hours behind UTC, the essay says so.
    text = corpus.read_text(encoding="utf-8")
    pairs = re.findall(r"<wp:post_date>([^<]+)</wp:post_date>\s*<wp:post_date_gmt>([^<]+)<", text)
    local, gmt = next((a, b) for a, b in pairs if a != b and not b.startswith("0000"))
    offset = datetime.strptime(local, "%Y-%m-%d %H:%M:%S") - datetime.strptime(gmt, "%Y-%m-%d %H:%M:%S")
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    expected = f"Date: {local}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}\n"
    dates = b"".join(v for k, v in made["UTC"].items() if k.startswith("content/essays/"))
    assert expected.encode() in dates


def test_shortcodes_become_what_they_showed_and_bracketed_words_stay(tmp_path):
    """On the real exports: a gallery becomes its images, [sourcecode] a fenced block, [caption] the
    image with its caption; "[code sprint]" or "[embedding]" in a sentence are the writer's words."""
    import xml.etree.ElementTree as ET

    from pelican.plugins.reflections.importers.wordpress import read_export

    unit = corpus_file(CORPUS)
    essays = dict(read_export(unit).essays)
    ns = {"wp": "https://wordpress.org/export/1.2/"}
    items = ET.parse(unit).getroot().find("channel").findall("item")
    post = next(i for i in items if i.findtext("wp:post_name", namespaces=ns) == "post-format-gallery")
    number = post.findtext("wp:post_id", namespaces=ns)
    attached = [
        i
        for i in items
        if i.findtext("wp:post_type", namespaces=ns) == "attachment"
        and i.findtext("wp:post_parent", namespaces=ns) == number
    ]
    # Each [gallery] with no ids shows the post's attached images, as WordPress shows them.
    galleries = re.findall(r"\[gallery[^\]]*\]", post.findtext(CONTENT_TAG))
    assert galleries and all(
        "ids=" not in g and "include=" not in g and "exclude=" not in g for g in galleries
    )
    shown = re.findall(r"^!\[[^\]]*\]\(https?://[^)]+\)$", essays["post-format-gallery"], re.M)
    assert attached and len(shown) == len(galleries) * len(attached)

    fitz = dict(read_export(corpus_file("wordpress/timothyfitz.wordpress-com.xml")).essays)
    code = [body for body in fitz.values() if "```python\n" in body]
    assert code and all("[sourcecode" not in body and "[/sourcecode]" not in body for body in fitz.values())

    rob = dict(read_export(corpus_file("wordpress/chrisjrob.com.xml")).essays)
    captioned = [body for body in rob.values() if re.search(r"!\[[^\]]*\]\([^)]+\)\n\n\*[^*\n]+\*", body)]
    assert captioned and all("[caption" not in body for body in rob.values())

    # Words in brackets that no shortcode would render are the writer's own (they were deleted).
    from collections import Counter

    from pelican.plugins.reflections.importers.wxr import html_to_markdown

    counts = Counter()
    said = html_to_markdown("We held a [code sprint], an [embedding] talk, and [video] here.", counts=counts)
    assert said.replace("\\", "") == "We held a [code sprint], an [embedding] talk, and [video] here."
    assert counts == {"shortcodes kept as text (nothing to show)": 1}


@pytest.mark.parametrize(
    "export",
    [
        "themeunittestdata.wordpress.xml",
        "chrisjrob.com.xml",
        "timothyfitz.wordpress-com.xml",
        "cc-archive-labs.xml",
    ],
)
def test_every_real_export_imports_builds_and_links_whole(empty_site, export):
    """Each export in the corpus, into a fresh site, built: every comment accounted for (counted
    here from the file), no email or IP address anywhere, every link of every page resolving."""
    corpus = corpus_file(f"wordpress/{export}")
    text = corpus.read_text(encoding="utf-8")
    namespaced = text.replace("<rss ", '<rss xmlns:atom="http://www.w3.org/2005/Atom" ', 1)
    import xml.etree.ElementTree as ET

    channel = (ET.fromstring(namespaced) if "xmlns:atom" not in text else ET.parse(corpus).getroot()).find(
        "channel"
    )
    wp = "{" + re.search(r'xmlns:wp="([^"]+)"', text).group(1) + "}"
    approved = waiting = 0
    for item in channel.findall("item"):
        if item.findtext(wp + "post_type") != "post" or item.findtext(wp + "status") == "trash":
            continue
        for comment in item.findall(wp + "comment"):
            if comment.findtext(wp + "comment_type") in ("pingback", "trackback"):
                continue
            state = comment.findtext(wp + "comment_approved")
            approved += state == "1"
            waiting += state == "0"

    result = run(empty_site, "import", "wordpress", str(corpus))
    assert result.returncode == 0, result.stderr
    empty = re.search(r"empty comments skipped: (\d+)", result.stdout)
    published_or_empty = len(items(empty_site)) + (int(empty.group(1)) if empty else 0)
    queued = json.loads(run(empty_site, "queue", "--json", "--state", "pending").stdout)
    # An empty waiting comment is counted with the empty ones, not queued.
    assert published_or_empty + len(queued) == approved + waiting

    built = build_site(
        empty_site / "pelicanconf.py", empty_site / "output", empty_site / "cache", cwd=empty_site
    )
    assert built.returncode == 0, built.stderr
    everything = b"".join(
        p.read_bytes()
        for folder in ("content", "output")
        for p in (empty_site / folder).rglob("*")
        if p.is_file()
    )
    assert [s for s in secrets_in(corpus) if s in everything] == []
    assert broken_links(empty_site / "output", other_hosts=True) == []


def _comment(number, author, content, parent=0, kind="", email="", url="", user=0, day=3):
    return f"""<wp:comment>
      <wp:comment_id>{number}</wp:comment_id>
      <wp:comment_author><![CDATA[{author}]]></wp:comment_author>
      <wp:comment_author_email><![CDATA[{email}]]></wp:comment_author_email>
      <wp:comment_author_url><![CDATA[{url}]]></wp:comment_author_url>
      <wp:comment_date_gmt><![CDATA[2019-04-{day:02d} 08:00:00]]></wp:comment_date_gmt>
      <wp:comment_content><![CDATA[{content}]]></wp:comment_content>
      <wp:comment_approved><![CDATA[1]]></wp:comment_approved>
      <wp:comment_type><![CDATA[{kind}]]></wp:comment_type>
      <wp:comment_parent>{parent}</wp:comment_parent>
      <wp:comment_user_id>{user}</wp:comment_user_id>
    </wp:comment>"""


def small_export(path, content: str, comments: list[str]):
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>A blog</title>
  <link>https://www.small-blog.example</link>
  <wp:wxr_version>1.2</wp:wxr_version>
  <wp:base_blog_url>https://www.small-blog.example</wp:base_blog_url>
  <wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[mira]]></wp:author_login>
    <wp:author_email><![CDATA[mira@small-blog.example]]></wp:author_email>
    <wp:author_display_name><![CDATA[Mira Holm]]></wp:author_display_name></wp:author>
  <item>
    <title>Code and kin</title>
    <dc:creator><![CDATA[mira]]></dc:creator>
    <content:encoded><![CDATA[{content}]]></content:encoded>
    <wp:post_id>10</wp:post_id>
    <wp:post_date><![CDATA[2019-04-02 09:30:00]]></wp:post_date>
    <wp:post_date_gmt><![CDATA[2019-04-02 07:30:00]]></wp:post_date_gmt>
    <wp:post_name><![CDATA[code-and-kin]]></wp:post_name>
    <wp:status><![CDATA[publish]]></wp:status>
    <wp:post_type><![CDATA[post]]></wp:post_type>
    {"".join(comments)}
  </item>
</channel>
</rss>
""",
        encoding="utf-8",
    )


def test_code_escaped_twice_pingback_titles_and_the_authors_logged_out_reply(empty_site, tmp_path):
    export = tmp_path / "export.xml"
    small_export(
        export,
        '<p>Compare them:</p>\n[code language="python"]'
        "if a &amp;gt; b &amp;amp;&amp;amp; c &amp;lt; d:\n    pass[/code]",
        [
            _comment(101, "Asha", "This helped.", email="asha@reader.example", day=3),
            # The author, logged out: user id 0, another address, the blog's own site as website.
            _comment(
                102,
                "Mira Holm",
                "I am glad.",
                parent=101,
                email="m@elsewhere.example",
                url="https://small-blog.example/",
                day=4,
            ),
            # A reader who gives the blog's address but another name stays a reader.
            _comment(103, "Jon", "Me too.", parent=101, url="https://www.small-blog.example", day=5),
            _comment(
                104,
                "Kin &#8211; a post &amp; more",
                "",
                kind="pingback",
                url="https://other.example/kin/",
                day=6,
            ),
        ],
    )
    result = run(empty_site, "import", "wordpress", str(export), "--include-pingbacks")
    assert result.returncode == 0, result.stderr
    essay = (empty_site / "content" / "essays" / "code-and-kin.md").read_text(encoding="utf-8")
    assert "```python\nif a > b && c < d:\n    pass\n```" in essay
    found = {item.body: item for item in items(empty_site)}
    assert found["I am glad."].kind == "response"
    assert found["Me too."].kind != "response" and found["Me too."].author == "Jon"
    [pingback] = [item for item in found.values() if item.body.startswith("Linked from")]
    assert pingback.author == "Kin \u2013 a post & more"
    assert (
        "&#8211;" not in pingback.body
        and "[Kin \u2013 a post & more](https://other.example/kin/)" in pingback.body
    )


def test_code_with_real_markup_in_it_is_unescaped_once_only():
    from collections import Counter

    from pelican.plugins.reflections.importers.wxr import html_to_markdown

    said = html_to_markdown("[code]&lt;p&gt;Write &amp;amp; for &amp;.&lt;/p&gt;[/code]", counts=Counter())
    assert "<p>Write &amp; for &.</p>" in said


def test_the_shapes_real_exports_take(empty_site, tmp_path):
    """A byte order mark, CRLF line ends, Windows-1252 bytes pasted into a file that says it is
    UTF-8, an empty author, and a comment whose UTC time WordPress never filled in."""
    export = tmp_path / "export.xml"
    small_export(
        export,
        "<p>Words.</p>",
        [
            _comment(201, "Ana", "Line one.\nLine two.", day=3),
            _comment(202, "RenCP1252E", "It is CP1252OPENhomeCP1252CLOSE now, caf\u00e9.", day=4),
            _comment(203, "", "No name given.", day=5),
            _comment(204, "Ben", "Written at nine, Berlin time.", day=6).replace(
                "2019-04-06 08:00:00", "0000-00-00 00:00:00"
            ),
        ],
    )
    text = export.read_text(encoding="utf-8").replace(
        "<wp:comment_id>204</wp:comment_id>",
        "<wp:comment_id>204</wp:comment_id><wp:comment_date>2019-04-06 09:00:00</wp:comment_date>",
    )
    data = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")
    data = data.replace(b"CP1252E", b"\xe9e").replace(b"CP1252OPEN", b"\x93").replace(b"CP1252CLOSE", b"\x94")
    export.write_bytes(data)
    result = run(empty_site, "import", "wordpress", str(export))
    assert result.returncode == 0, result.stderr
    found = {item.body: item for item in items(empty_site)}
    assert set(found) == {
        "Line one.\nLine two.",
        "It is \u201chome\u201d now, caf\u00e9.",
        "No name given.",
        "Written at nine, Berlin time.",
    }
    assert found["It is \u201chome\u201d now, caf\u00e9."].author == "Ren\u00e9e"
    assert found["No name given."].author == ""
    essay = (empty_site / "content" / "essays" / "code-and-kin.md").read_text(encoding="utf-8")
    assert "\r" not in essay and "\ufeff" not in essay
    # The post says 09:30 local is 07:30 UTC: the blog was two hours ahead, so 09:00 was 07:00.
    assert found["Written at nine, Berlin time."].date.astimezone(UTC) == datetime(
        2019, 4, 6, 7, 0, tzinfo=UTC
    )
