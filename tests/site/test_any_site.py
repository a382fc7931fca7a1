"""The plugin on a site that is not ours: Pelican's default settings and theme."""

import subprocess

from conftest import PELICAN
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


def build(site) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PELICAN, "content", "-s", "pelicanconf.py", "-o", "output"], cwd=site, capture_output=True, text=True
    )


def test_published_reflections_are_never_read_as_articles_or_pages(tmp_path):
    from datetime import UTC, datetime

    site = default_site(tmp_path / "site")
    item = PublishedItem(
        id="01JQ3Z7V5K8D2N4P6R8T0W2Y4A",
        essay=ESSAY,
        kind="reflection",
        date=datetime(2026, 1, 3, tzinfo=UTC),
        body="A reader's answer, published.",
        author="Ana",
    )
    published.write(site / "content" / "reflections", item)
    result = build(site)
    assert result.returncode == 0, result.stdout + result.stderr
    pages = [p.name for p in (site / "output").rglob("*.html")]
    assert "01JQ3Z7V5K8D2N4P6R8T0W2Y4A.html" not in pages and len([p for p in pages if "01JQ" in p]) == 0
    # The plugin read it as what it is: a reflection on the essay, in the site's reflections feed.
    assert "A reader" in (site / "output" / "feeds" / "reflections.atom.xml").read_text(encoding="utf-8")
