"""`make run`'s server: serves the built site, rebuilds on change, survives a broken essay."""

import subprocess
import sys

import pytest
from conftest import copy_site, fetch, free_port, wait_for


@pytest.fixture
def devserver(tmp_path):
    root = copy_site(tmp_path / "site")
    port = free_port()
    log = open(tmp_path / "devserver.log", "w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "pelican.plugins.reflections.site.devserver", "--port", str(port)],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: fetch(base + "/")[0] == 200)
    yield root, base, tmp_path / "devserver.log"
    process.terminate()
    process.wait(timeout=10)
    log.close()


def test_serves_the_site_and_its_404_page(devserver):
    _, base, _ = devserver
    status, body = fetch(base + "/")
    assert status == 200 and "<h1>Essays</h1>" in body
    status, body = fetch(base + "/essays/no-such-essay/")
    assert status == 404 and "This page is not here" in body


def test_rebuilds_when_an_essay_changes(devserver):
    root, base, log = devserver
    essay = root / "content" / "essays" / "the-kitchen-table.md"
    essay.write_text(essay.read_text().replace("Title: The Kitchen Table", "Title: The Long Table"))
    wait_for(lambda: "The Long Table" in fetch(base + "/essays/the-kitchen-table/")[1])
    # Only what shows the essay was written again; the whole site was built once, at the start.
    wait_for(lambda: "Rebuilt " in log.read_text())
    assert log.read_text().count("Built the whole site") == 1


def test_a_theme_change_builds_the_whole_site_again(devserver):
    root, base, log = devserver
    stylesheet = root / "theme" / "static" / "css" / "withness.css"
    stylesheet.write_text(stylesheet.read_text() + "\n.a-theme-change { color: inherit; }\n")
    wait_for(lambda: ".a-theme-change" in fetch(base + "/theme/css/withness.css")[1])
    # The build says so once it has finished, a moment after the stylesheet is served (seen in CI).
    wait_for(lambda: log.read_text().count("Built the whole site") >= 2)
    assert log.read_text().count("Built the whole site") == 2  # one whole build for the change, no more


def test_broken_essay_is_reported_and_the_last_good_site_stays_up(devserver):
    root, base, log = devserver
    broken = root / "content" / "essays" / "broken.md"
    broken.write_text("Title: Broken\nDate: not a date\nSlug: broken\n\nBody.\n")
    message = "Not rebuilt: content/essays/broken.md: Date: 'not a date' is not a valid date"
    wait_for(lambda: message in log.read_text())
    assert fetch(base + "/")[0] == 200
    broken.write_text("Title: Mended\nDate: 2026-11-01\nSlug: broken\n\nBody.\n")
    wait_for(lambda: fetch(base + "/essays/broken/")[0] == 200)
    assert "Traceback" not in log.read_text()
