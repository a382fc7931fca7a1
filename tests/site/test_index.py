"""The essay index the service checks every submission against."""

import threading

from conftest import copy_site
from pelican.plugins.reflections.site.index import SiteIndex


def test_a_reread_index_never_shows_a_known_essay_as_missing(tmp_path):
    """Rereading publishes the new index whole: a submission meanwhile is never told the essay
    it answers does not exist."""
    site = copy_site(tmp_path)
    index = SiteIndex(site / "pelicanconf.py")
    index.RECHECK_SECONDS = 0  # reread on every question, as if each came a second apart
    slug = next(iter(index.essays()))
    essay_file = next((site / "content" / "essays").glob("*.md"))
    stop = threading.Event()

    def keep_saving() -> None:
        while not stop.is_set():
            essay_file.touch()

    missing = []

    def ask() -> None:
        missing.append(sum(index.essay(slug) is None for _ in range(1500)))

    saver = threading.Thread(target=keep_saving)
    askers = [threading.Thread(target=ask) for _ in range(4)]
    saver.start()
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join()
    stop.set()
    saver.join()
    assert sum(missing) == 0


def test_essay_addresses_follow_any_article_url_pelican_accepts(tmp_path):
    site = copy_site(tmp_path)
    settings = site / "pelicanconf.py"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + '\nARTICLE_URL = "posts/{date:%Y}/{date:%m}/{category}/{slug}/"\n'
        + 'ARTICLE_SAVE_AS = ARTICLE_URL + "index.html"\n',
        encoding="utf-8",
    )
    essay = SiteIndex(settings).essay("learning-to-stay")
    header = (site / "content" / "essays" / "learning-to-stay.md").read_text(encoding="utf-8")
    date = next(line for line in header.splitlines() if line.startswith("Date:")).split()[1]
    year, month = date.split("-")[:2]
    assert essay is not None and essay.url.startswith(f"posts/{year}/{month}/")
    assert essay.url.endswith("/learning-to-stay/")


def test_an_address_the_index_cannot_make_is_empty_never_an_error(tmp_path):
    site = copy_site(tmp_path)
    settings = site / "pelicanconf.py"
    text = settings.read_text(encoding="utf-8") + '\nARTICLE_URL = "{nothing_pelican_knows}/{slug}/"\n'
    settings.write_text(text, encoding="utf-8")
    essay = SiteIndex(settings).essay("learning-to-stay")
    assert essay is not None and essay.url == ""


def test_pages_and_published_reflections_are_not_essays_wherever_articles_are_read(tmp_path):
    site = copy_site(tmp_path)
    settings = site / "pelicanconf.py"
    # Pelican's default: every file under the content folder may be an article.
    text = settings.read_text(encoding="utf-8").replace('ARTICLE_PATHS = ["essays"]', 'ARTICLE_PATHS = [""]')
    settings.write_text(text.replace("ARTICLE_EXCLUDES = ", "ARTICLE_EXCLUDES_OURS = "), encoding="utf-8")
    pages = [p for p in (site / "content" / "pages").glob("*.md")]
    assert pages
    essays = SiteIndex(settings).essays()
    assert "learning-to-stay" in essays
    for page in pages:
        title = next(line for line in page.read_text().splitlines() if line.startswith("Title:"))[7:]
        assert all(essay.title != title for essay in essays.values()), title
