"""The service's defences over real HTTP: sessions that end, security headers everywhere, bodies
bounded before they are read, safe mailto links, paused logins and the one-time way in."""

import os
import re
import subprocess

import httpx
import pytest
from conftest import (
    AUTHOR_PASSWORD,
    MODERATE,
    REFLECTIONS,
    RunningService,
    author_client,
    copy_site,
    csrf_of,
    running_for_the_author,
    submit_reflection,
    with_password,
)
from pelican.plugins.reflections.service.state import mailto

ESSAY = "learning-to-stay"
PASSWORD = AUTHOR_PASSWORD


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_for_the_author(tmp_path_factory.mktemp("security")) as running:
        yield running


def logged_in(service) -> httpx.Client:
    return author_client(service.base)


def copy_of(client: httpx.Client, service) -> httpx.Client:
    """Another browser holding the same cookie (one that was copied or captured)."""
    return httpx.Client(base_url=service.base, cookies=dict(client.cookies))


def sees_the_queue(client: httpx.Client) -> bool:
    return "Waiting for you" in client.get(MODERATE).text


def test_logout_ends_the_session_for_every_copy_of_its_cookie(service):
    author = logged_in(service)
    copied = copy_of(author, service)
    assert sees_the_queue(author) and sees_the_queue(copied)
    author.post(f"{MODERATE}/logout", data={"csrf": csrf_of(author.get(MODERATE).text)})
    assert not sees_the_queue(copied)


def test_log_out_everywhere_and_a_new_password_end_every_session(service):
    laptop, phone = logged_in(service), logged_in(service)
    laptop.post(f"{MODERATE}/logout", data={"csrf": csrf_of(laptop.get(MODERATE).text), "everywhere": "1"})
    assert not sees_the_queue(phone)
    tablet = logged_in(service)
    assert service.cli("set-password", "--password-stdin", input=PASSWORD + "\n").returncode == 0
    assert not sees_the_queue(tablet)


@pytest.mark.parametrize("path", ["/login", "/logout", "/act"])
def test_every_moderation_form_is_bounded_before_it_is_read(service, path):
    answer = httpx.post(
        f"{service.base}{MODERATE}{path}",
        content=b"a" * (2 * 1024 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 413


@pytest.mark.parametrize(
    "path",
    [
        MODERATE,
        f"{MODERATE}/log",
        "/reflections/health",
        "/reflections/withdraw/forged",
        f"/reflections/reply/{ESSAY}/nope",
        "/reflections/token?essay=nope",
        "/reflections/no-such-page",
    ],
)
def test_every_service_response_has_the_security_headers(service, path):
    headers = httpx.get(service.base + path).headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/", f"/essays/{ESSAY}/", "/theme/css/withness.css", "/no-such-page/"])
def test_the_site_is_served_with_its_documented_policy(service, path):
    headers = httpx.get(service.base + path).headers
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert "object-src 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_mailto_links_carry_a_plain_address_and_nothing_else():
    sly = "x?cc=spy%40evil.example&body=hello@example.org"
    link = mailto(sly, "Your reflection")
    assert "?cc=" not in link and "&body=" not in link and link.count("?") == 1
    assert link.startswith("mailto:x%3Fcc%3Dspy%2540evil.example%26body%3Dhello@example.org?subject=")
    assert mailto("reader@example.org", "Hi there") == "mailto:reader@example.org?subject=Hi%20there"
    assert mailto("not an address") == ""


def test_the_private_view_never_adds_headers_to_the_authors_mail(service):
    sly = "x?cc=spy%40evil.example&body=hello@example.org"
    submit_reflection(service.base, ESSAY, "Only for you.", visibility="private", email=sly)
    page = logged_in(service).get(f"{MODERATE}?view=private").text
    hrefs = re.findall(r'href="(mailto:[^"]+)"', page)
    assert hrefs and all("?cc=" not in href and "&amp;body=" not in href for href in hrefs)


def test_paused_logins_let_the_author_in_by_a_one_time_link(tmp_path):
    running = RunningService(
        copy_site(tmp_path / "site"),
        tmp_path / "service.log",
        REFLECTIONS_LOGIN_RATE_LIMITS="1000/minute",
        REFLECTIONS_LOGIN_GLOBAL_RATE_LIMITS="3/hour",
    )
    with_password(running).start()
    try:
        guesser = httpx.Client(base_url=running.base)
        statuses = []
        for number in range(5):  # as if from many addresses: only the global limit counts here
            csrf = csrf_of(guesser.get(MODERATE).text)
            statuses.append(
                guesser.post(f"{MODERATE}/login", data={"csrf": csrf, "password": f"guess {number}"})
            )
        assert [answer.status_code for answer in statuses] == [401, 401, 401, 429, 429]
        author = httpx.Client(base_url=running.base)
        answer = author.post(
            f"{MODERATE}/login", data={"csrf": csrf_of(author.get(MODERATE).text), "password": PASSWORD}
        )
        assert answer.status_code == 429 and "reflections login-link" in answer.text
        link = running.cli("login-link", "--port", str(running.port)).stdout.strip()
        assert link.startswith(running.base + f"{MODERATE}/enter/")
        assert author.get(link).status_code == 303 and sees_the_queue(author)
        assert httpx.get(link).status_code == 404  # spent
    finally:
        running.stop()


def test_a_refused_form_never_carries_another_visitors_cookie(service):
    """Each refusal is its own response: the author's session cookie, set on one, must never ride
    along on the answer a stranger gets next."""
    author = logged_in(service)
    too_big = {
        "content": b"a" * (2 * 1024 * 1024),
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
    }
    assert author.post(f"{MODERATE}/act", **too_big).status_code == 413
    stranger = httpx.post(f"{service.base}{MODERATE}/login", **too_big)
    assert stranger.status_code == 413
    assert author.cookies["withness_author"] not in stranger.headers.get("set-cookie", "")
    assert len(stranger.headers.get_list("content-security-policy")) == 1


def test_over_https_the_secure_attribute_is_added_by_attribute_not_by_a_word_in_a_value():
    from pelican.plugins.reflections.service.headers import _secure_cookies
    from starlette.datastructures import MutableHeaders

    headers = MutableHeaders(
        raw=[(b"set-cookie", b"a=insecure; Path=/"), (b"set-cookie", b"b=1; Path=/; Secure")]
    )
    _secure_cookies(headers)
    assert headers.getlist("set-cookie") == ["a=insecure; Path=/; Secure", "b=1; Path=/; Secure"]


THEME_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://code.jquery.com; font-src https:"
)


@pytest.mark.parametrize("chosen", [THEME_POLICY, "none"])
def test_a_sites_own_policy_reaches_its_pages_and_never_the_services(tmp_path, chosen):
    """REFLECTIONS_SITE_CSP for a theme with inline scripts and CDN files: its pages get that
    policy (or none), while the service's own pages keep their strict one."""
    with running_for_the_author(tmp_path, REFLECTIONS_SITE_CSP=chosen) as running:
        site = httpx.get(f"{running.base}/essays/{ESSAY}/").headers
        service_page = httpx.get(f"{running.base}/reflections/moderate").headers
    if chosen == "none":
        assert "content-security-policy" not in site
    else:
        assert site["content-security-policy"] == THEME_POLICY
    assert site["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in service_page["content-security-policy"]
    assert "frame-ancestors 'none'" in service_page["content-security-policy"]


def test_a_site_policy_that_would_break_a_recipe_is_one_line(tmp_path):
    root = copy_site(tmp_path / "site")
    done = subprocess.run(
        [REFLECTIONS, "recipe", "nginx"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "REFLECTIONS_SITE": str(root), "REFLECTIONS_SITE_CSP": 'default-src "self"'},
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "REFLECTIONS_SITE_CSP" in done.stderr
