"""What a build keeps for the next one in CACHE_PATH: sanitized HTML by content hash, each essay's
rendered thread, and signed outputs, so a warm build makes again only what changed."""

import json
import logging
from datetime import date
from pathlib import Path

from markupsafe import Markup

from ..core import i18n, sanitizer
from ..core.files import write_atomically
from ..core.threads import Node, walk
from . import pool
from .settings import essay_language
from .shelf import Shelf

logger = logging.getLogger(__name__)

ITEMS_CACHE_FILE = "reflections-items.pickle"
#: Part of every cache file: a file of another version is ignored, never trusted. 5: items have a
#: website.
CACHE_VERSION = 7


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
        #: Every text's key, worked out once for the whole build (`prepare`).
        self.keys: dict[str, str] = {}

    def fetch(self, texts: list[str]) -> None:
        """Key these texts and look them up in the shelf at once, for the `render` calls that
        follow; what was fetched for the texts before is let go."""
        keys = {text: self.keys.get(text) or sanitizer.cache_key(text) for text in texts}
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
        self.keys = {text: sanitizer.cache_key(text) for text in texts}
        keyed = {key: text for text, key in self.keys.items()}
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


def cache_path(settings: dict, name: str) -> Path | None:
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


class SignedCache:
    """Outputs kept in CACHE_PATH with a signature of what they were made of: while the signature
    is the same, the last build's output is reused instead of being made again."""

    def __init__(self, settings: dict, filename: str, section: str) -> None:
        self.path = cache_path(settings, filename)
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


def thread_signature(
    essay, thread: list[Node], settings: dict, templates: str, resting: date | None, keys: dict | None = None
) -> str:
    """Everything a rendered thread depends on: its items as shown, the settings its templates read,
    the templates' own source, and the day reflections rest until (read once per build). `keys`:
    the bodies' cache keys (RenderedCache.keys), which stand for their HTML (made from the body
    and the sanitizer's policy alone) in a few bytes instead of the whole of it."""
    keys = keys or {}
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
            n.item.origin,
            n.item.source,
            n.depth,
            n.in_reply_to,
            n.orphaned,
            keys.get(n.item.body) or str(n.html),
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
    return signature(CACHE_VERSION, templates, shown, nodes)


def signature(*parts) -> str:
    return sanitizer.cache_key(json.dumps(parts, default=str, ensure_ascii=False))
