"""Readers' dates in the site's own format and on its clock, the same on every C library."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pelican.plugins.reflections.core import dates

LATE = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)


def test_unpadded_directives_work_without_glibc():
    assert dates.strftime(LATE, "%-d/%-m %-H:%M") == "5/3 23:30"
    assert dates.strftime(datetime(2026, 1, 1, 0, 5, tzinfo=UTC), "%-H:%-M, 100%%") == "0:5, 100%"


def test_a_moment_is_shown_on_the_sites_clock():
    assert dates.shown(LATE, "%-d %B %Y", ZoneInfo("Europe/Paris")) == "6 March 2026"
    assert dates.shown(LATE, "%-d %B %Y", ZoneInfo("America/New_York")) == "5 March 2026"


def test_the_format_follows_the_language_then_the_default():
    settings = {"DEFAULT_DATE_FORMAT": "%a %d %B %Y", "DATE_FORMATS": {"fr": ("fr_FR.UTF-8", "%-d/%m/%Y")}}
    assert dates.date_format(settings, "fr") == "%-d/%m/%Y"
    assert dates.date_format(settings, "en") == "%a %d %B %Y"
    assert dates.date_format({}, "en") == "%Y-%m-%d"
