"""Importing an Isso database: one a real Isso 0.14 wrote as readers used it, and a real old one."""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest
from conftest import REFLECTIONS, bare_site, build_site, corpus_file, fetch, free_port, wait_for
from itsdangerous import URLSafeTimedSerializer
from links import broken_links
from pelican.plugins.reflections.core import published

#: Shared with bench/intake.py, which installs the same Isso there.
ISSO_VENV = Path(tempfile.gettempdir()) / "withness-bench-isso-venv"
ISSO_VERSION = "0.14.0"


def ensure_isso() -> Path:
    isso = ISSO_VENV / "bin" / "isso"
    pip = ISSO_VENV / "bin" / "pip"
    if not isso.exists():
        subprocess.run([sys.executable, "-m", "venv", str(ISSO_VENV)], check=True)
    shown = subprocess.run([str(pip), "show", "isso"], capture_output=True, text=True).stdout
    if f"Version: {ISSO_VERSION}" not in shown:
        subprocess.run([str(pip), "install", "-q", f"isso=={ISSO_VERSION}"], check=True)
    return isso


class RunningIsso:
    """Isso itself, moderation on, on a free port; `post` as a reader's browser does."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.database = folder / "comments.db"
        config = folder / "isso.cfg"
        config.write_text(
            f"[general]\ndbpath = {self.database}\nhost = http://127.0.0.1:{self.port}/\n"
            "[moderation]\nenabled = true\n"
            f"[server]\nlisten = http://127.0.0.1:{self.port}/\n"
            "[guard]\nenabled = true\nratelimit = 1000\ndirect-reply = 1000\nreply-to-self = true\n"
            "require-author = false\nrequire-email = false\n"
        )
        self.log = open(folder / "isso.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [str(ensure_isso()), "-c", str(config), "run"], stdout=self.log, stderr=self.log
        )
        wait_for(lambda: fetch(f"http://127.0.0.1:{self.port}/info")[0] == 200)

    def post(self, uri: str, text: str, author: str, email: str = "", website: str = "", parent=None) -> int:
        body = {"text": text, "author": author, "email": email, "website": website, "parent": parent}
        body["title"] = uri.strip("/").rsplit("/", 1)[-1]  # the page's title, as its embed sends
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/new?uri={uri}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{self.port}"},
        )
        with urllib.request.urlopen(request) as answer:
            assert answer.status in (201, 202)
            return json.loads(answer.read())["id"]

    def moderate(self, comment: int, action: str) -> None:
        """What the author's link in Isso's moderation mail does: signed with Isso's own key."""
        with sqlite3.connect(self.database) as database:
            [(key,)] = database.execute("SELECT value FROM preferences WHERE key = 'session-key'")
        signed = URLSafeTimedSerializer(key).dumps(comment)
        status, text = fetch(f"http://127.0.0.1:{self.port}/id/{comment}/{action}/{signed}", data=b"")
        assert status == 200, text

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


def run(site: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [REFLECTIONS, "import", "isso", *arguments], cwd=site, capture_output=True, text=True
    )


def site_with(tmp_path: Path, slugs: list[str]) -> Path:
    site = bare_site(tmp_path / "site")
    for number, slug in enumerate(slugs):
        essay = f"Title: {slug}\nDate: 2024-03-{1 + number:02d} 10:00\nSlug: {slug}\n\nWords.\n"
        (site / "content" / "essays" / f"{slug}.md").write_text(essay, encoding="utf-8")
    return site


def contents(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in (site / "content").rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def isso_database(tmp_path_factory) -> Path:
    """Threads readers wrote through a real Isso: replies, the author's answers, a comment left
    waiting, one deleted that had a reply, a thread on a page that is no essay."""
    folder = tmp_path_factory.mktemp("isso")
    isso = RunningIsso(folder)
    try:
        first = isso.post(
            "/essays/first-light/",
            "The part about *mornings* stayed with me.",
            "Ana",
            "ana@example.org",
            "https://ana.example",
        )
        answer = isso.post(
            "/essays/first-light/", "Thank you, Ana.", "Sam Writer", "me@example.org", parent=first
        )
        isso.post("/essays/first-light/", "And the evenings?", "Ana", "ana@example.org", parent=answer)
        isso.post(
            "/essays/first-light/", "Still thinking about it.", "Ben", "ben@example.org"
        )  # left waiting
        gone = isso.post("/2019/05/the-long-walk.html", "A first word.", "Cy")
        isso.post("/2019/05/the-long-walk.html", "Answering Cy.", "Dee", "dee@example.org", parent=gone)
        isso.post("/about/", "Hello from the about page.", "Eve", "eve@example.org")
        with sqlite3.connect(isso.database) as database:
            waiting = [row[0] for row in database.execute("SELECT id FROM comments WHERE author != 'Ben'")]
        for comment in waiting:
            isso.moderate(comment, "activate")
        isso.moderate(gone, "delete")  # it has a reply: Isso keeps it, marked deleted
    finally:
        isso.stop()
    return isso.database


def test_a_real_isso_database_becomes_the_essays_reflections(tmp_path, isso_database):
    with sqlite3.connect(isso_database) as database:
        rows = database.execute(
            "SELECT c.id, c.parent, c.mode, c.author, c.email, c.website, t.uri FROM comments c "
            "JOIN threads t ON t.id = c.tid"
        ).fetchall()
    modes = [row[2] for row in rows]
    on_essays = [row for row in rows if row[6] != "/about/"]
    accepted = [row for row in on_essays if row[2] == 1]
    emails = {row[4] for row in rows if row[4]}
    assert modes.count(4) == 1 and modes.count(2) == 1 and len(accepted) == 4  # what Isso did

    site = site_with(tmp_path, ["first-light", "the-long-walk"])
    result = run(site, str(isso_database), "--author", "me@example.org")
    assert result.returncode == 0, result.stderr
    assert "comments published: 3" in result.stdout and "imported as responses: 1" in result.stdout
    assert "deleted comments skipped: 1" in result.stdout and "comments queued as pending: 1" in result.stdout
    assert "note: /about/: 1 comment(s), no essay matches" in result.stdout

    items, errors = published.read_all(site / "content" / "reflections")
    assert errors == [] and len(items) == len(accepted)
    by_id = {item.id: item for item in items}
    assert sum(1 for item in items if item.parent) == sum(1 for row in accepted if row[1])
    [response] = [item for item in items if item.kind == "response"]
    assert response.body == "Thank you, Ana." and by_id[response.parent].author == "Ana"
    assert by_id[response.parent].website == "https://ana.example"
    [orphan] = [item for item in items if item.essay == "the-long-walk"]
    assert orphan.author == "Dee" and orphan.parent and orphan.parent not in by_id  # its comment was deleted

    queue = subprocess.run([REFLECTIONS, "queue", "--json"], cwd=site, capture_output=True, text=True)
    [waiting] = json.loads(queue.stdout)
    assert waiting["name"] == "Ben" and waiting["state"] == "pending"

    built = build_site(site / "pelicanconf.py", site / "output", site / "cache", cwd=site)
    assert built.returncode == 0, built.stderr
    page = (site / "output" / "essays" / "the-long-walk" / "index.html").read_text(encoding="utf-8")
    assert "Answering Cy." in page and "A first word." not in page
    everything = b"".join(
        p.read_bytes() for d in ("content", "output") for p in (site / d).rglob("*") if p.is_file()
    )
    assert [email for email in emails if email.encode() in everything] == []
    assert b"127.0.0.1" not in b"".join(contents(site).values())
    assert broken_links(site / "output", other_hosts=True) == []

    before = contents(site)
    again = run(site, str(isso_database), "--author", "me@example.org")
    assert again.returncode == 0 and "comments already published: 4" in again.stdout
    assert "comments already in the queue: 1" in again.stdout
    assert contents(site) == before


def test_the_old_isso_schema_and_a_map(tmp_path):
    database = corpus_file("isso/comments-rocketbin/comments.db@9e3bbc0.db")
    site = site_with(tmp_path, ["rocketbin"])
    dry = run(site, str(database), "--dry-run")
    assert dry.returncode == 0 and "note: /paste/LXGEJA: 3 comment(s), no essay matches" in dry.stdout
    (site / "map.txt").write_text("/paste/LXGEJA rocketbin\n", encoding="utf-8")
    before = contents(site)
    assert run(site, str(database), "--map", "map.txt", "--dry-run").returncode == 0
    assert contents(site) == before
    result = run(site, str(database), "--map", "map.txt")
    assert result.returncode == 0 and "comments published: 3" in result.stdout
    items, _ = published.read_all(site / "content" / "reflections")
    assert {item.body for item in items} >= {"testing comments", '```javascript\nconsole.log("yo");\n```'}
    assert all(item.website == "http://thinkxl.github.io" for item in items)
    assert "203.0.113" not in "".join(published.serialise(item) for item in items)


def test_a_file_that_is_not_an_isso_database_is_one_line(tmp_path):
    site = site_with(tmp_path, ["first"])
    text = tmp_path / "notes.db"
    text.write_text("not a database at all " * 100)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as database:
        database.execute("CREATE TABLE comments (id INTEGER, body TEXT)")
    for path, message in ((text, "not an SQLite database"), (other, "not an Isso database")):
        result = run(site, str(path))
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert message in result.stderr and str(path) in result.stderr
        assert result.stderr.strip().count("\n") == 0
    assert not (site / "content" / "reflections").exists()
    assert os.path.getsize(other) > 0


def test_comments_on_a_page_are_counted_as_such_and_an_author_left_empty_kept_empty(tmp_path, isso_database):
    database = tmp_path / "comments.db"
    database.write_bytes(isso_database.read_bytes())
    with sqlite3.connect(database) as connection:
        (thread,) = connection.execute("SELECT id FROM threads WHERE uri = '/essays/first-light/'").fetchone()
        connection.execute(
            "INSERT INTO comments (tid, parent, created, modified, mode, remote_addr, text, author, email,"
            " website, likes, dislikes, voters) VALUES (?, NULL, 1710000000.5, NULL, 1, '198.51.100.7',"
            " ?, NULL, NULL, NULL, 0, 0, x'00')",
            (thread, "Line one.\r\nLine two."),
        )
    site = site_with(tmp_path, ["first-light", "the-long-walk"])
    (site / "content" / "pages" / "about.md").write_text(
        "Title: About\n\nWho writes here.\n", encoding="utf-8"
    )
    result = run(site, str(database))
    assert result.returncode == 0, result.stderr
    assert "comments on pages skipped (pages take no reflections): 1" in result.stdout
    assert "no essay matches" not in result.stdout
    items = {item.body: item for item in published.read_all(site / "content" / "reflections")[0]}
    assert items["Line one.\nLine two."].author == ""
