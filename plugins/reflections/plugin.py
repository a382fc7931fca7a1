"""Signal receivers that wire Withness into Pelican. `register()` is called by Pelican."""

from pathlib import Path

from jinja2 import FileSystemLoader
from pelican import signals

from . import build, config, essays

#: The plugin's own templates; a theme's templates of the same name take precedence.
TEMPLATES = Path(__file__).parent / "templates"
#: What a rendered thread is made from (a change to either renders every thread again).
THREAD_TEMPLATES = ("reflections/thread.html", "reflections/macros.html")


def add_defaults(pelican) -> None:
    config.apply_defaults(pelican.settings)


def use_essay_reader(readers) -> None:
    for extension in essays.EssayReader.file_extensions:
        readers.reader_classes[extension] = essays.EssayReader


def add_templates(generator) -> None:
    env = getattr(generator, "env", None)
    if env is not None:
        env.loader.loaders.append(FileSystemLoader(str(TEMPLATES)))


def prepare_essays(generator) -> None:
    settings = generator.settings
    words_per_minute = settings.get("READING_WORDS_PER_MINUTE", essays.WORDS_PER_MINUTE)
    every_essay = [
        *generator.articles,
        *generator.translations,
        *generator.hidden_articles,
        *generator.hidden_translations,
        *generator.drafts,
        *generator.drafts_translations,
    ]
    for essay in every_essay:
        words = essays.word_count(essay._content)
        essay.reading_time = essays.reading_minutes(words, words_per_minute)
        essay.structured_data = essays.structured_data(essay, settings, words)
    essays.link_neighbours(generator.articles)
    env = generator.env
    template = env.get_template("reflections/thread.html")
    sources = "".join(env.loader.get_source(env, name)[0] for name in THREAD_TEMPLATES)

    def render_thread(essay) -> str:
        return template.render({**generator.context, "article": essay})

    build.attach(every_essay, settings, render_thread, sources)


def write_reflection_feeds(generator, writer) -> None:
    build.write_feeds([*generator.articles, *generator.translations], generator.settings, writer.output_path)


def register() -> None:
    signals.initialized.connect(add_defaults)
    signals.readers_init.connect(use_essay_reader)
    signals.generator_init.connect(add_templates)
    signals.article_generator_finalized.connect(prepare_essays)
    signals.article_writer_finalized.connect(write_reflection_feeds)
