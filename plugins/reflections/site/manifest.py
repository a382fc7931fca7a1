"""The essays a build produced, for the service: slug, title, prompt, open or closed, and address,
whatever reader made them (Markdown, reStructuredText, HTML, a reader plugin) and however the site
makes its slugs and addresses. Written by every build into CACHE_PATH; read by site/index.py."""

import json
import logging
import os
from pathlib import Path

from ..core.essay_header import EssayInfo, is_draft, plain_title, reflections_open
from ..core.files import write_atomically

logger = logging.getLogger(__name__)

FILENAME = "withness-essays.json"
VERSION = 1


def location(settings: dict) -> Path:
    return Path(settings["CACHE_PATH"]) / FILENAME


def entries(essays: list, settings: dict) -> dict[str, dict]:
    """By source file (relative to PATH), the essays that take reflections on the site: drafts
    left out; a translation only where no other essay has its slug."""
    content = os.path.abspath(settings["PATH"])
    found: dict[str, dict] = {}
    slugs: set[str] = set()
    for essay in essays:
        metadata = getattr(essay, "metadata", {})
        if is_draft({"status": getattr(essay, "status", "published")}) or essay.slug in slugs:
            continue
        slugs.add(essay.slug)
        found[os.path.relpath(essay.source_path, content)] = {
            "slug": essay.slug,
            "title": plain_title(getattr(essay, "title", "")),
            "reflection_prompt": str(metadata.get("reflection_prompt", "")),
            "reflections_open": reflections_open(metadata),
            "url": essay.url,
            "lang": str(getattr(essay, "lang", "") or ""),
            "reflection_passages": [list(pair) for pair in getattr(essay, "reflection_passages", ())],
            "reflection_anchors": sorted(getattr(essay, "reflection_anchors", ())),
        }
    return found


def write(essays: list, settings: dict) -> None:
    """The manifest, rewritten only when it changed (a warm build publishes often)."""
    path = location(settings)
    data = json.dumps({"version": VERSION, "essays": entries(essays, settings)}, sort_keys=True).encode()
    try:
        if path.exists() and path.read_bytes() == data:
            return
        write_atomically(path, data)
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
            found[source] = EssayInfo(**fields)
        except TypeError:
            continue
    return found
