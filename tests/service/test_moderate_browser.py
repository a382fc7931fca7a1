"""The moderation pages in Chromium: the author's round, accessibility, and hostile text inert."""

import json

import pytest
from conftest import REPO, RunningService, copy_site
from pelican.plugins.reflections.core.published import new_id
from pelican.plugins.reflections.store import Reflection, Store, body_hash, now
from test_moderate import PASSWORD, submit
from test_xss_browser import INSTRUMENT, payloads

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ESSAY = "learning-to-stay"


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    root = copy_site(tmp_path_factory.mktemp("moderate-browser") / "site")
    running = RunningService(
        root,
        root.parent / "service.log",
        REFLECTIONS_TOKEN_MIN_SECONDS="0",
        REFLECTIONS_RATE_LIMITS="1000/minute",
    )
    running.cli("set-password", "--password-stdin", input=PASSWORD + "\n")
    yield running.start()
    running.stop()


def logged_in(browser, service, width: int = 1280, bypass_csp: bool = False):
    # bypass_csp only to inject axe-core: the service's policy rightly refuses inline scripts.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=bypass_csp)
    context.add_init_script(INSTRUMENT)
    page = context.new_page()
    page.goto(f"{service.base}/reflections/moderate")
    page.fill("#password", PASSWORD)
    page.click("text=Log in")
    assert page.locator("h1").inner_text() == "Waiting for you"
    return page


def card(page, item):
    return page.locator(f"#m-{item}")


def test_the_authors_round_from_login_to_logout(browser, service):
    approve, edit, respond, reject, spam, bulk_a, bulk_b = (
        submit(service, f"Round item {n}: {name}.")
        for n, name in enumerate(
            ["approve me", "edit me", "answer me", "reject me", "spam me", "bulk a", "bulk b"]
        )
    )
    page = logged_in(browser, service)
    card(page, approve).locator("button[value=approve]").click()
    notice = page.locator(".notice").inner_text()
    assert (
        "’s reflection on “\u2068Learning to Stay\u2069” is approved; it will be on the site in a moment."
        in notice
    )
    assert approve not in notice
    card(page, edit).locator("summary", has_text="Approve with edits").click()
    card(page, edit).locator(f"#m-{edit}-edit").fill("Round item 1: edited by the author.")
    card(page, edit).locator("button[value=approve_with_edit]").click()
    card(page, respond).locator("summary", has_text="Respond").click()
    card(page, respond).locator(f"#m-{respond}-respond").fill("Thank you for this, from the author.")
    card(page, respond).locator("button[value=respond]").click()
    card(page, reject).locator("button[value=reject]").click()
    card(page, spam).locator("button[value=spam]").click()
    page.check(f"#m-{bulk_a}-pick")
    page.check(f"#m-{bulk_b}-pick")
    page.select_option("#bulk-action", "approve")
    page.click("text=Apply")
    states = {row["id"]: row["state"] for row in json.loads(service.cli("queue", "--json").stdout)}
    assert [states[i] for i in (approve, edit, respond, reject, spam, bulk_a, bulk_b)] == [
        "approved",
        "approved",
        "approved",
        "rejected",
        "spam",
        "approved",
        "approved",
    ]
    service.published()
    page.goto(f"{service.base}/essays/{ESSAY}/")
    text = page.locator("#reflections").inner_text()
    assert "Round item 0: approve me." in text and "Round item 1: edited by the author." in text
    assert "Thank you for this, from the author." in text and "Round item 3" not in text
    page.goto(f"{service.base}/reflections/moderate")
    page.click("text=Log out")
    assert page.locator("#password").count() == 1
    assert page.evaluate("window.__fired") == []
    page.context.close()


@pytest.mark.parametrize("path", ["", "?view=published", "/log"])
def test_moderation_pages_have_no_axe_violations_and_fit_375_px(browser, service, path):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (run `npm ci`; `make test` does it when npm exists)")
    submit(service, f"An item so the page is not empty {path}.", content_note="grief")
    page = logged_in(browser, service, width=375, bypass_csp=True)
    page.goto(f"{service.base}/reflections/moderate{path}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]] == []
    page.context.close()


def test_every_hostile_payload_in_the_queue_stays_inert(browser, service, tmp_path):
    store = Store(f"sqlite:///{service.root / 'reflections.db'}")
    rows = []
    for number, payload in enumerate(payloads()):
        rows.append(
            Reflection(
                id=new_id(),
                essay=f"hostile-{number % 6}",
                body=payload,
                name=payload[:80],
                content_note=payload[:120],
                body_hash=body_hash(payload),
                created=now(),
                email="x@private.example",
            )
        )
    store.add_many(rows, actor="test")
    page = logged_in(browser, service)
    page.context.route(
        "**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort()
    )
    for group in range(6):
        page.goto(f"{service.base}/reflections/moderate?essay=hostile-{group}", wait_until="load")
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        page.mouse.move(300, 300)
        assert page.evaluate("window.__fired") == [], group
    page.context.close()
