"""Every hostile payload (the project's own and the whole public corpus) through every render path,
loaded in Chromium: essay pages, lists, feeds as a feed reader shows their entries, and every page
of the service and of the moderation. Nothing may fire, and no page may throw."""

import functools
import html
import shutil
import threading
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer

import feedparser
import pytest
from conftest import (
    AUTHOR_PASSWORD,
    HOSTILE,
    QuietHandler,
    RunningService,
    build_site,
    copy_site,
    corpus_payloads,
    essay_slugs,
    with_password,
)
from pelican.plugins.reflections.core import lengths, published
from pelican.plugins.reflections.core.published import PublishedItem
from pelican.plugins.reflections.elsewhere import text
from pelican.plugins.reflections.service import config as service_config
from pelican.plugins.reflections.service.guard import Guard
from pelican.plugins.reflections.store import Reflection, Store, body_hash

#: A minute or more in all (`-m "not slow"` leaves it out of a quick run).
pytestmark = pytest.mark.slow(seconds=170)

# Runs before any script of the page: records every dialog, any call of __pwn(…) and any write to
# window.__pwn, so a payload that runs is seen whichever way it reports itself.
INSTRUMENT = """
window.__fired = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__fired.push(name + ": " + String(args[0])); };
}
const __record = (...args) => { window.__fired.push("__pwn(" + args.map(String).join(", ") + ")"); };
Object.defineProperty(window, "__pwn", {
  set(value) { window.__fired.push("__pwn = " + String(value)); },
  get() { return __record; },
});
"""


def payloads() -> list[str]:
    """The project's payloads and every line of the public corpus (required: see corpus_file)."""
    return list(HOSTILE) + corpus_payloads()


def build_hostile_site(root, settings: str = "pelicanconf.py", slugs: list[str] | None = None):
    """The site with every payload published as a body, a name and a content note (over its
    essays `slugs`, this project's by default); served."""
    shutil.rmtree(root / "content" / "reflections", ignore_errors=True)
    slugs = slugs or essay_slugs()
    start = datetime(2026, 6, 1, tzinfo=UTC)
    previous: dict[str, str] = {}
    for number, payload in enumerate(payloads()):
        essay = slugs[number % len(slugs)]
        item = PublishedItem(
            id=f"x{number:06d}",
            essay=essay,
            kind=("reflection", "comment", "response")[number % 3],
            date=start + timedelta(minutes=number),
            body=payload,
            author=payload[: lengths.MAX_NAME],
            content_note=payload[: lengths.MAX_CONTENT_NOTE] if number % 2 else "",
            parent=previous.get(essay, "") if number % 3 else "",
        )
        published.write(root / "content" / "reflections", item)
        previous[essay] = item.id
        # The same payload as a reply from elsewhere would bring it: a blog's or Mastodon's HTML,
        # Bluesky's plain text, made into reader text as the replies worker does.
        origin = published.ORIGINS[number % 3]
        words = (text.from_plain if origin == "bluesky" else text.from_html)(payload)[0]
        if words.strip():  # a reply with no words left is never queued
            published.write(
                root / "content" / "reflections",
                PublishedItem(
                    id=f"e{number:06d}",
                    essay=essay,
                    kind="reflection",
                    date=start + timedelta(minutes=number, seconds=30),
                    body=words,
                    author=payload[: lengths.MAX_NAME],
                    website="https://elsewhere.example/@reader",
                    origin=origin,
                    source=f"https://elsewhere.example/replies/{number}",
                ),
            )
    result = build_site(root / settings, root / "output", root / "cache", cwd=root)
    assert result.returncode == 0, result.stderr
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root / "output"))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, (f"http://127.0.0.1:{server.server_address[1]}", slugs, root / "output")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    server, site = build_hostile_site(copy_site(tmp_path_factory.mktemp("hostile") / "site"))
    yield site
    server.shutdown()


@pytest.fixture(scope="module")
def hostile_site_without_autoescape(tmp_path_factory):
    """The same, on a site that leaves Jinja's autoescape off, as Pelican does by default: the plugin
    escapes what readers sent by itself."""
    root = copy_site(tmp_path_factory.mktemp("hostile-plain") / "site")
    (root / "plainconf.py").write_text(
        "import os, sys\nsys.path.append(os.path.dirname(os.path.abspath(__file__)))\n"
        "from pelicanconf import *  # noqa: F403\n\n"
        "JINJA_ENVIRONMENT = {'trim_blocks': True, 'lstrip_blocks': True}\n",
        encoding="utf-8",
    )
    server, site = build_hostile_site(root, "plainconf.py")
    yield site
    server.shutdown()


def instrumented(context) -> None:
    context.add_init_script(INSTRUMENT)
    # Nothing may leave the machine: a payload pointing elsewhere is answered with nothing.
    context.route(
        "**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort()
    )


def look_all(context, urls: list[str], at_once: int = 12) -> dict[str, list[str]]:
    """Open pages as a curious reader would (every fold open, the pointer moved over it), several at
    once, then one wait serves them all (each page still has the whole wait after its pointer
    moved, for a handler that fires late): by address, what fired and every error the page threw."""
    tabs = []
    for _ in range(min(at_once, len(urls))):
        page, errors = context.new_page(), []
        page.on("pageerror", lambda error, errors=errors: errors.append(f"page error: {error}"))
        page.on("dialog", lambda dialog: dialog.dismiss())
        tabs.append((page, errors))
    found: dict[str, list[str]] = {}
    for start in range(0, len(urls), at_once):
        batch = list(zip(urls[start : start + at_once], tabs, strict=False))
        for url, (page, errors) in batch:
            errors.clear()
            page.goto(url, wait_until="load", timeout=120_000)
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            page.mouse.move(200, 200)
        batch[-1][1][0].wait_for_timeout(300)
        for url, (page, errors) in batch:
            found[url] = page.evaluate("window.__fired") + errors
    for page, _errors in tabs:
        page.close()
    return found


def visit(browser, url: str) -> list[str]:
    context = browser.new_context()
    instrumented(context)
    found = look_all(context, [url])[url]
    context.close()
    return found


def test_no_payload_fires_on_any_essay_page(browser, hostile_site):
    base, slugs, output = hostile_site
    assert len(payloads()) >= len(HOSTILE)
    for slug in slugs:
        page = (output / "essays" / slug / "index.html").read_text(encoding="utf-8")
        assert 'class="reflection-elsewhere"' in page, slug  # replies from elsewhere are there too
        assert visit(browser, f"{base}/essays/{slug}/") == [], slug


def test_no_payload_fires_where_the_site_leaves_autoescape_off(browser, hostile_site_without_autoescape):
    base, slugs, output = hostile_site_without_autoescape
    page = (output / "essays" / slugs[0] / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwn = 1&lt;/script&gt;" in page  # escaped by the plugin itself
    for slug in slugs:
        assert visit(browser, f"{base}/essays/{slug}/") == [], slug


def test_no_payload_fires_on_the_lists(browser, hostile_site):
    base, _slugs, output = hostile_site
    archives = output / "archives"
    years = sorted(f"/archives/{folder.name}/" for folder in archives.iterdir() if folder.is_dir())
    assert years  # the year pages, with their counts, are visited too
    for path in ("/", "/archives/", *years):
        assert visit(browser, base + path) == [], path


def feed_reader_page(feed: str) -> str:
    """A feed as a feed reader shows it: each entry's title as text and its content as HTML, with
    no sanitizing of its own (the worst a reader can do; the feed must be safe by itself)."""
    parsed = feedparser.parse(feed, sanitize_html=False, resolve_relative_uris=False)
    assert parsed.entries, feed
    articles = [
        f"<article><h2>{html.escape(entry.title)}</h2>{entry.content[0].value}</article>"
        for entry in parsed.entries
    ]
    return "<!doctype html><meta charset=utf-8><title>reader</title>" + "\n".join(articles)


def test_no_payload_fires_in_a_feed_reader(browser, hostile_site):
    base, slugs, output = hostile_site
    feeds = ["feeds/reflections.atom.xml", *(f"feeds/reflections/{slug}.atom.xml" for slug in slugs)]
    for number, feed in enumerate(feeds):
        page = output / f"feed-reader-{number}.html"
        page.write_text(feed_reader_page(str(output / feed)), encoding="utf-8")
        assert visit(browser, f"{base}/{page.name}") == [], feed


def test_the_instrument_would_notice_a_payload_that_ran(browser, hostile_site):
    base, _slugs, _output = hostile_site
    context = browser.new_context()
    context.add_init_script(INSTRUMENT)
    page = context.new_page()
    page.goto(base + "/")
    page.evaluate("alert('probe'); window.__pwn = 1; __pwn(7)")
    assert page.evaluate("window.__fired") == ["alert: probe", "__pwn = 1", "__pwn(7)"]
    context.close()


def test_pages_looked_at_together_each_notice_a_handler_that_fires_late(browser, hostile_site):
    """look_all's one wait serves every page of a batch: a payload that fires 200 ms after the
    pointer moves over the last-but-one page is still caught, on that page alone."""
    base, slugs, output = hostile_site
    late = '<div style="position:fixed;inset:0" onmouseover="setTimeout(() => alert(\'late\'), 200)"></div>'
    (output / "late-probe.html").write_text(f"<!doctype html><title>probe</title>{late}", encoding="utf-8")
    context = browser.new_context()
    instrumented(context)
    urls = [f"{base}/essays/{slug}/" for slug in slugs[:2]] + [f"{base}/late-probe.html", f"{base}/"]
    found = look_all(context, urls, at_once=4)
    context.close()
    assert found == {**{url: [] for url in urls}, f"{base}/late-probe.html": ["alert: late"]}


@pytest.fixture(scope="module")
def hostile_service(tmp_path_factory):
    """A running service whose queue holds every payload as name, note and body: a third
    waiting, a third published, a third private."""
    root = copy_site(tmp_path_factory.mktemp("hostile-service") / "site")
    running = RunningService(root, root.parent / "service.log", REFLECTIONS_TOKEN_MIN_SECONDS="0")
    with_password(running).start()
    config = service_config.load({"REFLECTIONS_SITE": str(root)})
    store = Store(config.database_url)
    slugs = essay_slugs()
    start = datetime(2026, 6, 1, tzinfo=UTC)
    rows = []
    for number, payload in enumerate(payloads()):
        kind = ("waiting", "published", "private")[number % 3]
        row = Reflection(
            id=f"x{number:06d}",
            essay=slugs[number % len(slugs)],
            body=payload,
            name=payload[: lengths.MAX_NAME],
            content_note=payload[: lengths.MAX_CONTENT_NOTE] if number % 2 else "",
            body_hash=body_hash(payload),
            created=start + timedelta(seconds=number),
            state="approved" if kind == "published" else "pending",
            visibility="private" if kind == "private" else "public",
            email="reader@private.example",
        )
        rows.append(row)
        if kind == "published":
            item = PublishedItem(
                id=row.id, essay=row.essay, kind="reflection", date=row.created, body=payload, author=row.name
            )
            published.write(root / "content" / "reflections", item)
    store.add_many(rows, actor="test")
    yield running, rows, Guard(config, store)
    running.stop()


def test_no_payload_fires_on_any_moderation_page(browser, hostile_service):
    running, _rows, _guard = hostile_service
    context = browser.new_context()
    instrumented(context)
    page = context.new_page()
    page.goto(f"{running.base}/reflections/moderate?essay=none", timeout=120_000)
    page.fill("#password", AUTHOR_PASSWORD)
    page.click("text=Log in")
    # Each view one essay at a time, as an author with thousands waiting would look at them.
    urls = [
        f"{running.base}/reflections/moderate{view}&essay={slug}"
        for slug in essay_slugs()
        for view in ("?view=queue", "?view=private", "?view=published", "?state=spam")
    ]
    found = look_all(context, [*urls, f"{running.base}/reflections/moderate/log"])
    assert {url: fired for url, fired in found.items() if fired} == {}
    assert len(found) == len(urls) + 1
    context.close()


def test_no_payload_fires_on_a_readers_service_pages(browser, hostile_service):
    """Reply, withdraw and received pages of the project's payloads and every 80th of the corpus."""
    running, rows, guard = hostile_service
    sample = rows[: len(HOSTILE)] + rows[len(HOSTILE) :: 80]
    context = browser.new_context()
    instrumented(context)
    urls = []
    for row in sample:
        token = guard.withdraw_token(row.id)
        paths = [f"/reflections/withdraw/{token}", f"/reflections/received/{token}"]
        if row.state == "approved":
            paths.append(f"/reflections/reply/{row.essay}/{row.id}")
        urls += [running.base + path for path in paths]
    found = look_all(context, urls)
    assert {url: fired for url, fired in found.items() if fired} == {}
    assert len(found) == len(urls) > len(sample) * 2
    context.close()
