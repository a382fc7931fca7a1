"""The author's rest: the moderation switch pauses reflections on every essay until a day (a kind
note instead of the form, within a publish), a submission already on its way is answered with the
same note and keeps its words, resuming brings the form back; quiet hours hold the author's mail."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from conftest import AUTHOR_PASSWORD, fetch, running_for_the_author, wait_for
from pelican.plugins.reflections.core import rest
from pelican.plugins.reflections.service.mail import Mailer
from test_pages_audit import audit, open_page

ESSAYS = ("learning-to-stay", "the-kitchen-table")


def test_the_rest_is_the_later_of_the_setting_and_the_switch(tmp_path):
    settings = {
        "PATH": str(tmp_path),
        "REFLECTIONS_PAUSE_FILE": "resting.txt",
        "REFLECTIONS_PAUSED_UNTIL": "",
    }
    today = date(2026, 12, 1)
    assert rest.until(settings, today) is None
    rest.pause(settings, date(2026, 12, 24))
    assert rest.until(settings, today) == date(2026, 12, 24)
    assert rest.until({**settings, "REFLECTIONS_PAUSED_UNTIL": "2027-01-06"}, today) == date(2027, 1, 6)
    assert rest.until(settings, date(2026, 12, 24)) is None  # open again on its day
    assert not rest.ended(settings, date(2026, 12, 23))
    assert rest.ended(settings, date(2026, 12, 24)) and not (tmp_path / "resting.txt").exists()
    (tmp_path / "resting.txt").write_text("not a day\n")
    assert rest.until(settings, today) is None  # a file that names no day pauses nothing


def test_quiet_hours_hold_the_authors_mail_till_they_end():
    zone = ZoneInfo("Europe/Stockholm")
    mailer = Mailer.__new__(Mailer)
    mailer.config = SimpleNamespace(quiet_hours=(22, 7))
    mailer.site = SimpleNamespace(zone=zone)
    late = datetime(2026, 12, 1, 23, 30, tzinfo=zone)
    assert mailer.after_quiet_hours(late) == datetime(2026, 12, 2, 7, tzinfo=zone).astimezone(UTC)
    early = datetime(2026, 12, 2, 5, 0, tzinfo=zone)
    assert mailer.after_quiet_hours(early) == datetime(2026, 12, 2, 7, tzinfo=zone).astimezone(UTC)
    assert mailer.after_quiet_hours(datetime(2026, 12, 2, 12, 0, tzinfo=zone)) is None
    mailer.config = SimpleNamespace(quiet_hours=None)
    assert mailer.after_quiet_hours(late) is None


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_for_the_author(tmp_path_factory.mktemp("rest")) as running:
        yield running


def form_on(service, essay: str) -> bool:
    return 'id="reflect"' in fetch(f"{service.base}/essays/{essay}/")[1]


def test_a_rest_pauses_every_essay_kindly_and_ends(browser, service, tmp_path):
    reader = open_page(browser)
    reader.goto(f"{service.base}/essays/{ESSAYS[0]}/")
    words = "Words written before the author began to rest."
    reader.fill("#reflect-body", words)

    author = open_page(browser)
    author.goto(f"{service.base}/reflections/moderate")
    author.fill("#password", AUTHOR_PASSWORD)
    author.click("text=Log in")
    day = date.today() + timedelta(days=10)
    author.fill("#rest-until", day.isoformat())
    author.get_by_role("button", name="Pause reflections").click()
    assert "Reflections rest until" in author.locator(".notice").inner_text()
    assert "End the rest now" in author.locator(".rest").inner_text()

    # Within a publish, every essay says so instead of showing the form.
    wait_for(lambda: not any(form_on(service, essay) for essay in ESSAYS))
    page = fetch(f"{service.base}/essays/{ESSAYS[1]}/")[1]
    assert "The author is taking a rest, and reflections are paused until" in page
    assert "reflection-reply" not in page  # no Reply links while resting
    check = open_page(browser)
    check.goto(f"{service.base}/essays/{ESSAYS[1]}/")
    audit(check, "essay-resting", tmp_path)
    check.context.close()

    # The reader who had the form open sends: the same kind note, and their words are kept.
    reader.click("text=Send your reflection")
    assert reader.locator("h1").inner_text() == "The author is resting"
    assert "paused until" in reader.locator(".notice").inner_text()
    assert reader.locator("#reflect-body").input_value() == words
    assert service.cli("queue", "--json").stdout.count(words) == 0  # nothing was kept

    author.get_by_role("button", name="End the rest now").click()
    assert "The rest is over" in author.locator(".notice").inner_text()
    wait_for(lambda: all(form_on(service, essay) for essay in ESSAYS))
    reader.context.close()
    author.context.close()
