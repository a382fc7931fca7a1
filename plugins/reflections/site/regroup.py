"""Pelican's grouping of essays into lists, redone in memory when one essay file changes."""

import os
from collections import defaultdict
from itertools import groupby
from operator import attrgetter

from pelican import signals
from pelican.utils import order_content, process_translations

from .plugin import every_essay

#: The generator lists Pelican shares with templates, in the order its own build updates them.
CONTEXT_LISTS = (
    "articles",
    "drafts",
    "hidden_articles",
    "dates",
    "tags",
    "categories",
    "authors",
    "related_posts",
)


def translations_of(contents: list, translation_id) -> tuple[list, list]:
    """Pelican's `process_translations`, one group of equal `translation_id` at a time: the same
    originals and translations in the same order, the same warnings. Over the whole list at once it
    looks for every essay in the list of originals (a quarter of an edit's publish at three
    thousand essays); group by group each look is among a few."""
    if not translation_id:
        return process_translations(contents, translation_id=translation_id)
    key = attrgetter(*({translation_id} if isinstance(translation_id, str) else translation_id))
    try:
        contents.sort(key=key)  # as Pelican sorts them, in place
    except (TypeError, AttributeError):
        return process_translations(contents, translation_id=translation_id)  # and its own error
    originals, translations = [], []
    for _, group in groupby(contents, key):
        found = process_translations(list(group), translation_id=translation_id)
        originals += found[0]
        translations += found[1]
    return originals, translations


def regroup(generator, source: str, essay) -> None:
    """Pelican's own grouping of essays (ArticlesGenerator.generate_context), over the essays in
    memory with the one read from `source` replaced or added, in the order Pelican reads the files."""
    settings = generator.settings
    known = {e.source_path: e for e in every_essay(generator)}
    known[source] = essay
    generator.add_source_path(essay)
    generator.add_static_links(essay)
    essay.refresh_metadata_intersite_links()
    by_status = defaultdict(list)
    for relative in generator.get_files(settings["ARTICLE_PATHS"], exclude=settings["ARTICLE_EXCLUDES"]):
        found = known.get(os.path.join(generator.path, relative))
        if found is not None:
            by_status[found.status].append(found)

    def process(contents: list) -> tuple[list, list]:
        originals, translations = translations_of(contents, settings["ARTICLE_TRANSLATION_ID"])
        return order_content(originals, settings["ARTICLE_ORDER_BY"]), translations

    generator.articles, generator.translations = process(by_status["published"])
    generator.hidden_articles, generator.hidden_translations = process(by_status["hidden"])
    generator.drafts, generator.drafts_translations = process(by_status["draft"])
    signals.article_generator_pretaxonomy.send(generator)
    categories, tags, authors = defaultdict(list), defaultdict(list), defaultdict(list)
    for article in generator.articles:
        if hasattr(article, "category"):
            categories[article.category].append(article)
        for tag in getattr(article, "tags", []):
            tags[tag].append(article)
        for author in getattr(article, "authors", []):
            authors[author].append(article)
    generator.tags = tags
    generator.categories = sorted(categories.items(), reverse=settings["REVERSE_CATEGORY_ORDER"])
    generator.authors = sorted(authors.items())
    generator.dates = sorted(
        generator.articles, key=attrgetter("date"), reverse=generator.context["NEWEST_FIRST_ARCHIVES"]
    )
    generator.period_archives = period_archives(generator)
    generator._update_context(CONTEXT_LISTS)
    generator.context["period_archives"] = generator.period_archives


def period_archives(generator) -> dict:
    """Pelican's period archives (its `_build_period_archives`) of the generator's essays. Pelican
    finds each period's essays among all of them by a list scan per essay, some eighty milliseconds
    of an edit's publish at three thousand essays over nine years; it is given no essays to find
    here, and they are found by identity instead, in the same order."""
    archives = generator._build_period_archives(generator.dates, [], generator.settings)
    for listed in archives.values():
        for archive in listed:
            members = set(map(id, archive["dates"]))
            archive["articles"] = [essay for essay in generator.articles if id(essay) in members]
    return archives


def shape(generator) -> tuple:
    """The order and grouping of every essay list, by source path: what a regroup may change."""

    def paths(contents) -> tuple:
        return tuple(content.source_path for content in contents)

    return (
        *(
            paths(getattr(generator, name))
            for name in ("articles", "translations", "hidden_articles", "drafts")
        ),
        paths(generator.dates),
        tuple((str(tag), paths(listed)) for tag, listed in generator.tags.items()),
        tuple((str(category), paths(listed)) for category, listed in generator.categories),
        tuple((str(author), paths(listed)) for author, listed in generator.authors),
    )
