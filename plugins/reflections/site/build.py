"""Phase 1 of the build: give each essay its thread of published reflections.

`attach` reads every file under content/reflections/ (reading.py), renders each body once through
the sanitizer (cached by content hash between builds, caches.py), threads them and attaches the
thread, its counts and its JSON-LD to its essay. Phase 2, the feeds, is feeds.py.
"""

import logging
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from markupsafe import Markup

from ..core import i18n, passages, published, rest, sanitizer
from ..core.essay_header import closing_day, reflections_open, written_on
from ..core.threads import Node, build_thread, count_visible, display_name, walk
from . import pool
from . import settings as config
from .caches import RenderedCache, ThreadCache, thread_signature
from .essays import absolute_url, structured_data
from .feeds import newest_key
from .reading import read_essay_items, read_published, report
from .settings import essay_language
from .shelf import Shelf

__all__ = ["attach", "attach_thread", "read_essay_items", "RenderedCache", "TOO_LONG"]

logger = logging.getLogger(__name__)

TOO_LONG = "<p>(This reflection is too long to show.)</p>"


def _count_passages(essay, items: list, settings: dict) -> None:
    """At the end of each passage readers reflected on, how many did, linking to the first."""
    original = getattr(essay, "reflection_original_content", None)
    anchors = getattr(essay, "reflection_anchors", ())
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


def _render(thread: list[Node], root: Path, cache: RenderedCache, strict: bool) -> None:
    cache.fetch([node.item.body for node in walk(thread)])
    for node in walk(thread):
        try:
            node.html = cache.render(node.item.body)
        except sanitizer.TooLong as error:
            report(published.FormatError(published.path_for(root, node.item), "body", str(error)), strict)
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
    data = {
        "@type": "Comment",
        "author": person,
        "dateCreated": item.date.isoformat(),
        "text": excerpt(sanitizer.plain_text(node.html)),
        "url": f"{essay_url}#r-{item.id}",
    }
    if item.source:  # a reply from elsewhere: where it was first written
        data["sameAs"] = item.source
    return data


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
            # The templates' source (some ten kilobytes) stands in every signature by its hash.
            sources = sanitizer.cache_key(templates)
            signatures = [thread_signature(e, t, settings, sources, resting, cache.keys) for e, t in threaded]
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
    essay.reflections_newest_key = max(map(newest_key, walk(thread)), default=None)
    closing = closing_day(
        essay.metadata, written_on(getattr(essay, "date", None)), settings["REFLECTIONS_CLOSE_AFTER_DAYS"]
    )
    essay.reflections_open = reflections_open(
        essay.metadata, closing, datetime.now(config.site_zone(settings)).date()
    )
    essay.reflection_thread_html = thread_html(essay, thread) if thread else Markup("")
    _count_passages(essay, items, settings)
    feed = settings["REFLECTIONS_FEED_ATOM"]
    # A draft's feed is never written (feeds list published essays): no link to it either.
    public = getattr(essay, "status", "published") != "draft"
    essay.reflection_feed = feed.format(slug=essay.slug) if feed and thread and public else ""
    data = getattr(essay, "structured_data", None)
    if data is not None:
        essay.structured_data = with_comments(data, essay, thread, settings)


def with_comments(data: dict, essay, thread: list[Node], settings: dict) -> dict:
    """The essay's JSON-LD `data` with its thread's count and first comments. A new dict, never the
    one given: an essay may share it with the build before (essays.Essay)."""
    essay_url = absolute_url(settings, essay.url)
    nodes = list(walk(thread))
    data = {key: value for key, value in data.items() if key != "comment"}
    data["commentCount"] = len(nodes)
    if nodes:
        data["comment"] = [_comment_data(node, essay_url, settings) for node in nodes[:JSON_LD_COMMENTS]]
    return data


def json_ld(essay) -> dict:
    """An essay's JSON-LD made again from what it keeps, as prepare_essay and attach_thread make it
    (a kept build lets it go once the essay's page is written: packing.let_go)."""
    settings = essay.settings
    data = structured_data(essay, settings, essay.reflection_words)
    return with_comments(data, essay, essay.reflection_thread, settings)
