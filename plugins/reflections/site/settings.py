"""The site's settings, read in one place: Pelican's settings file, with the plugin's own settings
(every one prefixed REFLECTIONS_, each declared in SETTINGS with its meaning) given their defaults."""

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pelican.settings import read_settings

from ..core import i18n
from ..core.errors import SettingError, display_path
from . import smartquotes


@dataclass(frozen=True)
class Setting:
    """One of the plugin's settings (`pelicanconf.py`): the docs' settings reference is made from these."""

    name: str
    default: object
    meaning: str


#: Every setting of the plugin, with its default and its meaning, in one place.
SETTINGS = (
    Setting("REFLECTIONS_PATH", "reflections", "The folder of published reflections, inside `PATH`."),
    Setting(
        "REFLECTIONS_MAX_DEPTH",
        4,
        'How deep replies nest on the page; deeper ones are shown at the last level with "in reply to NAME".',
    ),
    Setting(
        "REFLECTIONS_SERVICE_URL",
        "",
        "The reflections service's public address when the site is on a static host and the service "
        "elsewhere (`https://reflections.example.org`). The three service addresses below, when they "
        "start with `/`, are put under it, and the form says where sending takes the reader. This "
        "project's `publishconf.py` reads it from `WITHNESS_SERVICE_URL`.",
    ),
    Setting(
        "REFLECTIONS_STATIC_DIR",
        "withness",
        "The folder in the output that gets the plugin's `reflections.css` and `reflect.js`, whatever "
        "the theme.",
    ),
    Setting(
        "REFLECTIONS_STYLESHEET",
        True,
        "The reflections section links the plugin's stylesheet; `False` when the theme styles the "
        "reflections itself (this project's theme does).",
    ),
    Setting("REFLECTIONS_SUBMIT_URL", "/reflections/submit", "Where the reflection form posts."),
    Setting(
        "REFLECTIONS_TOKEN_URL",
        "/reflections/token",
        "Where the optional script asks the service for a form token.",
    ),
    Setting(
        "REFLECTIONS_WEBMENTION_URL",
        "/reflections/webmention",
        'The service\'s webmention endpoint, which every essay page names (`<link rel="webmention">`) '
        'so other sites can tell it they answered; `""` to name none.',
    ),
    Setting(
        "REFLECTIONS_REPLY_URL",
        "/reflections/reply/{essay}/{id}",
        "A Reply link: the service's form page for replying to one item, so replies work without "
        "JavaScript. `{essay}` and `{id}` are filled in.",
    ),
    Setting(
        "REFLECTIONS_FOLD_AFTER",
        10,
        'A long thread folds: past this many reflections under an essay, the rest wait behind a "N more '
        'reflections" fold that needs no script. `0`: never fold.',
    ),
    Setting(
        "REFLECTIONS_FOLD_REPLIES",
        3,
        'Past this many replies to one reflection, the rest wait behind "N more replies to NAME". `0`: '
        "never fold. A link to a folded reflection opens its folds.",
    ),
    Setting(
        "REFLECTIONS_STRICT",
        True,
        "A malformed reflection file stops the build, with one line naming the file and the field; "
        "`False` logs it and skips the file.",
    ),
    Setting(
        "REFLECTIONS_STRICT_ESSAYS",
        False,
        "Markdown essays and pages are read strictly: a missing `Title` or `Date`, or a date Pelican "
        "cannot read, stops the build with one line naming the file and the field. Strict reading also "
        'warns of a header key nobody reads (`Sumary:`: "did you mean Summary?") and stops at a key '
        "written with a space (`Reflection prompt:`), which would otherwise end the header. Off, "
        "Pelican's own reader reads them, so adding the plugin never changes which of a site's files "
        "build (this project's `pelicanconf.py` turns it on).",
    ),
    Setting(
        "REFLECTIONS_METADATA_KEYS",
        [],
        "Header keys a site's theme or other plugins read, beyond Pelican's and Withness's own, so "
        "strict reading does not warn of them.",
    ),
    Setting(
        "REFLECTIONS_FEED_ATOM",
        "feeds/reflections/{slug}.atom.xml",
        "The Atom feed of one essay's reflections; `{slug}` is the essay's slug. Empty: no such feeds.",
    ),
    Setting(
        "REFLECTIONS_ALL_FEED_ATOM",
        "feeds/reflections.atom.xml",
        "The site-wide feed of the newest reflections. Empty: no such feed.",
    ),
    Setting("REFLECTIONS_FEED_MAX_ITEMS", 50, "Entries in the site-wide reflections feed."),
    Setting(
        "REFLECTIONS_BUILD_PROCESSES",
        0,
        "Processes a build that starts from nothing reads essays, reads published reflections and "
        "sanitizes their texts in: `0` as many as the cores this process may use (`taskset` and "
        "container limits count), `1` none beside the build's own. The output is the same bytes "
        "either way.",
    ),
    Setting(
        "REFLECTIONS_INCREMENTAL",
        True,
        "Publish by re-rendering only the pages a change touches. `False`: every change builds the "
        "whole site, for a theme whose every page lists other essays.",
    ),
    Setting(
        "REFLECTIONS_COUNT_TEMPLATES",
        ["index", "period_archives"],
        "The list templates that show an essay's reflection count: publishing a reflection re-renders "
        'the pages of these that list its essay (the essay\'s own page always). `"period_archives"` '
        "is a year's page (YEAR_ARCHIVE_SAVE_AS); a site without year pages that wants counts on its "
        'one archives page adds `"archives"`. Add `"tag"`, `"category"` or `"author"` to show '
        "counts there too.",
    ),
    Setting(
        "REFLECTIONS_REDIRECTS",
        "redirects.txt",
        "The redirect map, relative to `PATH`: `OLD-PATH CONTENT-FILE-OR-ADDRESS` lines (an importer "
        "writes it). Every build writes a small redirect page at each old path, and "
        "`reflections recipe nginx` makes each a 301. Empty: none.",
    ),
    Setting(
        "REFLECTIONS_TRANSLATIONS",
        "",
        "A folder of the site's own message catalogues, relative to `PATH` (`<lang>.po`, or "
        "`<lang>/LC_MESSAGES/withness.po`): any message in them replaces the shipped translation, for "
        "that language only. Empty: none.",
    ),
    Setting(
        "REFLECTIONS_CARE_WORDS",
        [],
        "Phrases that mark a submission as needing care, in any language, besides the shipped lists.",
    ),
    Setting(
        "REFLECTIONS_CARE_LISTS",
        "",
        "A folder of the site's own care lists, relative to `PATH` (`<lang>.txt`, a phrase a line): "
        "each replaces the shipped list of its language. Empty: the shipped lists.",
    ),
    Setting(
        "REFLECTIONS_HELP_URL",
        "https://findahelpline.com/",
        "Where a reader whose words need care is shown help now: an international directory of free, "
        "confidential helplines by country, with no account and no tracking. A site may name its own "
        "country's service.",
    ),
    Setting("REFLECTIONS_HELP_NAME", "Find A Helpline", "The name the help link is shown with."),
    Setting(
        "REFLECTIONS_KEEP_DECLINED_DAYS",
        30,
        "Days a rejected or spam item is kept after the decision, then removed (the moderation log "
        "keeps that it existed). `0`: kept for ever.",
    ),
    Setting(
        "REFLECTIONS_KEEP_EMAIL_DAYS",
        90,
        "Days a reader's email is kept after their item was decided or they last had a mail from the "
        "site (at once when they unsubscribe). `0`: kept until they unsubscribe.",
    ),
    Setting(
        "REFLECTIONS_PRIVACY_PAGE",
        True,
        "A page at `/privacy/` that says what is kept and for how long, from the settings in force (a "
        "site's own `privacy` page wins); the form links to it.",
    ),
    Setting(
        "REFLECTIONS_SEND_WEBMENTIONS",
        False,
        "When an essay is published (or changed), the service tells each site it links to, through "
        "the webmention endpoint that site names; once per link and change of the essay. Needs an "
        "absolute `SITEURL`. `reflections webmention send` does it by hand.",
    ),
    Setting(
        "REFLECTIONS_TRUST_RETURNING",
        False,
        "Trusted readers: a public reflection is published without waiting when it comes from a "
        "reader whose earlier reflection you approved, or whom you marked trusted, recognised by "
        "the address they confirmed (in the browser they confirmed it from), or from a site or an "
        "account elsewhere you marked trusted. Words that may need care, and held words, still wait.",
    ),
    Setting(
        "REFLECTIONS_CLOSE_AFTER_DAYS",
        0,
        "Reflections on an essay close this many days after its date: the form gives way to a kind "
        "line and the service refuses late ones with the same words. An essay's own "
        "`Reflections_close_after: N` header wins (`0`: never). `0`: essays never close by age.",
    ),
    Setting(
        "REFLECTIONS_PAUSED_UNTIL",
        "",
        "The author's rest: reflections paused on every essay until this day (`YYYY-MM-DD`), kindly.",
    ),
    Setting(
        "REFLECTIONS_PAUSE_FILE",
        "resting.txt",
        "The file, relative to `PATH`, that the moderation page's rest switch writes (one line: the day "
        "reflections open again); it may be written by hand too.",
    ),
)
DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


#: The service's addresses a page links to: under REFLECTIONS_SERVICE_URL when that is set.
SERVICE_ADDRESSES = (
    "REFLECTIONS_SUBMIT_URL",
    "REFLECTIONS_TOKEN_URL",
    "REFLECTIONS_REPLY_URL",
    "REFLECTIONS_WEBMENTION_URL",
)


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


def essay_language(essay, settings: dict) -> str:
    """The language an essay's reflections are shown in: its own (`Lang`), else the site's."""
    return str(getattr(essay, "lang", "") or settings.get("DEFAULT_LANG") or i18n.SOURCE)
