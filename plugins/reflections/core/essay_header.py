"""An essay's header, as the service needs it without a build, and the rules read from it.

The build gets the same header from Pelican's reader; both decide with the functions here, so an
essay is open or closed, titled and prompted the same way on the page and in the service.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from markupsafe import Markup

from .published import PublishedItem

#: The header line that closes an essay to new reflections: `Reflections: closed`.
CLOSED = "closed"


def read_header(path: Path) -> dict[str, str]:
    """The `Key: value` lines at the top of an essay file, keys in lower case (as Pelican keeps
    them); reading stops at the first blank line or at a line that is not a header line."""
    values: dict[str, str] = {}
    with path.open(encoding="utf-8", errors="replace") as stream:
        for line in stream:
            if not line.strip():
                break
            key, colon, value = line.partition(":")
            if not colon:
                break
            values[key.strip().lower()] = value.strip()
    return values


def reflections_open(metadata: Mapping, closing: date | None = None, today: date | None = None) -> bool:
    """Whether an essay takes new reflections: yes, unless its header says `Reflections: closed`,
    or it closes by its age (`closing`, see closing_day) and `today` is that day or later."""
    if str(metadata.get("reflections", "open")).strip().lower() == CLOSED:
        return False
    return closing is None or today is None or today < closing


def written_on(value: object) -> date | None:
    """The day of an essay's `Date`: a datetime Pelican read, or a header's text ("2026-04-22 07:45")."""
    if isinstance(value, datetime):
        return value.date()
    try:
        return datetime.fromisoformat(str(value).strip().replace("/", "-")).date()
    except ValueError:
        return None


def closing_day(metadata: Mapping, written: date | None, after_days: int) -> date | None:
    """The day an essay stops taking reflections by its age: `after_days` (the site's
    REFLECTIONS_CLOSE_AFTER_DAYS) after the day it was written, or as many as its own header's
    `Reflections_close_after: N` says; 0 days, or no date, is never."""
    own = str(metadata.get("reflections_close_after", "")).strip()
    days = int(own) if own.isdigit() else after_days
    if not days or written is None:
        return None
    return written + timedelta(days=days)


def is_draft(metadata: Mapping) -> bool:
    return str(metadata.get("status", "published")).strip().lower() == "draft"


def plain_title(title: object) -> str:
    """An essay's title as words. Pelican hands titles over as HTML (reStructuredText's
    `Tom &amp; Jerry &lt;3`, a Markdown title's own `&amp;` or `<em>`), which its themes print as
    they are; the plugin's templates, feeds and mails escape once themselves, so they take this
    (what Jinja's `striptags` makes of it, as the section's heading does)."""
    return Markup(str(title)).striptags()


@dataclass(frozen=True)
class EssayInfo:
    slug: str
    title: str
    reflection_prompt: str
    reflections_open: bool
    url: str
    #: The essay's language (`Lang`), "" for the site's (DEFAULT_LANG).
    lang: str = ""
    #: (anchor, label) of the passages a reader may answer (core/passages.py).
    reflection_passages: tuple = ()
    #: Every passage's anchor (a paragraph chosen by selecting its words is one of these).
    reflection_anchors: tuple = ()
    #: The essay's date as its header gives it (ISO 8601 or Pelican's forms), "" when it has none.
    date: str = ""
    #: The posts that announced it elsewhere, whose replies are read: `Mastodon:` and `Bluesky:`.
    mastodon: str = ""
    bluesky: str = ""
    #: The day it stops taking reflections by its age (ISO 8601), "" for never (closing_day).
    closes: str = ""
    #: Its links to other sites, and the change of its text they were read from (core/links.py).
    links: tuple = ()
    change: str = ""

    def open_on(self, day: date) -> bool:
        """Whether it takes reflections on `day`: open, and not closed by its age by then."""
        return self.reflections_open and (not self.closes or day < date.fromisoformat(self.closes))


class SiteView(Protocol):
    """What the service knows of the site (site/index.py makes it from the site's settings)."""

    #: Pelican's settings with the plugin's defaults applied.
    settings: dict
    #: The site's time zone: readers' dates are shown in it.
    zone: ZoneInfo

    def essays(self) -> dict[str, EssayInfo]: ...

    def essay(self, slug: str) -> EssayInfo | None: ...

    def due(self) -> bool: ...

    def title(self, slug: str) -> str: ...

    def published_item(self, essay: str, item_id: str) -> PublishedItem | None: ...
