"""Replies on Mastodon and the fediverse: an essay's `Mastodon:` header names the post that
announced it; the public replies are read from that instance's `GET /api/v1/statuses/:id/context`,
with no token (a public post's context is public). Only public and unlisted replies are taken,
never the announcing account's own, and a reply's content warning becomes its content note."""

import re
from urllib.parse import urlsplit

from ..core.lengths import MAX_CONTENT_NOTE, MAX_NAME
from ..core.published import valid_website
from . import text
from .remote import Remote, Unreadable
from .times import moment

#: https://instance.example/@author/1234567890 (or /users/author/statuses/1234567890).
_POST = re.compile(r"^/(?:@(?P<at>[^/]+)|users/(?P<user>[^/]+)/statuses)/(?P<id>\d+)/?$")
TAKEN = ("public", "unlisted")


def context_address(post: str) -> str:
    """The API address of a post's context; ValueError, saying why, for an address that is not a
    Mastodon post's."""
    parts = urlsplit(post.strip())
    found = _POST.match(parts.path)
    if parts.scheme not in ("http", "https") or not parts.hostname or found is None:
        raise ValueError(f"{post!r} is not a Mastodon post's address (https://instance/@name/1234)")
    return f"{parts.scheme}://{parts.netloc}/api/v1/statuses/{found['id']}/context"


def _author_of(post: str) -> str:
    """The announcing account, as the path names it (`author`, lower case)."""
    found = _POST.match(urlsplit(post).path)
    return ((found["at"] or found["user"]) if found else "").lower()


def _handle(account: dict, post: str) -> str:
    acct = str(account.get("acct") or account.get("username") or "")
    return acct if "@" in acct else f"{acct}@{urlsplit(post).hostname}"


def replies(data: object, post: str) -> list[Remote]:
    """The replies a context answer holds, in its order. Raises Unreadable for an answer that is
    not a context."""
    if not isinstance(data, dict) or not isinstance(data.get("descendants"), list):
        raise Unreadable("the instance's answer is not a post's context")
    author = _author_of(post)
    announced = str(post).rsplit("/", 1)[-1]
    statuses = [s for s in data["descendants"] if isinstance(s, dict)]
    by_id = {str(s.get("id")): s for s in statuses}
    found = []
    for status in statuses:
        account = status.get("account") if isinstance(status.get("account"), dict) else {}
        handle = _handle(account, post)
        if status.get("visibility") not in TAKEN or handle.split("@", 1)[0].lower() == author:
            continue
        address = str(status.get("url") or status.get("uri") or "")
        if not valid_website(address, 2000):
            continue
        try:
            words, shortened = text.from_html(str(status.get("content") or ""))
        except Unreadable:
            continue  # one reply's markup nested past reading: the others are still taken
        if not words.strip():
            continue
        parent = by_id.get(str(status.get("in_reply_to_id")))
        answers = ""
        if parent is not None and str(status.get("in_reply_to_id")) != announced:
            answers = str(parent.get("url") or parent.get("uri") or "")
        display = " ".join(str(account.get("display_name") or "").split())
        name = f"{display} (@{handle})" if display else f"@{handle}"
        website = str(account.get("url") or "")
        found.append(
            Remote(
                origin="mastodon",
                source=address,
                name=name[:MAX_NAME],
                website=website if valid_website(website) else "",
                text=words,
                published=moment(status.get("created_at")),
                shortened=shortened,
                answers=answers,
                content_note=" ".join(str(status.get("spoiler_text") or "").split())[:MAX_CONTENT_NOTE],
            )
        )
    return found
