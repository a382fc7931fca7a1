"""Phase 2 of the build: an Atom feed of each essay's reflections and one of the site's newest,
each rebuilt only when what it shows changed (FeedLedger)."""

import functools
import heapq
from datetime import UTC, datetime
from itertools import compress, islice, repeat
from operator import is_not
from pathlib import Path

from feedgenerator import Atom1Feed
from markupsafe import escape

from ..core.essay_header import plain_title
from ..core.files import write_atomically, write_if_changed
from ..core.threads import Node, display_name, walk
from .caches import SignedCache, signature
from .packing import packed_bytes_of, packed_thread

FEEDS_CACHE_FILE = "reflections-feeds.json"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


class FeedLedger(SignedCache):
    """What each written feed was made from: an unchanged feed that is still as written is not rebuilt.

    The file's size and modification time are kept with the signature, so a feed that an
    incremental publish wrote since (see warm.py) is made again rather than trusted.
    """

    def __init__(self, settings: dict, output: Path) -> None:
        super().__init__(settings, FEEDS_CACHE_FILE, "feeds")
        self.output = output

    def keep(self, target: str, signature: str) -> bool:
        """Keep the feed at `target` when it is as the last build wrote it from what `signature`
        signs; False when it must be written (then `written` records it)."""
        entry = self.before.get(target)
        if isinstance(entry, list) and entry[:1] == [signature] and entry[1:] == _stamp(self.output / target):
            self.now[target] = entry
            return True
        return False

    def written(self, target: str, signature: str) -> None:
        self.now[target] = [signature, *_stamp(self.output / target)]


def _stamp(path: Path) -> list[int]:
    try:
        status = path.stat()
    except OSError:
        return []
    return [status.st_mtime_ns, status.st_size]


def feed_bytes(feed: Atom1Feed) -> bytes:
    return feed.writeString("utf-8").encode("utf-8")


def newest_first(essay) -> tuple[Node, ...]:
    """An essay's published items, newest first (as its feed lists them). Shared: read, never change."""
    packed = packed_bytes_of(essay, "thread")
    if packed:
        return _newest_of(packed)
    return _newest(getattr(essay, "reflection_thread", None) or [])


def _newest(thread: list[Node]) -> tuple[Node, ...]:
    return tuple(sorted(walk(thread), key=newest_key, reverse=True))


#: The order of a packed thread, kept for the last ones asked for: the site's feed merges the same
#: few dozen essays' items on every publish.
_newest_of = functools.lru_cache(maxsize=128)(lambda packed: _newest(packed_thread(packed)))


def newest_key(node: Node) -> tuple:
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
    return target, signature(_common(settings), essay.title, url, contents), make_feed


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
    merged = heapq.merge(*streams, key=lambda entry: newest_key(entry[0]), reverse=True)
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
    return target, signature(_common(settings), contents), make_feed


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


class FeedPlan:
    """Phase 2 of a whole build: the per-essay feeds and the site-wide feed of the newest
    reflections, each looked at once against the ledger; `stale` are those to write. `write` may
    run in a worker process (plugin.write_feeds_ahead), `finish` in the building process."""

    def __init__(self, essays: list, settings: dict, output_path: str) -> None:
        self.ledger = FeedLedger(settings, Path(output_path))
        self.stale = []
        for feed in [*(essay_feed(essay, settings) for essay in essays), site_feed(essays, settings)]:
            if feed is not None and not self.ledger.keep(feed[0], feed[1]):
                self.stale.append(feed)

    def write(self) -> bool:
        for target, _, make_feed in self.stale:
            write_atomically(self.ledger.output / target, feed_bytes(make_feed()))
        return True

    def finish(self, written: bool = False) -> list[str]:
        """Write the stale feeds unless that was `written` already, keep the ledger, and return the
        path of every feed this build stands for, written now or kept from the last build."""
        if not written:
            self.write()
        for target, signed, _ in self.stale:
            self.ledger.written(target, signed)
        self.ledger.save()
        return [str(self.ledger.output / target) for target in self.ledger.now]


def write_feeds(essays: list, settings: dict, output_path: str) -> list[str]:
    """Phase 2 in this process (FeedPlan): the paths of every feed this build stands for."""
    return FeedPlan(essays, settings, output_path).finish()


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
