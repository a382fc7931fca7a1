"""One publish without a kept build, for a terminal's `reflections approve`: Pelican reads every
essay from its content cache, and the selective writer renders what one essay's reflections touch."""

import os

from pelican import Pelican
from pelican.generators import StaticGenerator

from . import settings as config
from .changes import Change
from .writer import SelectiveWriter


def settings_for(settings_file: str, output: str | None, keep_output: bool) -> dict:
    override: dict = {"OUTPUT_PATH": os.path.abspath(output)} if output else {}
    if keep_output:
        override["DELETE_OUTPUT_DIRECTORY"] = False
    return config.read(settings_file, override=override)


class _OnePublish(Pelican):
    """Pelican with its content cache, writing only what one change touches."""

    def __init__(self, settings: dict, change: Change) -> None:
        self.change = change
        super().__init__(settings)

    def _get_writer(self) -> SelectiveWriter:
        self.writer = SelectiveWriter(self.output_path, self.settings, self.change)
        return self.writer

    def _get_generator_classes(self) -> list:
        classes = super()._get_generator_classes()
        return [_StaticLinksOnly if cls is StaticGenerator else cls for cls in classes]


class _StaticLinksOnly(StaticGenerator):
    """Static files are found (essays link to them) but not copied again: a reflection changes none."""

    def generate_output(self, writer=None) -> None:
        pass


def publish_once(settings_file: str, slug: str, output: str | None = None) -> list[str] | None:
    """For a terminal's `reflections approve`: no warm build to update, so Pelican reads every essay
    (from its content cache) and the selective writer renders what essay `slug`'s reflections touch.
    Returns the files written (None: a whole build, everything)."""
    # Never empty the output folder (publishconf.py asks a whole build to): this run writes a few files.
    settings = settings_for(settings_file, output, keep_output=True)
    if not settings["REFLECTIONS_INCREMENTAL"] or not os.path.exists(
        os.path.join(settings["OUTPUT_PATH"], "index.html")
    ):
        Pelican(settings).run()
        return None
    counted = tuple(settings["REFLECTIONS_COUNT_TEMPLATES"])
    one = _OnePublish(settings, Change(slugs=frozenset([slug]), count_templates=counted))
    one.run()
    return one.writer.written
