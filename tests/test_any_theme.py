"""Reflections on three sites, each set up with the documented steps only: this project's
site; a pelican-quickstart site (Pelican's default theme and settings, autoescape off, a Markdown
and a reStructuredText essay, date-based addresses); the same with the Flex theme. On each, in
Chromium: a reflection sent without JavaScript, approved with the command, shown on the page, the
spam trap never visible; then every hostile payload published, and nothing fires."""

import json
import shutil
from pathlib import Path

import pytest
from conftest import ARTEFACTS, CORPORA, REPO, RunningService, copy_site, essay_slugs, fetch, wait_for
from pelican.plugins.reflections.service import config as service_config
from pelican.plugins.reflections.store import Store
from test_xss_browser import build_hostile_site, visit

#: A minute or more in all (`-m "not slow"` leaves it out of a quick run).
pytestmark = pytest.mark.slow(seconds=125)

FLEX = CORPORA / "themes" / "flex"
ESSAYS = {"first-light": "posts/2026/01/first-light/", "morning-walk": "posts/2026/02/morning-walk/"}

# The documented steps for a site that is not ours (docs/how-to/existing-site.md):
# the plugin in PLUGINS, and the one include, through a template override of the theme's article.
SETTINGS = """AUTHOR = "Someone"
SITENAME = "A site"
PATH = "content"
TIMEZONE = "Europe/Paris"
ARTICLE_URL = "posts/{date:%Y}/{date:%m}/{slug}/"
ARTICLE_SAVE_AS = "posts/{date:%Y}/{date:%m}/{slug}/index.html"
PLUGINS = ["pelican.plugins.reflections"]
THEME_TEMPLATES_OVERRIDES = ["templates"]
"""
OVERRIDE = (
    (REPO / "docs" / "how-to" / "existing-site.md")
    .read_text(encoding="utf-8")
    .split("<!-- article override -->")[1]
    .split("```")[1]
)


def other_site(folder: Path, theme: Path | None = None) -> Path:
    (folder / "content").mkdir(parents=True)
    (folder / "templates").mkdir()
    settings = SETTINGS + (f"THEME = {str(theme)!r}\n" if theme else "")
    (folder / "pelicanconf.py").write_text(settings, encoding="utf-8")
    (folder / "templates" / "article.html").write_text(OVERRIDE.split("\n", 1)[1], encoding="utf-8")
    (folder / "content" / "first-light.md").write_text(
        "Title: First light\nDate: 2026-01-02\n\nSome words, *kindly*.\n", encoding="utf-8"
    )
    (folder / "content" / "morning-walk.rst").write_text(
        "Morning walk\n############\n\n:date: 2026-02-03 08:00\n\nSome words in reStructuredText.\n",
        encoding="utf-8",
    )
    return folder


def make_site(kind: str, folder: Path) -> tuple[Path, dict[str, str]]:
    """The site folder and its essays' addresses, by slug."""
    if kind == "ours":
        return copy_site(folder), {slug: f"essays/{slug}/" for slug in essay_slugs()}
    if kind == "flex":
        if not FLEX.is_dir():
            pytest.skip(f"{FLEX} is missing (the shared corpora are expected beside the project)")
        theme = folder.parent / "flex"
        shutil.copytree(FLEX, theme)
        return other_site(folder, theme), ESSAYS
    return other_site(folder), ESSAYS


KINDS = ["ours", "default", "flex"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_reflection_sent_without_javascript_is_shown_once_approved(browser, tmp_path, kind):
    root, essays = make_site(kind, tmp_path / "site")
    running = RunningService(root, tmp_path / "service.log", REFLECTIONS_TOKEN_MIN_SECONDS="0").start()
    try:
        slug, address = list(essays.items())[-1]  # on the others, the reStructuredText essay
        page = browser.new_context(java_script_enabled=False).new_page()
        page.goto(f"{running.base}/{address}")
        assert not page.locator("#reflect-website").is_visible()
        body = f"Words for {kind}, sent without scripts."
        page.fill("#reflect-body", body)
        page.fill("#reflect-name", "Ana")
        page.click("text=Send your reflection")
        if page.locator("h1").inner_text() == "Send this reflection?":
            page.click("text=Send your reflection")
        assert page.locator("h1").inner_text() == "Thank you. Your words reached the author."
        page.click("text=Back to")
        assert page.url == f"{running.base}/{address}"
        store = Store(service_config.load(running.environment).database_url)
        (row,) = [row for row in store.find() if row.body == body]
        assert row.essay == slug
        approved = running.cli("approve", row.id)
        assert approved.returncode == 0, approved.stderr
        running.published()
        wait_for(lambda: body in page.goto(f"{running.base}/{address}").text(), 30)
        assert page.locator(".reflection-name", has_text="Ana").count() == 1
        page.context.close()
        if kind != "ours":  # the documented override, on a theme that is not ours
            in_the_essays_column(browser, f"{running.base}/{address}", body, kind)
    finally:
        running.stop()


#: Where the section is against the essay's words: within their column, and at their type size.
PLACED = """([opening, body]) => {
  const words = [...document.querySelectorAll('p')].find(p => p.textContent.startsWith(opening));
  const column = words.parentElement.getBoundingClientRect();
  const section = document.querySelector('.reflections').getBoundingClientRect();
  const answer = [...document.querySelectorAll('.reflections p')].find(p => p.textContent.includes(body));
  const size = element => parseFloat(getComputedStyle(element).fontSize);
  return {left: section.left - column.left, right: column.right - section.right,
          words: size(words), answer: size(answer)};
}"""


def in_the_essays_column(browser, url: str, body: str, kind: str) -> None:
    folder = Path(ARTEFACTS) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(url, wait_until="networkidle")
        placed = page.evaluate(PLACED, ["Some words", body])
        assert placed["left"] >= -1 and placed["right"] >= -1, (kind, width, placed)
        assert abs(placed["answer"] - placed["words"]) <= 1.5, (kind, width, placed)
        page.screenshot(path=str(folder / f"theme-{kind}-{width}.png"), full_page=True)
        context.close()


# This project's own site is test_xss_browser.py's: the same build, the same pages.
@pytest.mark.parametrize("kind", ["default", "flex"])
def test_no_payload_fires_on_any_essay_page(browser, tmp_path, kind):
    root, essays = make_site(kind, tmp_path / "site")
    server, (base, slugs, output) = build_hostile_site(root, slugs=list(essays))
    try:
        shown = (output / essays[slugs[0]] / "index.html").read_text(encoding="utf-8")
        assert "&lt;script&gt;window.__pwn = 1&lt;/script&gt;" in shown  # the thread is there, escaped
        for slug in slugs:
            assert visit(browser, f"{base}/{essays[slug]}") == [], (kind, slug)
    finally:
        server.shutdown()


def test_an_essay_the_first_build_found_takes_reflections_once_the_site_is_built(tmp_path):
    """A reStructuredText essay is known to the service only from what the build wrote (no header
    it can read itself): the moment /reflections/health says the site is built, its form works,
    not up to a second later (the service looks again when its own publisher has built)."""
    running = RunningService(other_site(tmp_path / "site"), tmp_path / "service.log").start()
    try:
        slug = "morning-walk"
        assert (running.root / "content" / f"{slug}.rst").is_file()
        status, answer = fetch(f"{running.base}/reflections/token?essay={slug}")
        assert status == 200 and "token" in json.loads(answer), answer
    finally:
        running.stop()
