"""Webmentions through the real service, from blogs served on this machine: discovered from the
essay page, verified in the background, pending until the author approves, shown with their
source, updated when the source changes, taken off when it is gone; and every way a request or a
source can be wrong ends in a clear status, never a 5xx."""

import json
import re
from urllib.parse import urljoin

import httpx
import pytest
from conftest import author_client, csrf_of, fetch, running_for_the_author, submit_reflection, wait_for
from other_sites import OtherSite, fixture

ESSAY = "learning-to-stay"


@pytest.fixture(scope="module")
def other():
    site = OtherSite()
    yield site
    site.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_for_the_author(
        tmp_path_factory.mktemp("webmentions"),
        REFLECTIONS_FETCH_ALLOW_LOOPBACK="1",
        REFLECTIONS_REPLIES_INTERVAL="0.2",
        REFLECTIONS_MENTION_RATE_LIMITS="1000/minute",
        REFLECTIONS_MENTION_GLOBAL_RATE_LIMITS="1000/minute",
    ) as running:
        running.published()
        yield running


def essay_address(service) -> str:
    return f"{service.base}/essays/{ESSAY}/"


def endpoint_of(address: str) -> str:
    """The webmention endpoint, discovered as a sender does: the Link header, else the page's
    first <link> or <a> with rel="webmention"."""
    answer = httpx.get(address)
    assert answer.status_code == 200
    header = re.search(r'<([^>]*)>\s*;\s*rel="?webmention"?', answer.headers.get("link", ""))
    found = (
        header.group(1)
        if header
        else re.search(r'<link rel="webmention" href="([^"]*)"', answer.text).group(1)
    )
    return urljoin(address, found)


def send(service, source: str, target: str | None = None) -> httpx.Response:
    return httpx.post(
        endpoint_of(essay_address(service)),
        data={"source": source, "target": target or essay_address(service)},
    )


def settled(service, answer: httpx.Response) -> str:
    """The status page's words once the mention is checked."""
    assert answer.status_code == 202, answer.text
    status = urljoin(service.base, answer.headers["location"])

    def page() -> str | None:
        text = httpx.get(status).text
        return None if "Received: it will be checked soon." in text else text

    return wait_for(page, 30)


def queued(service) -> list[dict]:
    return json.loads(service.cli("queue", "--json").stdout)


def test_an_essay_page_names_its_endpoint_in_the_head_and_the_header(service):
    answer = httpx.get(essay_address(service))
    assert answer.headers["link"] == '</reflections/webmention>; rel="webmention"'
    head = answer.text.split("</head>", 1)[0]
    assert '<link rel="webmention" href="/reflections/webmention">' in head
    assert "link" not in httpx.get(f"{service.base}/").headers  # not on pages that are not essays


def test_a_reply_from_a_blog_waits_then_shows_with_its_source_then_goes_when_deleted(service, other):
    words = "The question at the end has been sitting with me for a week."
    source = other.put(
        "/2026/03/re-learning-to-stay/",
        fixture("reply-wordpress.html", target=essay_address(service), words=words),
    )
    status = settled(service, send(service, source))
    assert "Checked: it reached the author." in status
    item = next(row for row in queued(service) if row["source"] == source)
    assert (item["state"], item["origin"], item["name"]) == ("pending", "webmention", "Marit Hollis")
    service.published()
    assert words not in fetch(essay_address(service))[1]  # nothing before the author approves

    approved = service.cli("approve", item["id"])
    assert approved.returncode == 0, approved.stderr
    service.published()
    page = fetch(essay_address(service))[1]
    article = page[page.index(f'id="r-{item["id"]}"') :].split("</article>", 1)[0]
    assert words in article
    assert (
        f'<a class="reflection-elsewhere" href="{source}" rel="nofollow ugc noopener">on their blog</a>'
        in article
    )
    assert (
        '<a class="reflection-name" href="https://hill.example/author/marit/" rel="nofollow ugc noopener">'
        in article
    )
    assert "<img" not in article and "gravatar" not in page and "table.jpg" not in page

    # Edited at its source: the page follows.
    edited = "The question at the end has been sitting with me for two weeks now."
    other.put(
        "/2026/03/re-learning-to-stay/",
        fixture("reply-wordpress.html", target=essay_address(service), words=edited),
    )
    assert "the text was updated from its source" in settled(service, send(service, source))
    service.published()
    assert edited in fetch(essay_address(service))[1]

    # Deleted at its source (410): taken off the site, and the log says why.
    other.put("/2026/03/re-learning-to-stay/", "This post is gone.", status=410, content_type="text/plain")
    assert "Taken off the site" in settled(service, send(service, source))
    service.published()
    assert edited not in fetch(essay_address(service))[1]
    shown = service.cli("show", item["id"]).stdout
    assert "state: withdrawn" in shown
    assert "withdrawn by webmention: the source answers 410 Gone" in shown  # the item's log


def test_a_source_that_stops_linking_is_taken_off(service, other):
    words = "A note that once answered the essay."
    source = other.put(
        "/notes/answer.html",
        fixture("reply-microblog.html", home=other.url("/"), target=essay_address(service), words=words),
    )
    assert "Checked" in settled(service, send(service, source))
    item = next(row for row in queued(service) if row["source"] == source)
    assert item["name"] == "Ade Okafor"
    assert service.cli("approve", item["id"]).returncode == 0
    service.published()
    assert words in fetch(essay_address(service))[1]
    other.put("/notes/answer.html", "<p>I took the link out.</p>")
    assert "Taken off the site" in settled(service, send(service, source))
    service.published()
    assert words not in fetch(essay_address(service))[1]


def test_the_moderation_page_filters_them_and_shows_their_source(service, other):
    words = "Written on my own blog, for the moderation page."
    source = other.put(
        "/notes/for-the-desk.html",
        fixture("reply-microblog.html", home=other.url("/"), target=essay_address(service), words=words),
    )
    assert "Checked" in settled(service, send(service, source))
    from_the_form = submit_reflection(service.base, ESSAY, "Sent through the form, for the moderation page.")
    client = author_client(service.base)
    elsewhere = client.get("/reflections/moderate", params={"origin": "webmention"}).text
    assert words in elsewhere and "Sent through the form, for the moderation page." not in elsewhere
    assert f'on their blog: <a href="{source}" rel="nofollow ugc noopener">{source}</a>' in elsewhere
    assert "Your response appears on this site only, not where the reply was written." in elsewhere
    here = client.get("/reflections/moderate", params={"origin": "here"}).text
    assert words not in here and f'id="m-{from_the_form}"' in here
    assert words in client.get("/reflections/moderate", params={"origin": "elsewhere"}).text


def test_a_like_is_counted_never_shown(service, other):
    source = other.put("/likes/1", fixture("like.html", home=other.url("/"), target=essay_address(service)))
    assert "Checked" in settled(service, send(service, source))
    assert not [row for row in queued(service) if row["source"] == source]


@pytest.mark.parametrize(
    "data, words",
    [
        ({}, "needs both a source and a target"),
        ({"source": "https://a.example/p"}, "needs both a source and a target"),
        ({"source": "ftp://a.example/p", "target": "TARGET"}, "must both be http or https"),
        ({"source": "javascript:alert(1)", "target": "TARGET"}, "must both be http or https"),
        ({"source": "TARGET", "target": "TARGET"}, "must be different pages"),
        ({"source": "BASE/essays/the-kitchen-table/", "target": "TARGET"}, "a page of this site"),
        ({"source": "https://u:p@a.example/p", "target": "TARGET"}, "must both be http or https"),
        (
            {"source": "https://a.example/p", "target": "https://elsewhere.example/essays/learning-to-stay/"},
            "not an essay of this site",
        ),
        (
            {"source": "https://a.example/p", "target": "BASE/essays/no-such-essay/"},
            "not an essay of this site",
        ),
        ({"source": "https://a.example/" + "p" * 3000, "target": "TARGET"}, "at most 2000 characters"),
    ],
)
def test_a_malformed_webmention_gets_a_400_in_words(service, data, words):
    filled = {
        key: value.replace("TARGET", essay_address(service)).replace("BASE", service.base)
        for key, value in data.items()
    }
    answer = httpx.post(f"{service.base}/reflections/webmention", data=filled)
    assert answer.status_code == 400
    assert words in answer.text
    assert "Traceback" not in answer.text


def test_json_is_not_a_webmention(service):
    answer = httpx.post(
        f"{service.base}/reflections/webmention",
        json={"source": "https://a.example/", "target": essay_address(service)},
    )
    assert answer.status_code == 400 and "form-encoded" in answer.text


@pytest.mark.parametrize(
    "path, put, words",
    [
        (
            "/private-redirect",
            {"body": "", "status": 302, "headers": {"Location": "http://192.168.0.10/"}},
            "192.168.0.10 is a private address",
        ),
        ("/huge", {"body": "<p>" + "x" * 20_000_000 + "</p>"}, "larger than 1,000,000 bytes"),
        ("/json", {"body": "{}", "content_type": "application/json"}, "not text/html"),
        ("/missing", None, "the source answered 404"),
        ("/no-link", {"body": "<p>Nothing about the essay.</p>"}, "does not link to the essay"),
        ("/deep", {"body": "<div>" * 80_000 + "</div>" * 80_000}, "more than 256 levels deep"),
    ],
)
def test_a_source_that_cannot_be_taken_says_why_and_queues_nothing(service, other, path, put, words):
    if put is not None:
        other.put(path, **put)
    before = len(queued(service))
    status = settled(service, send(service, other.url(path)))
    assert "Not taken." in status and words in status
    assert len(queued(service)) == before
    log = author_client(service.base).get("/reflections/moderate/log").text
    assert other.url(path) in log and words in log  # the moderation log says so too
    assert service.health()["store"] == "ok" if "store" in service.health() else True


def test_a_flood_is_refused_with_429_and_fetches_nothing(tmp_path, other):
    with running_for_the_author(
        tmp_path,
        REFLECTIONS_FETCH_ALLOW_LOOPBACK="1",
        REFLECTIONS_REPLIES_INTERVAL="0.2",
        REFLECTIONS_MENTION_RATE_LIMITS="2/minute",
        REFLECTIONS_MENTION_GLOBAL_RATE_LIMITS="3/minute",
    ) as flooded:
        target = f"{flooded.base}/essays/{ESSAY}/"
        endpoint = f"{flooded.base}/reflections/webmention"
        answers = [
            httpx.post(endpoint, data={"source": other.url(f"/flood/{n}"), "target": target})
            for n in range(3)
        ]
        assert [a.status_code for a in answers] == [202, 202, 429]  # per host: 127.0.0.1
        assert answers[2].headers["retry-after"] == "60" and "send it again later" in answers[2].text
        other_host = other.url("/flood/other").replace("127.0.0.1", "localhost")
        assert httpx.post(endpoint, data={"source": other_host, "target": target}).status_code == 202
        last = httpx.post(endpoint, data={"source": "https://third.example/p", "target": target})
        assert last.status_code == 429  # every host together
        wait_for(lambda: other.asked("/flood/0") and other.asked("/flood/1"), 30)
        assert other.asked("/flood/2") == 0  # refused: never fetched


def test_a_blocked_site_s_later_mentions_are_kept_as_spam(service, other):
    def mention(path: str, words: str) -> dict:
        source = other.put(
            path,
            fixture("reply-microblog.html", home=other.url("/"), target=essay_address(service), words=words),
        )
        source = source.replace("127.0.0.1", "localhost")  # a site of its own, for its domain
        assert "Checked" in settled(service, send(service, source))
        return next(row for row in queued(service) if row["source"] == source)

    first = mention("/blocked/1.html", "A first mention from a site the author will block.")
    client = author_client(service.base)
    page = client.get("/reflections/moderate", params={"origin": "webmention"}).text
    assert "Block localhost" in page
    answer = client.post(
        "/reflections/moderate/act", data={"csrf": csrf_of(page), "id": first["id"], "action": "block_domain"}
    )
    assert answer.status_code == 303
    assert json.loads(service.cli("show", first["id"], "--json").stdout)["state"] == "spam"
    later = mention("/blocked/2.html", "A later mention from the blocked site.")
    assert later["state"] == "spam" and "blocked" in later["flags"]
