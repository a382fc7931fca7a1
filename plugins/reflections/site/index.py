"""The essays the service accepts reflections for: what the last build produced (manifest.py:
any reader, the site's own slugs and addresses), with the headers of the Markdown essay files read
afresh on top, so the service knows a new or edited Markdown essay the moment it is saved, before
any build. The service sees this through core.essay_header.SiteView; the wiring (serve.py, the
CLI) makes it.
"""

import os
import threading
import time
from fnmatch import fnmatch
from pathlib import Path

from pelican.contents import Page
from pelican.readers import MarkdownReader, Readers
from pelican.utils import get_date, slugify

from ..core import published
from ..core.essay_header import (
    EssayInfo,
    closing_day,
    is_draft,
    plain_title,
    read_header,
    reflections_open,
    written_on,
)
from . import manifest
from . import settings as site_settings


class SiteIndex:
    """Essays by slug, reread when an essay file changes (looked at most once every RECHECK_SECONDS)."""

    RECHECK_SECONDS = 1.0

    def __init__(self, settings_file: str | Path) -> None:
        self.settings = site_settings.read(settings_file)
        self.zone = site_settings.site_zone(self.settings)
        self.content = Path(self.settings["PATH"])
        self.reflections = site_settings.reflections_root(self.settings)
        self.manifest = manifest.location(self.settings)
        self._stamp: tuple | None = None
        self._checked = float("-inf")
        self._essays: dict[str, EssayInfo] = {}
        self._lock = threading.Lock()

    def _files(self) -> list[Path]:
        """The essay files, found as Pelican finds articles: under ARTICLE_PATHS, leaving out
        ARTICLE_EXCLUDES (pages and published reflections among them) and IGNORE_FILES."""
        excluded = {os.path.normpath(self.content / name) for name in self.settings["ARTICLE_EXCLUDES"]}
        ignored = self.settings.get("IGNORE_FILES", [])
        files = []
        for folder in self.settings["ARTICLE_PATHS"]:
            for where, folders, names in os.walk(self.content / folder, followlinks=True):
                folders[:] = [
                    name
                    for name in folders
                    if os.path.normpath(os.path.join(where, name)) not in excluded
                    and not any(fnmatch(name, pattern) for pattern in ignored)
                ]
                files += [Path(where, name) for name in names if name.endswith(".md")]
        return sorted(files)

    def essays(self) -> dict[str, EssayInfo]:
        # Every submission asks; walking thousands of essay files each time would cost more than
        # the submission itself, and a new essay can wait a second to accept reflections.
        if time.monotonic() - self._checked < self.RECHECK_SECONDS:
            return self._essays
        with self._lock:  # one thread rereads; the others keep the whole index they had
            if time.monotonic() - self._checked >= self.RECHECK_SECONDS:
                self._reread()
        return self._essays

    def expire(self) -> None:
        """Look at the essays again at the next ask (a build in this process just wrote them)."""
        self._checked = float("-inf")

    def due(self) -> bool:
        """Whether the next look at the essays rereads their files (a caller on the event loop
        has that done in a worker thread first)."""
        return time.monotonic() - self._checked >= self.RECHECK_SECONDS

    def _manifest_stamp(self) -> int:
        try:
            return self.manifest.stat().st_mtime_ns
        except OSError:
            return 0

    def _reread(self) -> None:
        files = self._files()
        stamp = (self._manifest_stamp(), *((str(f), f.stat().st_mtime_ns) for f in files))
        if stamp != self._stamp:
            built = manifest.read(self.manifest)
            # Built essays whose file is still there (a Markdown one's header is read below).
            by_source = {
                source: essay for source, essay in built.items() if (self.content / source).is_file()
            }
            for path in files:
                source = os.path.relpath(path, self.content)
                header = read_header(path)
                if is_draft(header):
                    by_source.pop(source, None)
                    continue
                before = built.get(source)
                # A Markdown header's title is HTML to Pelican (entities and all); a
                # reStructuredText header's is words already.
                markdown = str(path).endswith(tuple(f".{end}" for end in MarkdownReader.file_extensions))
                title = plain_title(header.get("title", "")) if markdown else header.get("title", "")
                slug = (
                    header.get("slug")
                    or (before.slug if before else "")
                    or slugify(title, regex_subs=self.settings.get("SLUG_REGEX_SUBSTITUTIONS", []))
                )
                if not slug:
                    continue
                by_source[source] = EssayInfo(
                    slug=slug,
                    title=title or (before.title if before else ""),
                    reflection_prompt=header.get("reflection_prompt", ""),
                    reflections_open=reflections_open(header),
                    closes=_closes(header, before, self.settings),
                    # What the last build read of its text: its links, and which version that was.
                    links=before.links if before else (),
                    change=before.change if before else "",
                    url=(before.url if before else "") or self._address(header, slug),
                    lang=header.get("lang", "") or (before.lang if before else ""),
                    reflection_passages=before.reflection_passages if before else (),
                    reflection_anchors=before.reflection_anchors if before else (),
                    date=header.get("date", "") or (before.date if before else ""),
                    mastodon=header.get("mastodon", ""),
                    bluesky=header.get("bluesky", ""),
                )
            essays = {essay.slug: essay for essay in by_source.values()}
            # Published whole, never filled in place: a reader's request reading it meanwhile
            # sees the old index or the new one, never a half-made one.
            self._essays = essays
            self._stamp = stamp
        self._checked = time.monotonic()

    def _address(self, header: dict[str, str], slug: str) -> str:
        """The essay's address as Pelican makes it from ARTICLE_URL (slug, date, lang, category,
        author); "" when the pattern needs what a header cannot tell, never an error: a reader's
        submission must not fail for a link on the page that answers it."""
        settings = self.settings
        fields = {
            "slug": slug,
            "lang": header.get("lang") or settings.get("DEFAULT_LANG", "en"),
            "category": slugify(
                header.get("category") or settings.get("DEFAULT_CATEGORY", "misc"),
                regex_subs=settings.get("CATEGORY_REGEX_SUBSTITUTIONS", []),
            ),
            "author": slugify(
                header.get("author") or settings.get("AUTHOR", ""),
                regex_subs=settings.get("AUTHOR_REGEX_SUBSTITUTIONS", []),
            ),
        }
        try:
            if header.get("date"):
                fields["date"] = get_date(header["date"])
            return settings["ARTICLE_URL"].format(**fields)
        except (KeyError, ValueError, IndexError, AttributeError, TypeError):
            return ""

    def pages(self) -> dict[str, str]:
        """The site's pages, slug → address, read as Pelican reads them (any reader, the site's
        own slugs and PAGE_URL): an importer tells a comment on a page from one on no page. A
        page that cannot be read is left out; the build names it."""
        settings = self.settings
        readers = Readers(settings)
        excluded = {os.path.normpath(self.content / name) for name in settings.get("PAGE_EXCLUDES", [])}
        found = {}
        for folder in settings["PAGE_PATHS"]:
            for where, folders, names in os.walk(self.content / folder, followlinks=True):
                folders[:] = [n for n in folders if os.path.normpath(os.path.join(where, n)) not in excluded]
                for name in names:
                    if name.rpartition(".")[2] not in readers.extensions:
                        continue
                    source = os.path.relpath(os.path.join(where, name), self.content)
                    try:
                        page = readers.read_file(str(self.content), source, content_class=Page, context={})
                    except Exception:  # noqa: BLE001 - any reader's error; the build reports it
                        continue
                    if page.slug:
                        found[page.slug] = page.url
        return found

    def essay(self, slug: str) -> EssayInfo | None:
        return self.essays().get(slug)

    def title(self, slug: str) -> str:
        """The essay's title, or its slug when no essay has it (any more)."""
        essay = self.essay(slug)
        return essay.title if essay else slug

    def published_item(self, essay: str, item_id: str) -> published.PublishedItem | None:
        """The published item `item_id` of that essay, or None."""
        if not published.valid_location(essay, item_id):
            return None  # also keeps any path a request names inside the reflections folder
        path = published.path_of(self.reflections, essay, item_id)
        try:
            return published.read(path) if path.is_file() else None
        except (published.FormatError, OSError):
            return None


def _closes(header: dict, before: EssayInfo | None, settings: dict) -> str:
    written = written_on(header.get("date", "") or (before.date if before else ""))
    day = closing_day(header, written, settings["REFLECTIONS_CLOSE_AFTER_DAYS"])
    return day.isoformat() if day else ""
