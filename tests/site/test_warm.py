"""Incremental publishing (warm.py): only the touched files are written, and after any sequence of
approvals, responses, withdrawals and essay edits the output is byte for byte a full build's."""

import gc
import json
import pickle
import random
import re
import weakref
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import copy_site, differences
from pelican import Pelican
from pelican.plugins.reflections.core.errors import ContentError
from pelican.plugins.reflections.core.threads import walk
from pelican.plugins.reflections.publisher.loop import Publisher
from pelican.plugins.reflections.service.moderation import Moderation
from pelican.plugins.reflections.site import essays, packing
from pelican.plugins.reflections.site import writer as writer_module
from pelican.plugins.reflections.site.warm import WarmSite
from pelican.plugins.reflections.store import Reflection, Store
from pelican.settings import read_settings

#: A minute or more in all (`-m "not slow"` leaves it out of a quick run).
pytestmark = pytest.mark.slow(seconds=45)

TAGS = ["grief", "presence", "listening", "home", "courage", "memory", "family", "friendship"]
#: An id for an item the test adds itself.
LATER = "01KAAAAAAAAAAAAAAAAAAAAAAA"
WORDS = ["kettle", "harbour", "lantern", "orchard", "threshold", "letter", "window", "bridge", "garden"]


def full_build(root: Path, destination: Path) -> Path:
    """What `make html` makes of the site as it is now, from a cold cache."""
    override = {"OUTPUT_PATH": str(destination / "output"), "CACHE_PATH": str(destination / "cache")}
    Pelican(read_settings(str(root / "pelicanconf.py"), override=override)).run()
    return destination / "output"


def essay_text(title: str, slug: str, date: datetime, tags: list[str], paragraphs: list[str]) -> str:
    header = [
        f"Title: {title}",
        f"Date: {date:%Y-%m-%d %H:%M}",
        f"Slug: {slug}",
        "Category: Belonging",
        f"Tags: {', '.join(tags)}",
        f"Summary: A short essay about {title.lower()}.",
        "Reflection_prompt: What would you add?",
    ]
    return "\n".join(header) + "\n\n" + "\n\n".join(paragraphs) + "\n"


class PublishedAtOnce:
    """Moderation acts, each followed by the publisher's round, as `reflections serve` does a moment later."""

    def __init__(self, moderation: Moderation, publisher: Publisher) -> None:
        self.moderation, self.publisher = moderation, publisher

    def __getattr__(self, name: str):
        act = getattr(self.moderation, name)

        def published(*arguments, **options):
            said = act(*arguments, **options)
            assert self.publisher.drain()[1] == []
            return said

        return published


class Scenario:
    """The project's site, a warm build of it, and a queue whose approvals publish incrementally."""

    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.random = random.Random(seed)
        self.essays = root / "content" / "essays"
        # Enough essays for three index pages (eight to a page), each on a distinct day.
        start = datetime(2025, 1, 6, 8, 30)
        for number in range(12):
            tags = self.random.sample(TAGS, 2)
            paragraphs = [f"A paragraph about the {word}." for word in self.random.sample(WORDS, 3)]
            text = essay_text(
                f"Essay {number}", f"essay-{number}", start + timedelta(days=9 * number), tags, paragraphs
            )
            (self.essays / f"essay-{number}.md").write_text(text, encoding="utf-8")
        self.site = WarmSite(str(root / "pelicanconf.py"))
        self.site.build()
        self.store = Store(f"sqlite:///{root / 'reflections.db'}")
        publisher = Publisher(self.store, self.site.settings, self.publish, say=lambda *_a, **_k: None)
        self.moderation = PublishedAtOnce(Moderation(self.store, "The Author"), publisher)
        self.clock = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
        self.written: list[str] | None = []

    def publish(self, slug: str) -> None:
        self.written = self.site.reflections_changed(slug)

    def slugs(self) -> list[str]:
        return sorted(
            re.search(r"^Slug: (.+)$", p.read_text(), re.M).group(1) for p in self.essays.glob("*.md")
        )

    def published(self, kinds=("reflection", "comment", "response")) -> list[Reflection]:
        return [
            r
            for r in self.store.find()
            if r.state == "approved" and r.visibility == "public" and r.kind in kinds
        ]

    def tick(self) -> datetime:
        self.clock += timedelta(minutes=self.random.randint(1, 600))
        return self.clock

    # The operations a random sequence is made of.

    def approve(self) -> str:
        slug = self.random.choice(self.slugs())
        parents = [r for r in self.published(("reflection", "comment")) if r.essay == slug]
        parent = self.random.choice(parents).id if parents and self.random.random() < 0.4 else ""
        moment = self.tick()
        row = Reflection(
            id=f"01K{self.random.getrandbits(100):023X}"[:26],
            essay=slug,
            parent=parent,
            kind=self.random.choice(["reflection", "comment"]),
            visibility=self.random.choice(["public", "public", "public", "private"]),
            state="pending",
            name=self.random.choice(["Ana", "Birgit", "", "Chidi <b>"]),
            body=f"On the {self.random.choice(WORDS)}: *this* stayed with me.",
            content_note=self.random.choice(["", "", "loss"]),
            created=moment,
        )
        self.store.add(row)
        self.moderation.approve(row.id)
        return f"approve {row.id} on {slug}"

    def respond(self) -> str:
        candidates = self.published(("reflection", "comment"))
        if not candidates:
            return self.approve()
        row = self.random.choice(candidates)
        self.moderation.respond(row.id, f"Thank you for the {self.random.choice(WORDS)}.")
        return f"respond to {row.id}"

    def withdraw(self) -> str:
        candidates = self.published()
        if not candidates:
            return self.approve()
        row = self.random.choice(candidates)
        if self.random.random() < 0.5:
            self.moderation.withdraw(row.id)
            return f"withdraw {row.id}"
        self.moderation.unpublish(row.id)
        return f"unpublish {row.id}"

    def edit_essay(self) -> str:
        path = self.random.choice(sorted(self.essays.glob("*.md")))
        text = path.read_text(encoding="utf-8")
        what = self.random.choice(["body", "title", "summary", "tags", "date", "closed"])
        word = self.random.choice(WORDS)
        if what == "body":
            text = text.rstrip("\n") + f"\n\nA new paragraph about the {word}.\n"
        elif what == "title":
            text = re.sub(r"^Title: .*$", f"Title: On the {word.title()}", text, count=1, flags=re.M)
        elif what == "summary":
            text = re.sub(r"^Summary: .*$", f"Summary: Now about the {word}.", text, count=1, flags=re.M)
        elif what == "tags":
            text = re.sub(
                r"^Tags: .*$", "Tags: " + ", ".join(self.random.sample(TAGS, 3)), text, count=1, flags=re.M
            )
        elif what == "date":
            moment = datetime(2024, 1, 1, 9, 0) + timedelta(
                days=self.random.randint(0, 900), minutes=self.random.randint(0, 900)
            )
            text = re.sub(r"^Date: .*$", f"Date: {moment:%Y-%m-%d %H:%M}", text, count=1, flags=re.M)
        else:
            text = text.replace("Reflection_prompt:", "Reflections: closed\nReflection_prompt:", 1)
        path.write_text(text, encoding="utf-8")
        self.written = self.site.files_changed([str(path)])
        return f"edit the {what} of {path.name}"

    def add_essay(self) -> str:
        number = len(list(self.essays.glob("*.md")))
        moment = datetime(2024, 1, 1, 9, 0) + timedelta(
            days=self.random.randint(0, 900), hours=self.random.randint(0, 23)
        )
        path = self.essays / f"new-{number}.md"
        text = essay_text(
            f"New {number}", f"new-{number}", moment, self.random.sample(TAGS, 2), ["A new beginning."]
        )
        path.write_text(text, encoding="utf-8")
        self.written = self.site.files_changed([str(path)])
        return f"add {path.name}"


@pytest.mark.parametrize("seed, kept_lists", [(1, False), (2, False), (3, False), (4, True), (5, True)])
def test_any_sequence_of_changes_gives_the_bytes_of_a_full_build(tmp_path, monkeypatch, seed, kept_lists):
    monkeypatch.chdir(copy_site(tmp_path / "site"))  # the site folder, as `make run` works in it
    if kept_lists:
        # Every list kept joined between publishes, not only those of thousands of essays.
        monkeypatch.setattr(essays, "LIST_MIN", 2)
    scenario = Scenario(tmp_path / "site", seed)
    operations = (
        [scenario.approve] * 4 + [scenario.respond, scenario.withdraw] * 2 + [scenario.edit_essay] * 3
    )
    operations += [scenario.add_essay]
    done = []
    for step in range(14):
        done.append(scenario.random.choice(operations)())
        full = full_build(scenario.root, tmp_path / f"full-{step}")
        assert differences(scenario.root / "output", full) == [], done
    # Every kind of change was made at least once in some seed; this one made several.
    assert len({entry.split()[0] for entry in done}) >= 3, done


@pytest.fixture
def scenario(tmp_path, monkeypatch) -> Scenario:
    monkeypatch.chdir(copy_site(tmp_path / "site"))  # the site folder, as `make run` works in it
    return Scenario(tmp_path / "site", seed=7)


def stamps(output: Path) -> dict[str, int]:
    return {str(p.relative_to(output)): p.stat().st_mtime_ns for p in output.rglob("*") if p.is_file()}


def written(scenario: Scenario) -> set[str]:
    output = (scenario.root / "output").resolve()
    return {str(Path(path).resolve().relative_to(output)) for path in scenario.written}


def test_publishing_a_reflection_writes_only_the_pages_that_show_it(scenario):
    output = scenario.root / "output"
    before = stamps(output)
    scenario.store.add(
        Reflection(
            id=LATER,
            essay="essay-3",
            body="The lantern line stayed with me all week.",
            name="Ana",
            created=datetime(2026, 9, 2, 8, 0, tzinfo=UTC),
        )
    )
    scenario.moderation.approve(LATER)
    # essay-3's card is on the second index page (eight to a page, newest first).
    assert written(scenario) == {
        "essays/essay-3/index.html",
        "page/2/index.html",
        "archives/2025/index.html",  # its year's page; the list of years (archives/) shows no count
        "feeds/reflections/essay-3.atom.xml",
        "feeds/reflections.atom.xml",
    }
    page = (output / "essays/essay-3/index.html").read_text()
    assert "The lantern line stayed with me all week." in page and "1 reflection on" in page
    assert "1 reflection" in (output / "page/2/index.html").read_text()
    after = stamps(output)
    untouched = [name for name in before if name not in written(scenario)]
    assert len(untouched) > 50 and all(after[name] == before[name] for name in untouched)


def test_withdrawing_the_last_reflection_removes_its_feed(scenario):
    feed = scenario.root / "output/feeds/reflections/essay-5.atom.xml"
    scenario.store.add(Reflection(id=LATER, essay="essay-5", body="Briefly here.", created=scenario.tick()))
    scenario.moderation.approve(LATER)
    assert feed.exists()
    scenario.moderation.withdraw(LATER)
    assert not feed.exists()
    assert "Briefly here." not in (scenario.root / "output/essays/essay-5/index.html").read_text()


def test_saving_an_essay_writes_its_page_and_the_lists_that_show_it(scenario):
    path = scenario.essays / "essay-5.md"
    path.write_text(path.read_text() + "\nOne more paragraph, about the harbour at dusk.\n")
    scenario.written = scenario.site.files_changed([str(path)])
    pages = {name for name in written(scenario) if name.startswith("essays/")}
    assert pages == {"essays/essay-5/index.html"}
    assert "about the harbour at dusk" in (scenario.root / "output/essays/essay-5/index.html").read_text()


def test_a_new_title_reaches_the_neighbours_and_the_lists(scenario):
    path = scenario.essays / "essay-5.md"
    path.write_text(path.read_text().replace("Title: Essay 5", "Title: The Harbour at Dusk"))
    scenario.written = scenario.site.files_changed([str(path)])
    names = written(scenario)
    assert {"essays/essay-4/index.html", "essays/essay-5/index.html", "essays/essay-6/index.html"} <= names
    assert "archives/2025/index.html" in names and "sitemap.xml" not in names  # the sitemap shows no titles
    assert "archives/index.html" not in names  # the list of years shows no title
    assert "The Harbour at Dusk" in (scenario.root / "output/archives/2025/index.html").read_text()
    assert not {"essays/essay-2/index.html", "essays/the-kitchen-table/index.html"} & names
    assert "The Harbour at Dusk" in (scenario.root / "output/essays/essay-4/index.html").read_text()


def test_a_theme_change_builds_the_whole_site(scenario):
    stylesheet = scenario.root / "theme/static/css/withness.css"
    stylesheet.write_text(stylesheet.read_text() + "\n/* a change */\n")
    assert scenario.site.files_changed([str(stylesheet)]) is None
    assert "/* a change */" in (scenario.root / "output/theme/css/withness.css").read_text()


def test_pages_are_replaced_whole_never_rewritten_in_place(scenario):
    page = scenario.root / "output/essays/essay-3/index.html"
    inode = page.stat().st_ino
    scenario.store.add(Reflection(id=LATER, essay="essay-3", body="Hello.", created=scenario.tick()))
    scenario.moderation.approve(LATER)
    # A new file renamed over the old one: a reader has the old page or the new, never half of one.
    assert page.stat().st_ino != inode
    assert not [p for p in (scenario.root / "output").rglob("*") if p.name.endswith(".tmp")]


def test_a_broken_essay_stops_only_that_change(scenario):
    path = scenario.essays / "essay-5.md"
    good = path.read_text()
    page = (scenario.root / "output/essays/essay-5/index.html").read_text()
    path.write_text(good.replace("Date: ", "Date: someday ", 1))
    with pytest.raises(ContentError, match="essay-5.md: Date:"):
        scenario.site.files_changed([str(path)])
    assert (scenario.root / "output/essays/essay-5/index.html").read_text() == page
    path.write_text(good.replace("Title: Essay 5", "Title: Essay Five"))
    scenario.site.files_changed([str(path)])
    assert "Essay Five" in (scenario.root / "output/essays/essay-5/index.html").read_text()
    assert (
        differences(scenario.root / "output", full_build(scenario.root, scenario.root.parent / "full")) == []
    )


def test_a_renamed_or_removed_essay_leaves_no_page_behind(scenario):
    output = scenario.root / "output"
    renamed = scenario.essays / "essay-5.md"
    renamed.write_text(renamed.read_text().replace("Slug: essay-5", "Slug: the-harbour"))
    assert scenario.site.files_changed([str(renamed)]) is None  # a new address: a whole build
    assert (output / "essays/the-harbour/index.html").exists()
    assert not (output / "essays/essay-5").exists()
    (scenario.essays / "essay-7.md").unlink()
    scenario.site.files_changed([str(scenario.essays / "essay-7.md")])
    assert not (output / "essays/essay-7").exists()
    full = full_build(scenario.root, scenario.root.parent / "full")
    assert differences(output, full) == []


def test_a_tag_or_category_no_essay_has_any_more_leaves_no_page_behind(scenario):
    output = scenario.root / "output"
    essay = scenario.essays / "essay-3.md"
    text = essay.read_text(encoding="utf-8")
    lonely = re.sub(r"^Tags: (.*)$", r"Tags: \1, lonely", text, count=1, flags=re.M)
    lonely = lonely.replace("Category: Belonging", "Category: Solitude")
    essay.write_text(lonely, encoding="utf-8")
    scenario.site.files_changed([str(essay)])
    assert (output / "tag/lonely/index.html").exists()
    assert (output / "category/solitude/index.html").exists()
    essay.write_text(text, encoding="utf-8")
    scenario.site.files_changed([str(essay)])
    assert not (output / "tag/lonely/index.html").exists()
    assert not (output / "feeds/tag/lonely.atom.xml").exists()
    assert not (output / "category/solitude/index.html").exists()
    assert differences(output, full_build(scenario.root, scenario.root.parent / "full")) == []


def test_a_served_site_is_never_emptied_by_a_whole_build(tmp_path, monkeypatch):
    root = copy_site(tmp_path / "site")
    monkeypatch.chdir(root)
    site = WarmSite(str(root / "publishconf.py"))  # publishconf.py empties the output folder
    site.build()
    kept = root / "output" / "kept-by-the-web-server.txt"
    kept.write_text("not the build's")
    stylesheet = root / "theme/static/css/withness.css"
    stylesheet.write_text(stylesheet.read_text() + "\n/* a change */\n")
    assert site.files_changed([str(stylesheet)]) is None
    # The second whole build runs under a serving web server: it replaces pages, it empties nothing.
    assert kept.read_text() == "not the build's"
    assert (root / "output/essays/the-kitchen-table/index.html").exists()


def test_a_whole_build_lets_the_last_one_go(scenario):
    """Pelican memoizes every essay's HTML in one dict for the life of the process; a served site
    must not keep each whole build's essays alive through it (nor hold their HTML twice)."""
    first = weakref.ref(scenario.site.essays.articles[0])
    scenario.site.build()
    gc.collect()
    assert first() is None


def test_an_essay_keeps_its_reflections_packed_and_reads_them_back(scenario):
    essay = next(e for e in scenario.site.essays.articles if e.reflection_thread)
    assert isinstance(essay.__dict__["_packed_thread"], packing.Spooled)
    assert 'id="r-' in essay.reflection_thread_html
    assert essay.structured_data["commentCount"] == len(list(walk(essay.reflection_thread)))


def test_what_only_an_essays_page_shows_is_let_go_and_made_again_as_the_page_has_it(scenario):
    """Once the kept build has written the pages, a thread's HTML and the JSON-LD are let go: a
    publish that renders the page again (a neighbour's edit) makes them again, the same."""
    threaded = [e for e in scenario.site.essays.articles if e.reflection_thread]
    assert threaded
    for essay in threaded:
        assert "_packed_thread_html" not in essay.__dict__
        assert "_packed_structured_data" not in essay.__dict__
        page = (scenario.root / "output" / essay.save_as).read_text()
        assert str(essay.reflection_thread_html) in page
        shown = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
        assert essay.structured_data == json.loads(shown)


def test_an_essay_keeps_its_html_packed_once_its_pages_are_written(scenario):
    """A third of a kept build was its essays' HTML: packed after the whole build wrote the pages,
    once for an essay whose HTML the passages' counts leave as it was."""
    for essay in scenario.site.essays.articles:
        held = essay.__dict__
        assert "_content" not in held and "_plain_content" not in held
        assert isinstance(held["_packed_content"], packing.Spooled)
        if essay.reflection_original_content == essay._content:
            assert held["_packed_original_content"] is held["_packed_content"]
        page = (scenario.root / "output" / essay.save_as).read_text()
        first_paragraph = re.search(r"<p[ >].*?</p>", essay._content, re.S).group(0)
        assert first_paragraph in page


def spooled_values(articles) -> list:
    return [
        value for essay in articles for value in essay.__dict__.values() if isinstance(value, packing.Spooled)
    ]


def test_what_a_kept_build_packed_waits_on_disk_and_is_its_bytes_when_pickled(scenario):
    """Once the pages are written, the packed HTML and threads are in a file, not the process's
    memory: read back, they are what the pages show; pickled (Pelican's cache), the bytes
    themselves, never a place in a file that goes with the process."""
    scenario.site.build()
    articles = scenario.site.essays.articles
    spooled = spooled_values(articles)
    assert len({id(value._file) for value in spooled}) == 1
    assert not [
        name for essay in articles for name, value in essay.__dict__.items() if type(value) is bytes and value
    ]
    for essay in articles:
        page = (scenario.root / "output" / essay.save_as).read_text()
        assert re.search(r"<p[ >].*?</p>", essay._content, re.S).group(0) in page
        for node in walk(essay.reflection_thread):
            assert f'id="r-{node.item.id}"' in page
        again = pickle.loads(pickle.dumps(essay.__dict__["_packed_content"]))
        assert type(again) is bytes and packing.text(again) == essay._content
    # A publish packs what it changes in memory, as before, and the page shows it.
    essay = next(e for e in articles if e.reflection_thread)
    scenario.store.add(
        Reflection(id=LATER, essay=essay.slug, body="Read back after.", created=scenario.tick())
    )
    scenario.moderation.approve(LATER)
    changed = next(e for e in scenario.site.essays.articles if e.slug == essay.slug)
    assert type(changed.__dict__["_packed_thread"]) is bytes
    assert "Read back after." in (scenario.root / "output" / changed.save_as).read_text()


def test_a_full_disk_keeps_what_was_packed_in_memory(scenario, monkeypatch, caplog):
    """Nothing is moved unless all of it was written: on a full disk (/dev/full) every essay keeps
    its packed bytes, and a publish afterwards still shows the thread."""
    monkeypatch.setattr(packing, "_spool_file", lambda folder: open("/dev/full", "r+b", buffering=0))
    scenario.site.build()
    assert "stays in memory" in caplog.text
    articles = scenario.site.essays.articles
    assert not spooled_values(articles)
    essay = next(e for e in articles if e.reflection_thread)
    assert type(essay.__dict__["_packed_thread"]) is bytes
    scenario.store.add(
        Reflection(id=LATER, essay=essay.slug, body="Kept in memory.", created=scenario.tick())
    )
    scenario.moderation.approve(LATER)
    assert "Kept in memory." in (scenario.root / "output" / essay.save_as).read_text()


def test_kept_essays_share_one_object_for_each_tag_category_and_author(scenario):
    articles = scenario.site.essays.articles
    names = [name for essay in articles for name in (*essay.tags, essay.category, *essay.authors)]
    assert len(names) > 2 * len({(type(name), name.slug) for name in names})
    assert len({id(name) for name in names}) == len({(type(name), name.slug) for name in names})
    for essay in articles:
        assert essay.metadata["tags"] is essay.tags
        assert (scenario.root / "output" / essay.tags[0].save_as).exists()


def test_a_reflection_renders_only_the_index_page_that_lists_its_essay(scenario, monkeypatch):
    """Publishing stays flat as a site grows: Pelican's paginated writer would make every index
    page's context to keep one; only the page that shows the essay's count is made."""
    considered: list[str] = []
    render = writer_module._GatedTemplate.render

    def counting(self, localcontext):
        if self.stem == "index":
            considered.append(localcontext["output_file"])
        return render(self, localcontext)

    monkeypatch.setattr(writer_module._GatedTemplate, "render", counting)
    oldest = min(scenario.site.essays.articles, key=lambda essay: essay.date)  # on the last page
    scenario.store.add(Reflection(id=LATER, essay=oldest.slug, body="Hello.", created=scenario.tick()))
    scenario.moderation.approve(LATER)
    last = 1 + len(list((scenario.root / "output" / "page").glob("*/index.html")))
    assert last >= 2
    assert considered == [f"page/{last}/index.html"]
    assert (
        differences(scenario.root / "output", full_build(scenario.root, scenario.root.parent / "full")) == []
    )


def test_passage_links_on_a_site_without_summaries_are_the_same_in_a_whole_and_a_warm_build(
    tmp_path, monkeypatch
):
    """Essays with no `Summary:` (most sites'): Pelican makes each summary from the content, and
    memoises it. The "1 reflection on this passage" link is on the essay's page in a whole build
    as in a warm one, and never in the index's excerpt, the meta description or the JSON-LD."""
    root = copy_site(tmp_path / "site")
    monkeypatch.chdir(root)
    folder = root / "content" / "essays"
    for path in folder.glob("*.md"):
        path.unlink()
    for number in range(3):
        (folder / f"plain-{number}.md").write_text(
            f"Title: Plain {number}\nDate: 2025-0{number + 1}-03 10:00\nSlug: plain-{number}\n\n"
            f"The kettle sang in the morning and nobody answered it, essay {number}.\n\n"
            "A second paragraph, about the harbour and the long walk home.\n",
            encoding="utf-8",
        )
    site = WarmSite(str(root / "pelicanconf.py"))
    site.build()
    page = (root / "output" / "essays" / "plain-1" / "index.html").read_text(encoding="utf-8")
    anchor = re.search(r'<p id="(p-[^"]+)"', page).group(1)
    store = Store(f"sqlite:///{root / 'reflections.db'}")
    publisher = Publisher(store, site.settings, site.reflections_changed, say=lambda *_a, **_k: None)
    moderation = PublishedAtOnce(Moderation(store, "The Author"), publisher)
    store.add(
        Reflection(
            id=LATER,
            essay="plain-1",
            body="The kettle, yes.",
            name="Ana",
            passage=anchor,
            quote="The kettle sang",
            created=datetime(2026, 9, 2, 8, 0, tzinfo=UTC),
        )
    )
    moderation.approve(LATER)
    full = full_build(root, tmp_path / "full")
    for output in (root / "output", full):
        page = (output / "essays" / "plain-1" / "index.html").read_text(encoding="utf-8")
        assert "1 reflection on this passage" in page, output
        head = page.split("</head>")[0]
        assert "reflection on this passage" not in head, output  # meta, Open Graph, JSON-LD
        index = (output / "index.html").read_text(encoding="utf-8")
        assert "The kettle sang" in index and "reflection on this passage" not in index, output
    assert differences(root / "output", full) == []
