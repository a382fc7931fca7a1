"""The plugin on a site that is not ours: Pelican's default settings and theme."""

import subprocess
from pathlib import Path

from conftest import PELICAN, REPO
from pelican.plugins.reflections.core import published
from pelican.plugins.reflections.core.published import PublishedItem

ESSAY = "first-light"


def default_site(folder, extra: str = ""):
    """A site as pelican-quickstart leaves it: ARTICLE_PATHS [''] (every file under content/ may be
    an article), Pelican's theme, autoescape off; the plugin named in PLUGINS."""
    (folder / "content").mkdir(parents=True)
    (folder / "pelicanconf.py").write_text(
        'AUTHOR = "Someone"\nSITENAME = "A site"\nPATH = "content"\nTIMEZONE = "Europe/Paris"\n'
        'PLUGINS = ["pelican.plugins.reflections"]\n' + extra,
        encoding="utf-8",
    )
    (folder / "content" / f"{ESSAY}.md").write_text(
        "Title: First light\nDate: 2026-01-02\n\nSome words, *kindly*.\n", encoding="utf-8"
    )
    return folder


def publish_reflection(site, letter: str, body: str, date, essay: str = ESSAY) -> None:
    """A reflection by Ana, approved and published into the site's content/reflections/."""
    item = PublishedItem(
        id=f"01JQ3Z7V5K8D2N4P6R8T0W2Y4{letter}",
        essay=essay,
        kind="reflection",
        date=date,
        body=body,
        author="Ana",
    )
    published.write(site / "content" / "reflections", item)


def build(site) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PELICAN, "content", "-s", "pelicanconf.py", "-o", "output"], cwd=site, capture_output=True, text=True
    )


def built_with_the_section(site) -> None:
    """Builds the site with the reflections section added under Pelican's own article template, as
    the docs tell a site that is not ours to do."""
    (site / "templates").mkdir()
    (site / "templates" / "article.html").write_text(
        '{% extends "!theme/article.html" %}\n'
        '{% block content %}{{ super() }}{% include "reflections/section.html" %}{% endblock %}\n',
        encoding="utf-8",
    )
    with (site / "pelicanconf.py").open("a", encoding="utf-8") as settings:
        settings.write('THEME_TEMPLATES_OVERRIDES = ["templates"]\n')
    result = build(site)
    assert result.returncode == 0, result.stdout + result.stderr


def test_published_reflections_are_never_read_as_articles_or_pages(tmp_path):
    from datetime import UTC, datetime

    site = default_site(tmp_path / "site")
    publish_reflection(site, "A", "A reader's answer, published.", datetime(2026, 1, 3, tzinfo=UTC))
    result = build(site)
    assert result.returncode == 0, result.stdout + result.stderr
    pages = [p.name for p in (site / "output").rglob("*.html")]
    assert "01JQ3Z7V5K8D2N4P6R8T0W2Y4A.html" not in pages and len([p for p in pages if "01JQ" in p]) == 0
    # The plugin read it as what it is: a reflection on the essay, in the site's reflections feed.
    assert "A reader" in (site / "output" / "feeds" / "reflections.atom.xml").read_text(encoding="utf-8")


def built_files(site) -> set[str]:
    return {str(path.relative_to(site / "output")) for path in (site / "output").rglob("*.html")}


def test_adding_the_plugin_changes_no_file_that_builds(tmp_path):
    """An untitled note and an essay with no date: plain Pelican skips the one and dates the other
    by the file; with the plugin, exactly the same (strict reading is a setting, off by default),
    and the privacy page (REFLECTIONS_PRIVACY_PAGE)."""

    def with_notes(site):
        (site / "content" / "note.md").write_text("Just a thought, no header.\n", encoding="utf-8")
        (site / "content" / "undated.md").write_text("Title: Undated\n\nNo date line.\n", encoding="utf-8")
        return site

    plain = with_notes(default_site(tmp_path / "plain"))
    config = plain / "pelicanconf.py"
    config.write_text(
        config.read_text().replace('PLUGINS = ["pelican.plugins.reflections"]\n', "PLUGINS = []\n")
    )
    with_plugin = with_notes(default_site(tmp_path / "with-plugin"))
    plain_result, plugin_result = build(plain), build(with_plugin)
    assert plain_result.returncode == 0, plain_result.stdout + plain_result.stderr
    assert plugin_result.returncode == 0, plugin_result.stdout + plugin_result.stderr
    assert built_files(plain) <= built_files(with_plugin)
    # The plugin's one page of its own: what readers' words are kept for, and how long.
    assert {name for name in built_files(with_plugin) - built_files(plain)} == {"privacy/index.html"}


def test_strict_essays_stop_the_build_naming_the_file_and_the_field(tmp_path):
    site = default_site(tmp_path / "site", extra="REFLECTIONS_STRICT_ESSAYS = True\n")
    (site / "content" / "undated.md").write_text("Title: Undated\n\nNo date line.\n", encoding="utf-8")
    result = build(site)
    assert result.returncode != 0
    assert "undated.md: Date: missing" in result.stdout + result.stderr


RST_ESSAY = """Morning walk
############

:date: 2026-02-03 08:00
:slug: morning-walk
:reflection_prompt: Where do you walk?

Some words in reStructuredText.
"""


def test_the_service_knows_essays_of_any_reader_by_the_sites_own_addresses(tmp_path):
    from pelican.plugins.reflections.site.index import SiteIndex

    site = default_site(
        tmp_path / "site",
        extra='ARTICLE_URL = "posts/{date:%Y}/{date:%m}/{slug}/"\n'
        'ARTICLE_SAVE_AS = "posts/{date:%Y}/{date:%m}/{slug}/index.html"\n'
        'CACHE_PATH = "cache"\n',
    )
    (site / "content" / "walk.rst").write_text(RST_ESSAY, encoding="utf-8")
    (site / "content" / "page.html").write_text(
        "<html><head><title>Notes in HTML</title><meta name='date' content='2026-03-01'></head>"
        "<body><p>Written as HTML.</p></body></html>",
        encoding="utf-8",
    )
    result = build(site)
    assert result.returncode == 0, result.stdout + result.stderr
    index = SiteIndex(site / "pelicanconf.py")
    walk = index.essay("morning-walk")
    assert (
        walk is not None and walk.title == "Morning walk" and walk.reflection_prompt == "Where do you walk?"
    )
    assert walk.url == "posts/2026/02/morning-walk/"
    assert (site / "output" / walk.url / "index.html").exists()
    html_essay = index.essay("notes-in-html")
    assert html_essay is not None and html_essay.url == "posts/2026/03/notes-in-html/"
    # A Markdown essay saved after the build is known at once, by its header.
    (site / "content" / "later.md").write_text("Title: Later\nDate: 2026-04-05\n\nNew.\n", encoding="utf-8")
    index = SiteIndex(site / "pelicanconf.py")
    assert index.essay("later").url == "posts/2026/04/later/"
    # An essay removed since the build takes no more reflections.
    (site / "content" / "walk.rst").unlink()
    assert SiteIndex(site / "pelicanconf.py").essay("morning-walk") is None


def test_readers_dates_follow_the_sites_format_and_clock(tmp_path):
    from datetime import UTC, datetime

    site = default_site(tmp_path / "site", extra='DEFAULT_DATE_FORMAT = "%d/%m/%Y"\n')
    # The 6th in Paris, the site's TIMEZONE.
    publish_reflection(site, "B", "Late at night.", datetime(2026, 3, 5, 23, 30, tzinfo=UTC))
    built_with_the_section(site)
    page = (site / "output" / f"{ESSAY}.html").read_text(encoding="utf-8")
    assert "06/03/2026</time>" in page.split("reflection-date")[1]


def test_a_title_with_an_ampersand_or_a_bracket_is_escaped_once_everywhere(tmp_path):
    """reStructuredText gives Pelican `Tom &amp; Jerry &lt;3` as the title's HTML, and a Markdown
    title may hold an entity: the reflections heading, the essay's feed, the index the service
    reads (its pages and mails) show the words, escaped exactly once."""
    from datetime import UTC, datetime

    from pelican.plugins.reflections.site.index import SiteIndex

    site = default_site(
        tmp_path / "site", extra='FEED_DOMAIN = "https://example.org"\nCACHE_PATH = "cache"\n'
    )
    (site / "content" / "tom.rst").write_text(
        "Tom & Jerry <3\n##############\n\n:date: 2026-02-01\n:slug: tom\n\nWords.\n", encoding="utf-8"
    )
    (site / "content" / f"{ESSAY}.md").write_text(
        "Title: Cats &amp; dogs\nDate: 2026-01-02\nSlug: first-light\n\nSome words.\n", encoding="utf-8"
    )
    for slug, number in (("tom", "A"), (ESSAY, "B")):
        publish_reflection(site, number, "Thank you.", datetime(2026, 3, 5, tzinfo=UTC), essay=slug)
    built_with_the_section(site)
    tom = (site / "output" / "tom.html").read_text(encoding="utf-8")
    assert "1 reflection on “Tom &amp; Jerry &lt;3”" in tom
    cats = (site / "output" / f"{ESSAY}.html").read_text(encoding="utf-8")
    assert "1 reflection on “Cats &amp; dogs”" in cats
    everything = tom + cats + "".join(p.read_text(encoding="utf-8") for p in (site / "output").rglob("*.xml"))
    assert "&amp;amp;" not in everything and "&amp;lt;" not in everything
    index = SiteIndex(site / "pelicanconf.py")
    assert index.essay("tom").title == "Tom & Jerry <3"
    assert index.essay(ESSAY).title == "Cats & dogs"


#: The override the docs give (docs/how-to/existing-site.md), as a site copies it.
OVERRIDE = (
    (REPO / "docs" / "how-to" / "existing-site.md")
    .read_text(encoding="utf-8")
    .split("<!-- article override -->")[1]
    .split("```")[1]
)
IN_THE_COLUMN = """() => {
  const section = document.querySelector('.reflections').getBoundingClientRect();
  const words = document.querySelector('.entry-content');
  const column = words.getBoundingClientRect();
  const size = element => parseFloat(getComputedStyle(element).fontSize);
  return {
    inside: section.left >= column.left - 1 && section.right <= column.right + 1,
    sectionSize: size(document.querySelector('.reflections .reflection-body, .reflections p')),
    essaySize: size(words.querySelector('p')),
  };
}"""


def test_the_section_sits_in_the_essays_column_on_pelicans_own_theme(tmp_path, browser):
    """The documented override on Pelican's default theme (notmyidea): the section inside the
    essay's <article>, in its column and at its type size. Screenshots in artefacts/ for a look."""
    import functools
    import threading
    from datetime import UTC, datetime
    from http.server import ThreadingHTTPServer

    from conftest import ARTEFACTS, QuietHandler

    site = default_site(tmp_path / "site")
    publish_reflection(site, "C", "Thank you for this; I read it twice.", datetime(2026, 3, 5, tzinfo=UTC))
    (site / "templates").mkdir()
    (site / "templates" / "article.html").write_text(OVERRIDE.split("\n", 1)[1], encoding="utf-8")
    with (site / "pelicanconf.py").open("a", encoding="utf-8") as settings:
        settings.write('THEME_TEMPLATES_OVERRIDES = ["templates"]\n')
    result = build(site)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (site / "output" / f"{ESSAY}.html").read_text(encoding="utf-8")
    assert page.index('<section class="reflections"') < page.rindex("</article>")
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site / "output"))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for width in (1280, 375):
            context = browser.new_context(viewport={"width": width, "height": 900})
            view = context.new_page()
            view.goto(f"http://127.0.0.1:{server.server_address[1]}/{ESSAY}.html", wait_until="networkidle")
            placed = view.evaluate(IN_THE_COLUMN)
            assert placed["inside"], (width, placed)
            assert abs(placed["sectionSize"] - placed["essaySize"]) <= 1.5, (width, placed)
            (Path(ARTEFACTS) / "screenshots").mkdir(parents=True, exist_ok=True)
            view.screenshot(
                path=str(Path(ARTEFACTS) / "screenshots" / f"notmyidea-{width}.png"), full_page=True
            )
            context.close()
    finally:
        server.shutdown()
