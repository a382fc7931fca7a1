"""Every hostile payload published as reflections, then loaded in Chromium: nothing may fire."""

import functools
import shutil
import threading
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer

import pytest
from conftest import QuietHandler, build_site, copy_site, essay_slugs
from reflections import published
from reflections.published import PublishedItem
from test_sanitizer import HOSTILE, XSS_CORPUS

# Runs before any script of the page: records every dialog and any write to window.__pwn.
INSTRUMENT = """
window.__fired = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__fired.push(name + ": " + String(args[0])); };
}
Object.defineProperty(window, "__pwn", {
  set(value) { window.__fired.push("__pwn = " + String(value)); },
  get() { return undefined; },
});
"""


def payloads() -> list[str]:
    found = list(HOSTILE)
    if XSS_CORPUS.exists():
        found += [line for line in XSS_CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return found


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    root = copy_site(tmp_path_factory.mktemp("hostile") / "site")
    shutil.rmtree(root / "content" / "reflections")
    slugs = essay_slugs()
    start = datetime(2026, 6, 1, tzinfo=UTC)
    previous: dict[str, str] = {}
    for number, payload in enumerate(payloads()):
        essay = slugs[number % len(slugs)]
        item = PublishedItem(
            id=f"x{number:06d}",
            essay=essay,
            kind=("reflection", "comment", "response")[number % 3],
            date=start + timedelta(minutes=number),
            body=payload,
            author=payload[: published.MAX_AUTHOR],
            content_note=payload[: published.MAX_CONTENT_NOTE] if number % 2 else "",
            parent=previous.get(essay, "") if number % 3 else "",
        )
        published.write(root / "content" / "reflections", item)
        previous[essay] = item.id
    result = build_site(root / "pelicanconf.py", root / "output", root / "cache", cwd=root)
    assert result.returncode == 0, result.stderr
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root / "output"))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", slugs
    server.shutdown()


def visit(browser, url: str) -> list[str]:
    context = browser.new_context()
    context.add_init_script(INSTRUMENT)
    # Nothing may leave the machine: a payload pointing elsewhere is answered with nothing.
    context.route(
        "**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort()
    )
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.dismiss())
    page.goto(url, wait_until="load")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    page.mouse.move(200, 200)
    page.wait_for_timeout(300)
    fired = page.evaluate("window.__fired")
    context.close()
    return fired


def test_no_payload_fires_on_any_essay_page(browser, hostile_site):
    base, slugs = hostile_site
    assert len(payloads()) >= len(HOSTILE)
    for slug in slugs:
        assert visit(browser, f"{base}/essays/{slug}/") == [], slug


def test_no_payload_fires_on_the_lists_and_feeds(browser, hostile_site):
    base, _ = hostile_site
    for path in ("/", "/archives/", "/feeds/reflections.atom.xml"):
        assert visit(browser, base + path) == [], path


def test_the_instrument_would_notice_a_payload_that_ran(browser, hostile_site):
    base, _ = hostile_site
    context = browser.new_context()
    context.add_init_script(INSTRUMENT)
    page = context.new_page()
    page.goto(base + "/")
    page.evaluate("alert('probe'); window.__pwn = 1")
    assert page.evaluate("window.__fired") == ["alert: probe", "__pwn = 1"]
    context.close()
