"""Old addresses that still lead somewhere: the redirect map (REFLECTIONS_REDIRECTS) read by
every build, which writes a small page at each old path that sends the reader on (a meta refresh,
and a canonical link when SITEURL is absolute), and keeps the resolved map in CACHE_PATH for
`reflections recipe nginx`, which makes each a 301.

A line is `OLD-PATH TARGET`: the target is a content file (relative to PATH, as an importer
writes it, so the address follows the site's URL settings) or an address (`/about/`, `https://…`).
A line that cannot be used is logged with the file and line; the build goes on.
"""

import html
import json
import logging
import os
import posixpath
from pathlib import Path
from urllib.parse import urlsplit

from ..core.files import write_atomically
from . import settings as config

logger = logging.getLogger(__name__)

FILENAME = "withness-redirects.json"
#: Content lists a generator may hold, every one with an address.
CONTENT_LISTS = (
    "articles", "translations", "drafts", "pages", "hidden_pages", "hidden_translations", "staticfiles"
)  # fmt: skip
MARK = '<meta name="generator" content="Withness redirect">'


def read_map(path: Path) -> list[tuple[int, str, str]]:
    """(line number, old path, target) of every usable line; the others are logged."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        logger.warning("%s: cannot be read (%s); no redirects written", path, error)
        return []
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split("#", 1)[0].split() if not line.lstrip().startswith("#") else []
        if not words:
            continue
        problem = _problem(words)
        if problem:
            logger.warning("%s, line %d: %s; line skipped", path, number, problem)
            continue
        lines.append((number, words[0], words[1]))
    return lines


def _problem(words: list[str]) -> str:
    if len(words) != 2:
        return "expected `OLD-PATH TARGET`"
    old = words[0]
    if not old.startswith("/") or "?" in old or any(part == ".." for part in old.split("/")):
        return f"{old!r} is not a path on this site (one starting with /, without ?, without ..)"
    if any(ord(character) < 32 or character in "\"';{}\\" for character in old + words[1]):
        return "a character an address cannot hold"
    return ""


def _page_file(old: str) -> str:
    """The output file a request for `old` is answered from."""
    path = old.strip("/")
    return path if posixpath.splitext(path)[1] else posixpath.join(path, "index.html")


def resolve(generators: list, settings: dict) -> dict[str, tuple[str, str]]:
    """Old path → (new address: site-relative URL or absolute, its title when it is this site's
    content), from the map and this build's content; old paths the site answers itself are left
    out."""
    redirects = config.redirects_file(settings)
    if redirects is None:
        return {}
    content_root = os.path.abspath(settings["PATH"])
    by_source, taken = {}, set()
    for generator in generators:
        for name in CONTENT_LISTS:
            for item in getattr(generator, name, None) or []:
                source = Path(os.path.relpath(item.source_path, content_root)).as_posix()
                by_source.setdefault(source, (item.url, str(getattr(item, "title", "") or "")))
                taken.add(item.save_as)
    resolved = {}
    for number, old, target in read_map(redirects):
        if target.startswith(("http://", "https://", "/")):
            address, title = target, ""
        elif target in by_source:
            address, title = by_source[target]
        else:
            logger.warning("%s, line %d: %s is no essay or page of this site", redirects, number, target)
            continue
        if _page_file(old) in taken or "/" + address.lstrip("/") == old:
            continue  # the site answers that address itself
        resolved[old] = (address, title)
    return resolved


def page(old: str, address: str, title: str, settings: dict) -> str:
    """The redirect page written at `old`."""
    site_url = str(settings.get("SITEURL") or "").rstrip("/")
    absolute = urlsplit(site_url).scheme in ("http", "https")
    if address.startswith(("http://", "https://")):
        href = address
    elif absolute:
        href = f"{site_url}/{address.lstrip('/')}"
    else:  # a relative site: relative to the redirect page, as the site's own links are
        here = posixpath.dirname("/" + _page_file(old))
        href = posixpath.relpath("/" + address.lstrip("/"), here) + ("/" if address.endswith("/") else "")
        href = href if href != "./" else "."
    href = html.escape(href, quote=True)
    canonical = f'\n<link rel="canonical" href="{href}">' if href.startswith(("http://", "https://")) else ""
    name = html.escape(title) if title else href
    lang = html.escape(str(settings.get("DEFAULT_LANG") or "en"), quote=True)
    return (
        f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n{MARK}\n'
        f"<title>Moved</title>{canonical}\n"
        f'<meta http-equiv="refresh" content="0; url={href}">\n<meta name="robots" content="noindex">\n'
        f'</head>\n<body>\n<h1>Moved</h1>\n<p>This page is now at <a href="{href}">{name}</a>.</p>\n'
        "</body>\n</html>\n"
    )


def write(generators: list, settings: dict) -> None:
    """Every redirect page of the map, and the resolved map for the recipes."""
    resolved = resolve(generators, settings)
    output = Path(settings["OUTPUT_PATH"])
    for old, (address, title) in sorted(resolved.items()):
        target = output / _page_file(old)
        text = page(old, address, title, settings).encode("utf-8")
        try:
            if target.is_file():
                existing = target.read_bytes()
                if existing == text:
                    continue
                if MARK.encode() not in existing:
                    logger.warning(
                        "%s: a file the site did not make is there; no redirect for %s", target, old
                    )
                    continue
            write_atomically(target, text)
        except OSError as error:
            logger.warning("%s: the redirect page could not be written (%s)", target, error)
    kept = Path(settings["CACHE_PATH"]) / FILENAME
    data = json.dumps({old: address for old, (address, _) in resolved.items()}, sort_keys=True, indent=0)
    data = data.encode("utf-8")
    try:
        if not kept.is_file() or kept.read_bytes() != data:
            write_atomically(kept, data)
    except OSError as error:
        logger.warning("%s: could not be written (%s)", kept, error)


def kept(settings: dict) -> dict[str, str]:
    """The resolved map the last build kept ({} when there was none)."""
    try:
        data = json.loads((Path(settings["CACHE_PATH"]) / FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
