"""Pelican's own output methods over the part of a kept build that one change touches: the
essays' pages, the lists and feeds that show them, each method narrowed to its touched groups
(static files aside: no essay or reflection changes them). Used by warm.py."""

from contextlib import contextmanager
from functools import partial

from pelican import signals
from pelican.generators import ArticlesGenerator, StaticGenerator

from .changes import Change
from .plugin import every_essay
from .writer import SelectiveWriter


def write_change(generators: list, change: Change) -> list[str]:
    """Pelican's own output methods, through the selective writer, over the part of the site the
    change touches (static files aside: no essay or reflection changes them)."""
    generator = next(g for g in generators if isinstance(g, ArticlesGenerator))
    settings = generator.settings
    change = change.pinned(every_essay(generator))
    writer = SelectiveWriter(generator.output_path, settings, change)
    others = [
        g
        for g in generators
        if hasattr(g, "generate_output") and not isinstance(g, ArticlesGenerator | StaticGenerator)
    ]
    if change.regrouped:
        # The order or the grouping changed: every list is a candidate, so Pelican's whole pass.
        for each in [generator, *others]:
            each.generate_output(writer)
    else:
        _write_narrowed(generator, writer, change, others)
    return writer.written


def _write_narrowed(generator, writer: SelectiveWriter, change: Change, others: list) -> None:
    """Pelican's output methods one by one, each over the part of its lists the change touches."""
    settings = generator.settings
    write = partial(writer.write_file, relative_urls=settings["RELATIVE_URLS"])

    touched = change.among

    def touching(groups) -> list:
        return [(name, Members(listed)) for name, listed in groups if change.touches_any(listed)]

    essay_lists = ("articles", "translations", "hidden_articles", "hidden_translations")
    with narrowed(generator, **{name: touched(getattr(generator, name)) for name in essay_lists}):
        generator.generate_articles(write)
    with narrowed(
        generator,
        drafts=touched(generator.drafts),
        drafts_translations=touched(generator.drafts_translations),
    ):
        generator.generate_drafts(write)
    counted = change.count_templates
    direct = [name for name in settings["DIRECT_TEMPLATES"] if change.sources or name in counted]
    with narrowed(generator, settings={**settings, "DIRECT_TEMPLATES": direct}):
        generator.generate_direct_templates(write)
    # Pelican builds each tag's, category's and author's list by walking every essay: only the
    # groups the change touches are walked and written.
    if change.sources or "tag" in counted:
        with narrowed(generator, tags=dict(touching(generator.tags.items()))):
            generator.generate_tags(write)
    if change.sources or "category" in counted:
        with narrowed(generator, categories=touching(generator.categories)):
            generator.generate_categories(write)
    if change.sources or "author" in counted:
        with narrowed(generator, authors=touching(generator.authors)):
            generator.generate_authors(write)
    if change.sources or "period_archives" in counted:
        # A year's (month's, day's) page: only the periods the change touches are made.
        periods = {
            granularity: [period for period in listed if change.touches_any(period["dates"])]
            for granularity, listed in generator.period_archives.items()
        }
        with narrowed(generator, period_archives=periods):
            generator.generate_period_archives(write)
    if change.sources:
        generator.generate_feeds(writer)
        for each in others:
            each.generate_output(writer)
    signals.article_writer_finalized.send(generator, writer=writer)


class Members(list):
    """A group's essays, asked `essay in group` in constant time. Pelican orders each tag's,
    category's and author's page by walking every essay and asking that of the group's list: at
    three thousand essays, a third of an edit's publish went into those list scans."""

    def __init__(self, essays) -> None:
        super().__init__(essays)
        self._ids = {id(essay) for essay in self}

    def __contains__(self, essay) -> bool:  # essays compare by identity (Pelican's Content)
        return id(essay) in self._ids


@contextmanager
def narrowed(generator, **attributes):
    """The generator with some of its lists (or settings) narrowed for one of its own methods."""
    saved = {name: getattr(generator, name) for name in attributes}
    for name, value in attributes.items():
        setattr(generator, name, value)
    try:
        yield generator
    finally:
        for name, value in saved.items():
            setattr(generator, name, value)
