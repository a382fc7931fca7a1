"""Published reflections in the Pelican build.

Phase 1, `attach`: read every file under content/reflections/, verify it, render each body once
through the sanitizer (cached by content hash between builds), thread them and attach the thread
to its essay. Phase 2, `write_feeds`: an Atom feed per essay and one of the newest reflections.
"""

import json
import logging
import os
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from feedgenerator import Atom1Feed
from markupsafe import Markup

from . import published, sanitizer
from .errors import ContentError
from .threads import Node, build_thread, count_visible, display_name, walk

logger = logging.getLogger(__name__)

RENDERED_CACHE_FILE = "reflections-rendered.json"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RenderedCache:
    """Sanitized HTML by content hash, kept in CACHE_PATH so a warm build does not sanitize again."""

    def __init__(self, path: Path | None, entries: dict[str, str]) -> None:
        self.path = path
        self.entries = entries
        self.used: set[str] = set()
        self.changed = False

    @classmethod
    def load(cls, settings: dict) -> "RenderedCache":
        if not settings.get("CACHE_CONTENT"):
            return cls(None, {})
        path = Path(settings["CACHE_PATH"]) / RENDERED_CACHE_FILE
        entries: dict[str, str] = {}
        if settings.get("LOAD_CONTENT_CACHE") and path.exists():
            try:
                entries = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                logger.warning("Ignoring an unreadable cache of rendered reflections: %s", path)
        return cls(path, entries)

    def html(self, text: str) -> Markup:
        key = sanitizer.cache_key(text)
        self.used.add(key)
        if key not in self.entries:
            self.entries[key] = str(sanitizer.sanitize(text))
            self.changed = True
        return Markup(self.entries[key])

    def save(self) -> None:
        if self.path is None or not (self.changed or len(self.used) != len(self.entries)):
            return
        kept = {key: self.entries[key] for key in self.used}
        write_atomically(self.path, json.dumps(kept, ensure_ascii=False).encode("utf-8"))


def write_atomically(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, so no reader sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _report(error: published.FormatError, strict: bool) -> None:
    if strict:
        raise ContentError(error.path, error.field, error.problem)
    logger.error("Skipped %s", error)


def reflections_root(settings: dict) -> Path:
    return Path(settings["PATH"]) / settings["REFLECTIONS_PATH"]


def read_published(settings: dict) -> list[published.PublishedItem]:
    """Every readable published item; a bad file or a repeated Id stops the build when strict."""
    root = reflections_root(settings)
    strict = settings["REFLECTIONS_STRICT"]
    items, errors = published.read_all(root)
    for error in errors:
        _report(error, strict)
    first_path: dict[str, Path] = {}
    unique = []
    for item in items:
        path = published.path_for(root, item)
        if item.id in first_path:
            _report(
                published.FormatError(path, "Id", f"{item.id!r} is also the Id of {first_path[item.id]}"),
                strict,
            )
            continue
        first_path[item.id] = path
        unique.append(item)
    return unique


def _render(thread: list[Node], root: Path, cache: RenderedCache, strict: bool) -> None:
    for node in walk(thread):
        try:
            node.html = cache.html(node.item.body)
        except sanitizer.TooLong as error:
            _report(published.FormatError(published.path_for(root, node.item), "body", str(error)), strict)
            node.html = Markup("<p>(This reflection is too long to show.)</p>")


def _comment_data(node: Node, essay, settings: dict) -> dict:
    item = node.item
    author = settings.get("AUTHOR", "") if item.kind == "response" else display_name(item)
    return {
        "@type": "Comment",
        "author": {"@type": "Person", "name": author},
        "dateCreated": item.date.isoformat(),
        "text": sanitizer.plain_text(node.html),
        "url": f"{settings.get('SITEURL', '').rstrip('/')}/{essay.url}#r-{item.id}",
    }


def attach(essays: list, settings: dict) -> dict[str, list[Node]]:
    """Read the published items and give each essay its thread; returns the threads by slug."""
    root = reflections_root(settings)
    strict = settings["REFLECTIONS_STRICT"]
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
    cache = RenderedCache.load(settings)
    threads = {}
    for essay in essays:
        thread = build_thread(by_essay.get(essay.slug, []), settings["REFLECTIONS_MAX_DEPTH"])
        _render(thread, root, cache, strict)
        threads[essay.slug] = thread
        essay.reflection_thread = thread
        essay.reflection_count = count_visible(thread)
        essay.reflections_open = str(essay.metadata.get("reflections", "open")).strip().lower() != "closed"
        feed = settings["REFLECTIONS_FEED_ATOM"]
        essay.reflection_feed = feed.format(slug=essay.slug) if feed and thread else ""
        data = getattr(essay, "structured_data", None)
        if data is not None:
            comments = [_comment_data(node, essay, settings) for node in walk(thread)]
            data["commentCount"] = len(comments)
            if comments:
                data["comment"] = comments
    cache.save()
    return threads


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


def _add_entry(feed: Atom1Feed, node: Node, essay, settings: dict) -> None:
    item = node.item
    site = settings.get("SITEURL", "").rstrip("/")
    if item.kind == "response":
        title, author = f"The author’s response on “{essay.title}”", settings.get("AUTHOR", "")
    else:
        title, author = f"{display_name(item)} on “{essay.title}”", display_name(item)
    link = f"{site}/{essay.url}#r-{item.id}"
    feed.add_item(
        title=title,
        link=link,
        unique_id=link,
        description=str(node.html),
        content=str(node.html),
        author_name=author,
        pubdate=item.date,
        updateddate=item.date,
    )


def write_feeds(essays: list, settings: dict, output_path: str) -> None:
    """Phase 2: the per-essay feeds and the site-wide feed of the newest reflections."""
    site = settings.get("SITEURL", "").rstrip("/")
    output = Path(output_path)
    everything = []
    per_essay = settings["REFLECTIONS_FEED_ATOM"]
    for essay in essays:
        nodes = list(walk(getattr(essay, "reflection_thread", [])))
        everything += [(node, essay) for node in nodes]
        if not per_essay or not nodes:
            continue
        target = per_essay.format(slug=essay.slug)
        feed = _feed(f"Reflections on “{essay.title}”", f"{site}/{essay.url}", f"{site}/{target}", settings)
        for node in sorted(nodes, key=lambda n: (n.item.date, n.item.id), reverse=True):
            _add_entry(feed, node, essay, settings)
        write_atomically(output / target, feed.writeString("utf-8").encode("utf-8"))
    site_wide = settings["REFLECTIONS_ALL_FEED_ATOM"]
    if site_wide:
        feed = _feed(
            f"{settings.get('SITENAME', '')}: recent reflections", f"{site}/", f"{site}/{site_wide}", settings
        )
        newest = sorted(everything, key=lambda pair: (pair[0].item.date, pair[0].item.id), reverse=True)
        for node, essay in newest[: settings["REFLECTIONS_FEED_MAX_ITEMS"]]:
            _add_entry(feed, node, essay, settings)
        write_atomically(output / site_wide, feed.writeString("utf-8").encode("utf-8"))
