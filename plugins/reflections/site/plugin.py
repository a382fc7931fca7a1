"""Signal receivers that wire Withness into Pelican. `register()` is called by Pelican."""

import functools
import logging
from pathlib import Path

from jinja2 import FileSystemLoader
from markupsafe import Markup
from pelican import signals
from pelican.contents import Article

from ..core import i18n, lengths, passages, published, rest, threads
from ..core.files import write_atomically
from . import build, contentcache, essays, feeds, manifest, pool, privacy, readahead, redirects
from . import settings as config
from .writer import AtomicWriter

logger = logging.getLogger(__name__)

#: The plugin's own templates; a theme's templates of the same name take precedence.
TEMPLATES = Path(__file__).parent.parent / "templates"
#: The plugin's stylesheet and script, copied into every site's output (service.css is the
#: service's own).
STATIC = Path(__file__).parent.parent / "static"
SITE_ASSETS = ("reflections.css", "reflect.js")
#: What a rendered thread is made from (a change to either renders every thread again).
THREAD_TEMPLATES = ("reflections/thread.html", "reflections/macros.html")


def add_defaults(pelican) -> None:
    config.apply_defaults(pelican.settings)


def use_essay_reader(readers) -> None:
    if readers.settings.get("REFLECTIONS_STRICT_ESSAYS"):
        for extension in essays.EssayReader.file_extensions:
            readers.reader_classes[extension] = essays.EssayReader
    # Every passage addressable from the reader on: Pelican's content cache keeps the anchors, so
    # a warm build does not look for them again.
    for extension, reader_class in list(readers.reader_classes.items()):
        if reader_class is not None:
            readers.reader_classes[extension] = anchoring(reader_class)


#: The metadata key under which the reader leaves what prepare_essay needs of the content: its word
#: count, anchors and passages. Pelican's content cache keeps a reader's metadata, so a warm build
#: neither counts the words of a thousand essays again nor looks for their passages.
READ_KEY = "reflections_read"


@functools.cache
def anchoring(reader_class: type) -> type:
    """`reader_class` whose content comes back with an anchor on every passage (core/passages.py),
    and what prepare_essay reads of it under READ_KEY (builtins only: the cache is a pickle)."""

    def read(self, source_path):
        content, metadata = reader_class.read(self, source_path)
        if isinstance(content, str):
            content, found = passages.anchored(content)
            metadata[READ_KEY] = read_of(content, found)
        return content, metadata

    return type(reader_class.__name__, (reader_class,), {"read": read, "__module__": reader_class.__module__})


def remember_addresses(content) -> None:
    if type(content) is Article:
        essays.adopt(content)


def add_templates(generator) -> None:
    env = getattr(generator, "env", None)
    if env is not None:
        # A build asks for its templates some ten thousand times, and Jinja looks at each file's
        # time each time; a changed template means a new build (and a new environment) anyway.
        env.auto_reload = False
        env.loader.loaders.append(FileSystemLoader(str(TEMPLATES)))
        env.globals["remembered_rows"] = essays.remembered_rows
        env.globals["ANONYMOUS"] = published.ANONYMOUS
        env.globals["AUTHOR_NAME"] = threads.AUTHOR_NAME
        env.globals["withness_translations"] = i18n.overrides_folder(generator.settings)
        env.globals["reflections_rest"] = rest.until(generator.settings)
        env.globals["long_date"] = i18n.long_date
        i18n.install(env)
        env.globals["LIMITS"] = lengths.FORM_LIMITS
        env.filters["by_year"] = essays.by_year
        env.filters["reflection_date"] = essays.reflection_date
        env.filters["with_reflections"] = essays.with_reflections


def every_essay(generator) -> list:
    """Every essay the articles generator knows: listed, translated, hidden and drafts."""
    return [
        *generator.articles,
        *generator.translations,
        *generator.hidden_articles,
        *generator.hidden_translations,
        *generator.drafts,
        *generator.drafts_translations,
    ]


def read_of(content: str, found: list) -> tuple[int, tuple[str, ...], list[tuple[str, str]]]:
    """(words, anchors, passages offered in the form) of anchored content."""
    return essays.word_count(content), tuple(anchor for anchor, _, _ in found), passages.choices(found)


def prepare_essay(essay, settings: dict) -> None:
    """What the theme shows of one essay beyond Pelican's own: reading time and JSON-LD."""
    if not hasattr(essay, "reflection_anchors"):  # once per essay object: a warm build keeps it
        read = essay.metadata.get(READ_KEY)
        if read is None:  # content no reader of this plugin read (another plugin's, say)
            # Every paragraph and section addressable, from its own words (core/passages.py).
            essay._content, found = passages.anchored(essay._content)
            read = read_of(essay._content, found)
        essay.reflection_original_content = essay._content
        essay.reflection_words, anchors, essay.reflection_passages = read
        # The tuple the metadata holds, not a set of it: a few dozen names looked up a few times a
        # build, where a set was 2 KB more per essay for the life of a kept build.
        essay.reflection_anchors = anchors
        essays.summary_without_counts(essay)
    words = essay.reflection_words
    words_per_minute = settings.get("READING_WORDS_PER_MINUTE", essays.WORDS_PER_MINUTE)
    essay.reading_time = essays.reading_minutes(words, words_per_minute)
    essay.structured_data = essays.structured_data(essay, settings, words)


def thread_renderer(generator):
    """(render, sources): renders an essay's thread with the generator's own templates and context;
    sources is the templates' text, part of what a cached thread depends on."""
    env = generator.env
    template = env.get_template("reflections/thread.html")
    sources = "".join(env.loader.get_source(env, name)[0] for name in THREAD_TEMPLATES)

    def render(essay) -> Markup:
        return Markup(template.render({**generator.context, "article": essay}))

    return render, sources


def prepare_essays(generator) -> None:
    known = every_essay(generator)
    for essay in known:
        prepare_essay(essay, generator.settings)
    essays.link_neighbours(generator.articles)
    build.attach(known, generator.settings, *thread_renderer(generator))
    manifest.write(known, generator.settings)
    write_feeds_ahead(generator)


def write_feeds_ahead(generator) -> None:
    """A whole build's reflection feeds planned once the threads are attached (everything they
    show is known), and when there are many to write, written by a worker process while this
    process writes the pages (a cold build's thousand feeds are most of a second on one core).
    Taken in by write_reflection_feeds. A terminal's one-essay publish (onepublish.py) plans too,
    then writes only its touched feeds: planning is a signature and a stat per essay."""
    listed = [*generator.articles, *generator.translations]
    plan = feeds.FeedPlan(listed, generator.settings, generator.settings["OUTPUT_PATH"])
    ahead = None
    if pool.processes(generator.settings, len(plan.stale), pool.MIN_FEEDS):
        logger.info("Writing %d reflection feeds in a worker process", len(plan.stale))
        ahead = pool.start(plan.write)
    generator.reflections_feeds = (plan, ahead)


def write_reflection_feeds(generator, writer) -> None:
    listed = [*generator.articles, *generator.translations]
    change = getattr(writer, "change", None)
    plan, ahead = generator.__dict__.pop("reflections_feeds", (None, None))
    # What a worker wrote meanwhile (write_feeds_ahead); waited for in any case: never two writers
    # of one feed at once.
    done, records = ahead.result() if ahead is not None else (False, [])
    pool.replay(records)
    if change is None:
        if plan is None:
            plan = feeds.FeedPlan(listed, generator.settings, writer.output_path)
        getattr(writer, "produced", set()).update(plan.finish(written=bool(done)))
    else:
        # An incremental publish (warm.py): only the feeds of what changed.
        feeds.write_touched_feeds(
            listed, generator.settings, writer.output_path, change.among(listed), writer.written
        )


def copy_static(pelican) -> None:
    """The plugin's stylesheet and script into the output, whatever the theme (only when changed:
    a warm build finishes often)."""
    folder = Path(pelican.settings["OUTPUT_PATH"]) / pelican.settings["REFLECTIONS_STATIC_DIR"]
    for name in SITE_ASSETS:
        source, target = STATIC / name, folder / name
        data = source.read_bytes()
        if not target.is_file() or target.read_bytes() != data:
            write_atomically(target, data)


def write_redirects(generators) -> None:
    redirects.write(generators, generators[0].settings)


def atomic_writer(pelican) -> type:
    return AtomicWriter


def register() -> None:
    signals.initialized.connect(add_defaults)
    signals.readers_init.connect(use_essay_reader)
    signals.content_object_init.connect(remember_addresses)
    signals.generator_init.connect(add_templates)
    signals.get_writer.connect(atomic_writer)
    signals.finalized.connect(copy_static)
    signals.article_generator_init.connect(contentcache.save_only_when_added)
    signals.page_generator_init.connect(contentcache.save_only_when_added)
    signals.article_generator_preread.connect(readahead.start)
    signals.page_generator_preread.connect(readahead.start)
    signals.article_generator_pretaxonomy.connect(readahead.finish)
    signals.page_generator_finalized.connect(readahead.finish)
    signals.page_generator_finalized.connect(privacy.add_page)
    signals.article_generator_finalized.connect(prepare_essays)
    signals.article_writer_finalized.connect(write_reflection_feeds)
    signals.all_generators_finalized.connect(write_redirects)
