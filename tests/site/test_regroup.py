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
