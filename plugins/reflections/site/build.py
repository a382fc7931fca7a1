"""Published reflections in the Pelican build.

Phase 1, `attach`: read every file under content/reflections/, verify it, render each body once
through the sanitizer (cached by content hash between builds), thread them and attach the thread
to its essay. Phase 2, `write_feeds`: an Atom feed per essay and one of the newest reflections.
"""

import functools
import heapq
import json
import logging
import os
import pickle
from collections import defaultdict
from copy import copy
from datetime import UTC, date, datetime
from itertools import compress, islice, repeat
from operator import is_not
from pathlib import Path

from feedgenerator import Atom1Feed
from markupsafe import Markup, escape

from ..core import i18n, passages, published, rest, sanitizer
from ..core.errors import ContentError
from ..core.essay_header import plain_title, reflections_open
from ..core.files import write_atomically
from ..core.threads import Node, build_thread, count_visible, display_name, walk
from . import pool
from . import settings as config
from .essays import absolute_url, packed_thread
from .shelf import Shelf

logger = logging.getLogger(__name__)

FEEDS_CACHE_FILE = "reflections-feeds.json"
ITEMS_CACHE_FILE = "reflections-items.pickle"
#: Part of every cache file: a file of another version is ignored, never trusted. 5: items have a
#: website.
CACHE_VERSION = 6
TOO_LONG = "<p>(This reflection is too long to show.)</p>"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RenderedCache:
    """Sanitized HTML by content hash: from the given entries (a warm build's own), else from the
    build's cache file, so a build does not sanitize again what an earlier one did."""

    def __init__(self, shelf: Shelf | None, entries: dict[str, str] | None = None) -> None:
        self.shelf = shelf
        self.entries = entries if entries is not None else {}
        self.used: set[str] = set()
        #: The texts of the essay being rendered (`fetch`): each one's key, and its HTML when a cache
        #: holds it (the shelf asked once for all of them).
        self.fetched: dict[str, tuple[str, str | None]] = {}

    def fetch(self, texts: list[str]) -> None:
        """Key these texts and look them up in the shelf at once, for the `render` calls that
        follow; what was fetched for the texts before is let go."""
        keys = {text: sanitizer.cache_key(text) for text in texts}
        found = {}
        if self.shelf is not None and len(keys) > 1:
            found = self.shelf.rendered_many([key for key in keys.values() if key not in self.entries])
        self.fetched = {text: (key, self.entries.get(key) or found.get(key)) for text, key in keys.items()}

    def render(self, text: str) -> Markup:
        """The safe HTML of reader text."""
        key, html = self.fetched.get(text) or (sanitizer.cache_key(text), None)
        self.used.add(key)
        if html is None:
            html = self.entries.get(key)
        if html is None and self.shelf is not None:
            html = self.shelf.rendered(key)
        if html is None:
            html = str(sanitizer.sanitize(text))
            if self.shelf is not None:
                self.shelf.put_rendered(key, html)
        return Markup(html)

    def forget_unused(self) -> None:
        """After a whole build: only what it rendered is kept for the next."""
        if self.shelf is not None:
            self.shelf.keep_only("rendered", "key", self.used)

    def prepare(self, texts: list[str], settings: dict) -> None:
        """Sanitize ahead, in worker processes, the texts no cache holds, when there are enough."""
        keyed = {sanitizer.cache_key(text): text for text in texts}
        held = self.shelf.has_rendered(list(keyed)) if self.shelf is not None else set()
        missing = {key: text for key, text in keyed.items() if key not in self.entries and key not in held}
        count = pool.processes(settings, len(missing), pool.MIN_TEXTS)
        if not count:
            return
        logger.info("Sanitizing %d reflections in %d processes", len(missing), count)
        results = pool.run(_sanitized, missing.values(), count)
        for key, (html, records) in zip(missing, results, strict=True):
            pool.replay(records)
            if html is None:
                continue  # too long, say: render() meets the same error and reports it
            if self.shelf is not None and self.shelf.db is not None:
                self.shelf.put_rendered(key, html)
            else:
                self.entries[key] = html


def _sanitized(text: str) -> str:
    return str(sanitizer.sanitize(text))


def _cache_path(settings: dict, name: str) -> Path | None:
    """Where one of the plugin's cache files lives; None when the content cache is off."""
    return Path(settings["CACHE_PATH"]) / name if settings.get("CACHE_CONTENT") else None


def _load_json_cache(path: Path, settings: dict) -> dict:
    """A cache file of this plugin version, or {} when it is absent, stale, foreign or unreadable."""
    if not settings.get("LOAD_CONTENT_CACHE") or not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        logger.warning("Ignoring an unreadable cache file: %s", path)
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return {}
    return data


def _save_json_cache(path: Path, data: dict) -> None:
    payload = {"version": CACHE_VERSION, **data}
    write_atomically(path, json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8"))


class _SignedCache:
    """Outputs kept in CACHE_PATH with a signature of what they were made of: while the signature
    is the same, the last build's output is reused instead of being made again."""

    def __init__(self, settings: dict, filename: str, section: str) -> None:
        self.path = _cache_path(settings, filename)
        self.section = section
        before = _load_json_cache(self.path, settings).get(section, {}) if self.path else {}
        self.before: dict = before if isinstance(before, dict) else {}
        self.now: dict = {}

    def save(self) -> None:
        if self.path is not None and self.now != self.before:
            _save_json_cache(self.path, {self.section: self.now})


class ThreadCache:
    """Each essay's rendered thread: a build renders again only the threads whose items, settings
    or templates changed."""

    def __init__(self, shelf: Shelf) -> None:
        self.shelf = shelf
        self.slugs: set[str] = set()
        # Threads rendered ahead (by worker processes) when there is no cache file to put them in.
        self.made: dict[str, tuple[str, str]] = {}

    def has(self, slug: str, signature: str) -> bool:
        kept = self.made.get(slug) or self.shelf.thread(slug)
        return kept is not None and kept[0] == signature

    def put(self, slug: str, signature: str, html: str) -> None:
        if self.shelf.db is not None:
            self.shelf.put_thread(slug, signature, html)
        else:
            self.made[slug] = (signature, html)

    def html(self, slug: str, signature: str, render) -> Markup:
        self.slugs.add(slug)
        kept = self.made.pop(slug, None) or self.shelf.thread(slug)
        if kept is not None and kept[0] == signature:
            return Markup(kept[1])
        html = str(render())
        self.shelf.put_thread(slug, signature, html)
        return Markup(html)

    def forget_unused(self) -> None:
        self.shelf.keep_only("threads", "slug", self.slugs)


def thread_signature(essay, thread: list[Node], settings: dict, templates: str, resting: date | None) -> str:
    """Everything a rendered thread depends on: its items as shown, the settings its templates read,
    the templates' own source, and the day reflections rest until (read once per build)."""
    nodes = [
        (
            n.item.id,
            n.item.kind,
            n.item.author,
            n.item.date.isoformat(),
            n.item.content_note,
            n.item.website,
            n.item.passage,
            n.item.quote,
            n.item.parent,
            n.depth,
            n.in_reply_to,
            n.orphaned,
            str(n.html),
            [r.item.id for r in n.responses],
        )
        for n in walk(thread)
    ]
    shown = (
        essay.slug,
        essay.reflections_open,
        settings.get("AUTHOR", ""),
        settings["REFLECTIONS_REPLY_URL"],
        str(getattr(essay, "date_format", "")),
        settings.get("REFLECTIONS_FOLD_AFTER"),
        settings.get("REFLECTIONS_FOLD_REPLIES"),
        str(settings.get("TIMEZONE", "")),
        i18n.signature(essay_language(essay, settings), i18n.overrides_folder(settings)),
        str(resting),  # resting, a thread shows no Reply links
        sorted(getattr(essay, "reflection_anchors", ())),  # a quote links to its passage while it is there
    )
    return _signature(CACHE_VERSION, templates, shown, nodes)


def _count_passages(essay, items: list, settings: dict) -> None:
    """At the end of each passage readers reflected on, how many did, linking to the first."""
    original = getattr(essay, "reflection_original_content", None)
    anchors = getattr(essay, "reflection_anchors", frozenset())
    if original is None:
        return
    counts: dict[str, tuple[int, str]] = {}
    for item in sorted(items, key=lambda item: (item.date, item.id)):
        if item.passage in anchors and item.kind != "response":
            count, first = counts.get(item.passage, (0, item.id))
            counts[item.passage] = (count + 1, first)
    words = i18n.Words(essay_language(essay, settings), i18n.overrides_folder(settings))

    def label(count: int) -> str:
        return words.ngettext(
            "%(num)s reflection on this passage", "%(num)s reflections on this passage", count
        )

    essay._content = passages.with_counts(original, counts, label)


def essay_language(essay, settings: dict) -> str:
    """The language an essay's reflections are shown in: its own (`Lang`), else the site's."""
    return str(getattr(essay, "lang", "") or settings.get("DEFAULT_LANG") or i18n.SOURCE)


def _report(error: published.FormatError, strict: bool) -> None:
    if strict:
        raise ContentError(error.path, error.field, error.problem)
    logger.error("Skipped %s", error)


def _read_with_cache(root: Path, settings: dict) -> tuple[list, list]:
    """Read every published file, reusing what the last build read from files that have not changed.

    A file is reread when its size or modification time differs; the cache lives in CACHE_PATH
    beside Pelican's own, so `make clean` or a publish build starts afresh.
    """
    path = _cache_path(settings, ITEMS_CACHE_FILE)
    before: dict = {}
    if path is not None and settings.get("LOAD_CONTENT_CACHE") and path.exists():
        try:
            with path.open("rb") as stream:
                cached = pickle.load(stream)
            if isinstance(cached, dict) and cached.get("version") == CACHE_VERSION:
                before = cached["files"]
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, KeyError):
            logger.warning("Ignoring an unreadable cache file: %s", path)
    now: dict = {}
    items, errors = [], []
    files = []
    for file in published.published_files(root):
        status = os.stat(file)
        key = file.parent.name + "/" + file.name
        files.append((file, key, (status.st_mtime_ns, status.st_size)))
    unread = [file for file, key, stamp in files if key not in before or before[key][0] != stamp]
    read_ahead = _read_ahead(unread, settings)
    for file, key, stamp in files:
        if key in before and before[key][0] == stamp:
            item = before[key][1]
        else:
            item = read_ahead.pop(file, None)
            if item is None:
                try:
                    item = published.read(file)
                except published.FormatError as error:
                    errors.append(error)
                    continue
        now[key] = (stamp, item)
        items.append(item)
    if path is not None and now != before:
        write_atomically(path, pickle.dumps({"version": CACHE_VERSION, "files": now}))
    return items, errors


def _read_ahead(files: list[Path], settings: dict) -> dict[Path, published.PublishedItem]:
    """The items of `files` read in worker processes, when there are enough; a file a worker could
    not read is left out (the caller reads it and reports its error)."""
    count = pool.processes(settings, len(files), pool.MIN_FILES)
    if not count:
        return {}
    logger.info("Reading %d published reflections in %d processes", len(files), count)
    found = {}
    for file, (item, records) in zip(files, pool.run(published.read, files, count, chunk=64), strict=True):
        pool.replay(records)
        if item is not None:
            found[file] = item
    return found


def read_published(settings: dict) -> list[published.PublishedItem]:
    """Every readable published item; a bad file or a repeated Id stops the build when strict."""
    return _usable(*_read_with_cache(config.reflections_root(settings), settings), settings)


def read_essay_items(settings: dict, slug: str) -> list[published.PublishedItem]:
    """The published items of one essay, read afresh (an incremental publish reads no other)."""
    items, errors = [], []
    for file in published.essay_files(config.reflections_root(settings), slug):
        try:
            items.append(published.read(file))
        except published.FormatError as error:
            errors.append(error)
    return _usable(items, errors, settings)


def _usable(items: list, errors: list, settings: dict) -> list[published.PublishedItem]:
    """The items to show: errors reported (fatal when strict), and an Id seen twice kept once."""
    root = config.reflections_root(settings)
    strict = settings["REFLECTIONS_STRICT"]
    zone = config.site_zone(settings)
    for error in errors:
        _report(error, strict)
    first: dict[str, published.PublishedItem] = {}
    unique = []
    for item in items:
        if item.id in first:
            earlier = published.path_for(root, first[item.id])
            problem = f"{item.id!r} is also the Id of {earlier}"
            _report(published.FormatError(published.path_for(root, item), "Id", problem), strict)
            continue
        first[item.id] = item
        # The same moment, in the site's zone: a reflection sent just after midnight in Stockholm
        # shows that day, not the day before as it would in UTC.
        unique.append(_in_zone(item, zone))
    return unique


def _in_zone(item: published.PublishedItem, zone) -> published.PublishedItem:
    """The item with its date in `zone`: a copy with that one field set, since the item is already
    normalised (replace() would normalise its name, note and body again, for every item of a build)."""
    moved = copy(item)
    object.__setattr__(moved, "date", item.date.astimezone(zone))
    return moved


def _render(thread: list[Node], root: Path, cache: RenderedCache, strict: bool) -> None:
    cache.fetch([node.item.body for node in walk(thread)])
    for node in walk(thread):
        try:
            node.html = cache.render(node.item.body)
        except sanitizer.TooLong as error:
            _report(published.FormatError(published.path_for(root, node.item), "body", str(error)), strict)
            node.html = Markup(TOO_LONG)


#: The essay's JSON-LD carries its comment count and the first of its comments as excerpts: enough
#: for a search engine, while the page's weight stays the essay's own.
JSON_LD_COMMENTS = 10
JSON_LD_EXCERPT = 300


def excerpt(text: str, limit: int = JSON_LD_EXCERPT) -> str:
    """`text` cut at a word before `limit` characters, with "…" when it was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


def _comment_data(node: Node, essay_url: str, settings: dict) -> dict:
    item = node.item
    author = settings.get("AUTHOR", "") if item.kind == "response" else display_name(item)
    person = {"@type": "Person", "name": author}
    if item.website and item.kind != "response":
        person["url"] = item.website
    return {
        "@type": "Comment",
        "author": person,
        "dateCreated": item.date.isoformat(),
        "text": excerpt(sanitizer.plain_text(node.html)),
        "url": f"{essay_url}#r-{item.id}",
    }


def attach(essays: list, settings: dict, render=None, templates: str = "") -> None:
    """Read the published items and give each essay its thread, its count and its comments.

    `render(essay)` returns the thread's HTML (the plugin renders `reflections/thread.html` with
    Pelican's own templates); `templates` is their source, part of what a cached thread depends on.
    """
    root = config.reflections_root(settings)
    by_essay: dict[str, list] = defaultdict(list)
    for item in read_published(settings):
        by_essay[item.essay].append(item)
    known = {essay.slug for essay in essays}
    for slug in sorted(set(by_essay) - known):
        logger.warning(
            "%s: Essay: no essay has the slug %r; its %d published item(s) are not shown",
            root / slug,
            slug,
            len(by_essay[slug]),
        )
    shelf = Shelf(settings)
    cache = RenderedCache(shelf)
    cache.prepare([item.body for slug in known for item in by_essay.get(slug, [])], settings)
    rendered_threads = ThreadCache(shelf)

    threaded: list = []

    def thread_html(essay, thread: list[Node]) -> Markup:
        threaded.append((essay, thread))
        return Markup("")  # rendered below, once every thread is known

    try:
        for essay in essays:
            attach_thread(essay, by_essay.get(essay.slug, []), settings, cache, thread_html)
        if render is not None:
            resting = rest.until(settings)
            signatures = [thread_signature(e, thread, settings, templates, resting) for e, thread in threaded]
            _render_ahead(threaded, signatures, rendered_threads, render, settings)
            for (essay, _), signature in zip(threaded, signatures, strict=True):
                html = rendered_threads.html(essay.slug, signature, lambda: render(essay))  # noqa: B023
                essay.reflection_thread_html = html
                essay.reflections_signature = signature  # the feed's too (essay_feed)
        cache.forget_unused()
        rendered_threads.forget_unused()
    finally:
        shelf.close()


def _render_ahead(threaded: list, signatures: list[str], kept: ThreadCache, render, settings: dict) -> None:
    """Threads no cache holds, rendered in worker processes when there are enough, and kept."""
    pairs = zip(threaded, signatures, strict=True)
    missing = [(essay, signature) for (essay, _), signature in pairs if not kept.has(essay.slug, signature)]
    count = pool.processes(settings, len(missing), pool.MIN_THREADS)
    if not count:
        return
    logger.info("Rendering %d threads in %d processes", len(missing), count)
    # Workers are forks of this process: they have the essays, and are sent only their places.
    results = pool.run(lambda place: str(render(missing[place][0])), range(len(missing)), count, chunk=4)
    for (essay, signature), (html, records) in zip(missing, results, strict=True):
        pool.replay(records)
        if html is not None:
            kept.put(essay.slug, signature, html)


def attach_thread(essay, items: list, settings: dict, cache: RenderedCache, thread_html) -> None:
    """Give one essay its thread of `items`: nodes, count, rendered HTML, feed link and JSON-LD."""
    essay.reflections_signature = None  # until a whole build signs the new thread (attach)
    thread = build_thread(items, settings["REFLECTIONS_MAX_DEPTH"])
    _render(thread, config.reflections_root(settings), cache, settings["REFLECTIONS_STRICT"])
    essay.reflection_thread = thread
    essay.reflection_count = count_visible(thread)
    # Shown beside the count, so the items on the page add up to what it says.
    essay.response_count = sum(1 for node in walk(thread) if node.item.kind == "response")
    # The key of its newest item: the site's feed ranks essays by it without unpacking any thread.
    essay.reflections_newest_key = max(map(_newest_key, walk(thread)), default=None)
    essay.reflections_open = reflections_open(essay.metadata)
    essay.reflection_thread_html = thread_html(essay, thread) if thread else Markup("")
    _count_passages(essay, items, settings)
    feed = settings["REFLECTIONS_FEED_ATOM"]
    # A draft's feed is never written (feeds list published essays): no link to it either.
    public = getattr(essay, "status", "published") != "draft"
    essay.reflection_feed = feed.format(slug=essay.slug) if feed and thread and public else ""
    data = getattr(essay, "structured_data", None)
    if data is not None:
        essay_url = absolute_url(settings, essay.url)
        nodes = list(walk(thread))
        data["commentCount"] = len(nodes)
        data.pop("comment", None)
        if nodes:
            data["comment"] = [_comment_data(node, essay_url, settings) for node in nodes[:JSON_LD_COMMENTS]]
        essay.structured_data = data  # set again: an essay keeps it packed (essays.Essay)


class _StableAtomFeed(Atom1Feed):
    """An Atom feed whose <updated> depends only on its entries, so equal input gives equal bytes."""

    def latest_post_date(self):
        return super().latest_post_date() if self.items else EPOCH


def _feed(title: str, link: str, feed_url: str, settings: dict) -> _StableAtomFeed:
    return _StableAtomFeed(
        title=title,
        link=link,
        feed_url=feed_url,
        description="",
        language=settings.get("DEFAULT_LANG", "en"),
    )


def _add_entry(feed: Atom1Feed, node: Node, essay, url: str, settings: dict) -> None:
    item = node.item
    site = settings.get("SITEURL", "").rstrip("/")
    if item.kind == "response":
        title, author = f"The author’s response on “{plain_title(essay.title)}”", settings.get("AUTHOR", "")
    else:
        title, author = f"{display_name(item)} on “{plain_title(essay.title)}”", display_name(item)
    link = f"{site}/{url}#r-{item.id}"
    html = str(node.html)
    if item.content_note:
        # As the page does: the note first, in the title a feed reader lists and before the words,
        # so no one meets them unwarned. The note is plain text: escaped here, as everywhere.
        title = f"Content note: {item.content_note} · {title}"
        html = f"<p><strong>Content note: {escape(item.content_note)}</strong></p>\n<hr>\n{html}"
    feed.add_item(
        title=title,
        link=link,
        unique_id=link,
        description=html,
        content=html,
        author_name=author,
        author_link=item.website if item.kind != "response" and item.website else None,
        pubdate=item.date,
        updateddate=item.date,
    )


class FeedLedger(_SignedCache):
    """What each written feed was made from: an unchanged feed that is still as written is not rebuilt.

    The file's size and modification time are kept with the signature, so a feed that an
    incremental publish wrote since (see warm.py) is made again rather than trusted.
    """

    def __init__(self, settings: dict, output: Path) -> None:
        super().__init__(settings, FEEDS_CACHE_FILE, "feeds")
        self.output = output

    def write(self, target: str, signature: str, make_feed) -> None:
        path = self.output / target
        entry = self.before.get(target)
        if isinstance(entry, list) and entry[:1] == [signature] and entry[1:] == _stamp(path):
            self.now[target] = entry
            return
        write_atomically(path, feed_bytes(make_feed()))
        self.now[target] = [signature, *_stamp(path)]


def _stamp(path: Path) -> list[int]:
    try:
        status = path.stat()
    except OSError:
        return []
    return [status.st_mtime_ns, status.st_size]


def feed_bytes(feed: Atom1Feed) -> bytes:
    return feed.writeString("utf-8").encode("utf-8")


def _signature(*parts) -> str:
    return sanitizer.cache_key(json.dumps(parts, default=str, ensure_ascii=False))


def newest_first(essay) -> tuple[Node, ...]:
    """An essay's published items, newest first (as its feed lists them). Shared: read, never change."""
    packed = essay.__dict__.get("_packed_thread")
    if packed:
        return _newest_of(packed)
    return _newest(getattr(essay, "reflection_thread", None) or [])


def _newest(thread: list[Node]) -> tuple[Node, ...]:
    return tuple(sorted(walk(thread), key=_newest_key, reverse=True))


#: The order of a packed thread, kept for the last ones asked for: the site's feed merges the same
#: few dozen essays' items on every publish.
_newest_of = functools.lru_cache(maxsize=128)(lambda packed: _newest(packed_thread(packed)))


def _newest_key(node: Node) -> tuple:
    return (node.item.date, node.item.id)


def _common(settings: dict) -> tuple:
    site = settings.get("SITEURL", "").rstrip("/")
    return (site, settings.get("AUTHOR", ""), settings.get("SITENAME", ""), settings.get("DEFAULT_LANG"))


def essay_feed(essay, settings: dict):
    """(target, signature, make_feed) of an essay's own reflection feed; None when it has none.

    The signature is the essay's thread signature when the build made one (it covers every field of
    every item the feed shows), so a feed that is kept costs no unpacking of its thread."""
    pattern = settings["REFLECTIONS_FEED_ATOM"]
    if not pattern or getattr(essay, "reflections_newest_key", None) is None:
        return None
    site = settings.get("SITEURL", "").rstrip("/")
    target = pattern.format(slug=essay.slug)
    url = essay.url

    def make_feed() -> Atom1Feed:
        feed = _feed(
            f"Reflections on “{plain_title(essay.title)}”", f"{site}/{url}", f"{site}/{target}", settings
        )
        for node in newest_first(essay):
            _add_entry(feed, node, essay, url, settings)
        return feed

    contents = getattr(essay, "reflections_signature", None) or [
        (n.item.id, n.item.kind, n.item.author, n.item.website, n.item.date, n.item.content_note, n.html)
        for n in newest_first(essay)
    ]
    return target, _signature(_common(settings), essay.title, url, contents), make_feed


def site_feed(essays: list, settings: dict, touched: list | None = None):
    """(target, signature, make_feed) of the site-wide feed of the newest reflections, or None.

    Each essay keeps its items newest first, so the newest across the site is a merge that reads
    only as many items as the feed shows.
    """
    target = settings["REFLECTIONS_ALL_FEED_ATOM"]
    if not target:
        return None
    site = settings.get("SITEURL", "").rstrip("/")
    limit = settings["REFLECTIONS_FEED_MAX_ITEMS"]
    latest = _latest(essays, limit, touched)
    streams = [zip(newest_first(essays[i]), repeat(essays[i]), strict=False) for i in sorted(latest)]
    merged = heapq.merge(*streams, key=lambda entry: _newest_key(entry[0]), reverse=True)
    newest = list(islice(merged, limit))

    def make_feed() -> Atom1Feed:
        title = f"{settings.get('SITENAME', '')}: recent reflections"
        feed = _feed(title, f"{site}/", f"{site}/{target}", settings)
        for node, essay in newest:
            _add_entry(feed, node, essay, essay.url, settings)
        return feed

    contents = [
        (n.item.id, n.item.kind, n.item.author, n.item.website, n.item.date, n.item.content_note, n.html)
        + (e.title, e.url)
        for n, e in newest
    ]
    return target, _signature(_common(settings), contents), make_feed


#: The last ranking `_latest` made: (essays, their newest keys, the places of the latest), so the
#: publishes of a served site rank again only the essays whose keys changed.
_last_ranking: tuple = ((), [], [])


def _latest(essays: list, limit: int, touched: list | None = None) -> list[int]:
    """The places in `essays` of the `limit` essays whose newest items are newest (ties: the earlier
    place first). Only they can hold one of the `limit` newest items, so only their items are merged.

    At thousands of essays a publish does this every time. When the essays are the same objects as
    last time (compared in C, by identity: a changed essay is a new object), only the `touched`
    essays' keys are read again (all of them, in C, when it is not known which), and when no key
    went back (a publish adds), the latest are found among the last latest and the changed alone,
    which gives the same places.
    """
    global _last_ranking
    essays = tuple(essays)
    last_essays, last_keys, last_latest = _last_ranking
    candidates = None
    if essays == last_essays and touched is not None:
        keys = list(last_keys)
        places = _places(essays)
        for essay in touched:
            if id(essay) in places:
                keys[places[id(essay)]] = getattr(essay, "reflections_newest_key", None)
    else:
        keys = list(map(getattr, essays, repeat("reflections_newest_key"), repeat(None)))
    if essays == last_essays:
        changed = list(compress(range(len(keys)), map(is_not, keys, last_keys)))
        if all(keys[i] is not None and (last_keys[i] is None or keys[i] >= last_keys[i]) for i in changed):
            candidates = sorted({*last_latest, *changed})
    if candidates is None:
        candidates = compress(range(len(keys)), keys)
    latest = heapq.nlargest(limit, candidates, key=keys.__getitem__)
    _last_ranking = (essays, keys, latest)
    return latest


@functools.lru_cache(maxsize=1)
def _places(essays: tuple) -> dict[int, int]:
    """Each essay's place in `essays`, by identity (the essays are held by the key meanwhile)."""
    return {id(essay): place for place, essay in enumerate(essays)}


def write_feeds(essays: list, settings: dict, output_path: str) -> list[str]:
    """Phase 2: the per-essay feeds and the site-wide feed of the newest reflections. Returns the
    path of every feed this build stands for, written now or kept from the last build."""
    ledger = FeedLedger(settings, Path(output_path))
    for feed in [*(essay_feed(essay, settings) for essay in essays), site_feed(essays, settings)]:
        if feed is not None:
            ledger.write(*feed)
    ledger.save()
    return [str(Path(output_path) / target) for target in ledger.now]


def write_touched_feeds(essays: list, settings: dict, output_path: str, touched: list, written: list) -> None:
    """The incremental half of phase 2: the feeds of the `touched` essays, and the site-wide one,
    each written only when its bytes change (and removed when it has no entry left, as a full build
    would not write it)."""
    output = Path(output_path)
    for essay in touched:
        feed = essay_feed(essay, settings)
        if feed is not None:
            write_if_changed(output / feed[0], feed_bytes(feed[2]()), written)
        elif settings["REFLECTIONS_FEED_ATOM"]:
            stale = output / settings["REFLECTIONS_FEED_ATOM"].format(slug=essay.slug)
            if stale.exists():
                stale.unlink()
                written.append(str(stale))
    feed = site_feed(essays, settings, touched)
    if feed is not None:
        write_if_changed(output / feed[0], feed_bytes(feed[2]()), written)


def write_if_changed(path: Path, data: bytes, written: list[str]) -> None:
    """Write atomically unless the file already holds these bytes; note the path when written."""
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    write_atomically(path, data)
    written.append(str(path))
