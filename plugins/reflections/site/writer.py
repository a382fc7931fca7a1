"""Writing the site's files: always atomically, and, for an incremental publish, only what it touches.

`AtomicWriter` is Pelican's writer with one change: a file is written to a temporary file in the
same folder and renamed into place, so a reader never gets half a page, even while the site is
rebuilt under a running server. The plugin hands it to Pelican (the `get_writer` signal).

`SelectiveWriter` goes through the very same Pelican code (`write_file`, pagination, the shared
context) so an incremental publish makes the same bytes as a full build, but renders only the
outputs it is asked for and leaves a file alone when its bytes would not change.
"""

import io
import os
from itertools import compress, count
from pathlib import Path

from pelican.paginator import Paginator
from pelican.writers import Writer

from ..core.files import write_atomically, write_if_changed
from .essays import content_without_counts


class _Unwanted(str):
    """What a gated template renders for an output that is not wanted: a marker, never written."""


UNWANTED = _Unwanted()


class _OutputFile(io.StringIO):
    """A text file that reaches the disk in one rename when it is closed, and only if it changed."""

    def __init__(self, path: str, encoding: str, only_if_changed: bool, written: list[str]) -> None:
        super().__init__()
        self.path = path
        self.target_encoding = encoding
        self.only_if_changed = only_if_changed
        self.written = written
        self.unwanted = False

    def write(self, text: str) -> int:
        if text is UNWANTED:
            self.unwanted = True
            return 0
        return super().write(text)

    def __exit__(self, *exc_info) -> None:
        try:
            if exc_info[0] is None and not self.unwanted:
                self._commit(self.getvalue().encode(self.target_encoding))
        finally:
            super().__exit__(*exc_info)

    def _commit(self, data: bytes) -> None:
        if self.path == os.devnull:
            return
        if self.only_if_changed:
            write_if_changed(Path(self.path), data, self.written)
        else:
            write_atomically(Path(self.path), data)
            self.written.append(self.path)


class _AsWritten:
    """An essay as Pelican's own feeds carry it: its words, without the "2 reflections on this
    passage" links, which point into its page and change with every approval (a feed would be
    rewritten for each, and a whole build and a warm one would differ)."""

    def __init__(self, essay) -> None:
        self._essay = essay

    def __getattr__(self, name: str):
        return getattr(self._essay, name)

    def get_content(self, siteurl: str) -> str:
        return content_without_counts(self._essay, siteurl)


class AtomicWriter(Writer):
    """Pelican's writer, writing every file through a temporary file and a rename, and leaving a
    file alone when it already holds the bytes a build makes (a warm build rewrites few pages, and
    a deploy that compares times sends only what changed)."""

    only_if_changed = True

    def __init__(self, output_path: str, settings: dict | None = None) -> None:
        super().__init__(output_path, settings=settings)
        #: Every file this writer actually changed on disk, in order.
        self.written: list[str] = []
        #: Every page and feed this build stands for, written or not (the plugin adds its feeds).
        self.produced: set[str] = set()

    def _add_item_to_the_feed(self, feed, item):
        if getattr(item, "reflection_original_content", None) is not None:
            item = _AsWritten(item)
        return super()._add_item_to_the_feed(feed, item)

    def _open_w(self, filename: str, encoding: str, override: bool = False) -> _OutputFile:
        # The same rule as Pelican's own: a second write to one file is an error unless one of the
        # two overrides it; the file itself is only replaced when the stream is closed.
        if filename in self._overridden_files:
            if override:
                raise RuntimeError(f"Failed to overwrite {filename!r} a second time")
            filename = os.devnull
        elif filename in self._written_files and not override:
            raise RuntimeError(f"Failed to overwrite {filename!r}: it was already written in this build")
        else:
            self.produced.add(filename)
        if override:
            self._overridden_files.add(filename)
        self._written_files.add(filename)
        return _OutputFile(filename, encoding, self.only_if_changed, self.written)


class _GatedTemplate:
    """Stands in for a Jinja template: renders an output only when the change wants it."""

    def __init__(self, template, change) -> None:
        self.template = template
        self.stem = template_stem(template)
        self.change = change

    def render(self, localcontext: dict) -> str:
        if self.change.wants_page(self.stem, localcontext):
            return self.template.render(localcontext)
        return UNWANTED


def template_stem(template) -> str:
    """ "article" for article.html: the name Pelican's settings use for a template."""
    return os.path.splitext(os.path.basename(template.name or ""))[0]


class SelectiveWriter(AtomicWriter):
    """Renders only the pages `change.wants_page(template, localcontext)` accepts and the feeds
    `change.wants_feed(path, entries)` accepts (see changes.py); of those, writes only the files
    whose bytes change."""

    def __init__(self, output_path: str, settings: dict, change) -> None:
        super().__init__(output_path, settings=settings)
        self.change = change

    def write_file(
        self,
        name,
        template,
        context,
        relative_urls=False,
        paginated=None,
        template_name=None,
        override_output=False,
        url=None,
        **kwargs,
    ):
        if "article" in kwargs and not self.change.wants_page(template_stem(template), kwargs):
            return None  # an essay page nobody asked for: not even its context is made
        gated = _GatedTemplate(template, self.change)
        if paginated is None:  # as Pelican's own writer finds them
            paginated = {key: value for key, value in kwargs.items() if key in {"articles", "dates"}}
        if not self._narrowed(paginated, template_name):
            return super().write_file(
                name, gated, context, relative_urls, paginated, template_name, override_output, url, **kwargs
            )
        # Only the pages that list what changed. Pelican's loop would make every page's context to
        # keep one (at three thousand essays, three hundred index pages for one count): each page
        # wanted is made here exactly as that loop makes it, then written by Pelican's own code.
        per_page = self.settings["PAGINATED_TEMPLATES"][template_name] or self.settings["DEFAULT_PAGINATION"]
        paginators = {
            key: Paginator(name, url, value, self.settings, per_page) for key, value in paginated.items()
        }
        last = next(iter(paginators.values())).num_pages
        for number in self._page_numbers(template, paginators, per_page, last):
            page_kwargs = dict(kwargs)
            for key, paginator in paginators.items():
                page = paginator.page(number)
                page_kwargs[f"{key}_paginator"] = paginator
                page_kwargs[f"{key}_page"] = page
                page_kwargs[f"{key}_previous_page"] = paginator.page(number - 1) if number > 1 else None
                page_kwargs[f"{key}_next_page"] = paginator.page(number + 1) if number < last else None
            # Unpaginated to Pelican's writer now: the page's own name, context and file.
            super().write_file(
                page.save_as,
                gated,
                context,
                relative_urls,
                {},
                template_name,
                override_output,
                url,
                **page_kwargs,
            )
        return None

    def _narrowed(self, paginated: dict, template_name) -> bool:
        """Whether this paginated output can be written page by page: not when there is no
        pagination, when the change is not pinned, or when a regrouping may change every page."""
        change = self.change
        if not paginated or template_name not in self.settings["PAGINATED_TEMPLATES"]:
            return False
        return change.essays is not None and not (change.sources and change.regrouped)

    def _page_numbers(self, template, paginators: dict, per_page, last: int) -> list[int]:
        """The numbers of the pages that can show what changed."""
        change = self.change
        if not change.sources and template_stem(template) not in change.count_templates:
            return []
        numbers: set[int] = set()
        for paginator in paginators.values():
            listed = paginator.object_list
            # Found in C: the index lists every essay, and a publish looks for one.
            places = compress(count(), map(change.essays.__contains__, listed))
            numbers |= {min(place // per_page + 1, last) if per_page else 1 for place in places}
        return sorted(numbers)

    def write_feed(self, elements, context, path=None, *args, **kwargs):
        entries = list(elements[: self.settings["FEED_MAX_ITEMS"]])
        if path and not self.change.wants_feed(path, entries):
            return None
        return super().write_feed(elements, context, path, *args, **kwargs)
