"""Essays and pages read ahead in worker processes when a build has many to read.

When Pelican's articles (or pages) generator is about to read its first file that no cache holds,
the files it will read are given to a pool (pool.py), and each reader's `read` is replaced, for that
generator's reading, by one that takes the file's result from the pool. Pelican does everything else
as it always does: its metadata, its content cache, typogrify, signals, the content objects.
"""

import logging
import os
from collections.abc import Callable, Iterator

from pelican.generators import ArticlesGenerator
from pelican.utils import file_suffix

from . import pool

logger = logging.getLogger(__name__)


class ReadAhead:
    """The results of one generator's files, taken in the order its reading asks for them."""

    def __init__(self, readers, paths: list[str], count: int) -> None:
        self.readers = readers
        self.originals = {fmt: readers.readers[fmt].read for fmt in {file_suffix(p) for p in paths}}
        dumps, self.loads = pool.shares_settings(readers.settings)
        originals = self.originals

        def read(path: str) -> bytes:
            return dumps(originals[file_suffix(path)](path))

        self.running = pool.run(read, paths, count, chunk=1)
        self.results: Iterator = zip(paths, self.running, strict=True)
        self.waiting: dict[str, tuple] = {}
        self.left = len(paths)
        for fmt in self.originals:
            readers.readers[fmt].read = self._reader(fmt)

    def _reader(self, fmt: str) -> Callable[[str], tuple]:
        def read(path: str) -> tuple:
            data, records = self.take(path)
            pool.replay(records)
            return self.originals[fmt](path) if data is None else self.loads(data)

        return read

    def take(self, path: str) -> tuple:
        """(pickled result or None, log records) of `path`; (None, []) when it was not read ahead."""
        found = self.waiting.pop(path, None)
        while found is None and self.left:
            done, found = next(self.results)
            self.left -= 1
            if done != path:
                self.waiting[done], found = found, None
        if not self.left and not self.waiting:
            self.finish()
        return found if found is not None else (None, [])

    def finish(self) -> None:
        """End the pool and give the readers back their own `read`."""
        self.running.close()
        self.left = 0
        self.waiting.clear()
        for fmt in self.originals:
            # The instance attribute goes, so the reader's class method is `read` again.
            self.readers.readers[fmt].__dict__.pop("read", None)
        _open.discard(self)


#: Read-aheads not yet finished (a generator's last file taken, or its reading ended).
_open: set[ReadAhead] = set()


def _unread(generator, folders: str, excludes: str) -> list[str]:
    """Absolute paths of the generator's files that neither of Pelican's content caches holds."""
    readers = generator.readers
    paths = []
    for name in generator.get_files(generator.settings[folders], exclude=generator.settings[excludes]):
        path = os.path.abspath(os.path.join(generator.path, name))
        if file_suffix(path) not in readers.readers or generator.get_cached_data(name, None) is not None:
            continue
        if readers.get_cached_data(path, (None, None))[0] is None:
            paths.append(path)
    return paths


def start(generator) -> None:
    """Receiver of the articles and pages generators' preread signal: at the first file read."""
    if getattr(generator, "_reflections_read_ahead", False):
        return
    generator._reflections_read_ahead = True
    if isinstance(generator, ArticlesGenerator):
        paths = _unread(generator, "ARTICLE_PATHS", "ARTICLE_EXCLUDES")
    else:
        paths = _unread(generator, "PAGE_PATHS", "PAGE_EXCLUDES")
    count = pool.processes(generator.settings, len(paths), pool.MIN_ESSAYS)
    if count:
        logger.info("Reading %d files in %d processes", len(paths), count)
        _open.add(ReadAhead(generator.readers, paths, count))


def finish(*_) -> None:
    """Receiver of the signals that end a generator's reading: no pool outlives it."""
    for each in list(_open):
        each.finish()
