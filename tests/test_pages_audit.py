"""Every page a reader or the author meets, in Chromium at 375 and 1 280 px, light and dark: axe
finds nothing (touch-target size included), nothing overflows a phone's width, and each state is
kept as a screenshot (in WITHNESS_ARTEFACTS when set, for the issue's note; else a temporary folder).
"""

import os
import re
from pathlib import Path

import pytest
from conftest import AUTHOR_PASSWORD, REPO, running_for_the_author, submit_reflection

#: A minute or more in all (`-m "not slow"` leaves it out of a quick run).
pytestmark = pytest.mark.slow(seconds=45)

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ESSAY = "learning-to-stay"
PARENT = ("the-kitchen-table", "01JQ3Z7V5K8D2N4P6R8T0W2Y4A")
VIEWS = [(375, "light"), (375, "dark"), (1280, "light"), (1280, "dark")]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_for_the_author(tmp_path_factory.mktemp("audit")) as running:
        yield running


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("WITHNESS_ARTEFACTS") or tmp_path_factory.mktemp("shots")) / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def audit(page, name: str, shots: Path) -> None:
    """axe (with WCAG 2.2's target size) and the width, in each of the four views, and a screenshot."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (run `npm ci`; `make test` does it when npm exists)")
    for width, scheme in VIEWS:
        page.set_viewport_size({"width": width, "height": 800})
        page.emulate_media(color_scheme=scheme)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} overflows {width} px"
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async () => await axe.run(document, {rules: {'target-size': {enabled: true}}})"
        )
        found = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
        assert found == [], f"{name} at {width} px, {scheme}"
        page.screenshot(path=str(shots / f"{name}-{width}-{scheme}.png"), full_page=True)


def open_page(browser):
    """A page as a reader without JavaScript has it (the site's script is refused), where axe can
    still run (bypass_csp only for it: the pages rightly refuse inline scripts)."""
    context = browser.new_context(bypass_csp=True)
    context.route("**/reflect.js", lambda route: route.abort())
    return context.new_page()


def test_the_reader_s_pages(browser, service, shots):
    page = open_page(browser)
    page.goto(f"{service.base}/")
    audit(page, "index", shots)
    page.goto(f"{service.base}/essays/{PARENT[0]}/")
    audit(page, "essay", shots)
    page.goto(f"{service.base}/reflections/reply/{PARENT[0]}/{PARENT[1]}")
    audit(page, "reply", shots)
    page.goto(f"{service.base}/reflections/reply/{PARENT[0]}/no-such-item")
    audit(page, "not-found", shots)
    page.goto(f"{service.base}/privacy/")
    audit(page, "privacy", shots)

    page.goto(f"{service.base}/essays/{ESSAY}/")
    page.fill("#reflect-body", "x")
    page.locator("#reflect-body").evaluate("field => field.removeAttribute('minlength')")
    with page.expect_navigation():  # the next page, never the one it leaves
        page.click("text=Send your reflection")
    assert page.locator(".field-error").count() >= 1
    audit(page, "form-with-a-problem", shots)

    page.goto(f"{service.base}/essays/{ESSAY}/")
    page.fill("#reflect-body", "Words for the audit, with a paragraph.\n\nAnd a second one.")
    page.fill("#reflect-name", "Audit")
    with page.expect_navigation():  # the next page, never the one it leaves
        page.click("text=Send your reflection")
    assert page.locator("h1").inner_text() == "Send this reflection?"
    audit(page, "send", shots)
    with page.expect_navigation():  # the next page, never the one it leaves
        page.get_by_role("button", name="Send your reflection").click()
    assert page.locator("h1").inner_text() == "Thank you. Your words reached the author."
    audit(page, "received-waiting", shots)
    received = page.url

    with page.expect_navigation():  # the next page, never the one it leaves
        page.click("text=Withdraw my reflection")
    audit(page, "withdraw-confirm", shots)
    assert (
        page.get_by_role("link", name="Keep it")
        .get_attribute("href")
        .endswith(received.split(service.base, 1)[1])
    )
    with page.expect_navigation():  # the next page, never the one it leaves
        page.click("text=Withdraw it")
    audit(page, "withdrawn", shots)
    page.goto(received)
    assert page.locator("h1").inner_text() == "You withdrew these words."
    audit(page, "received-withdrawn", shots)
    page.context.close()


def test_the_author_s_pages(browser, service, shots):
    for n in range(3):
        submit_reflection(service.base, ESSAY, f"Audit item {n}, waiting.", content_note="loss" if n else "")
    submit_reflection(
        service.base, ESSAY, "Only for the author.", visibility="private", email="r@example.org"
    )
    page = open_page(browser)
    page.goto(f"{service.base}/reflections/moderate")
    audit(page, "login", shots)
    page.fill("#password", AUTHOR_PASSWORD)
    with page.expect_navigation():  # the next page, never the one it leaves
        page.click("text=Log in")
    assert page.locator("h1").inner_text() == "Waiting for you"
    audit(page, "queue", shots)
    for name, query in (("private", "?view=private"), ("published", "?view=published"), ("log", "/log")):
        page.goto(f"{service.base}/reflections/moderate{query}")
        audit(page, name, shots)
    page.goto(f"{service.base}/reflections/moderate")
    first = page.locator(".moderate-item").first
    with page.expect_navigation():  # the next page, never the one it leaves
        first.locator("button[value=delete]").click()
    assert page.locator("h1").inner_text() == "Delete for good?"
    audit(page, "delete-confirm", shots)
    page.click("text=Keep it")
    assert re.search(r"/reflections/moderate", page.url)
    page.context.close()


def test_the_essay_with_its_script_replying(browser, service, shots):
    """The states only the script makes: a Reply chosen on the essay page, with its way back."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{service.base}/essays/{PARENT[0]}/")
    page.locator("[data-reply]").first.click()
    assert page.get_by_role("button", name="Write a reflection instead").is_visible()
    audit(page, "essay-replying-with-script", shots)
    context.close()
