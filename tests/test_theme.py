"""The theme in a real browser: quiet console, nothing fetched from elsewhere, dark mode, axe-core."""

import functools
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import ARTEFACTS, REPO

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ESSAY = "/essays/the-kitchen-table/"

CHARACTERS_PER_LINE = """() => {
  let characters = 0, lines = 0;
  for (const p of document.querySelectorAll('.essay-body > p')) {
    const n = Math.round(p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight));
    if (n >= 3) { characters += p.textContent.length; lines += n; }
  }
  return characters / lines;
}"""
BACKGROUND_LUMINANCE = """() => {
  const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}"""


def open_page(browser, url: str, width: int = 1280, scheme: str = "light"):
    """A fresh page that records console errors and every request that leaves 127.0.0.1."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    page.console_errors = []
    page.outside_requests = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))

    def note_request(request):
        if urlparse(request.url).hostname != "127.0.0.1":
            page.outside_requests.append(request.url)

    page.on("request", note_request)
    page.goto(url, wait_until="networkidle")
    return page


@pytest.mark.parametrize("path", ["/", ESSAY, "/archives/", "/archives/2026/", "/tags/", "/about/"])
def test_page_renders_without_errors_or_outside_requests(browser, served_site, path):
    page = open_page(browser, served_site + path)
    assert page.console_errors == []
    assert page.outside_requests == []
    assert page.locator("h1").count() == 1
    page.context.close()


def test_dark_mode_follows_the_system_setting(browser, served_site):
    light = open_page(browser, served_site + ESSAY, scheme="light")
    dark = open_page(browser, served_site + ESSAY, scheme="dark")
    assert light.evaluate(BACKGROUND_LUMINANCE) > 0.9
    assert dark.evaluate(BACKGROUND_LUMINANCE) < 0.2
    light.context.close()
    dark.context.close()


def test_essay_is_set_at_a_readable_measure(browser, served_site):
    page = open_page(browser, served_site + ESSAY, width=1280)
    assert 60 <= page.evaluate(CHARACTERS_PER_LINE) <= 75
    page.context.close()


def test_narrow_screen_has_no_sideways_scrolling(browser, served_site):
    page = open_page(browser, served_site + ESSAY, width=320)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.context.close()


def test_skip_link_is_first_and_reaches_the_content(browser, served_site):
    page = open_page(browser, served_site + ESSAY)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    page.context.close()


def test_everything_is_there_without_javascript(browser, served_site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(served_site + ESSAY)
    assert page.locator("#reflections-heading").inner_text().endswith("reflections on “The Kitchen Table”")
    assert page.locator("article.reflection").count() >= 3
    form = page.locator("form#reflect")
    assert form.get_attribute("method") == "post"
    assert form.get_attribute("action") == "/reflections/submit"
    for name in (
        "essay",
        "parent",
        "name",
        "email",
        "notify",
        "body",
        "content_note",
        "visibility",
        "website",
    ):
        assert form.locator(f'[name="{name}"]').count() >= 1, name
    page.locator("details.content-note summary").first.click()
    assert page.locator("details.content-note").first.get_attribute("open") is not None
    context.close()


def test_reply_link_fills_the_parent_when_scripts_run(browser, served_site):
    page = open_page(browser, served_site + ESSAY)
    link = page.locator("[data-reply]").first
    reply_to, name = link.get_attribute("data-reply"), link.get_attribute("data-name")
    link.click()
    assert page.locator("#reflect-parent").input_value() == reply_to
    assert page.locator("#reflect-replying").inner_text().startswith(f"Replying to \u2068{name}\u2069")
    assert page.locator("#reflect-heading").inner_text() == f"Your reply to \u2068{name}\u2069"
    assert page.locator("#reflect button[type=submit]").inner_text() == "Send your reply"
    assert page.locator("#reflect-body-label").inner_text() == "Your reply"
    assert page.evaluate("document.activeElement.id") == "reflect-body"
    # The reply can be taken back: a reflection on the essay again.
    page.click("text=Write a reflection instead")
    assert page.locator("#reflect-parent").input_value() == ""
    assert page.locator("#reflect-replying").is_hidden()
    assert page.locator("#reflect-heading").inner_text() == "Add your reflection"
    assert page.locator("#reflect button[type=submit]").inner_text() == "Send your reflection"
    assert page.locator("#reflect-body-label").inner_text() == "Your reflection"
    fresh = open_page(browser, f"{served_site}{ESSAY}?reply={reply_to}#reflect")
    assert fresh.locator("#reflect-parent").input_value() == reply_to
    assert fresh.console_errors == []
    page.context.close()
    fresh.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["/", ESSAY])
def test_axe_finds_no_violations(browser, served_site, path, scheme):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (run `npm ci`; `make test` does it when npm exists)")
    page = open_page(browser, served_site + path, scheme=scheme)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    violations = [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]
    assert violations == []
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 375])
def test_screenshots_are_saved_for_review(browser, served_site, width, scheme):
    folder = Path(ARTEFACTS) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page = open_page(browser, served_site + ESSAY, width=width, scheme=scheme)
    target = folder / f"essay-{width}-{scheme}.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
    page.context.close()


@pytest.fixture(scope="module")
def long_thread(tmp_path_factory):
    """This project's site with fifty reflections (and a run of replies) on one essay, served."""
    from datetime import UTC, datetime, timedelta
    from http.server import ThreadingHTTPServer

    from conftest import QuietHandler, build_site, copy_site
    from pelican.plugins.reflections.core import published
    from pelican.plugins.reflections.core.published import PublishedItem

    root = copy_site(tmp_path_factory.mktemp("long-thread") / "site")
    slug = ESSAY.strip("/").split("/")[-1]
    start = datetime(2026, 6, 1, tzinfo=UTC)
    words = "I read this twice, and the second time the kitchen table was mine. " * 6
    for number in range(50):
        parent = "t000000" if 40 <= number else ""
        published.write(
            root / "content" / "reflections",
            PublishedItem(
                id=f"t{number:06d}",
                essay=slug,
                kind="comment" if parent else "reflection",
                date=start + timedelta(minutes=number),
                body=f"Reflection {number}. {words}",
                author=f"Reader {number}",
                parent=parent,
            ),
        )
    result = build_site(root / "pelicanconf.py", root / "output", root / "cache", cwd=root)
    assert result.returncode == 0, result.stderr
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root / "output"))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_long_thread_folds_without_javascript_and_stays_shorter_than_the_page_allows(browser, long_thread):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.goto(long_thread + ESSAY)
    height = page.evaluate("document.documentElement.scrollHeight")
    page.evaluate(
        "document.querySelectorAll('#reflections .thread, .more-reflections').forEach(e => e.remove())"
    )
    without = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 2.5 * without, (height, without)
    page.goto(long_thread + ESSAY)
    more = page.locator(".more-reflections > summary")
    folded = int(more.inner_text().removesuffix(" more reflections"))
    assert folded == page.locator("ol.thread > li").count() - 10 and folded >= 30
    assert page.locator("#r-t000039").is_hidden()
    more.click()
    assert page.locator("#r-t000039").is_visible()
    replies = page.locator(".more-replies > summary")
    assert replies.inner_text() == "7 more replies to Reader 0"
    assert page.locator("#r-t000049").is_hidden()
    replies.click()
    assert page.locator("#r-t000049").is_visible()
    # Reflections read as readers' words, not as more of the essay.
    essay_size = page.evaluate("getComputedStyle(document.querySelector('.essay-body p')).fontSize")
    reflection_size = page.evaluate("getComputedStyle(document.querySelector('.reflection-body p')).fontSize")
    assert essay_size != reflection_size
    context.close()


def test_a_link_to_a_folded_reflection_opens_its_fold(browser, long_thread):
    page = open_page(browser, f"{long_thread}{ESSAY}#r-t000047")
    assert page.locator("#r-t000047").is_visible()
    assert page.console_errors == []
    page.context.close()


FORM_HEIGHT = """() => {
  const heading = document.getElementById('reflect-heading').getBoundingClientRect();
  const send = document.querySelector('#reflect button[type=submit]').getBoundingClientRect();
  return send.bottom - heading.top;
}"""
SHOWN_CONTROLS = """() => Array.from(
  document.querySelectorAll('#reflect :is(input, textarea, select, button)'))
  .filter(control => control.type !== 'hidden' && control.checkVisibility())
  .map(control => control.name || control.type)"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_the_form_from_its_heading_to_send_fits_in_one_screen(browser, served_site, scheme):
    context = browser.new_context(viewport={"width": 375, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    page.goto(served_site + ESSAY, wait_until="networkidle")
    # A reader who only wants to say thank you sees the words, the name and Send, nothing more.
    assert page.evaluate(SHOWN_CONTROLS) == ["body", "name", "submit"]
    assert page.evaluate(FORM_HEIGHT) <= 800
    more = page.locator("#reflect details.more-ways")
    assert more.locator("summary").inner_text() == (
        "More ways to send this: privately, about one passage, with a content note, to be told of a reply"
    )
    more.locator("summary").click()
    assert set(page.evaluate(SHOWN_CONTROLS)) >= {
        "visibility",
        "passage",
        "quote",
        "content_note",
        "email",
        "notify",
    }
    # The passage select is drawn like the other inputs: the same width, border and font.
    looks = page.evaluate("""() => ['reflect-passage', 'reflect-quote'].map(id => {
      const style = getComputedStyle(document.getElementById(id));
      return [document.getElementById(id).getBoundingClientRect().width, style.borderTopWidth,
              style.borderTopColor, style.borderRadius, style.fontFamily, style.fontSize];
    })""")
    assert looks[0] == looks[1]
    page.screenshot(path=str(Path(ARTEFACTS) / f"form-375-{scheme}.png"))
    context.close()
