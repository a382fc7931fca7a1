"""Signal receivers that wire Withness into Pelican. `register()` is called by Pelican."""

from pelican import signals

from . import essays


def use_essay_reader(readers) -> None:
    for extension in essays.EssayReader.file_extensions:
        readers.reader_classes[extension] = essays.EssayReader


def prepare_essays(generator) -> None:
    words_per_minute = generator.settings.get("READING_WORDS_PER_MINUTE", essays.WORDS_PER_MINUTE)
    for essay in [*generator.articles, *generator.drafts]:
        essay.reading_time = essays.reading_minutes(essay._content, words_per_minute)
        essay.structured_data = essays.structured_data(essay, generator.settings)
    essays.link_neighbours(generator.articles)


def register() -> None:
    signals.readers_init.connect(use_essay_reader)
    signals.article_generator_finalized.connect(prepare_essays)
