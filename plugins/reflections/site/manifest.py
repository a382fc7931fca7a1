"""The essays a build produced, for the service: slug, title, prompt, open or closed, and address,
whatever reader made them (Markdown, reStructuredText, HTML, a reader plugin) and however the site
makes its slugs and addresses. Written by every build into CACHE_PATH; read by site/index.py."""

import json
import logging
import os
import weakref
from pathlib import Path
from urllib.parse import urlsplit

from ..core import links
from ..core.essay_header import EssayInfo, closing_day, is_draft, plain_title, reflections_open, written_on
from ..core.files import write_atomically

logger = logging.getLogger(__name__)

FILENAME = "withness-essays.json"
VERSION = 1


def location(settings: dict) -> Path:
    return Path(settings["CACHE_PATH"]) / FILENAME


#: Each prepared essay's entry, made once: a warm build's essay is a new object when it changes,
#: and an edit's publish would otherwise make every essay's entry again (a tenth of its time at
#: three thousand essays).
_entry_of: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
#: What this process last wrote, by file, with the file's stamp then: an unchanged manifest that
#: nothing else rewrote since is neither encoded nor read again.
_written: dict[Path, tuple[dict, tuple[int, int]]] = {}


def _stamp(path: Path) -> tuple[int, int]:
    try:
        status = path.stat()
    except OSError:
        return (-1, -1)
    return (status.st_mtime_ns, status.st_size)


def _entry(essay, content: str, own_hosts: set[str]) -> tuple[str, str]:
    """The essay's source and its entry as JSON, encoded once per essay: an edit's publish would
    otherwise encode every essay's entry again, a megabyte or more at three thousand. Only the JSON
    is kept, not the entry it was made of."""
    kept = _entry_of.get(essay)
    if kept is not None and kept[0] == content:
        return kept[1], kept[2]
    metadata = getattr(essay, "metadata", {})
    html = str(getattr(essay, "_content", "") or "")
    entry = {
        "slug": essay.slug,
        "title": plain_title(getattr(essay, "title", "")),
        "reflection_prompt": str(metadata.get("reflection_prompt", "")),
        "reflections_open": reflections_open(metadata),
        "url": essay.url,
        "lang": str(getattr(essay, "lang", "") or ""),
        "reflection_passages": [list(pair) for pair in getattr(essay, "reflection_passages", ())],
        "reflection_anchors": sorted(getattr(essay, "reflection_anchors", ())),
        "date": essay.date.isoformat() if getattr(essay, "date", None) else "",
        "mastodon": str(metadata.get("mastodon", "")),
        "bluesky": str(metadata.get("bluesky", "")),
        "closes": _closes(essay, metadata),
        "links": links.outbound(html, own_hosts),
        "change": links.change_of(html),
    }
    source = os.path.relpath(essay.source_path, content)
    encoded = json.dumps(entry, sort_keys=True)
    try:
        _entry_of[essay] = (content, source, encoded)
    except TypeError:  # an object that takes no weak reference: made each time
        pass
    return source, encoded


def _closes(essay, metadata) -> str:
    after = getattr(essay, "settings", {}).get("REFLECTIONS_CLOSE_AFTER_DAYS", 0)
    day = closing_day(metadata, written_on(getattr(essay, "date", None)), after)
    return day.isoformat() if day else ""


def entries(essays: list, settings: dict) -> dict[str, str]:
    """By source file (relative to PATH), the JSON of the entry of each essay that takes
    reflections on the site: drafts left out; a translation only where no other essay has its slug."""
    content = os.path.abspath(settings["PATH"])
    own_hosts = {urlsplit(str(settings.get("SITEURL") or "")).hostname or ""} - {""}
    found: dict[str, str] = {}
    slugs: set[str] = set()
    for essay in essays:
        if is_draft({"status": getattr(essay, "status", "published")}) or essay.slug in slugs:
            continue
        slugs.add(essay.slug)
        source, entry_json = _entry(essay, content, own_hosts)
        found[source] = entry_json
    return found


def encoded(found: dict[str, str]) -> bytes:
    """The manifest's bytes: json.dumps({"version": …, "essays": …}, sort_keys=True), joined from
    the entries' own JSON."""
    listed = ", ".join(f"{json.dumps(source)}: {found[source]}" for source in sorted(found))
    return f'{{"essays": {{{listed}}}, "version": {json.dumps(VERSION)}}}'.encode()


def write(essays: list, settings: dict) -> None:
    """The manifest, rewritten only when it changed (a warm build publishes often)."""
    path = location(settings)
    found = entries(essays, settings)
    last = _written.get(path)
    if last is not None and last[0] == found and last[1] == _stamp(path) != (-1, -1):
        return
    data = encoded(found)
    try:
        if not (path.exists() and path.read_bytes() == data):
            write_atomically(path, data)
        _written[path] = (found, _stamp(path))
    except OSError as error:  # the site is built; only the service's view of it is older
        logger.warning("Could not write %s: %s", path, error)


def read(path: Path) -> dict[str, EssayInfo]:
    """By source file, the essays of the last build ({} when there was none, or it is unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return {}
    found = {}
    for source, fields in (data.get("essays") or {}).items():
        try:
            fields["reflection_passages"] = tuple(
                tuple(pair) for pair in fields.get("reflection_passages", ())
            )
            fields["reflection_anchors"] = tuple(fields.get("reflection_anchors", ()))
            fields["links"] = tuple(fields.get("links", ()))
            found[source] = EssayInfo(**fields)
        except TypeError:
            continue
    return found
