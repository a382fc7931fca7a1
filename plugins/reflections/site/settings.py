"""The site's settings, read in one place: Pelican's settings file, with the plugin's own settings
(every one prefixed REFLECTIONS_, each documented in the README) given their defaults."""

import os
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pelican.settings import read_settings

from ..core.errors import SettingError, display_path
from . import smartquotes

DEFAULTS = {
    # Folder of published reflections, relative to PATH.
    "REFLECTIONS_PATH": "reflections",
    # Nesting shown on the page; deeper replies stay at this level.
    "REFLECTIONS_MAX_DEPTH": 4,
    # The reflections service's public address when it is not the site's own (a static host with
    # the service elsewhere): the three addresses below, when they start with "/", are under it.
    "REFLECTIONS_SERVICE_URL": "",
    # The folder in the output that gets the plugin's stylesheet and script (reflections.css,
    # reflect.js), whatever the theme.
    "REFLECTIONS_STATIC_DIR": "withness",
    # The reflections section links the plugin's stylesheet (False: the theme styles it itself).
    "REFLECTIONS_STYLESHEET": True,
    # Where the reflection form posts.
    "REFLECTIONS_SUBMIT_URL": "/reflections/submit",
    # Where the optional script asks the service for a form token.
    "REFLECTIONS_TOKEN_URL": "/reflections/token",
    # A Reply link: the service's form page for replying to one item, so replies work without
    # JavaScript. {essay} and {id} are filled in.
    "REFLECTIONS_REPLY_URL": "/reflections/reply/{essay}/{id}",
    # A long thread folds: past this many reflections under an essay, the rest are behind a
    # "N more reflections" fold (0: never fold).
    "REFLECTIONS_FOLD_AFTER": 10,
    # Past this many replies to one reflection, the rest are behind an "N more replies" fold.
    "REFLECTIONS_FOLD_REPLIES": 3,
    # A malformed reflection file stops the build (True) or is logged and skipped (False).
    "REFLECTIONS_STRICT": True,
    # Markdown essays and pages are read strictly: a missing Title or Date, or a date Pelican cannot
    # read, stops the build with one line naming the file and the field. Off: Pelican's own reader,
    # so adding the plugin never changes which of a site's files build.
    "REFLECTIONS_STRICT_ESSAYS": False,
    "REFLECTIONS_METADATA_KEYS": [],
    # Atom feed of one essay's reflections; {slug} is the essay's slug. Empty: no such feeds.
    "REFLECTIONS_FEED_ATOM": "feeds/reflections/{slug}.atom.xml",
    # Site-wide feed of the newest reflections. Empty: no such feed.
    "REFLECTIONS_ALL_FEED_ATOM": "feeds/reflections.atom.xml",
    # Entries in the site-wide reflections feed.
    "REFLECTIONS_FEED_MAX_ITEMS": 50,
    # Processes a cold build reads essays and sanitizes reflections in: 0 for as many as the cores
    # this process may use, 1 for none beside the build's own.
    "REFLECTIONS_BUILD_PROCESSES": 0,
    # Publish by re-rendering only the pages a change touches (False: every change builds the
    # whole site, for a theme whose every page lists other essays).
    "REFLECTIONS_INCREMENTAL": True,
    # Templates that show an essay's reflection count: publishing a reflection re-renders the
    # pages of these that list its essay (the essay's own page always).
    "REFLECTIONS_COUNT_TEMPLATES": ["index", "archives"],
    # The redirect map, relative to PATH: `OLD-PATH CONTENT-FILE-OR-ADDRESS` lines (an importer
    # writes it). Every build writes a redirect page at each old path; `reflections recipe nginx`
    # makes them 301s. Empty: none.
    "REFLECTIONS_REDIRECTS": "redirects.txt",
    # A folder of the site's own message catalogues, relative to PATH (`<lang>.po`, or
    # `<lang>/LC_MESSAGES/withness.po`): any message in them replaces the shipped one. Empty: none.
    "REFLECTIONS_TRANSLATIONS": "",
    # Phrases that mark a submission as needing care, in any language, besides the shipped lists.
    "REFLECTIONS_CARE_WORDS": [],
    # A folder of the site's own lists (`<lang>.txt`, relative to PATH): each replaces the shipped
    # list of its language. Empty: the shipped lists.
    "REFLECTIONS_CARE_LISTS": "",
    # Where a reader whose words need care is shown help now: an international directory of free,
    # confidential helplines, found by country, with no account and no tracking.
    "REFLECTIONS_HELP_URL": "https://findahelpline.com/",
    "REFLECTIONS_HELP_NAME": "Find A Helpline",
    # Days a rejected or spam item is kept after the decision, then removed (the moderation log
    # keeps that it existed). 0: kept for ever.
    "REFLECTIONS_KEEP_DECLINED_DAYS": 30,
    # Days a reader's email is kept after their item was decided or they last had a mail from the
    # site (at once when they unsubscribe). 0: kept for ever.
    "REFLECTIONS_KEEP_EMAIL_DAYS": 90,
    # A page at /privacy/ that says what is kept and for how long, from the settings in force.
    "REFLECTIONS_PRIVACY_PAGE": True,
    # The author's rest: reflections paused on every essay until this day (YYYY-MM-DD), kindly.
    "REFLECTIONS_PAUSED_UNTIL": "",
    # The file, relative to PATH, that the moderation page's rest switch writes (the same, by hand).
    "REFLECTIONS_PAUSE_FILE": "resting.txt",
}


#: The service's addresses a page links to: under REFLECTIONS_SERVICE_URL when that is set.
SERVICE_ADDRESSES = ("REFLECTIONS_SUBMIT_URL", "REFLECTIONS_TOKEN_URL", "REFLECTIONS_REPLY_URL")


def apply_defaults(settings: dict) -> None:
    for name, value in DEFAULTS.items():
        settings.setdefault(name, value)
    # The service's addresses go under its own public address, or under the site's sub-path
    # (SITEURL https://example.org/blog: the service is at /blog/reflections/ too).
    service = str(settings["REFLECTIONS_SERVICE_URL"] or "").rstrip("/")
    if service and not service.startswith(("http://", "https://")):
        raise SettingError(
            f"REFLECTIONS_SERVICE_URL must be an absolute address such as "
            f"https://reflections.example.org, not {service!r}"
        )
    prefix = service or urlsplit(str(settings.get("SITEURL") or "")).path.rstrip("/")
    if prefix:
        for name in SERVICE_ADDRESSES:
            value = str(settings[name])
            if value.startswith("/") and not value.startswith(f"{prefix}/"):
                settings[name] = prefix + value
    processes = settings["REFLECTIONS_BUILD_PROCESSES"]
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 0:
        raise SettingError(
            f"REFLECTIONS_BUILD_PROCESSES must be a whole number of processes (0: as many as the "
            f"cores, 1: none beside the build's own), not {processes!r}"
        )
    # Smart quotes for less work, the same bytes (smartquotes.py).
    if "MARKDOWN" in settings:
        settings["MARKDOWN"] = smartquotes.swapped(settings["MARKDOWN"])
    # Published reflections are the plugin's to read, never Pelican's articles, pages or static
    # files, whatever ARTICLE_PATHS says (Pelican's default, [''], would read them all as articles).
    folder = settings["REFLECTIONS_PATH"]
    for name in ("ARTICLE_EXCLUDES", "PAGE_EXCLUDES", "STATIC_EXCLUDES"):
        excluded = list(settings.get(name) or [])
        if folder not in excluded:
            settings[name] = [*excluded, folder]


def reflections_root(settings: dict) -> Path:
    """The folder of published reflections."""
    return Path(settings["PATH"]) / settings["REFLECTIONS_PATH"]


def essay_roots(settings: dict) -> list[str]:
    """The folders Pelican reads articles from (ARTICLE_PATHS under PATH), absolute and normalised:
    Pelican's default, [""], is PATH itself, with no trailing "/" that no path would match."""
    content = os.path.abspath(settings["PATH"])
    return [os.path.normpath(os.path.join(content, path)) for path in settings["ARTICLE_PATHS"]]


def essays_folder(settings: dict) -> Path:
    """Where new essays go: the first of Pelican's ARTICLE_PATHS (the content folder by default)."""
    return Path(settings["PATH"]) / (settings["ARTICLE_PATHS"] or [""])[0]


def pages_folder(settings: dict) -> Path:
    """Where new pages go: the first of Pelican's PAGE_PATHS."""
    return Path(settings["PATH"]) / (settings["PAGE_PATHS"] or ["pages"])[0]


def redirects_file(settings: dict) -> Path | None:
    """The redirect map (REFLECTIONS_REDIRECTS), or None when the site has it off."""
    name = settings.get("REFLECTIONS_REDIRECTS") or ""
    return Path(settings["PATH"]) / name if name else None


def static_folder(settings: dict) -> str:
    """Where imported media goes, relative to PATH: the first of STATIC_PATHS that is a folder
    name ("images" by Pelican's default)."""
    for path in settings.get("STATIC_PATHS") or []:
        if path and not Path(path).suffix:
            return str(path).strip("/")
    return "images"


def read(settings_file: str | os.PathLike, override: dict | None = None) -> dict:
    """The settings of the site whose settings file this is, as a Pelican run with the plugin has them."""
    try:
        settings = read_settings(str(settings_file), override=override)
    except Exception as error:  # Pelican runs the file as Python: any error in it is the author's to fix
        raise SettingError(f"{display_path(str(settings_file))}: {error}") from None
    apply_defaults(settings)
    return settings


def site_zone(settings: dict) -> ZoneInfo:
    """The site's time zone (Pelican's `TIMEZONE`): readers' dates are shown in it, never in UTC.
    UTC when it is not set or not a zone (Pelican warns about that itself)."""
    try:
        return ZoneInfo(str(settings.get("TIMEZONE") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
