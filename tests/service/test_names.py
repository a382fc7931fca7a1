"""How a reader's name is shown, and their consent to be quoted: chosen in the form without
JavaScript, published only as chosen (page, feeds, JSON-LD, the published file, the moderation
list's public heading), the typed name kept for the author alone."""

import json

import pytest
from conftest import AUTHOR_PASSWORD, fetch, open_the_folded_part, running_for_the_author
from pelican.plugins.reflections.core.published import shown_as
from test_pages_audit import open_page

ESSAY = "learning-to-stay"
TYPED = "Johanna Maria Dorn"


@pytest.mark.parametrize(
    "choice, shown",
    [("full", TYPED), ("first", "Johanna"), ("initials", "J. M. D."), ("none", "")],
)
def test_the_name_as_chosen(choice, shown):
    assert shown_as(f"  {TYPED} ", choice) == shown
    assert shown_as("", choice) == ""


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_for_the_author(tmp_path_factory.mktemp("names")) as running:
        yield running


@pytest.mark.parametrize(
    "choice, shown", [("initials", "J. M. D."), ("none", "A reader"), ("first", "Johanna")]
)
def test_a_hidden_name_never_reaches_the_site(browser, service, choice, shown):
    page = open_page(browser)
    page.goto(f"{service.base}/essays/{ESSAY}/")
    words = f"Words for the name test, shown as {choice}."
    page.fill("#reflect-body", words)
    page.fill("#reflect-name", TYPED)
    open_the_folded_part(page)
    page.check(f"input[name=name_shown][value={choice}]")
    page.check("input[name=quote_ok]")
    page.click("text=Send your reflection")
    assert f"— {shown} ·" in page.locator(".send-preview").inner_text()  # as it will read
    assert TYPED not in page.locator(".send-preview").inner_text()
    page.get_by_role("button", name="Send your reflection").click()
    assert page.locator("h1").inner_text() == "Thank you. Your words reached the author."

    # The author sees the name as it will be shown, the typed one marked as theirs alone, and the consent.
    page.goto(f"{service.base}/reflections/moderate")
    if page.locator("#password").count():
        page.fill("#password", AUTHOR_PASSWORD)
        page.click("text=Log in")
    card = page.locator(".moderate-item", has_text=words)
    assert card.locator("h2").inner_text() == f"{shown} on “Learning to Stay”"
    assert f"Name as typed, for you only: {TYPED}" in card.inner_text()
    assert "The reader agrees you may quote it, without their name, in a future essay." in card.inner_text()
    item = card.get_attribute("id").removeprefix("m-")
    shown_by_cli = service.cli("show", item).stdout
    assert f"name shown: {shown} ({choice})" in shown_by_cli and "quote: the reader agrees" in shown_by_cli
    assert json.loads(service.cli("show", item, "--json").stdout)["quote_ok"] is True

    assert service.cli("approve", item).returncode == 0
    service.published()
    published = (service.root / "content" / "reflections" / ESSAY / f"{item}.md").read_text(encoding="utf-8")
    assert TYPED not in published and "quote" not in published.lower()
    essay_page = fetch(f"{service.base}/essays/{ESSAY}/")[1]
    assert words in essay_page and TYPED not in essay_page
    assert f'<span class="reflection-name"><bdi>{shown}</bdi></span>' in essay_page
    feeds = (
        fetch(f"{service.base}/feeds/reflections/{ESSAY}.atom.xml")[1]
        + fetch(f"{service.base}/feeds/reflections.atom.xml")[1]
    )
    assert words in feeds and TYPED not in feeds
    assert TYPED not in "".join(
        p.read_text(encoding="utf-8") for p in (service.root / "output").rglob("*.html")
    )
    page.context.close()
