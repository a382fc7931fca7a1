"""Reflections on a passage: anchors made from a passage's own words, chosen in the form without
JavaScript or by selecting words with it, a published reflection quoting its passage with a link,
the passage counting its reflections, and an edit that removes the passage leaving the
reflection on the essay with its quote (Chromium, the real service)."""

import re

import pytest
from conftest import fetch, open_the_folded_part, running_for_the_author, wait_for
from pelican.plugins.reflections.core import passages
from playwright.sync_api import expect
from test_pages_audit import audit, open_page

ESSAY = "learning-to-stay"
OPENING = "I drove to her flat with a bag of things"


def test_an_anchor_is_its_words_not_its_place():
    first, found = passages.anchored("<p>One two three.</p>\n<h2>A Section</h2>\n<p>Four five six.</p>")
    [(a, _, _), (s, _, heading), (b, _, _)] = found
    assert heading and s == "s-a-section" and a.startswith("p-") and b.startswith("p-")
    moved, again = passages.anchored("<p>A new opening.</p>\n" + first)
    assert [anchor for anchor, _, _ in again][1:] == [a, s, b]  # ids already there are kept
    fresh, anew = passages.anchored("<p>A new opening.</p><p>One two three.</p><p>Four five six.</p>")
    assert [anchor for anchor, _, _ in anew][1:] == [a, b]  # the same words, the same anchors
    _, fixed = passages.anchored("<p>" + " ".join(f"w{n}" for n in range(20)) + " typo.</p>")
    _, mended = passages.anchored("<p>" + " ".join(f"w{n}" for n in range(20)) + " typos.</p>")
    assert fixed[0][0] == mended[0][0]  # a fix past the opening words keeps the anchor
    _, twins = passages.anchored("<p>Same words.</p><p>Same words.</p>")
    assert twins[1][0] == twins[0][0] + "-2"
    assert passages.choices(found) == [("s-a-section", "A Section")]
    counted = passages.with_counts(first, {b: (2, "01ABC")}, lambda n: f"{n} reflections")
    assert 'Four five six. <a class="passage-reflections" href="#r-01ABC">2 reflections</a></p>' in counted


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_for_the_author(tmp_path_factory.mktemp("passages")) as running:
        yield running


def approve_newest(service, words: str) -> str:
    queued = service.cli("queue", "--json", "--state", "pending").stdout
    [item] = re.findall(r'"id": "([^"]+)"[^}]*?' + re.escape(words[:20]), queued, re.S)
    assert service.cli("approve", item).returncode == 0
    service.published()
    return item


def essay_page(service) -> str:
    return fetch(f"{service.base}/essays/{ESSAY}/")[1]


def test_a_section_chosen_without_javascript(browser, service, tmp_path):
    page = open_page(browser)
    page.goto(f"{service.base}/essays/{ESSAY}/")
    words = "The part about staying, answered without a script."
    page.fill("#reflect-body", words)
    open_the_folded_part(page)
    page.select_option("#reflect-passage", "what-staying-looks-like")
    page.fill("#reflect-quote", "What staying looks like")
    page.click("text=Send your reflection")
    assert "What staying looks like" in page.locator(".send-preview .reflection-quote").inner_text()
    page.get_by_role("button", name="Send your reflection").click()
    assert page.locator("h1").inner_text() == "Thank you. Your words reached the author."
    item = approve_newest(service, words)
    html = wait_for(lambda: essay_page(service) if words in essay_page(service) else None)
    assert (
        '<blockquote class="reflection-quote"><a href="#what-staying-looks-like">What staying looks like</a>'
        in html
    )
    assert f'href="#r-{item}">1 reflection on this passage</a></h2>' in html
    page.goto(f"{service.base}/essays/{ESSAY}/")
    audit(page, "essay-with-a-passage-reflection", tmp_path)
    page.context.close()


def test_words_selected_with_javascript_and_an_edit_that_moves_or_removes_them(browser, service):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{service.base}/essays/{ESSAY}/")
    page.evaluate(
        """(opening) => {
            const paragraphs = [...document.querySelectorAll('.essay-body p')];
            const paragraph = paragraphs.find(p => p.textContent.startsWith(opening));
            const range = document.createRange();
            range.setStart(paragraph.firstChild, 0);
            range.setEnd(paragraph.firstChild, opening.length);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
        }""",
        OPENING,
    )
    offer = page.locator(".reflect-on-passage")
    offer.wait_for(state="visible")
    offer.click()
    anchor = page.locator("#reflect-passage").input_value()
    assert anchor.startswith("p-") and page.locator("#reflect-quote").input_value() == OPENING
    assert page.locator("#reflect-quote").is_visible()  # the fold opened: the chosen words are in sight
    words = "The bag of things: I did the same, selected and answered."
    page.fill("#reflect-body", words)
    expect(page.locator("#reflect-token")).not_to_have_value("")  # the script asked for a token
    page.get_by_role("button", name="Send your reflection").click()
    page.wait_for_url("**/reflections/received/**")
    item = approve_newest(service, words)
    html = wait_for(lambda: essay_page(service) if words in essay_page(service) else None)
    assert f'<a href="#{anchor}">{OPENING}</a>' in html and f'id="{anchor}"' in html

    # A paragraph added before it: the passage keeps its anchor, the quote still leads to it.
    source = service.root / "content" / "essays" / f"{ESSAY}.md"
    text = source.read_text(encoding="utf-8")
    first_paragraph = text.split("\n\n", 1)[1]
    source.write_text(text.replace(first_paragraph, "A paragraph added at the top.\n\n" + first_paragraph, 1))
    wait_for(lambda: "A paragraph added at the top." in essay_page(service))
    html = essay_page(service)
    assert f'id="{anchor}"' in html and f'<a href="#{anchor}">{OPENING}</a>' in html
    assert f'href="#r-{item}">1 reflection on this passage</a>' in html

    # Its opening words rewritten: the reflection stays, on the essay, with its quote and no link.
    source.write_text(source.read_text(encoding="utf-8").replace(OPENING, "Rewritten: I went to her flat", 1))
    wait_for(lambda: "Rewritten: I went to her flat" in essay_page(service))
    html = essay_page(service)
    assert words in html and f'<blockquote class="reflection-quote">{OPENING}</blockquote>' in html
    assert f'#{anchor}"' not in html
    context.close()
