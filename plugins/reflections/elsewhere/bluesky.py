"""Replies on Bluesky: an essay's `Bluesky:` header names the post that announced it
(https://bsky.app/profile/HANDLE/post/RKEY); its replies are read through the public AppView's
`app.bsky.feed.getPostThread`, with no account. The announcing account's own posts are left out,
as are those of accounts that asked not to be shown to logged-out readers."""

import re
from urllib.parse import quote, urlsplit

from ..core.lengths import MAX_NAME
from ..core.published import valid_website
from . import text
from .remote import Remote, Unreadable
from .times import moment

_POST = re.compile(r"^/profile/(?P<actor>[^/]+)/post/(?P<rkey>[A-Za-z0-9._:~-]+)/?$")
_AT_URI = re.compile(r"^at://(?P<actor>[^/]+)/app\.bsky\.feed\.post/(?P<rkey>[A-Za-z0-9._:~-]+)$")
#: The label of an account that asked to be shown to logged-in readers only.
_LOGGED_IN_ONLY = "!no-unauthenticated"
#: How deep the thread is read: deeper replies come with the next reading of their parent's.
DEPTH = 10


def thread_address(post: str, appview: str) -> str:
    """The AppView address of a post's thread; ValueError, saying why, for an address that is not
    a Bluesky post's."""
    parts = urlsplit(post.strip())
    found = _POST.match(parts.path)
    if parts.scheme != "https" or found is None:
        raise ValueError(f"{post!r} is not a Bluesky post's address (https://bsky.app/profile/NAME/post/KEY)")
    uri = f"at://{found['actor']}/app.bsky.feed.post/{found['rkey']}"
    return (
        f"{appview}/xrpc/app.bsky.feed.getPostThread?uri={quote(uri, safe='')}&depth={DEPTH}&parentHeight=0"
    )


def _address(uri: str, actor: str) -> str:
    found = _AT_URI.match(uri)
    return f"https://bsky.app/profile/{actor or found['actor']}/post/{found['rkey']}" if found else ""


def _words(record: dict) -> tuple[str, bool]:
    """The post's text as reader text, its links (facets, counted in UTF-8 bytes) kept."""
    raw = str(record.get("text") or "")
    data = raw.encode("utf-8")
    links = []
    for facet in record.get("facets") or []:
        if not isinstance(facet, dict):
            continue
        index = facet.get("index") or {}
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(data)):
            continue
        for feature in facet.get("features") or []:
            kind = str(feature.get("$type", "")) if isinstance(feature, dict) else ""
            if kind.endswith("#link") and re.match(r"https?://", str(feature.get("uri", "")), re.I):
                links.append((start, end, str(feature["uri"])))
            elif kind.endswith("#mention") and str(feature.get("did", "")).startswith("did:"):
                links.append((start, end, f"https://bsky.app/profile/{feature['did']}"))
    parts, at = [], 0
    for start, end, uri in sorted(links):
        if start < at:
            continue  # overlapping facets: the first one wins
        parts.append(text.from_plain_inline(data[at:start].decode("utf-8", "replace")))
        shown = text.from_plain_inline(data[start:end].decode("utf-8", "replace"))
        parts.append(f"[{shown}](<{uri.replace('>', '%3E').replace(' ', '%20')}>)")
        at = end
    parts.append(text.from_plain_inline(data[at:].decode("utf-8", "replace")))
    return text.paragraphs("".join(parts))


def replies(data: object) -> list[Remote]:
    """The replies a getPostThread answer holds, depth first. Raises Unreadable for an answer that
    is not a thread."""
    thread = data.get("thread") if isinstance(data, dict) else None
    if not isinstance(thread, dict) or not isinstance(thread.get("post"), dict):
        raise Unreadable("the AppView's answer is not a post's thread")
    announcer = str((thread["post"].get("author") or {}).get("did") or "")
    found: list[Remote] = []

    def walk(node: dict, answers: str) -> None:
        for reply in node.get("replies") or []:
            if not isinstance(reply, dict) or not str(reply.get("$type", "")).endswith("#threadViewPost"):
                continue  # deleted (#notFoundPost) or blocked (#blockedPost): not there to take
            post = reply.get("post") if isinstance(reply.get("post"), dict) else {}
            author = post.get("author") if isinstance(post.get("author"), dict) else {}
            labels = {
                str(label.get("val")) for label in author.get("labels") or [] if isinstance(label, dict)
            }
            address = _address(str(post.get("uri") or ""), str(author.get("did") or ""))
            record = post.get("record") if isinstance(post.get("record"), dict) else {}
            if not address or author.get("did") == announcer or _LOGGED_IN_ONLY in labels:
                walk(reply, address or answers)
                continue
            words, shortened = _words(record)
            handle = str(author.get("handle") or "")
            display = " ".join(str(author.get("displayName") or "").split())
            name = (
                f"{display} (@{handle})"
                if display and handle
                else display or (f"@{handle}" if handle else "")
            )
            website = f"https://bsky.app/profile/{handle}" if handle else ""
            if words.strip():
                found.append(
                    Remote(
                        origin="bluesky",
                        source=address,
                        name=name[:MAX_NAME],
                        website=website if valid_website(website) else "",
                        text=words,
                        published=moment(record.get("createdAt")),
                        shortened=shortened,
                        answers=answers,
                    )
                )
            walk(reply, address)

    walk(thread, "")
    return found
