"""Sending webmentions for an essay's links: the endpoint each site names (its Link header, else
its page's first rel="webmention"), once per link and change of the essay, by the service itself
after a build (REFLECTIONS_SEND_WEBMENTIONS) and by `reflections webmention send`."""

from urllib.parse import parse_qs

import pytest
from conftest import RunningService, copy_site, wait_for, with_password
from other_sites import OtherSite
from pelican.plugins.reflections.core.links import outbound
from pelican.plugins.reflections.elsewhere.fetch import Fetched
from pelican.plugins.reflections.elsewhere.sending import endpoint_of

ESSAY = "learning-to-stay"
SITEURL = "https://site.example"


def page(headers: dict | None = None, html: str = "", url: str = "https://their.example/a/post") -> Fetched:
    return Fetched(url, 200, "text/html", html, headers or {})


def test_the_endpoint_a_site_names():
    assert endpoint_of(page({"Link": '</wm?k=1>; rel="webmention"'})) == "https://their.example/wm?k=1"
    assert endpoint_of(
        page({"Link": '<https://a.example/x>; rel="me", <https://e.example/wm>; rel="webmention other"'})
    ) == ("https://e.example/wm")
    first = (
        '<a href="/not-this">x</a><link rel="webmention" href="endpoint"><a rel="webmention" href="/second">'
    )
    assert endpoint_of(page(html=first)) == "https://their.example/a/endpoint"
    assert endpoint_of(page(html='<a rel="webmention" href="">self</a>')) == "https://their.example/a/post"
    assert endpoint_of(page(html="<p>no endpoint</p>")) is None


def test_an_essay_s_links_to_other_sites():
    html = '<p><a href="https://a.example/x#part">a</a> <a href="/mine">b</a> <a href="https://site.example/e/">c</a></p>'
    assert outbound(html, {"site.example"}) == ["https://a.example/x"]


@pytest.fixture(scope="module")
def other():
    site = OtherSite()
    site.put("/post-a", "<p>a</p>", headers={"Link": '</wm?key=1>; rel="webmention"'})
    site.put(
        "/post-b",
        f'<html><head><link rel="webmention" href="{site.url("/wm2")}"></head><body>b</body></html>',
    )
    site.put("/post-c", "<p>no endpoint here</p>")
    site.put("POST /wm?key=1", "", status=202, content_type="text/plain")
    site.put("POST /wm2", "", status=201, content_type="text/plain")
    yield site
    site.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory, other):
    root = copy_site(tmp_path_factory.mktemp("sending") / "site")
    with (root / "pelicanconf.py").open("a", encoding="utf-8") as settings:
        settings.write(f"\nSITEURL = {SITEURL!r}\nREFLECTIONS_SEND_WEBMENTIONS = True\n")
    essay = root / "content" / "essays" / f"{ESSAY}.md"
    links = " ".join(f"[{name}]({other.url('/post-' + name)})" for name in "abc")
    essay.write_text(essay.read_text(encoding="utf-8") + f"\nWhat others wrote: {links}.\n", encoding="utf-8")
    running = RunningService(
        root,
        root.parent / "service.log",
        REFLECTIONS_FETCH_ALLOW_LOOPBACK="1",
        REFLECTIONS_REPLIES_INTERVAL="0.2",
    )
    with_password(running).start()
    yield running
    running.stop()


def sent(other, path: str) -> list[dict]:
    return [parse_qs(body) for posted, body in other.posted if posted == path]


def test_the_service_tells_each_linked_site_once(service, other):
    source = f"{SITEURL}/essays/{ESSAY}/"
    wait_for(lambda: sent(other, "/wm?key=1") and sent(other, "/wm2"), 60)
    assert sent(other, "/wm?key=1") == [{"source": [source], "target": [other.url("/post-a")]}]
    assert sent(other, "/wm2") == [{"source": [source], "target": [other.url("/post-b")]}]
    said = service.cli("webmention", "send", "--dry-run")
    assert said.returncode == 0, said.stderr
    assert "Nothing to send" in said.stdout  # each link was told of this version of the essay
    assert len(other.posted) == 2


def test_a_changed_essay_tells_its_links_again_and_the_command_says_what_it_did(service, other):
    essay = service.root / "content" / "essays" / f"{ESSAY}.md"
    essay.write_text(
        essay.read_text(encoding="utf-8") + "\nOne more line, written later.\n", encoding="utf-8"
    )
    wait_for(lambda: len(sent(other, "/wm?key=1")) == 2 and len(sent(other, "/wm2")) == 2, 60)
    assert service.cli("webmention", "send").stdout.startswith("Nothing to send")
    wrong = service.cli("webmention", "send", "--essay", "no-such-essay")
    assert wrong.returncode != 0 and "no essay has the slug 'no-such-essay'" in wrong.stderr
