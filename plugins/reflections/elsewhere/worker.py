"""The replies worker: beside the service, in a thread of its own (never on the event loop), it
verifies the webmentions received and reads the replies to each essay's posts elsewhere, as they
fall due. Every instance may run one: a mention is claimed before it is verified, a post before
it is read, and an item from elsewhere is one row per source whoever takes it.

What it finds waits in the queue, pending, like a reflection sent through the form; what is gone
from its source (deleted, answering 410, no longer linking here) is taken off the site.
"""

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from ..core.essay_header import EssayInfo
from ..core.published import new_id
from ..store import Mention, Reflection, RemotePost, Store, StoreUnavailable, body_hash, now
from . import bluesky, mastodon, sending, webmention
from .fetch import HTML, JSON, Fetched, Fetcher, Refused
from .remote import COUNTED, Remote, Unreadable, identities
from .times import moment

logger = logging.getLogger(__name__)

#: How often an essay's posts elsewhere are read, by the essay's age: often while it is new,
#: daily after a month.
SCHEDULE = (
    (timedelta(days=2), timedelta(minutes=15)),
    (timedelta(days=7), timedelta(hours=1)),
    (timedelta(days=30), timedelta(hours=6)),
)
DAILY = timedelta(days=1)
#: A post whose reading failed is tried again after this (doubling up to DAILY).
RETRY = timedelta(minutes=30)

#: A sending's results that may pass by themselves: not recorded, so tried again next time.
PASSING = ("not fetched", "not sent", "the page answered 5", "the endpoint answered 5")

#: (texts, language) -> the flags a reader's text gets (care, held words): the service's.
Flagger = Callable[[list[str], str], str]


def next_reading(essay_date: datetime | None, moment_now: datetime) -> datetime:
    age = moment_now - essay_date if essay_date else DAILY * 31
    for younger_than, every in SCHEDULE:
        if age < younger_than:
            return moment_now + every
    return moment_now + DAILY


def _rate_limited_until(fetched: Fetched) -> datetime | None:
    """When the other site said it may be asked again (Retry-After, X-RateLimit-Reset at 0 left)."""
    headers = {name.lower(): value for name, value in fetched.headers.items()}
    if fetched.status == 429 and headers.get("retry-after", "").isdigit():
        return now() + timedelta(seconds=int(headers["retry-after"]))
    if headers.get("x-ratelimit-remaining", "").strip() == "0" or fetched.status == 429:
        reset = headers.get("x-ratelimit-reset", "") or headers.get("ratelimit-reset", "")
        if reset.isdigit():  # Bluesky: seconds since the epoch
            return datetime.fromtimestamp(int(reset), now().tzinfo)
        try:
            return moment(reset) or parsedate_to_datetime(reset)
        except (TypeError, ValueError):
            return now() + timedelta(minutes=5)
    return None


class Replies:
    """The replies worker (see the module's docstring)."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        essays: Callable[[], dict[str, EssayInfo]],
        flags: Flagger,
        appview: str = "https://public.api.bsky.app",
        interval: float = 5.0,
        trusting: bool = False,
        site_url: str = "",
        sending: bool = False,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.essays = essays
        self.flags = flags
        self.appview = appview
        self.interval = interval
        #: REFLECTIONS_TRUST_RETURNING: a site or account the author trusts is published at once.
        self.trusting = trusting
        #: REFLECTIONS_SEND_WEBMENTIONS, and the site's absolute address the essays are at.
        self.site_url = site_url.rstrip("/")
        self.sending = sending
        self._sent_for: int | None = None
        self._watched: int | None = None
        self.wake = threading.Event()
        self.stopped = threading.Event()

    # The loop -------------------------------------------------------------------------------

    def start(self) -> "Replies":
        threading.Thread(target=self.run, daemon=True, name="withness-replies").start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.wake.set()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.once()
            except Exception:  # the worker goes on; the next look tries again
                logger.exception("The replies worker failed; it tries again in %s s", self.interval)
            self.wake.wait(self.interval)
            self.wake.clear()

    def once(self) -> None:
        """One look: every webmention waiting, then every post whose reading is due."""
        while not self.stopped.is_set():
            mention = self.store.claim_mention()
            if mention is None:
                break
            self.verify(mention)
        self.watch()
        if self.sending and self.site_url:
            essays = self.essays()
            if self._sent_for != id(essays):  # the site was built again since the last sending
                self._sent_for = id(essays)
                self.send_mentions(essays)
        for post in self.store.due_posts():
            if self.stopped.is_set():
                break
            if self.store.claim_post(post.essay, post.origin, post.next_read):
                self.read(post)

    # Webmentions ----------------------------------------------------------------------------

    def verify(self, mention: Mention) -> str:
        """Verify one webmention and settle it; returns its state. Whatever goes wrong, it is
        settled: never left claimed, to be tried again and again."""
        try:
            return self._verify(mention)
        except StoreUnavailable:
            raise  # the store itself: the claim runs out, and it is tried again
        except Exception:
            logger.exception("A webmention from %s could not be verified", mention.source)
            self.store.settle_mention(
                mention.id, "refused", "it could not be verified (the service's log says why)"
            )
            return "refused"

    def _verify(self, mention: Mention) -> str:
        known = self.store.from_elsewhere("webmention", mention.source)
        try:
            fetched = self.fetcher.get(mention.source, HTML)
        except Refused as refused:
            self.store.settle_mention(mention.id, "refused", f"not fetched: {refused}")
            return "refused"
        if fetched.status == 410:
            return self._gone(mention, known, "the source answers 410 Gone")
        if not 200 <= fetched.status < 300:
            self.store.settle_mention(mention.id, "refused", f"the source answered {fetched.status}")
            return "refused"
        try:
            remote = webmention.read(fetched, mention.source, mention.target)
        except Unreadable as unreadable:
            if "does not link" in str(unreadable) and known is not None:
                return self._gone(mention, known, "the source no longer links to the essay")
            self.store.settle_mention(mention.id, "refused", str(unreadable))
            return "refused"
        if remote.kind in COUNTED:
            if known is not None:  # a reply that became a like: its words are gone
                self.store.gone_from_elsewhere(known.id, f"the source is now a {remote.kind}")
            self.store.settle_mention(mention.id, "accepted", f"counted as a {remote.kind}", remote.kind)
            return "accepted"
        item, what = self.take(mention.essay, remote)
        self.store.settle_mention(mention.id, "accepted", _said(what), remote.kind, item)
        return "accepted"

    def _gone(self, mention: Mention, known: Reflection | None, reason: str) -> str:
        if known is None or known.state == "withdrawn":
            self.store.settle_mention(mention.id, "refused", reason)
            return "refused"
        self.store.gone_from_elsewhere(known.id, reason)
        self.store.settle_mention(mention.id, "removed", f"{reason}: taken off the site", item=known.id)
        return "removed"

    # Posts elsewhere ------------------------------------------------------------------------

    def watch(self, again: bool = False) -> None:
        """Every essay's posts elsewhere (its `Mastodon:` and `Bluesky:` headers) watched: looked
        at when the site's essays change (or `again`), not at every look of the worker."""
        essays = self.essays()
        if self._watched == id(essays) and not again:
            return
        self._watched = id(essays)
        for slug, essay in essays.items():
            for origin, post in (("mastodon", essay.mastodon), ("bluesky", essay.bluesky)):
                if post:
                    self.store.watch_post(slug, origin, post, now())

    def read(self, post: RemotePost, essays: dict[str, EssayInfo] | None = None) -> str:
        """Read one post's replies now: new ones queued, edited ones updated, deleted ones taken
        off. Returns what happened, in words (also kept as the post's last result)."""
        essay = (essays or self.essays()).get(post.essay)
        written = moment(essay.date) if essay is not None else None
        try:
            if post.origin == "mastodon":
                address, reader = (
                    mastodon.context_address(post.post),
                    lambda d: mastodon.replies(d, post.post),
                )
            else:
                address, reader = bluesky.thread_address(post.post, self.appview), bluesky.replies
        except ValueError as error:
            return self._read(post, str(error), now() + DAILY)
        try:
            fetched = self.fetcher.get(address, JSON)
        except Refused as refused:
            return self._read(post, f"not read: {refused}", now() + RETRY)
        later = _rate_limited_until(fetched)
        if not 200 <= fetched.status < 300:
            return self._read(
                post, f"the {post.origin} server answered {fetched.status}", later or now() + RETRY
            )
        try:
            found = reader(json.loads(fetched.text))
        except (ValueError, RecursionError, Unreadable) as error:
            return self._read(post, f"not read: {error or type(error).__name__}", now() + RETRY)
        counts = {"queued": 0, "updated": 0, "removed": 0}
        items: dict[str, str] = {}
        for remote in found:
            item, what = self.take(post.essay, remote, items.get(remote.answers, ""))
            items[remote.source] = item
            if what in ("queued", "returned"):
                counts["queued"] += 1
            elif what == "updated":
                counts["updated"] += 1
        sources = {remote.source for remote in found}
        for known in self.store.items_from(post.essay, post.origin):
            if known.source not in sources and known.state != "withdrawn":
                self.store.gone_from_elsewhere(known.id, f"no longer among the replies on {post.origin}")
                counts["removed"] += 1
        result = (
            f"{len(found)} replies: {counts['queued']} new, {counts['updated']} updated, "
            f"{counts['removed']} taken off"
        )
        schedule = next_reading(written, now())
        return self._read(post, result, max(schedule, later) if later else schedule)

    def _read(self, post: RemotePost, result: str, next_read: datetime) -> str:
        self.store.post_read(post.essay, post.origin, result, next_read)
        logger.info("Replies to %s on %s: %s", post.essay, post.origin, result)
        return result

    # Webmentions sent ------------------------------------------------------------------------

    def send_mentions(
        self, essays: dict[str, EssayInfo], dry_run: bool = False, only: str | None = None
    ) -> list[tuple[str, str, str]]:
        """Tell each site an essay links to, once per change of the essay: (essay, link, what
        happened) for each link looked at. A failure that may pass (a site down, a 5xx) is not
        recorded, so the next sending tries again."""
        done = []
        for slug, essay in essays.items():
            if (only and slug != only) or not essay.links or not essay.url:
                continue
            source = f"{self.site_url}/{essay.url}"
            told = self.store.sent_for(slug, essay.change)
            for target in essay.links:
                if target in told or self.stopped.is_set():
                    continue
                endpoint, result = sending.send(self.fetcher, source, target, dry_run)
                done.append((slug, target, result))
                if not dry_run and not result.startswith(PASSING):
                    self.store.record_sent(slug, target, essay.change, endpoint, result)
                logger.info("Webmention for %s to %s: %s", slug, target, result)
        return done

    # Into the queue -------------------------------------------------------------------------

    def take(self, essay_slug: str, remote: Remote, parent: str = "") -> tuple[str, str]:
        """Queue a reply from elsewhere (pending), or update the item it already is."""
        essay = self.essays().get(essay_slug)
        flags = self.flags([remote.text, remote.name, remote.content_note], essay.lang if essay else "")
        if remote.shortened:
            flags = ",".join(filter(None, [flags, "shortened"]))
        who = identities(remote.origin, remote.source, remote.website)
        blocked = self.store.marked("blocked", who)
        if blocked:  # kept, out of sight, as spam: the author blocked its site or account
            flags = ",".join(filter(None, ["blocked", flags]))
        # Trusted, and nothing in its words that should wait for the author.
        trusted = self.trusting and not blocked and not flags and self.store.marked("trusted", who)
        reflection = Reflection(
            id=new_id(),
            essay=essay_slug,
            body=remote.text,
            created=now(),
            parent=parent,
            kind="comment" if parent else "reflection",
            name=remote.name,
            content_note=remote.content_note,
            body_hash=body_hash(remote.text),
            flags="trusted" if trusted else flags,
            state="spam" if blocked else "pending",
            origin=remote.origin,
            source=remote.source,
            website=remote.website,
        )
        item, what = self.store.take_from_elsewhere(reflection)
        if trusted and what == "queued":
            self.store.transition(item, "approved", ("pending",), "trusted reader", detail="trusted")
        return item, what


def _said(what: str) -> str:
    return {
        "queued": "waiting for the author",
        "updated": "the text was updated from its source",
        "unchanged": "already known, unchanged",
        "returned": "back at its source: waiting for the author again",
    }[what]
