"""Care when it matters: words of wanting to die or of self-harm mark a submission; the reader is
shown where to find help before anything else, the author reads it first in the queue and hears of
it at once even under a digest (aiosmtpd). Nothing is refused or published for it."""

import json
import os
from pathlib import Path

import pytest
from conftest import (
    AUTHOR_PASSWORD,
    RunningService,
    copy_site,
    free_port,
    smtp_server,
    submit_reflection,
    wait_for,
    with_password,
)
from pelican.plugins.reflections.service import care
from test_pages_audit import audit, open_page

ESSAY = "learning-to-stay"
AUTHOR = "author@site.example"


@pytest.mark.parametrize(
    "words, lang",
    [
        ("Some nights I want to die, and reading this helped.", "en"),
        ("I have been hurting myself again.", "en"),
        ("I DON'T WANT TO LIVE like this.", "de"),  # English words on a German essay
        ("Ich habe lange an Selbstmord gedacht.", "de"),
        ("Manchmal will ich nicht mehr leben.", "de"),
        ("Czasem chcę umrzeć.", "pl"),
        ("あの頃はずっと死にたいと思っていた。", "ja"),
    ],
)
def test_words_that_call_for_care(words, lang):
    assert care.needs_care([words], lang)


@pytest.mark.parametrize(
    "words, lang",
    [
        ("I died laughing at the part about the peaches.", "en"),
        ("A selfish wish, maybe, to be understood.", "en"),
        ("Sie schreiben über das Sterben meiner Mutter.", "de"),
    ],
)
def test_words_that_do_not(words, lang):
    assert not care.needs_care([words], lang)


def test_a_sites_own_list_replaces_the_shipped_one_for_its_language(tmp_path):
    (tmp_path / "de.txt").write_text("# unsere eigenen\ndunkle zeit\n", encoding="utf-8")
    folder = str(tmp_path)
    assert care.needs_care(["Eine dunkle Zeit."], "de", (), folder)
    assert not care.needs_care(["Ich denke an Selbstmord."], "de", (), folder)  # replaced
    assert care.needs_care(["I want to die."], "de", (), folder)  # English's list is still the shipped one


def test_a_sites_own_words_count_in_every_language():
    assert not care.needs_care(["the dark place again"], "fr")
    assert care.needs_care(["the dark place again"], "fr", ("dark place",))


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    folder = tmp_path_factory.mktemp("care")
    controller, inbox = smtp_server(free_port())
    site = copy_site(folder / "site")
    (site / "content" / "essays" / "das-haus.md").write_text(
        "Title: Das Haus\nDate: 2026-03-16 09:30\nSlug: das-haus\nLang: de\n\nEin Essay über das Haus.\n",
        encoding="utf-8",
    )
    running = RunningService(
        site,
        folder / "service.log",
        REFLECTIONS_TOKEN_MIN_SECONDS="0",
        REFLECTIONS_RATE_LIMITS="1000/minute",
        REFLECTIONS_LOGIN_RATE_LIMITS="1000/minute",
        REFLECTIONS_SMTP_URL=f"smtp://127.0.0.1:{controller.port}",
        REFLECTIONS_AUTHOR_EMAIL=AUTHOR,
        REFLECTIONS_NOTIFY="digest",
        REFLECTIONS_DIGEST_SECONDS="86400",
        REFLECTIONS_MAIL_INTERVAL="0.3",
    )
    with_password(running).start()
    yield running, inbox
    running.stop()
    controller.stop()


def send_without_javascript(page, base: str, path: str, words: str, send: str) -> None:
    page.goto(f"{base}{path}")
    page.fill("#reflect-body", words)
    page.click(f"text={send}")
    page.get_by_role("button", name=send).click()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("WITHNESS_ARTEFACTS") or tmp_path_factory.mktemp("shots")) / "care"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_reader_sees_where_to_find_help_first_and_the_author_reads_it_first(browser, service, shots):
    running, inbox = service
    calm = submit_reflection(running.base, ESSAY, "A calm reflection, sent first.")
    page = open_page(browser)
    send_without_javascript(
        page,
        running.base,
        f"/essays/{ESSAY}/",
        "After my brother died I wanted to die too.",
        "Send your reflection",
    )
    first = page.locator("main > *").first
    assert first.get_attribute("class") == "care-note"
    assert "you do not have to carry it alone" in first.inner_text()
    assert first.get_by_role("link").get_attribute("href") == "https://findahelpline.com/"
    assert page.locator("h1").inner_text() == "Thank you. Your words reached the author."
    audit(page, "received-needs-care", shots)

    # In German, on a German essay.
    send_without_javascript(
        page, running.base, "/das-haus-de.html", "Ich denke oft an Selbstmord.", "Reflexion senden"
    )
    note = page.locator("main > *").first
    assert note.get_attribute("class") == "care-note"
    assert "Sie müssen es nicht allein tragen" in note.inner_text()
    assert page.locator("html").get_attribute("lang") == "de"

    # Under a digest, the author hears of these two at once, and of the calm one not yet.
    notices = wait_for(lambda: inbox.to(AUTHOR) if len(inbox.to(AUTHOR)) == 2 else None)
    subjects = sorted(notice["Subject"] for notice in notices)
    assert subjects == [
        "Needs care: New reflection on “Das Haus”",
        "Needs care: New reflection on “Learning to Stay”",
    ]
    assert "It may need your care" in notices[0].get_content()

    # The queue: both first, though the calm one came before them; never refused, never published.
    page.goto(f"{running.base}/reflections/moderate")
    page.fill("#password", AUTHOR_PASSWORD)
    page.click("text=Log in")
    items = page.locator(".moderate-item")
    assert items.nth(0).locator(".care-flag").count() == 1 and items.nth(1).locator(".care-flag").count() == 1
    assert calm in items.nth(2).get_attribute("id")
    cared = [items.nth(n).get_attribute("id").removeprefix("m-") for n in (0, 1)]
    for item in cared:  # waiting for the author like any other: not refused, not published
        assert json.loads(running.cli("show", item, "--json").stdout)["state"] == "pending"
    page.context.close()
