"""A reply from elsewhere, as read from its site: what the queue takes of it."""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

#: What a mention is: a reply or a plain mention becomes a reflection; a like or a repost is counted.
SHOWN = ("reply", "mention")
COUNTED = ("like", "repost")


@dataclass(frozen=True)
class Remote:
    """One reply from elsewhere: its origin (published.ORIGINS), its own address, who wrote it
    (a name, the address of their page), its words as reader text, and when it was written."""

    origin: str
    source: str
    name: str
    website: str
    text: str
    published: datetime | None = None
    kind: str = "reply"
    #: The text was cut to the length a reader may send; the whole is at its source.
    shortened: bool = False
    #: The address of the reply it answers, when that is one of the replies read too.
    answers: str = ""
    #: Its own content warning (Mastodon's), shown as the item's content note.
    content_note: str = ""


class Unreadable(Exception):
    """What was fetched cannot be taken: the reason, in words for the author's log."""


def normalised(address: str) -> str:
    """An address as compared: scheme and host in lower case, no default port, no fragment, and
    a path without its trailing slash (`/essays/a` and `/essays/a/` are one essay)."""
    try:
        parts = urlsplit(address.strip())
        port = parts.port
    except ValueError:
        return address
    host = (parts.hostname or "").lower()
    if port and not (parts.scheme == "http" and port == 80 or parts.scheme == "https" and port == 443):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    if path.endswith("/index.html"):
        path = path[: -len("/index.html")]
    return urlunsplit((parts.scheme.lower(), host, path, parts.query, ""))


def domain_of(address: str) -> str:
    """A site's domain as the author's marks keep it: the host in lower case, without `www.`."""
    try:
        host = (urlsplit(address).hostname or "").lower()
    except ValueError:
        return ""
    return host.removeprefix("www.")


def identities(origin: str, source: str, website: str) -> list[tuple[str, str]]:
    """Who an item from elsewhere is by, as the author may mark them: the domain it was written on,
    and for Mastodon and Bluesky the account (its profile's address)."""
    found = [("domain", domain_of(source))] if origin and source and domain_of(source) else []
    if origin in ("mastodon", "bluesky") and website:
        found.append(("account", normalised(website)))
    return found
