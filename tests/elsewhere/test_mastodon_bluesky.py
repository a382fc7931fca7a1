"""Mastodon's context and Bluesky's thread, in the shapes their API documentation shows: which
replies are taken, who they are by, and what they say."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from other_sites import OtherSite, fixture
from pelican.plugins.reflections.elsewhere import bluesky, mastodon
from pelican.plugins.reflections.elsewhere.fetch import Fetched, Fetcher
from pelican.plugins.reflections.elsewhere.remote import Unreadable
from pelican.plugins.reflections.elsewhere.worker import Replies, _rate_limited_until, next_reading
from pelican.plugins.reflections.store import Store

INSTANCE = "https://social.example"
POST = f"{INSTANCE}/@withness/111000000000000001"


def context() -> dict:
    return json.loads(
        fixture("mastodon-context.json", instance=INSTANCE, nora_words="Nora's words.", hostile="x")
    )


def test_mastodon_addresses():
    assert mastodon.context_address(POST) == f"{INSTANCE}/api/v1/statuses/111000000000000001/context"
    assert (
        mastodon.context_address(f"{INSTANCE}/users/withness/statuses/42")
        == f"{INSTANCE}/api/v1/statuses/42/context"
    )
    for wrong in ("https://social.example/@withness", "ftp://social.example/@a/1", "not an address"):
        with pytest.raises(ValueError, match="not a Mastodon post"):
            mastodon.context_address(wrong)


def test_only_public_and_unlisted_replies_of_others_are_taken():
    replies = mastodon.replies(context(), POST)
    assert [r.name for r in replies] == [
        "Nora :heart_cat: (@nora@social.example)",
        "Sam (@sam@other.example)",
        "<img src=x onerror=alert(1)> (@hostile@social.example)",
    ]
    nora, sam, _ = replies
    assert nora.source == f"{INSTANCE}/@nora/111000000000000002" and nora.answers == ""
    assert sam.answers == nora.source and sam.content_note == "grief"
    assert nora.website == f"{INSTANCE}/@nora" and "Nora's words." in nora.text
    assert nora.published == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def test_an_answer_that_is_not_a_context_is_said():
    with pytest.raises(Unreadable, match="not a post's context"):
        mastodon.replies({"error": "Record not found"}, POST)


def test_bluesky_replies_leave_out_the_deleted_the_blocked_the_logged_in_only_and_the_author():
    data = json.loads(fixture("bluesky-thread.json", ines_words="", hostile="x"))
    replies = bluesky.replies(data)
    assert [r.name for r in replies] == [
        "Inês ✿ (@ines.bsky.social)",
        "@lena.bsky.social",
        "<script>alert(1)</script> (@hostile.bsky.social)",
    ]
    ines, lena, _ = replies
    assert lena.answers == ines.source == "https://bsky.app/profile/did:plc:ines/post/3lreply1"
    assert "[@lena.bsky.social](<https://bsky.app/profile/did:plc:lena>)" in ines.text
    with pytest.raises(Unreadable):
        bluesky.replies({"error": "NotFound"})


def test_bluesky_addresses():
    assert bluesky.thread_address("https://bsky.app/profile/a.example/post/3kx", "https://av.example") == (
        "https://av.example/xrpc/app.bsky.feed.getPostThread?uri=at%3A%2F%2Fa.example%2Fapp.bsky.feed.post%2F3kx"
        "&depth=10&parentHeight=0"
    )
    with pytest.raises(ValueError, match="not a Bluesky post"):
        bluesky.thread_address("https://bsky.app/profile/a.example", "https://av.example")


def test_replies_are_read_often_while_an_essay_is_new_then_daily():
    now = datetime(2026, 5, 1, tzinfo=UTC)
    assert next_reading(now - timedelta(hours=3), now) - now == timedelta(minutes=15)
    assert next_reading(now - timedelta(days=3), now) - now == timedelta(hours=1)
    assert next_reading(now - timedelta(days=10), now) - now == timedelta(hours=6)
    assert next_reading(now - timedelta(days=90), now) - now == timedelta(days=1)
    assert next_reading(None, now) - now == timedelta(days=1)


def test_an_instance_s_rate_limit_is_honoured():
    reset = "2026-05-01T12:00:00.000Z"
    spent = Fetched(
        "u", 200, "application/json", "", {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    )
    assert _rate_limited_until(spent) == datetime(2026, 5, 1, 12, tzinfo=UTC)
    slow_down = _rate_limited_until(Fetched("u", 429, "", "", {"Retry-After": "120"}))
    assert timedelta(seconds=110) < slow_down - datetime.now(UTC) <= timedelta(seconds=120)
    assert _rate_limited_until(Fetched("u", 200, "", "", {"X-RateLimit-Remaining": "299"})) is None


def test_an_answer_that_cannot_be_read_is_said_and_read_again_later(tmp_path):
    site = OtherSite()
    try:
        site.put("/api/v1/statuses/1/context", "[" * 100_000 + "]" * 100_000, content_type="application/json")
        store = Store(f"sqlite:///{tmp_path / 'queue.db'}")
        worker = Replies(store, Fetcher(allow_loopback=True), essays=dict, flags=lambda texts, lang: "")
        store.watch_post("e", "mastodon", f"{site.base}/@a/1", datetime.now(UTC))
        [post] = store.remote_posts()
        assert worker.read(post, {}).startswith("not read: ")  # deeper than any JSON reader goes
        [after] = store.remote_posts()
        assert after.next_read > datetime.now(UTC) + timedelta(minutes=20)  # tried again later
        assert store.find() == []
    finally:
        site.close()
