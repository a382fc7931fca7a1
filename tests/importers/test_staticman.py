"""Importing Staticman's comment files (two real sites, two schemas), counts from the files."""

import hashlib
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from conftest import REFLECTIONS, bare_site, build_site, corpus_file
from links import broken_links
from pelican.plugins.reflections.core import published

#: A minute or more in all (`-m "not slow"` leaves it out of a quick run).
pytestmark = pytest.mark.slow(seconds=30)


def staticman_site(name: str) -> Path:
    return corpus_file(f"staticman/{name}/staticman.yml").parent


def comment_files(site: Path) -> dict[Path, dict]:
    """Every comment file and its fields, read here independently of the importer."""
    files = {}
    for path in sorted(site.rglob("_data/comments/*/*.yml")):
        [fields] = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
        files[path] = fields
    return files


def site_for(tmp_path: Path, folders: list[str], name: str = "site") -> Path:
    site = bare_site(tmp_path / name)
    for number, slug in enumerate(folders):
        essay = f"Title: {slug}\nDate: 2016-01-{1 + number % 28:02d} 10:00\nSlug: {slug}\n\nWords.\n"
        (site / "content" / "essays" / f"{slug}.md").write_text(essay, encoding="utf-8")
    return site


def run(site: Path, *arguments: str, zone: str = "UTC") -> subprocess.CompletedProcess:
    return subprocess.run(
        [REFLECTIONS, "import", "staticman", *arguments],
        cwd=site,
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": zone},
    )


def contents(site: Path, *folders: str) -> dict[str, bytes]:
    return {
        str(p.relative_to(site)): p.read_bytes()
        for folder in folders
        for p in (site / folder).rglob("*")
        if p.is_file()
    }


def test_made_mistakes_threads_replies_responses_and_websites(tmp_path):
    source = staticman_site("made-mistakes")
    files = comment_files(source)
    owner = "Michael Rose"
    replies = [f for f in files.values() if str(f.get("replying_to") or "").strip()]
    answering = [f for f in replies if f["name"] == owner]
    # A response is the site's own words: its website is the site, left out.
    websites = {
        f["url"]
        for f in files.values()
        if str(f.get("url") or "").startswith(("http://", "https://")) and not any(f is a for a in answering)
    }
    # The email fields (md5 hashes), save one a commenter pasted into their public words.
    words = "\n".join(str(f.get("message")) for f in files.values())
    hashes = {f["email"] for f in files.values() if f.get("email") and f["email"] not in words}
    assert len(files) > 700 and replies and answering and websites and hashes

    site = site_for(tmp_path, sorted({path.parent.name for path in files}))
    # Given the site (its staticman.yml says where the comments are).
    result = run(site, str(source), "--author", owner)
    assert result.returncode == 0, result.stderr
    items, errors = published.read_all(site / "content" / "reflections")
    assert errors == []
    assert len(items) == len(files)
    assert sum(1 for item in items if item.parent) == len(replies)
    assert len([item for item in items if item.kind == "response"]) == len(answering)
    assert f"the author's replies imported as responses: {len(answering)}" in result.stdout
    assert {item.website for item in items if item.website} == websites
    # A numbered reply answers the thread's top-level comment of that number (file-name order).
    by_id = {item.id: item for item in items}
    thanks = [i for i in items if i.parent and i.body.startswith("You're welcome Laura")]
    assert thanks and by_id[thanks[0].parent].author == "Laura Tucker"

    built = build_site(site / "pelicanconf.py", site / "output", site / "cache", cwd=site)
    assert built.returncode == 0, built.stderr
    everything = b"".join(contents(site, "content", "output").values())
    assert [h for h in hashes if h.encode() in everything] == []  # md5'd emails stay out too
    assert broken_links(site / "output", other_hosts=True) == []
    page = (site / "output" / "essays" / "jekyll-static-comments" / "index.html").read_text(encoding="utf-8")
    assert (
        'href="http://frank.taillandier.me" rel="nofollow ugc noopener"><bdi>Frank Taillandier</bdi></a>'
        in page
    )

    before = contents(site, "content")
    again = run(site, str(source / "src" / "_data" / "comments"), "--author", owner)  # the folder itself
    assert again.returncode == 0, again.stderr
    assert f"comments already published: {len(files)}" in again.stdout
    assert contents(site, "content") == before


def test_binfalse_two_document_yaml_naive_dates_and_unmatched_threads(tmp_path):
    source = staticman_site("binfalse.de")
    files = comment_files(source)
    threads = sorted({path.parent.name for path in files})
    wrapped = [p for p in files if p.read_text(encoding="utf-8").startswith("---")]
    assert len(wrapped) > 200  # yaml.safe_load refuses these; safe_load_all reads them
    left_out = threads[-5:]
    missing = sum(1 for path in files if path.parent.name in left_out)

    made = {}
    for zone in ("UTC", "Pacific/Auckland"):
        site = site_for(tmp_path, threads[:-5], name=zone.replace("/", "-"))
        (site / "pelicanconf.py").write_text(
            (site / "pelicanconf.py").read_text(encoding="utf-8") + '\nTIMEZONE = "Europe/Berlin"\n',
            encoding="utf-8",
        )
        dry = run(site, str(source), "--dry-run", zone=zone)
        assert dry.returncode == 0, dry.stderr
        assert not (site / "content" / "reflections").exists()
        result = run(site, str(source), zone=zone)
        assert result.returncode == 0, result.stderr
        made[zone] = contents(site, "content")
    assert made["UTC"] == made["Pacific/Auckland"]  # the site's zone, never the machine's

    for slug in left_out:
        count = sum(1 for path in files if path.parent.name == slug)
        assert f"note: {slug}: {count} comment(s), no essay matches" in result.stdout
    assert f"comments on threads that match no essay (see below; --map): {missing}" in result.stdout
    items, errors = published.read_all(site / "content" / "reflections")
    assert errors == [] and len(items) == len(files) - missing
    # '2010-09-20 03:02:28' is the site's time (Berlin, summer): 01:02:28 UTC.
    [suffix_trees] = [i for i in items if i.body.startswith("<strong>Suffix trees")]
    assert suffix_trees.date == datetime(2010, 9, 20, 1, 2, 28, tzinfo=UTC)
    assert suffix_trees.date.utcoffset() == timedelta(hours=2)

    # The threads that matched nothing, mapped and imported again: only they are added.
    (site / "map.txt").write_text("".join(f"{slug} {threads[0]}\n" for slug in left_out), encoding="utf-8")
    mapped = run(site, str(source), "--map", "map.txt")
    assert mapped.returncode == 0, mapped.stderr
    assert f"comments already published: {len(files) - missing}" in mapped.stdout
    assert len(published.read_all(site / "content" / "reflections")[0]) == len(files)


def test_the_authors_md5_hashed_email_finds_their_replies(tmp_path):
    comments = tmp_path / "old" / "_data" / "comments" / "first"
    comments.mkdir(parents=True)
    hashed = hashlib.md5(b"me@example.org").hexdigest()
    (comments / "comment-1500000000000.yml").write_text(
        "_id: a1\nname: Reader\nemail: 0f\nmessage: Thank you.\ndate: '2017-07-14T02:40:00.000Z'\n"
    )
    (comments / "comment-1500000100000.json").write_text(
        f'{{"_id": "b2", "name": "Me", "email": "{hashed}", "message": "Thank *you*.", '
        '"replying_to_uid": "a1"}'
    )
    site = site_for(tmp_path, ["first"])
    result = run(site, str(tmp_path / "old" / "_data" / "comments"), "--author", "Me@Example.org")
    assert result.returncode == 0, result.stderr
    items, _ = published.read_all(site / "content" / "reflections")
    [reply] = [i for i in items if i.parent]
    assert reply.kind == "response" and reply.body == "Thank *you*."
    # Its date came from the file name: Staticman's {@timestamp}.
    assert reply.date.timestamp() == 1500000100


@pytest.mark.parametrize(
    "name, text, message",
    [
        (
            "comment-1.yml",
            "name: x\nmessage: !!python/object/apply:os.system ['touch pwned']\n",
            "not readable YAML",
        ),
        ("comment-1.yml", "name: [unclosed\n", "not readable YAML"),
        ("comment-1.yml", "- a list\n- of things\n", "not a Staticman comment"),
        ("comment-1.json", '{"name": "x", "message": ', "not readable JSON"),
        ("comment-1.yml", "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nname: *c\nmessage: hi\n", None),
    ],
)
def test_hostile_and_broken_files_are_one_line_and_write_nothing(tmp_path, name, text, message):
    folder = tmp_path / "comments" / "first"
    folder.mkdir(parents=True)
    (folder / "comment-2.yml").write_text("name: Fine\nmessage: A fine comment.\ndate: 2020-01-01\n")
    (folder / name).write_text(text, encoding="utf-8")
    site = site_for(tmp_path, ["first"])
    result = run(site, str(tmp_path / "comments"))
    assert "Traceback" not in result.stderr and not (site / "pwned").exists()
    if message is None:  # aliases are not expanded into a name: the comment has none, it is kept
        assert result.returncode == 0, result.stderr
        return
    # Refused whole, the file named with its reason on its own line, and the way on said.
    assert result.returncode == 1
    assert any(line.strip().startswith(f"first/{name}: {message}") for line in result.stderr.splitlines())
    assert "--skip-unreadable" in result.stderr
    assert not (site / "content" / "reflections").exists()


def test_a_folder_with_no_comments_is_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    site = site_for(tmp_path, ["first"])
    result = run(site, str(tmp_path / "empty"))
    assert result.returncode == 1 and "no Staticman comment files" in result.stderr


def test_python_2_string_tags_are_read_as_strings_and_no_other_python_tag(tmp_path):
    folder = tmp_path / "comments" / "first"
    folder.mkdir(parents=True)
    (folder / "comment-1.yml").write_text(
        "name: !!python/unicode 'Ren\u00e9e'\nmessage: !!python/str \"Thank you for this.\"\n"
        "email: !!python/unicode ''\ndate: 2013-05-04 10:00:00\n",
        encoding="utf-8",
    )
    (folder / "comment-2.yml").write_text(
        "name: !!python/object/new:os.system ['touch pwned']\nmessage: hi\ndate: 2013-05-04\n",
        encoding="utf-8",
    )
    site = site_for(tmp_path, ["first"])
    result = run(site, str(tmp_path / "comments"), "--skip-unreadable")
    assert result.returncode == 0, result.stderr
    assert not (site / "pwned").exists() and "first/comment-2.yml: not readable YAML" in result.stdout
    [item] = published.read_all(site / "content" / "reflections")[0]
    assert (item.author, item.body) == ("Ren\u00e9e", "Thank you for this.")


def test_unreadable_files_are_listed_in_the_dry_run_and_refused_unless_skipped(tmp_path):
    folder = tmp_path / "comments" / "first"
    folder.mkdir(parents=True)
    (folder / "comment-1.yml").write_text("name: Fine\nmessage: A fine comment.\ndate: 2020-01-01\n")
    (folder / "comment-2.yml").write_text("name: [unclosed\n")
    (folder / "comment-3.json").write_text('{"name": "x", "message": ')
    site = site_for(tmp_path, ["first"])
    dry = run(site, str(tmp_path / "comments"), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "unreadable files, which the import refuses without --skip-unreadable: 2" in dry.stdout
    assert "first/comment-2.yml: not readable YAML" in dry.stdout
    assert "first/comment-3.json: not readable JSON" in dry.stdout
    refused = run(site, str(tmp_path / "comments"))
    assert refused.returncode == 1 and "2 file(s) cannot be read, so nothing was imported" in refused.stderr
    assert "Traceback" not in refused.stderr and not (site / "content" / "reflections").exists()
    skipped = run(site, str(tmp_path / "comments"), "--skip-unreadable")
    assert skipped.returncode == 0, skipped.stderr
    assert "unreadable files skipped: 2" in skipped.stdout
    assert [i.body for i in published.read_all(site / "content" / "reflections")[0]] == ["A fine comment."]


def test_the_shapes_real_exports_take(tmp_path):
    """A byte order mark and CRLF, Windows-1252 bytes in a UTF-8 file, an empty author, a date
    without a zone (the site's), and a folder named like its Jekyll post."""
    folder = tmp_path / "comments" / "2016-01-01-first"
    folder.mkdir(parents=True)
    (folder / "comment-1.yml").write_bytes(
        b'\xef\xbb\xbfname: Ana\r\nmessage: "Line one.\\r\\nLine two."\r\ndate: 2016-02-03 04:05:06\r\n'
    )
    (folder / "comment-2.yml").write_bytes(
        b"name: Ren\xe9e\nmessage: It is \x93home\x94 now, caf\xc3\xa9.\ndate: 2016-02-04\n"
    )
    (folder / "comment-3.yml").write_text("name: ''\nmessage: No name given.\ndate: '2016-02-05T10:00:00'\n")
    site = site_for(tmp_path, ["first"])
    (site / "pelicanconf.py").write_text(
        (site / "pelicanconf.py").read_text(encoding="utf-8") + '\nTIMEZONE = "Europe/Berlin"\n',
        encoding="utf-8",
    )
    result = run(site, str(tmp_path / "comments"))
    assert result.returncode == 0, result.stderr
    assert "no essay matches" not in result.stdout
    items = {i.body: i for i in published.read_all(site / "content" / "reflections")[0]}
    assert set(items) == {"Line one.\nLine two.", "It is \u201chome\u201d now, caf\u00e9.", "No name given."}
    assert items["Line one.\nLine two."].author == "Ana"
    assert items["It is \u201chome\u201d now, caf\u00e9."].author == "Ren\u00e9e"
    assert items["No name given."].author == ""
    # Times without a zone are the site's (Berlin, winter: UTC+1).
    assert items["Line one.\nLine two."].date == datetime(2016, 2, 3, 3, 5, 6, tzinfo=UTC)
    assert items["No name given."].date == datetime(2016, 2, 5, 9, 0, tzinfo=UTC)


def test_a_thread_on_one_of_the_sites_pages_is_counted_as_such(tmp_path):
    for thread, text in (("first", "On the essay."), ("about", "On the page.")):
        (tmp_path / "comments" / thread).mkdir(parents=True)
        (tmp_path / "comments" / thread / "comment-1.yml").write_text(
            f"name: Ana\nmessage: {text}\ndate: 2016-02-03 04:05:06\n", encoding="utf-8"
        )
    site = site_for(tmp_path, ["first"])
    (site / "content" / "pages" / "about.md").write_text(
        "Title: About\n\nWho writes here.\n", encoding="utf-8"
    )
    result = run(site, str(tmp_path / "comments"))
    assert result.returncode == 0, result.stderr
    assert "comments on pages skipped (pages take no reflections): 1" in result.stdout
    assert "no essay matches" not in result.stdout
    assert [i.body for i in published.read_all(site / "content" / "reflections")[0]] == ["On the essay."]
