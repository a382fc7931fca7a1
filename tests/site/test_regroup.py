"""Pelican's grouping of essays redone in memory (site/regroup.py): the same as Pelican's own."""

import random

import pytest


class _Content:
    """What Pelican's process_translations reads of an essay."""

    def __init__(self, number: int, slug: str, lang: str, translation: str | None) -> None:
        self.slug, self.lang, self.source_path = slug, lang, f"/content/essay-{number}.md"
        self.in_default_lang = lang == "en"
        self.metadata = {} if translation is None else {"translation": translation}


@pytest.mark.parametrize("seed", range(20))
def test_translations_group_by_group_are_pelicans_own(seed, caplog):
    from pelican.log import LimitFilter
    from pelican.plugins.reflections.site.regroup import translations_of
    from pelican.utils import process_translations

    count = random.Random(seed).randrange(1, 300)

    def contents() -> list:
        made = random.Random(seed)
        return [
            _Content(
                n,
                f"slug-{made.randrange(40)}",
                made.choice(["en", "en", "fr", "de"]),
                made.choice([None, None, "true", "false"]),
            )
            for n in range(count)
        ]

    def fresh_log() -> None:  # Pelican logs a message once per process: each side from new
        LimitFilter._ignore.clear()
        LimitFilter._raised_messages.clear()
        LimitFilter._group_count.clear()
        caplog.clear()

    theirs_in, ours_in = contents(), contents()
    with caplog.at_level("WARNING"):
        fresh_log()
        theirs = process_translations(theirs_in, translation_id="slug")
        their_warnings = [record.getMessage() for record in caplog.records]
        fresh_log()
        ours = translations_of(ours_in, "slug")
        our_warnings = [record.getMessage() for record in caplog.records]

    def shape(result, items) -> tuple:
        place = {id(item): n for n, item in enumerate(items)}
        return (
            [item.source_path for item in result[0]],
            [item.source_path for item in result[1]],
            [[place[id(other)] for other in getattr(item, "translations", [])] for item in items],
            [item.source_path for item in items],  # sorted in place, as Pelican sorts
        )

    assert shape(ours, ours_in) == shape(theirs, theirs_in)
    assert our_warnings == their_warnings
    assert translations_of(ours_in, "") == (ours_in, [])


class _Dated:
    """What Pelican's period archives read of an essay: its date."""

    def __init__(self, date) -> None:
        self.date = date


@pytest.mark.parametrize("seed", range(5))
def test_period_archives_are_pelicans_own(seed):
    from datetime import datetime, timedelta
    from types import SimpleNamespace

    from pelican.generators import ArticlesGenerator
    from pelican.plugins.reflections.site.regroup import period_archives

    made = random.Random(seed)
    start = datetime(2019, 1, 1, 9, 0)
    essays = [_Dated(start + timedelta(days=made.randrange(2500))) for _ in range(made.randrange(1, 400))]
    settings = {
        "YEAR_ARCHIVE_SAVE_AS": "archives/{date:%Y}/index.html",
        "YEAR_ARCHIVE_URL": "archives/{date:%Y}/",
        "MONTH_ARCHIVE_SAVE_AS": "archives/{date:%Y}/{date:%m}/index.html",
        "MONTH_ARCHIVE_URL": "archives/{date:%Y}/{date:%m}/",
        "DAY_ARCHIVE_SAVE_AS": "",
        "DAY_ARCHIVE_URL": "",
    }
    # Listed essays in another order than by date (ARTICLE_ORDER_BY), some of the dated ones only.
    articles = made.sample(essays, len(essays) // 2 + 1)
    dates = sorted(essays, key=lambda essay: essay.date, reverse=True)
    generator = SimpleNamespace(dates=dates, articles=articles, settings=settings)
    generator._build_period_archives = ArticlesGenerator._build_period_archives.__get__(generator)
    theirs = ArticlesGenerator._build_period_archives(generator, dates, articles, settings)
    ours = period_archives(generator)
    assert set(ours) == set(theirs) == {"year", "month"}
    for granularity in theirs:
        assert len(ours[granularity]) == len(theirs[granularity]) > 0
        for mine, pelicans in zip(ours[granularity], theirs[granularity], strict=True):
            assert mine.keys() == pelicans.keys()
            for key in pelicans:
                if key in ("dates", "articles"):
                    assert [id(e) for e in mine[key]] == [id(e) for e in pelicans[key]], key
                else:
                    assert mine[key] == pelicans[key], key
