"""Incremental publishing: a built site kept in memory, so one change re-renders only what it touches.

`WarmSite.build()` is a whole Pelican build whose generators and shared context are kept. Then:

- `reflections_changed(slug)` (a reflection approved, withdrawn, unpublished, edited or answered):
  that essay's items are read again from its folder alone; its page (and translations), its feed,
  the site-wide feed and the list pages that show its count (`REFLECTIONS_COUNT_TEMPLATES`) are
  rendered;
- `essay_changed(path)` (an essay saved while writing, or a new one): that file alone is read again,
  the lists are regrouped as Pelican groups them, and only the pages that show the essay are
  rendered: its own, its neighbours', the list pages and feeds that list it (every list page when
  the order or grouping changed);
- anything else (theme, settings, pages, static files): a whole build again.

Every output goes through Pelican's own writer code (writer.SelectiveWriter), atomically, and only
when its bytes change; a full build gives the same bytes (tests/test_warm.py proves it on random
sequences). What a change rewrites, and how, is narrowing.py. A standalone `reflections approve`
has no warm build: `publish_once` (onepublish.py) runs Pelican with its content cache and the same
selective writer.
"""

import ctypes
import functools
import gc
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pelican import Pelican, signals
from pelican.contents import Article, Content
from pelican.generators import ArticlesGenerator

from ..core.errors import ContentError
from ..core.sanitizer import cache_key
from ..core.threads import walk
from . import build, essays, manifest, narrowing, packing
from . import settings as config
from .changes import Change
from .onepublish import settings_for
from .plugin import every_essay, prepare_essay, thread_renderer
from .regroup import regroup, shape


def _one_change(method):
    """One change at a time, and a failed one remembered (see WarmSite.failed)."""

    @functools.wraps(method)
    def change(self, *arguments):
        with self.lock:
            try:
                return method(self, *arguments)
            except BaseException:
                self.failed = True
                raise
            finally:
                _forget_rendered_content()
                # Its pages are on disk by now: what the change made and dropped goes back to the
                # system (some 2 MB a publish at 3 000 essays, a few milliseconds to give back).
                _give_back_memory()

    return change


@dataclass
class WarmSite:
    """A whole build kept in memory, updated in place by each change (one change at a time)."""

    settings_file: str
    output: str | None = None
    generators: list = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: Every page and feed the kept build and the publishes since stand for.
    produced: set = field(default_factory=set)
    #: Each essay's reflection files as last published (name, inode, time, size): the service
    #: publishes an approval itself, and its file watcher then sees the same files again.
    published_files: dict = field(default_factory=dict)
    #: A change failed part way (a template error, a broken essay): the kept build may be half
    #: changed, so the next change builds the whole site again, and publishes what waited.
    failed: bool = False
    #: The kept build's essays by slug, made when a publish first asks (a changed essay or a whole
    #: build empties it).
    by_slug: dict = field(default_factory=dict)

    @property
    def essays(self) -> ArticlesGenerator:
        return next(g for g in self.generators if isinstance(g, ArticlesGenerator))

    @property
    def settings(self) -> dict:
        return self.essays.settings

    def read_settings(self) -> dict:
        # Once the site is served, a build never empties its folder (publishconf.py asks it to);
        # the pages it no longer has are removed after the build instead.
        settings = settings_for(self.settings_file, self.output, keep_output=bool(self.generators))
        # The service's process has threads, connections and sockets a fork would copy; its builds
        # after the first are incremental, with nothing to share out.
        settings["REFLECTIONS_BUILD_PROCESSES"] = 1
        return settings

    def build(self) -> None:
        """A whole build; its generators are kept for the changes that follow. Returns None where
        the incremental methods return the files they wrote: a whole build writes every file."""
        kept: list = []

        def keep(generators) -> None:
            kept[:] = generators

        with self.lock:
            self.failed = True  # until this build is done
            gc.unfreeze()  # the last build's objects may be collected once this one replaces them
            packing.keep_packed()  # this build is kept: what each essay shows of reflections, packed
            pelican = _KeptPelican(self.read_settings())
            with signals.all_generators_finalized.connected_to(keep):
                pelican.run()
            self.generators = kept
            # Its pages are written: what they show is needed again only by the few a publish renders.
            kept_essays = every_essay(self.essays)
            packing.pack_html(kept_essays)
            render, _sources = thread_renderer(self.essays)
            packing.let_go(kept_essays, {"thread_html": render, "structured_data": build.json_ld})
            packing.share_names(kept_essays, self.essays)
            packing.spool(kept_essays, pelican.settings.get("CACHE_PATH"))
            self.by_slug.clear()
            self.published_files.clear()
            # Pages the site no longer has (a removed essay, an index page fewer): Pelican leaves
            # them in the output folder; a build into an empty folder would not make them.
            for stale in self.produced - pelican.writer.produced:
                _remove(Path(stale))
            self.produced = set(pelican.writer.produced)
            # Pelican's content caches have been saved to disk by now; in memory they would hold a
            # second copy of every essay's text beside the essay itself. A change reads its file again.
            for generator in kept:
                for holder in (generator, getattr(generator, "readers", None)):
                    if isinstance(getattr(holder, "_cache", None), dict):
                        holder._cache = {}
            # The build kept in memory is hundreds of thousands of long-lived objects; a full
            # collection walking them all (half a second at 3 000 essays) would stall a publish.
            _forget_rendered_content()
            gc.collect()
            gc.freeze()
            _give_back_memory()
            self.failed = False

    @_one_change
    def reflections_changed(self, slug: str) -> list[str] | None:
        """Re-render what shows the reflections of essay `slug`; returns the files written."""
        if not self.generators or self.failed:
            return self.build()
        generator = self.essays
        settings = generator.settings
        if not settings["REFLECTIONS_INCREMENTAL"]:
            return self.build()
        files = _stamps(config.reflections_root(settings) / slug)
        if self.published_files.get(slug) == files:
            return []
        if not self.by_slug:
            for essay in every_essay(generator):
                self.by_slug.setdefault(essay.slug, []).append(essay)
        shown = list(self.by_slug.get(slug, ()))
        items = build.read_essay_items(settings, slug)
        self._attach(shown, items)
        change = Change(
            slugs=frozenset([slug]),
            count_templates=tuple(settings["REFLECTIONS_COUNT_TEMPLATES"]),
            essays=frozenset(shown),
        )
        written = self._write(change)
        self.published_files[slug] = files
        return written

    @_one_change
    def essay_changed(self, path: str) -> list[str] | None:
        """Read one essay file again and re-render what shows it; returns the files written."""
        if not self.generators or self.failed:
            return self.build()
        generator = self.essays
        if not generator.settings["REFLECTIONS_INCREMENTAL"]:
            return self.build()
        source = os.path.abspath(path)
        before = {essay.source_path: essay for essay in every_essay(generator)}
        old = before.get(source)
        if not os.path.exists(source):
            return self.build()  # a removed essay: its pages go with the whole build
        essay = self._read(source)
        if old is not None and (old.save_as, old.url, old.slug, old.lang, old.status) != (
            essay.save_as,
            essay.url,
            essay.slug,
            essay.lang,
            essay.status,
        ):
            # Its address changed, and other essays' links to it: a whole build, old pages gone.
            return self.build()
        before_shape = shape(generator)
        before_groups = _groups(generator)
        touched = {source, *_related(old)}
        regroup(generator, source, essay)
        self.by_slug.clear()
        if not before_groups <= _groups(generator):
            # A tag, category or author no essay has any more: its pages and feeds go with a whole
            # build, as they would from a build into an empty folder.
            return self.build()
        prepare_essay(essay, generator.settings)
        essays.link_neighbours(generator.articles)
        self._attach([essay], build.read_essay_items(generator.settings, essay.slug))
        manifest.write(every_essay(generator), generator.settings)
        touched |= set(_related(essay))
        change = Change(sources=frozenset(touched), regrouped=shape(generator) != before_shape)
        return self._write(change)

    @_one_change
    def files_changed(self, paths: Iterable[str]) -> list[str] | None:
        """What the file watcher saw: reflections and essays incrementally, anything else whole."""
        if not self.generators or self.failed:
            return self.build()
        settings = self.settings
        reflections = os.path.abspath(config.reflections_root(settings))
        essay_roots = config.essay_roots(settings)
        slugs, essay_files, other = set(), set(), False
        for path in map(os.path.abspath, paths):
            if _inside(path, reflections):
                parts = os.path.relpath(path, reflections).split(os.sep)
                if len(parts) == 2 and _is_source(parts[1]):
                    slugs.add(parts[0])
            elif any(_inside(path, root) for root in essay_roots) and _is_source(path):
                essay_files.add(path)
            elif not _ignored(path):
                other = True
        if other:
            return self.build()
        written: list[str] = []
        for path in sorted(essay_files):
            step = self.essay_changed(path)
            if step is None:
                return None  # a whole build has made everything, the rest included
            written += step
        for slug in sorted(slugs):
            written += self.reflections_changed(slug) or []
        return written

    def _read(self, source: str) -> Article:
        generator = self.essays
        # The file is known to have changed: a save within one clock tick keeps its modification
        # time, which would let the readers' cache hand back the old text.
        generator.readers._cache.pop(source, None)
        essay = generator.readers.read_file(
            base_path=generator.path,
            path=os.path.relpath(source, generator.path),
            content_class=Article,
            context=generator.context,
            preread_signal=signals.article_generator_preread,
            preread_sender=generator,
            context_signal=signals.article_generator_context,
            context_sender=generator,
        )
        if not essay.is_valid():
            raise ContentError(source, "metadata", "Pelican could not use this essay (see the warning above)")
        return essay

    def _attach(self, shown: list, items: list) -> None:
        generator = self.essays
        render, _sources = thread_renderer(generator)
        # What was sanitized for these essays before: only a new or edited item is sanitized now.
        # Made afresh each time from what the essays show, so it holds nothing they no longer do.
        rendered: dict = {}
        for essay in shown:
            for node in walk(getattr(essay, "reflection_thread", [])):
                if node.html and str(node.html) != build.TOO_LONG:
                    rendered.setdefault(cache_key(node.item.body), str(node.html))
        cache = build.RenderedCache(None, rendered)
        for essay in shown:
            build.attach_thread(essay, items, generator.settings, cache, lambda e, _thread: render(e))

    def _write(self, change: Change) -> list[str]:
        written = narrowing.write_change(self.generators, change)
        self.produced |= set(written)
        return written


def _groups(generator) -> set[tuple[str, str]]:
    """Every tag, category and author an essay has, each of which has pages and feeds."""
    return {
        *(("tag", str(tag)) for tag in generator.tags),
        *(("category", str(category)) for category, _ in generator.categories),
        *(("author", str(author)) for author, _ in generator.authors),
    }


def _related(essay) -> list[str]:
    """The source paths of the essays whose pages show this one: its neighbours and translations."""
    if essay is None:
        return []
    related = [getattr(essay, "newer_essay", None), getattr(essay, "older_essay", None)]
    related += getattr(essay, "translations", [])
    return [other.source_path for other in related if other is not None]


def _forget_rendered_content() -> None:
    """Empty Pelican's memo of every essay's HTML and summary. It is one dict for all content, kept
    for the life of the process: a served site would hold each essay's HTML twice, and every
    essay of every whole build since it started."""
    for name in ("get_content", "get_summary"):
        memo = getattr(Content.__dict__.get(name), "cache", None)
        if isinstance(memo, dict):
            memo.clear()


def _give_back_memory() -> None:
    """Return to the system what the build freed (glibc keeps freed memory for the process unless
    asked; elsewhere there is nothing to ask)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _remove(path: Path) -> None:
    """Remove an output file, and its folder when that leaves it empty."""
    if path.is_file():
        path.unlink()
        if not any(path.parent.iterdir()):
            path.parent.rmdir()


def _stamps(folder: Path) -> tuple:
    """What identifies the files of a folder as they are now: a rename or a rewrite changes it."""
    try:
        with os.scandir(folder) as entries:
            # DirEntry.stat() is cached: one stat call per file.
            found = [(e.name, e.inode(), e.stat().st_mtime_ns, e.stat().st_size) for e in entries]
    except OSError:
        return ()
    return tuple(sorted(found))


def _inside(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root


def _is_source(path: str) -> bool:
    name = os.path.basename(path)
    return not name.startswith(".") and name.rsplit(".", 1)[-1] in essays.EssayReader.file_extensions


def _ignored(path: str) -> bool:
    """Editors' swap and backup files, and our own temporary files: no reason to build."""
    name = os.path.basename(path)
    return name.startswith(".") or name.endswith("~") or name.endswith(".swp")


class _KeptPelican(Pelican):
    """Pelican, keeping its writer: what a whole build wrote is what the site now stands for."""

    def _get_writer(self):
        self.writer = super()._get_writer()
        return self.writer
