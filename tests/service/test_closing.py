"""Reflections close on an essay N days after its date (REFLECTIONS_CLOSE_AFTER_DAYS), unless its
own header says otherwise: the page shows a kind line instead of the form, and the service
refuses a late reflection with the same words, keeping what was typed."""

from datetime import date

import httpx
import pytest
from conftest import RunningService, copy_site, fetch, with_password
from pelican.plugins.reflections.core.essay_header import closing_day, reflections_open

CLOSED = "Reflections on this essay are closed."


def test_the_day_an_essay_closes():
    written = date(2026, 4, 22)
    assert closing_day({}, written, 30) == date(2026, 5, 22)
    assert closing_day({"reflections_close_after": "90"}, written, 30) == date(2026, 7, 21)
    assert closing_day({"reflections_close_after": "0"}, written, 30) is None  # its own: never
    assert closing_day({}, written, 0) is None and closing_day({}, None, 30) is None
    assert reflections_open({}, date(2026, 5, 22), date(2026, 5, 21))
    assert not reflections_open({}, date(2026, 5, 22), date(2026, 5, 22))
    assert not reflections_open({"reflections": "closed"}, None, date(2026, 5, 1))


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    root = copy_site(tmp_path_factory.mktemp("closing") / "site")
    with (root / "pelicanconf.py").open("a", encoding="utf-8") as settings:
        settings.write("\nREFLECTIONS_CLOSE_AFTER_DAYS = 30\n")
    kept_open = root / "content" / "essays" / "the-kitchen-table.md"
    header, rest = kept_open.read_text(encoding="utf-8").split("\n\n", 1)
    kept_open.write_text(header + "\nReflections_close_after: 0\n\n" + rest, encoding="utf-8")
    running = RunningService(root, root.parent / "service.log", REFLECTIONS_TOKEN_MIN_SECONDS="0")
    with_password(running).start()
    running.published()
    yield running
    running.stop()


def send(service, essay: str) -> httpx.Response:
    with httpx.Client(base_url=service.base) as client:
        token = client.get("/reflections/token", params={"essay": essay}).json()["token"]
        return client.post(
            "/reflections/submit", data={"essay": essay, "body": "Late words, kept.", "token": token}
        )


def test_an_old_essay_shows_a_kind_line_instead_of_the_form(service):
    page = fetch(f"{service.base}/essays/learning-to-stay/")[1]
    assert CLOSED in page and 'id="reflect"' not in page
    assert 'id="reflect"' in fetch(f"{service.base}/essays/the-kitchen-table/")[1]  # its own header


def test_a_late_reflection_is_refused_with_the_same_words_and_kept_on_the_page(service):
    answer = send(service, "learning-to-stay")
    assert answer.status_code == 422
    assert "Reflections on this essay are closed now. Thank you for wanting to answer." in answer.text
    assert "Late words, kept." in answer.text
    assert send(service, "the-kitchen-table").status_code == 303  # to the received page
