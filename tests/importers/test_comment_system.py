"""Importing pelican_comment_system's comment files (a real site's), counts from the files."""

import os
import re
import subprocess

from conftest import REFLECTIONS, bare_site, build_site, corpus_file
from links import broken_links
from pelican.plugins.reflections.core import published


def test_a_real_sites_comment_files_become_its_essays_reflections(tmp_path):
    comments = (
        corpus_file("pelican_comment_system/blog.minchin.ca/pelicanconf.py").parent / "content" / "comments"
    )
    folders = sorted(p for p in comments.iterdir() if p.is_dir())
    files = [f for folder in folders for f in folder.iterdir() if f.is_file()]
    texts = {f: f.read_text(encoding="utf-8").split("\n\n", 1) for f in files}
    headers = {f: parts[0] for f, parts in texts.items()}
    # A file with nothing after its header is counted, not published.
    empty = [f for f, parts in texts.items() if len(parts) < 2 or not parts[1].strip()]
    owner = "Wm. Minchin"
    answering = [
        f for f, h in headers.items() if f"author: {owner}" in h and re.search(r"^replyto: \S", h, re.M)
    ]
    replies = [f for f, h in headers.items() if re.search(r"^replyto: \S", h, re.M)]
    # The email fields, save one a commenter also wrote into their public words.
    bodies = "\n".join(parts[1] for parts in texts.values() if len(parts) == 2)
    emails = set(re.findall(r"^email: (\S+)", "\n".join(headers.values()), re.M)) - set(
        re.findall(r"\S+@\S+", bodies)
    )
    assert len(files) > 80 and answering and emails

    made = {}
    for zone in ("UTC", "Pacific/Auckland"):
        site = bare_site(tmp_path / zone.replace("/", "-"))
        for number, folder in enumerate(folders):
            day = 1 + number % 28
            essay = f"Title: {folder.name}\nDate: 2015-01-{day:02d} 10:00\nSlug: {folder.name}\n\nWords.\n"
            (site / "content" / "essays" / f"{folder.name}.md").write_text(essay, encoding="utf-8")
        command = [REFLECTIONS, "import", "pelican-comment-system", str(comments), "--author", owner]
        result = subprocess.run(
            command, cwd=site, capture_output=True, text=True, env={**os.environ, "TZ": zone}
        )
        assert result.returncode == 0, result.stderr
        made[zone] = {
            str(p.relative_to(site)): p.read_bytes() for p in (site / "content").rglob("*") if p.is_file()
        }
    assert made["UTC"] == made["Pacific/Auckland"]  # nothing depends on the machine's zone

    items, errors = published.read_all(site / "content" / "reflections")
    assert errors == []
    assert len(items) == len(files) - len(empty)
    assert empty and f"empty comments skipped: {len(empty)}" in result.stdout
    responses = [item for item in items if item.kind == "response"]
    assert len(responses) == len(answering)
    assert sum(1 for item in items if item.parent) == len(replies)  # every reply still answers its comment
    assert f"the author's replies imported as responses: {len(answering)}" in result.stdout
    built = build_site(site / "pelicanconf.py", site / "output", site / "cache", cwd=site)
    assert built.returncode == 0, built.stderr
    assert broken_links(site / "output", other_hosts=True) == []
    everything = b"".join(
        p.read_bytes() for d in ("content", "output") for p in (site / d).rglob("*") if p.is_file()
    )
    assert [email for email in emails if email.encode() in everything] == []
    again = subprocess.run(
        [REFLECTIONS, "import", "pelican-comment-system", str(comments), "--author", owner],
        cwd=site,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0 and "comments already published" in again.stdout


def test_a_folder_that_is_not_pelican_comment_systems_is_one_line(tmp_path):
    site = bare_site(tmp_path / "site")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = subprocess.run(
        [REFLECTIONS, "import", "pelican-comment-system", str(empty)],
        cwd=site,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no comment folders" in lines[0] and str(empty) in lines[0]


def import_folder(site, comments, *arguments):
    return subprocess.run(
        [REFLECTIONS, "import", "pelican-comment-system", str(comments), *arguments],
        cwd=site,
        capture_output=True,
        text=True,
    )


def test_real_shapes_are_read_and_unreadable_files_named_and_refused_unless_skipped(tmp_path):
    site = bare_site(tmp_path / "site")
    (site / "content" / "essays" / "first.md").write_text(
        "Title: First\nDate: 2015-01-01 10:00\nSlug: first\n\nWords.\n", encoding="utf-8"
    )
    thread = tmp_path / "comments" / "first"
    thread.mkdir(parents=True)
    # A byte order mark and CRLF; Windows-1252 bytes in a UTF-8 file; an empty author.
    (thread / "1.md").write_bytes(
        b"\xef\xbb\xbfdate: 2015-02-01T10:00\r\nauthor: Ana\r\n\r\nLine one.\r\nLine two.\r\n"
    )
    (thread / "2.md").write_bytes(b"date: 2015-02-02T10:00\nauthor: Ren\xe9e\n\nIt is \x93home\x94.\n")
    (thread / "3.md").write_text("date: 2015-02-03T10:00\nauthor:\n\nNo name.\n", encoding="utf-8")
    (thread / "4.md").write_text("author: Undated\n\nWhen was this?\n", encoding="utf-8")
    (thread / "5.md").write_text("date: the day after\nauthor: Vague\n\nSoon.\n", encoding="utf-8")

    dry = import_folder(site, tmp_path / "comments", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "unreadable files, which the import refuses without --skip-unreadable: 2" in dry.stdout
    assert "first/4.md: no `date:` line in its header" in dry.stdout
    assert "first/5.md: date 'the day after' is not a date" in dry.stdout
    refused = import_folder(site, tmp_path / "comments")
    assert (
        refused.returncode == 1 and "first/4.md" in refused.stderr and "--skip-unreadable" in refused.stderr
    )
    assert not (site / "content" / "reflections").exists()
    done = import_folder(site, tmp_path / "comments", "--skip-unreadable")
    assert done.returncode == 0, done.stderr
    assert "unreadable files skipped: 2" in done.stdout
    items = {i.body: i.author for i in published.read_all(site / "content" / "reflections")[0]}
    assert items == {"Line one.\nLine two.": "Ana", "It is \u201chome\u201d.": "Ren\u00e9e", "No name.": ""}


def test_a_folder_for_one_of_the_sites_pages_is_counted_as_such(tmp_path):
    """A page in reStructuredText, read as Pelican reads it: its comments are on a page."""
    site = bare_site(tmp_path / "site")
    (site / "content" / "essays" / "first.md").write_text(
        "Title: First\nDate: 2015-01-01 10:00\nSlug: first\n\nWords.\n", encoding="utf-8"
    )
    (site / "content" / "pages" / "contact.rst").write_text(
        "Write to me\n###########\n\n:slug: contact\n\nHow to reach me.\n", encoding="utf-8"
    )
    for thread, text in (("first", "On the essay."), ("contact", "On the page."), ("gone", "On nothing.")):
        (tmp_path / "comments" / thread).mkdir(parents=True)
        (tmp_path / "comments" / thread / "1.md").write_text(
            f"date: 2015-02-01T10:00\nauthor: Ana\n\n{text}\n", encoding="utf-8"
        )
    result = import_folder(site, tmp_path / "comments")
    assert result.returncode == 0, result.stderr
    assert "comments on pages skipped (pages take no reflections): 1" in result.stdout
    assert "gone/: 1 comment(s), no essay matches" in result.stdout and "contact/" not in result.stdout
    assert [i.body for i in published.read_all(site / "content" / "reflections")[0]] == ["On the essay."]
