"""Lighthouse (the npm package, driving Debian's Chromium) over the essay, the index and every
service page a link can open: accessibility 100 everywhere, SEO 100 on the site's pages. The
service's pages are `noindex` on purpose (a received page's address is a reader's key), so there
SEO is every audit but "is crawlable". Pages reached only by a POST (the send step, a form with a
problem) are covered by axe in test_pages_audit.py.
"""

import json
import os
import subprocess

import httpx
import pytest
from conftest import CHROMIUM, MODERATE, REPO, author_client, running_for_the_author

#: A minute or more in all (`-m "not slow"` leaves it out of a quick run).
pytestmark = pytest.mark.slow(seconds=60)

LIGHTHOUSE = REPO / "node_modules" / ".bin" / "lighthouse"
ESSAY = "learning-to-stay"
PARENT = ("the-kitchen-table", "01JQ3Z7V5K8D2N4P6R8T0W2Y4A")


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    if not LIGHTHOUSE.exists():
        pytest.skip("lighthouse is not installed (run `npm ci`; `make test` does it when npm exists)")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (install the Debian package 'chromium')")
    with running_for_the_author(tmp_path_factory.mktemp("lighthouse")) as running:
        yield running


def lighthouse(url: str, folder, headers: dict | None = None) -> dict:
    report = folder / "report.json"
    command = [
        str(LIGHTHOUSE),
        url,
        "--only-categories=accessibility,seo",
        "--output=json",
        f"--output-path={report}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        "--quiet",
    ]
    if headers:
        command.append(f"--extra-headers={json.dumps(headers)}")
    result = subprocess.run(
        command, env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(report.read_text())


def audited(pages: dict[str, tuple[str, dict | None]], folder) -> dict[str, dict]:
    """Lighthouse's report of each page, three runs at a time (a run mostly waits on its browser)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(name: str) -> dict:
        (folder / name).mkdir()
        url, headers = pages[name]
        return lighthouse(url, folder / name, headers)

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(pages, pool.map(one, pages), strict=True))


def failing(report: dict, category: str) -> list[str]:
    audits = report["categories"][category]["auditRefs"]
    return [ref["id"] for ref in audits if ref["weight"] and (report["audits"][ref["id"]]["score"] or 0) < 1]


def test_the_site_s_pages_score_100_in_accessibility_and_seo(service, tmp_path):
    reports = audited(
        {"index": (service.base + "/", None), "essay": (f"{service.base}/essays/{PARENT[0]}/", None)},
        tmp_path,
    )
    for name, report in reports.items():
        assert failing(report, "accessibility") == [], name
        assert failing(report, "seo") == [], name


def test_every_service_page_scores_100_in_accessibility(service, tmp_path):
    form = httpx.post(
        service.base + "/reflections/submit",
        data={"essay": ESSAY, "body": "Words for Lighthouse, by the form."},
    )
    token = form.text.split('name="token" value="', 1)[1].split('"', 1)[0]
    sent = httpx.post(
        service.base + "/reflections/submit",
        data={"essay": ESSAY, "body": "Words for Lighthouse, by the form.", "token": token},
    )
    assert sent.status_code == 303
    received_path = sent.headers["location"]
    withdraw_path = received_path.replace("/received/", "/withdraw/")
    author = author_client(service.base)
    cookie = "; ".join(f"{name}={value}" for name, value in author.cookies.items())
    pages = {
        "reply": (f"/reflections/reply/{PARENT[0]}/{PARENT[1]}", None),
        "received": (received_path, None),
        "withdraw": (withdraw_path, None),
        "login": (MODERATE, None),
        "queue": (MODERATE, {"Cookie": cookie}),
        "private": (f"{MODERATE}?view=private", {"Cookie": cookie}),
        "log": (f"{MODERATE}/log", {"Cookie": cookie}),
    }
    reports = audited(
        {name: (service.base + path, headers) for name, (path, headers) in pages.items()}, tmp_path
    )
    for name, report in reports.items():
        assert failing(report, "accessibility") == [], name
        # noindex on purpose: nothing else in SEO may fail.
        assert failing(report, "seo") == ["is-crawlable"], name
    author.close()
