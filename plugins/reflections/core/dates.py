"""Readers' dates as the site shows its own: in the site's time zone, with its date format.

A format is Python's strftime, plus the `%-d` style flags (no leading zero) that glibc has and other
C libraries lack: those are done here, so a format works the same on every system.
"""

import re
from datetime import datetime, tzinfo

#: `%-d`, `%-m`, `%-H`…: the directive without its leading zero.
_NO_PADDING = re.compile(r"%-([a-zA-Z])")


def strftime(moment: datetime, fmt: str) -> str:
    """`moment.strftime(fmt)`, with `%-X` done portably."""

    def unpadded(match: re.Match) -> str:
        shown = moment.strftime(f"%{match.group(1)}")
        return (shown.lstrip("0") or "0").replace("%", "%%")

    return moment.strftime(_NO_PADDING.sub(unpadded, fmt))


def as_format(value) -> str:
    """A format from a setting's value: a (locale, format) pair gives its format (Pelican sets
    the locale itself)."""
    return str(value[1] if isinstance(value, tuple | list) else value)


def date_format(settings, lang: str = "") -> str:
    """The site's format for a date in `lang`: DATE_FORMATS for it, else DEFAULT_DATE_FORMAT."""
    chosen = (settings.get("DATE_FORMATS") or {}).get(lang) or settings.get("DEFAULT_DATE_FORMAT")
    return as_format(chosen or "%Y-%m-%d")


def shown(moment: datetime, fmt: str, zone: tzinfo) -> str:
    """A stored moment as a reader of the site reads it."""
    return strftime(moment.astimezone(zone), fmt)
