"""A German site with a Japanese, a Polish and an Arabic essay, served by the real service and read
in Chromium without JavaScript: every word of the reader's path in the essay's language, plurals
for 0, 1, 2, 5 and 22 in German and Polish, dates in the locale, and an Arabic essay laid out right
to left (axe finds nothing; screenshots at 375 and 1 280 px, light and dark)."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import RunningService, copy_site, open_the_folded_part
from pelican.plugins.reflections.core import published
from test_pages_audit import audit, open_page

COUNTS = (0, 1, 2, 5, 22)
GERMAN = {0: "Noch keine Reflexionen", 1: "1 Reflexion zu „Zählen 1“", 2: "2 Reflexionen zu „Zählen 2“",
          5: "5 Reflexionen zu „Zählen 5“", 22: "22 Reflexionen zu „Zählen 22“"}  # fmt: skip
POLISH = {0: "Nie ma jeszcze refleksji", 1: "1 refleksja o „Liczenie 1”", 2: "2 refleksje o „Liczenie 2”",
          5: "5 refleksji o „Liczenie 5”", 22: "22 refleksje o „Liczenie 22”"}  # fmt: skip


def essay(folder: Path, slug: str, title: str, lang: str, words: str) -> None:
    header = f"Title: {title}\nDate: 2026-03-16 09:30\nSlug: {slug}\nLang: {lang}\n"
    prompt = {"ja": "何が心に残りましたか？", "ar": "ما الذي بقي معك؟"}.get(lang)
    header += f"Reflection_prompt: {prompt}\n" if prompt else ""
    (folder / f"{slug}.md").write_text(f"{header}\n{words}\n", encoding="utf-8")


def reflections(slug: str, count: int, name: str = "Anna") -> list[published.PublishedItem]:
    start = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
    return [
        published.PublishedItem(
            id=published.new_id(start + timedelta(minutes=n)),
            essay=slug,
            kind="reflection",
            date=start + timedelta(minutes=n),
            body=f"Worte {n}.",
            author=name,
        )
        for n in range(count)
    ]


@pytest.fixture(scope="module")
def german_site(tmp_path_factory):
    root = copy_site(tmp_path_factory.mktemp("languages") / "site")
    settings = root / "pelicanconf.py"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace('DEFAULT_LANG = "en"', 'DEFAULT_LANG = "de"')
        + '\nDEFAULT_DATE_FORMAT = "%-d. %B %Y"\n',
        encoding="utf-8",
    )
    essays = root / "content" / "essays"
    items = []
    for count in COUNTS:
        essay(essays, f"zaehlen-{count}", f"Zählen {count}", "de", "Ein Essay über das Zählen.")
        essay(essays, f"liczenie-{count}", f"Liczenie {count}", "pl", "Esej o liczeniu.")
        items += reflections(f"zaehlen-{count}", count) + reflections(f"liczenie-{count}", count)
    essay(essays, "kokoro", "心", "ja", "心についてのエッセイ。")
    essay(essays, "bayt", "البيت", "ar", "مقالة عن البيت والانتماء.")
    items += reflections("bayt", 2, name="سلمى")
    published.write_all(root / "content" / "reflections", items)
    running = RunningService(root, root.parent / "service.log", REFLECTIONS_TOKEN_MIN_SECONDS="0").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("WITHNESS_ARTEFACTS") or tmp_path_factory.mktemp("shots")) / "languages"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def heading(page) -> str:
    return page.locator("#reflections-heading").inner_text().strip()


def test_plurals_in_german_and_polish(browser, german_site):
    page = open_page(browser)
    for count in COUNTS:
        page.goto(f"{german_site.base}/essays/zaehlen-{count}/")
        assert heading(page) == GERMAN[count]
        page.goto(f"{german_site.base}/liczenie-{count}-pl.html")  # Pelican's address for a translation
        assert heading(page) == POLISH[count]
        assert page.locator("html").get_attribute("lang") == "pl"
        assert page.locator("#reflect-heading").inner_text() == "Dodaj swoją refleksję"
    page.context.close()


def test_a_german_reader_s_whole_path_is_in_german(browser, german_site):
    page = open_page(browser)
    page.goto(f"{german_site.base}/essays/zaehlen-2/")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator(".essay-header time").first.inner_text() == "16. März 2026"
    assert page.locator(".reflection-date time").first.inner_text() == "16. März 2026"
    section = page.locator("#reflections")
    german = ["Ihre Reflexion", "Ihr Name", "Weitere Möglichkeiten: privat", "Wie es weitergeht"]
    german += ["Antworten", "Reflexion senden"]
    for words in german:
        assert words in section.inner_text(), words
    # The folded part of the form too, as it reads once opened.
    folded = [
        "Inhaltshinweis",
        "Wer es lesen darf",
        "Alle, sobald die Autorin oder der Autor sie gelesen hat",
    ]
    for words in folded:
        assert words in section.text_content(), words
    for english in (
        "Your reflection",
        "Send your reflection",
        "Reply",
        "Who may read it",
        "optional",
        "More ways",
    ):
        assert english not in section.text_content(), english

    reply = section.get_by_role("link", name="Anna antworten").first
    page.goto(reply.get_attribute("href") if reply.get_attribute("href").startswith("http")
              else german_site.base + reply.get_attribute("href"))  # fmt: skip
    assert page.locator("h1").inner_text() == "\u2068Anna\u2069 antworten"
    assert page.locator("#reflect-heading").inner_text() == "Ihre Antwort an Anna"

    page.goto(f"{german_site.base}/essays/zaehlen-0/")
    page.fill("#reflect-body", "Ein paar Worte zum Zählen.")
    page.click("text=Reflexion senden")
    assert page.locator("h1").inner_text() == "Diese Reflexion senden?"
    assert "Ihre Reflexion zu „Zählen 0“" in page.locator(".send-preview").inner_text()
    page.get_by_role("button", name="Reflexion senden").click()
    assert page.locator("h1").inner_text() == "Danke. Ihre Worte sind angekommen."
    assert "Anders entschieden?" in page.locator("main").inner_text()
    page.click("text=Meine Reflexion zurückziehen")
    assert page.locator("h1").inner_text() == "Ihre Reflexion zurückziehen?"
    page.get_by_role("button", name="Zurückziehen").click()
    assert page.locator("h1").inner_text() == "Zurückgezogen"
    assert page.locator("main p").first.inner_text() == "Ihre Reflexion ist zurückgezogen."

    # A problem is said in German, and what was typed is kept.
    page.goto(f"{german_site.base}/essays/zaehlen-0/")
    page.fill("#reflect-body", "Worte")
    open_the_folded_part(page)
    page.fill("#reflect-email", "keine-adresse")
    page.locator("#reflect-email").evaluate("field => field.type = 'text'")
    page.click("text=Reflexion senden")
    assert "Diese E-Mail-Adresse sieht nicht ganz richtig aus." in page.locator("main").inner_text()
    assert page.locator("#reflect-body").input_value() == "Worte"
    page.context.close()


def test_a_japanese_essay_on_the_german_site_is_answered_in_japanese(browser, german_site):
    page = open_page(browser)
    page.goto(f"{german_site.base}/kokoro-ja.html")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert heading(page) == "まだ感想はありません"
    assert page.locator(".essay-header time").first.inner_text() == "2026年3月16日"
    page.fill("#reflect-body", "心に残りました。")
    page.click("text=感想を送る")
    assert page.locator("h1").inner_text() == "この感想を送りますか？"
    assert page.locator("html").get_attribute("lang") == "ja"
    page.get_by_role("button", name="感想を送る").click()
    assert page.locator("h1").inner_text() == "ありがとうございます。あなたの言葉は著者に届きました。"
    page.context.close()


def test_an_arabic_essay_reads_right_to_left(browser, german_site, shots):
    page = open_page(browser)
    page.goto(f"{german_site.base}/bayt-ar.html")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("#reflections").get_attribute("dir") == "rtl"
    # The thread's rule and indent are on the right, where a right-to-left reader starts.
    body = page.locator(".reflection-body").first.bounding_box()
    form = page.locator("#reflect-body").bounding_box()
    assert body and form and abs((body["x"] + body["width"]) - (form["x"] + form["width"])) < 40
    audit(page, "arabic-essay", shots)
    page.context.close()
