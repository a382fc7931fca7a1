"""Replies on Mastodon and Bluesky through the real service, from an instance and an AppView served
on this machine in the shapes their APIs document: read on the service's own schedule, pending
until approved, shown with their label and source, updated when edited, taken off when deleted;
private replies, the announcing account's own, deleted, blocked and logged-in-only posts never
taken; no avatar ever in a page."""

import json

import html5lib
import pytest
from conftest import HOSTILE, fetch, running_for_the_author, wait_for
from other_sites import OtherSite, fixture

pytestmark = pytest.mark.slow(seconds=55)
ESSAY = "learning-to-stay"
ROOT = "111000000000000001"
CONTEXT = f"/api/v1/statuses/{ROOT}/context"
THREAD = "/xrpc/app.bsky.feed.getPostThread"
NORA = "Nora wrote back the same evening."
INES = "Ines kept it open all morning."


def as_json_text(value: str) -> str:
    return json.dumps(value)[1:-1]


@pytest.fixture(scope="module")
def other():
    site = OtherSite()
    yield site
    site.close()


def put_context(other, nora: str = NORA, without: tuple[str, ...] = ()) -> None:
    data = json.loads(
        fixture(
            "mastodon-context.json",
            instance=other.base,
            nora_words=as_json_text(nora),
            hostile=as_json_text(HOSTILE[1] + " " + HOSTILE[0]),
        )
    )
    data["descendants"] = [status for status in data["descendants"] if status["id"] not in without]
    other.put(CONTEXT, json.dumps(data), content_type="application/json; charset=utf-8")


def put_thread(other, ines: str = INES) -> None:
    other.put(
        THREAD,
        fixture("bluesky-thread.json", ines_words=as_json_text(ines), hostile=as_json_text(HOSTILE[2])),
        content_type="application/json",
    )


@pytest.fixture(scope="module")
def service(tmp_path_factory, other):
    put_context(other)
    put_thread(other)
    folder = tmp_path_factory.mktemp("replies")
    with running_for_the_author(
        folder,
        REFLECTIONS_FETCH_ALLOW_LOOPBACK="1",
        REFLECTIONS_REPLIES_INTERVAL="0.2",
        REFLECTIONS_BLUESKY_APPVIEW=other.base,
    ) as running:
        essay = running.root / "content" / "essays" / f"{ESSAY}.md"
        header, rest = essay.read_text(encoding="utf-8").split("\n\n", 1)
        header += f"\nMastodon: {other.base}/@withness/{ROOT}\nBluesky: https://bsky.app/profile/withness.example/post/3lroot"
        essay.write_text(header + "\n\n" + rest, encoding="utf-8")
        yield running


def queued(service) -> list[dict]:
    return json.loads(service.cli("queue", "--json").stdout)


def from_(service, origin: str) -> list[dict]:
    return [row for row in queued(service) if row["origin"] == origin]


def test_replies_are_read_by_themselves_and_wait_for_the_author(service, other):
    wait_for(lambda: len(from_(service, "mastodon")) == 3 and len(from_(service, "bluesky")) == 3, 30)
    mastodon = {row["name"]: row for row in from_(service, "mastodon")}
    assert set(mastodon) == {
        "Nora :heart_cat: (@nora@127.0.0.1)",
        "Sam (@sam@other.example)",
        "<img src=x onerror=alert(1)> (@hostile@127.0.0.1)",
    }
    assert all(row["state"] == "pending" for row in queued(service))
    sam = json.loads(service.cli("show", mastodon["Sam (@sam@other.example)"]["id"], "--json").stdout)
    assert sam["content_note"] == "grief"  # the reply's content warning
    assert sam["parent"] == mastodon["Nora :heart_cat: (@nora@127.0.0.1)"]["id"]  # a reply to a reply
    assert sam["kind"] == "comment" and sam["website"] == "https://other.example/@sam"
    everything = " ".join(row["excerpt"] for row in queued(service))
    for never in (
        "Followers only",
        "direct message",
        "Thank you all for reading",
        "Logged-in readers only",
        "Thank you for reading",
    ):
        assert never not in everything
    bluesky = {row["name"]: row for row in from_(service, "bluesky")}
    assert set(bluesky) == {
        "Inês ✿ (@ines.bsky.social)",
        "@lena.bsky.social",
        "<script>alert(1)</script> (@hostile.bsky.social)",
    }
    ines = json.loads(service.cli("show", bluesky["Inês ✿ (@ines.bsky.social)"]["id"], "--json").stdout)
    assert ines["source"] == "https://bsky.app/profile/did:plc:ines/post/3lreply1"
    assert "[example.org/staying](<https://example.org/staying>)" in ines["body"]  # its link facet kept
    service.published()
    assert NORA not in fetch(f"{service.base}/essays/{ESSAY}/")[1]  # nothing before the author approves


def test_approved_they_show_with_their_label_and_source_and_no_remote_image(service, other):
    for row in queued(service):
        if row["origin"] and row["state"] == "pending":
            assert service.cli("approve", row["id"]).returncode == 0
    service.published()
    page = fetch(f"{service.base}/essays/{ESSAY}/")[1]
    assert NORA in page and INES in page
    label = '<a class="reflection-elsewhere" href="{}" rel="nofollow ugc noopener">{}</a>'
    assert label.format(f"{other.base}/@nora/111000000000000002", "on Mastodon") in page
    assert label.format("https://bsky.app/profile/did:plc:ines/post/3lreply1", "on Bluesky") in page
    assert (
        "/system/accounts/avatars/" not in page and "cdn.bsky.app" not in page and "heart_cat.png" not in page
    )
    document = html5lib.parse(page, namespaceHTMLElements=False)
    for element in document.iter():
        assert not [name for name in element.attrib if name.lower().startswith("on")], element.tag
        if element.tag == "script":
            assert element.get("type") == "application/ld+json" or element.get("src", "").endswith(
                "reflect.js"
            )
    assert "<img src=x onerror=alert(1)> (@hostile@127.0.0.1)" in " ".join(
        document.itertext()
    )  # shown as words
    status, feed = fetch(f"{service.base}/feeds/reflections/{ESSAY}.atom.xml")
    assert status == 200 and NORA in feed and INES in feed  # the feeds carry them like any other


def test_an_edit_is_followed_and_a_deleted_reply_is_taken_off(service, other):
    put_thread(other, ines="Ines changed her words a little.")
    put_context(other, without=("111000000000000002",))  # Nora deleted hers
    said = service.cli("fetch-replies", "--essay", ESSAY)
    assert said.returncode == 0, said.stderr
    assert f"{ESSAY} on mastodon: 2 replies: 0 new, 0 updated, 1 taken off" in said.stdout
    assert f"{ESSAY} on bluesky: 3 replies: 0 new, 1 updated, 0 taken off" in said.stdout
    service.published()
    page = fetch(f"{service.base}/essays/{ESSAY}/")[1]
    assert NORA not in page
    assert "Ines changed her words a little." in page and INES not in page
    nora = next(row for row in queued(service) if row["name"].startswith("Nora"))
    assert (
        "withdrawn by mastodon: no longer among the replies on mastodon"
        in service.cli("show", nora["id"]).stdout
    )


def test_fetch_replies_says_what_is_wrong(service):
    said = service.cli("fetch-replies", "--essay", "no-such-essay")
    assert said.returncode != 0 and "no essay has the slug 'no-such-essay'" in said.stderr
