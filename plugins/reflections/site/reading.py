"""Reading the published files: every item of content/reflections/, verified, reused from the last
build's reading when its file has not changed, and read in worker processes when there are many."""

import logging
import pickle
from copy import copy
from pathlib import Path

from ..core import published
from ..core.errors import ContentError
from ..core.files import write_atomically
from . import pool
from . import settings as config
from .caches import CACHE_VERSION, ITEMS_CACHE_FILE, cache_path

logger = logging.getLogger(__name__)


def report(error: published.FormatError, strict: bool) -> None:
    if strict:
        raise ContentError(error.path, error.field, error.problem)
    logger.error("Skipped %s", error)


def _read_with_cache(root: Path, settings: dict) -> tuple[list, list]:
    """Read every published file, reusing what the last build read from files that have not changed.

    A file is reread when its size or modification time differs; the cache lives in CACHE_PATH
    beside Pelican's own, so `make clean` or a publish build starts afresh.
    """
    path = cache_path(settings, ITEMS_CACHE_FILE)
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
    for essay, entry in published.published_entries(root):
        status = entry.stat()
        files.append((entry.path, f"{essay}/{entry.name}", (status.st_mtime_ns, status.st_size)))
    unread = [Path(name) for name, key, stamp in files if key not in before or before[key][0] != stamp]
    read_ahead = _read_ahead(unread, settings)
    zone = config.site_zone(settings)
    for name, key, stamp in files:
        kept = before.get(key)
        if kept is not None and kept[0] == stamp:
            item = kept[1]
        else:
            file = Path(name)
            item = read_ahead.pop(file, None)
            if item is None:
                try:
                    item = published.read(file)
                except published.FormatError as error:
                    errors.append(error)
                    continue
        # Kept as the site shows it (in_zone), so a build that reuses it copies nothing.
        item = in_zone(item, zone)
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
    zone = config.site_zone(settings)
    for file in published.essay_files(config.reflections_root(settings), slug):
        try:
            items.append(in_zone(published.read(file), zone))
        except published.FormatError as error:
            errors.append(error)
    return _usable(items, errors, settings)


def _usable(items: list, errors: list, settings: dict) -> list[published.PublishedItem]:
    """The items to show: errors reported (fatal when strict), and an Id seen twice kept once.
    Both readers give them in the site's zone already (in_zone)."""
    root = config.reflections_root(settings)
    strict = settings["REFLECTIONS_STRICT"]
    for error in errors:
        report(error, strict)
    first: dict[str, published.PublishedItem] = {}
    unique = []
    for item in items:
        if item.id in first:
            earlier = published.path_for(root, first[item.id])
            problem = f"{item.id!r} is also the Id of {earlier}"
            report(published.FormatError(published.path_for(root, item), "Id", problem), strict)
            continue
        first[item.id] = item
        unique.append(item)
    return unique


def in_zone(item: published.PublishedItem, zone) -> published.PublishedItem:
    """The item with its date in `zone` (the same moment: a reflection sent just after midnight in
    Stockholm shows that day, not the day before as it would in UTC). The item itself when it is
    so already; else a copy with that one field set, since the item is already normalised
    (replace() would normalise its name, note and body again, for every item of a build)."""
    if item.date.tzinfo is zone:
        return item
    moved = copy(item)
    object.__setattr__(moved, "date", item.date.astimezone(zone))
    return moved
