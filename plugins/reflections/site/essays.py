"""Essays: strict reading of their metadata, reading time, and the essays either side of each."""

import difflib
import logging
import os
import pickle
import re
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from functools import cached_property
from itertools import groupby
from operator import attrgetter

from jinja2 import pass_context, pass_environment
from markupsafe import Markup
from pelican.contents import Article, Content
from pelican.readers import MarkdownReader

from ..core import dates, i18n
from ..core.errors import ContentError, display_path
from ..core.essay_header import plain_title
from .packing import markup, packed, packed_thread, text, unpickled, utf8
from .settings import essay_roots, site_zone

logger = logging.getLogger(__name__)

WORDS_PER_MINUTE = 230
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+")


#: Metadata keys Pelican reads (its documented ones and those its own themes use) and Withness's.
#: Any other key is worth a warning: `Sumary:` is silently ignored otherwise. A site adds the keys
#: its theme or other plugins read in REFLECTIONS_METADATA_KEYS.
KNOWN_KEYS = frozenset(
    {
        *("title", "date", "modified", "tags", "keywords", "category", "slug", "author", "authors"),
        *("summary", "description", "lang", "translation", "status", "template", "save_as", "url"),
        *("reflection_prompt", "reflections", "reflections_close_after", "mastodon", "bluesky"),
    }
)
#: A header line as Python-Markdown's meta extension reads it, and a continuation of one.
_META_LINE = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)$")
_META_MORE = re.compile(r"^[ ]{4,}(?P<value>.*)$")
#: What an author meant as a key but wrote with spaces ("Reflection prompt: ..."), which ends the
#: header and would be published as the essay's first paragraph.
_SPACED_KEY = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z][A-Za-z0-9_-]*(?: [A-Za-z0-9_-]+){1,3}):\s")


def header_keys(text: str) -> tuple[list[str], str | None]:
    """The keys of a Markdown file's metadata header as typed, and the line straight after the
    header when it is not blank (a line the author likely meant as part of it)."""
    keys: list[str] = []
    for line in text.lstrip("\ufeff").splitlines():
        match = _META_LINE.match(line)
        if match:
            keys.append(match["key"])
        elif not (keys and _META_MORE.match(line)):
            return keys, (line if keys and line.strip() else None)
    return keys, None


def nearest_key(key: str, known: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(key.lower(), sorted(known), n=1, cutoff=0.75)
    return close[0].capitalize() if close else None


class EssayReader(MarkdownReader):
    """Pelican's Markdown reader, but a broken header stops the build with the file and field, and
    a key nobody reads is a warning naming the nearest one that is."""

    def read(self, source_path: str) -> tuple[str, dict]:
        self._check_header(source_path)
        content, metadata = super().read(source_path)
        if not str(metadata.get("title", "")).strip():
            raise ContentError(source_path, "Title", "missing (every essay and page needs a Title: line)")
        if _is_essay(source_path, self.settings) and "date" not in metadata:
            raise ContentError(source_path, "Date", "missing (every essay needs a Date: line)")
        return content, metadata

    def _check_header(self, source_path: str) -> None:
        with open(source_path, encoding="utf-8", errors="replace") as source:
            keys, after = header_keys(source.read())
        known = KNOWN_KEYS | {
            str(key).lower() for key in self.settings.get("REFLECTIONS_METADATA_KEYS") or ()
        }
        spaced = _SPACED_KEY.match(after or "")
        if spaced:
            key = spaced["key"]
            meant = key.replace(" ", "_")
            hint = nearest_key(meant, known) or meant
            raise ContentError(
                source_path,
                key,
                f"a metadata key cannot hold a space, so this line ends the header and would be "
                f"published as the essay's first paragraph; write it as {hint}:",
            )
        for key in keys:
            if key.lower() not in known:
                nearest = nearest_key(key, known)
                advice = (
                    f"did you mean {nearest}?"
                    if nearest
                    else "if your theme or a plugin reads it, add it to REFLECTIONS_METADATA_KEYS"
                )
                logger.warning(
                    "%s: %s: not a key Withness or Pelican knows; %s", display_path(source_path), key, advice
                )

    def process_metadata(self, name: str, value):
        try:
            return super().process_metadata(name, value)
        except (ValueError, TypeError) as error:
            raise ContentError(self._source_path, name.capitalize(), str(error)) from None


class Essay(Article):
    """Pelican's Article with its address worked out once.

    Pelican formats `url` and `save_as` from the settings and metadata on every use (about 40 µs);
    a list page of three thousand essays uses them thousands of times. Both depend only on what the
    essay was read with, and a changed essay is read into a new object.
    """

    @cached_property
    def url(self) -> str:
        return Article.url.fget(self)

    @cached_property
    def save_as(self) -> str:
        return Article.save_as.fget(self)

    # Kept packed in a build kept in memory (packing.py): what the essay shows of its reflections,
    # and, once its pages are written, its own HTML.
    _content = packed("content", utf8, text, str, when="html", legacy="_content")
    reflection_original_content = packed("original_content", utf8, text, str, lambda: None, when="html")
    reflection_thread = packed("thread", pickle.dumps, packed_thread, list)
    reflection_thread_html = packed("thread_html", utf8, markup, Markup)
    structured_data = packed("structured_data", pickle.dumps, unpickled, lambda: None)


def adopt(article: Article) -> None:
    """Make a Pelican Article an Essay: Pelican made it, its HTML in its `__dict__`, before the
    plugin could choose its class."""
    article.__class__ = Essay
    if "_content" in article.__dict__:
        article._content = article.__dict__.pop("_content")


@pass_context
def reflection_date(context, moment, essay) -> str:  # also the theme's essay dates
    """`{{ item.date|reflection_date(article) }}`: a reader's date as the site shows the essay's own
    (its language's DATE_FORMATS, else DEFAULT_DATE_FORMAT), on the site's clock (TIMEZONE)."""
    lang = getattr(essay, "lang", "") or context.get("DEFAULT_LANG") or i18n.SOURCE
    return localized(moment.astimezone(site_zone(context)), lang, context)


def localized(moment, lang: str, settings) -> str:
    """A date in `lang`: the site's format (DATE_FORMATS for the language, or DEFAULT_DATE_FORMAT
    in the site's own language) with month and day names in that language; in another language
    with no format of its own, as that language writes a date in full ("2026年3月16日")."""
    own = (settings.get("DATE_FORMATS") or {}).get(lang)
    site_language = i18n.locale_of(settings.get("DEFAULT_LANG"))
    here = i18n.locale_of(lang)
    if (
        own is None
        and site_language is not None
        and here is not None
        and here.language != site_language.language
    ):
        return i18n.long_date(moment, lang)
    fmt = dates.as_format(own or settings.get("DEFAULT_DATE_FORMAT") or "%Y-%m-%d")
    return i18n.localized_strftime(moment, fmt, lang)


#: A list this long (an archive's year, a tag's page) is kept joined between publishes, found by its
#: essays (by identity: a changed essay is a new object) and their reflection counts, so a publish
#: joins again only the list whose essay changed. Kept on the build's template environment, so it
#: goes with the build that made it.
LIST_MIN = 64
LISTS_KEPT = 64
#: And at most this many bytes of them, packed (zlib, about a fourteenth of their HTML): a few times
#: all the lists one build of three thousand essays joins, which held as text were 4 MB of a kept
#: build. Every edit makes a new version of each list that shows the edited essay; the versions it
#: replaced, the least recently used, go first (held by count alone they grew a kept build by a
#: tenth after ten edits).
LISTS_KEPT_BYTES = 1_000_000
_COUNT = attrgetter("reflection_count")


@pass_context
def remembered_rows(context, essays: Iterable, row, *arguments) -> Markup:
    """`{{ remembered_rows(essays, essay_row, show_counts) }}`: each essay's row, from the macro
    `row(essay, *arguments)`, rendered once per essay, page address, arguments and reflection count,
    then reused. A row shows only the essay's own fields and its count; the essay's own fields
    cannot change under it, because a changed essay is read into a new object. So a list page of
    thousands of essays costs a lookup per row, in a whole build and in an incremental publish, and
    a long list that did not change costs less still (LIST_MIN).
    """
    key = (row.name, context.get("SITEURL"), *arguments)
    essays = tuple(essays)
    if len(essays) < LIST_MIN:
        return _rows(essays, key, row, arguments)
    try:
        counts = tuple(map(_COUNT, essays))
    except AttributeError:  # content the plugin did not attach a thread to
        return _rows(essays, key, row, arguments)
    kept = _kept(context.environment, "_withness_lists")
    entry = _recall(kept, (key, essays))
    if entry is not None and entry[0] == counts:
        return Markup(zlib.decompress(entry[1]).decode("utf-8"))
    rows = _rows(essays, key, row, arguments)
    packed_rows = zlib.compress(rows.encode("utf-8"), 1)
    _keep(kept, (key, essays), (counts, packed_rows), len(packed_rows))
    return rows


def _rows(essays: tuple, key: tuple, row, arguments: tuple) -> Markup:
    rows = []
    append = rows.append  # a publish walks every essay's row: the loop is kept lean
    for essay in essays:
        remembered = essay.__dict__.get("_remembered_rows")
        if remembered is None:
            remembered = essay.__dict__["_remembered_rows"] = {}
        count = getattr(essay, "reflection_count", 0)
        entry = remembered.get(key)
        if entry is None or entry[0] != count:
            entry = remembered[key] = (count, row(essay, *arguments))
        append(entry[1])
    return Markup("".join(rows))


class _Kept(OrderedDict):
    """What a template environment keeps between publishes, least recently used first, with the
    size of what it holds."""

    size = 0


def _kept(environment, name: str) -> _Kept:
    kept = getattr(environment, name, None)
    if kept is None:
        kept = _Kept()
        setattr(environment, name, kept)
    return kept


def _recall(kept: _Kept, key):
    """What `kept` holds for `key` (None when nothing), now the most recently used."""
    held = kept.get(key)
    if held is None:
        return None
    kept.move_to_end(key)
    return held[0]


def _keep(kept: _Kept, key, value, size: int = 0) -> None:
    """`value` kept (`size`: its share of LISTS_KEPT_BYTES), and the least recently used let go
    past the limits."""
    if key in kept:
        kept.size -= kept.pop(key)[1]
    kept[key] = (value, size)
    kept.size += size
    while len(kept) > LISTS_KEPT or kept.size > LISTS_KEPT_BYTES:
        kept.size -= kept.popitem(last=False)[1][1]


@pass_environment
def by_year(environment, essays: Iterable) -> list[tuple[int, list]]:
    """Essays already in date order, in runs of one year each (Jinja's groupby sorts them again);
    the runs of the same list are worked out once."""
    essays = tuple(essays)
    kept = _kept(environment, "_withness_years")
    years = _recall(kept, essays)
    if years is None:
        years = [(year, list(run)) for year, run in groupby(essays, key=lambda essay: essay.date.year)]
        _keep(kept, essays, years)
    return years


def _is_essay(source_path: str, settings: dict) -> bool:
    path = os.path.abspath(source_path)
    return any(os.path.commonpath([path, root]) == root for root in essay_roots(settings))


def word_count(html: str) -> int:
    return len(_WORD.findall(_TAG.sub(" ", html)))


def reading_minutes(words: int, words_per_minute: int = WORDS_PER_MINUTE) -> int:
    return max(1, round(words / words_per_minute))


def link_neighbours(essays: Iterable) -> None:
    """Give each essay `newer_essay` and `older_essay` (None at either end), by date."""
    ordered = sorted(essays, key=lambda essay: essay.date)
    for index, essay in enumerate(ordered):
        essay.older_essay = ordered[index - 1] if index > 0 else None
        essay.newer_essay = ordered[index + 1] if index + 1 < len(ordered) else None


def content_without_counts(essay, siteurl: str) -> str:
    """The essay's HTML as anchored, before the passages' reflection counts are added to it, with
    its links made for `siteurl` as Pelican's `get_content` makes them."""
    return essay._update_content(essay.reflection_original_content, siteurl)


class _AsAnchored:
    """What Pelican's summary reads of an essay (its metadata, settings and content), with the
    content without its counts."""

    def __init__(self, essay, siteurl: str) -> None:
        self.metadata = essay.metadata
        self.settings = essay.settings
        self.content = content_without_counts(essay, siteurl)


_PELICANS_SUMMARY = Content.__dict__["get_summary"].func


class _SummaryWithoutCounts:
    """An essay's `get_summary`: Pelican's own summary, made from its content before the "2
    reflections on this passage" links, so an excerpt, a meta description or JSON-LD never says
    them. Pelican memoises a summary and the content it read once for the whole build; this,
    made from the anchored content only, neither goes stale when the counts change nor fixes the
    content early, so the counts reach the page in a whole build as in a warm one. A class, not
    a closure: Pelican's generator cache pickles essays."""

    def __init__(self, essay) -> None:
        self.essay = essay
        self.made: dict[str, str] = {}

    def __getstate__(self) -> dict:
        return {"essay": self.essay, "made": {}}  # a summary is made again by the build that reads it

    def __call__(self, siteurl: str) -> str:
        if siteurl not in self.made:
            self.made[siteurl] = _PELICANS_SUMMARY(_AsAnchored(self.essay, siteurl), siteurl)
        return self.made[siteurl]


def summary_without_counts(essay) -> None:
    essay.get_summary = _SummaryWithoutCounts(essay)


def with_reflections(page: str, section: str) -> Markup:
    """A theme's content block with the reflections section inside its last `<article>`, where
    themes put comments (Pelican's own theme its Disqus thread): in the essay's column, in its
    type. A block with no `<article>` gets the section after it. Both are the theme's and the
    plugin's HTML, never a reader's text (that is escaped inside the section)."""
    at = str(page).rfind("</article>")
    if at < 0:
        return Markup(str(page) + str(section))
    return Markup(str(page)[:at] + str(section) + str(page)[at:])


def absolute_url(settings: dict, url: str) -> str:
    return f"{settings.get('SITEURL', '').rstrip('/')}/{url}"


def structured_data(essay, settings: dict, words: int) -> dict:
    """The essay's JSON-LD `BlogPosting`; templates print it with `|tojson`, never by hand."""
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": plain_title(essay.title),
        "datePublished": essay.date.isoformat(),
        "dateModified": getattr(essay, "modified", essay.date).isoformat(),
        "author": {"@type": "Person", "name": str(essay.author)},
        "description": Markup(essay.summary).striptags(),
        "url": absolute_url(settings, essay.url),
        "mainEntityOfPage": absolute_url(settings, essay.url),
        "inLanguage": essay.lang,
        "wordCount": words,
    }
    tags = [str(tag) for tag in getattr(essay, "tags", [])]
    if tags:
        data["keywords"] = tags
    return data
