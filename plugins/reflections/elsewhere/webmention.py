"""Webmentions (the W3C Recommendation): what another site's page says of an essay. The page must
link to the essay; its first h-entry (microformats2, read with mf2py) gives the author, the words
and the kind: a reply or a plain mention becomes a reflection, a like or a repost is counted."""

from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urljoin

import nh3

from ..core.lengths import MAX_NAME
from ..core.published import valid_website
from . import text
from .fetch import Fetched, http_address
from .remote import Remote, Unreadable, normalised
from .times import moment

#: The h-entry properties that say what the entry does with the address they hold.
_KIND_OF = (("in-reply-to", "reply"), ("like-of", "like"), ("repost-of", "repost"))


class _Links(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.found: set[str] = set()

    def handle_starttag(self, tag, attrs):
        if tag in ("a", "area"):
            href = dict(attrs).get("href")
            if href:
                self.found.add(normalised(urljoin(self.base, href.strip())))


def links_to(html: str, base: str, target: str) -> bool:
    """Whether the page `html` (at `base`) links to `target`."""
    links = _Links(base)
    links.feed(text.well_formed(html, {"a", "area"}, {"a": {"href"}, "area": {"href"}}))
    links.close()
    return normalised(target) in links.found


def _addresses(values: list) -> list[str]:
    """The addresses a property holds: plain strings, or an h-cite's url."""
    found = []
    for value in values:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            found += [v for v in value.get("properties", {}).get("url", []) if isinstance(v, str)]
            if isinstance(value.get("value"), str):
                found.append(value["value"])
    return found


def _entries(items: list) -> list[dict]:
    """Every h-entry of a parsed page, depth first."""
    found = []
    for item in items:
        if "h-entry" in item.get("type", []):
            found.append(item)
        found += _entries(item.get("children", []))
        for values in item.get("properties", {}).values():
            found += _entries([value for value in values if isinstance(value, dict) and "type" in value])
    return found


def _first(properties: dict, name: str) -> str:
    for value in properties.get(name, []):
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, dict) and isinstance(value.get("value"), str) and value["value"].strip():
            return value["value"].strip()
    return ""


def _author(entry: dict, page: dict, source: str) -> tuple[str, str]:
    """(name, address of their page): the entry's author, else the page's h-card, else the site."""
    for value in entry.get("properties", {}).get("author", []):
        if isinstance(value, dict):
            properties = value.get("properties", {})
            return _first(properties, "name"), _first(properties, "url")
        if isinstance(value, str) and value.strip():
            return (value.strip(), "") if not http_address(value.strip()) else ("", value.strip())
    for item in page.get("items", []):
        if "h-card" in item.get("type", []):
            properties = item.get("properties", {})
            return _first(properties, "name"), _first(properties, "url")
    return "", ""


def _published(entry: dict) -> datetime | None:
    return moment(_first(entry.get("properties", {}), "published"))


#: What microformats need of a page: its elements, their classes and the attributes values come
#: from. The rest (scripts, styles, frames, every other attribute) goes before mf2py reads it.
_PAGE_TAGS = set(nh3.ALLOWED_TAGS) | {
    "article",
    "main",
    "section",
    "header",
    "footer",
    "nav",
    "time",
    "data",
    "title",
}
_PAGE_ATTRIBUTES = {"*": {"class", "href", "datetime", "value", "title", "rel"}}


def _microformats(fetched: Fetched) -> dict:
    """The page's microformats, read by mf2py from the page as nh3 writes it out (well formed, so
    the standard library's parser reads it, five times faster than html5lib's)."""
    # Imported here, when a mention is first read: mf2py brings requests and BeautifulSoup, some
    # 9 MB that a server which never receives a mention would hold for nothing.
    import mf2py

    clean = text.well_formed(fetched.text, _PAGE_TAGS, _PAGE_ATTRIBUTES)
    try:
        return mf2py.parse(doc=clean, url=fetched.url, metaformats=False, html_parser="html.parser")
    except (RecursionError, ValueError, TypeError, AttributeError) as error:
        raise Unreadable(f"the page could not be read ({type(error).__name__})") from None


def read(fetched: Fetched, source: str, target: str) -> Remote:
    """The mention of `target` that the page fetched from `source` makes. Raises Unreadable when
    the page does not link to the target, or says nothing that can be shown."""
    if not links_to(fetched.text, fetched.url, target):
        raise Unreadable("the source does not link to the essay")
    page = _microformats(fetched)
    entries = _entries(page.get("items", []))
    target_address = normalised(target)

    def kind_of(entry: dict) -> str:
        properties = entry.get("properties", {})
        for name, kind in _KIND_OF:
            if any(normalised(a) == target_address for a in _addresses(properties.get(name, []))):
                return kind
        return "mention"

    # The entry that answers the essay, else the page's first: a mention in a longer post.
    entry = next((e for e in entries if kind_of(e) != "mention"), entries[0] if entries else None)
    name, website = _author(entry or {}, page, source)
    if entry is None:
        # No microformats at all: a plain mention, in the page's own title.
        words, shortened = text.from_plain(_title(fetched.text) or source)
        kind, published = "mention", None
    else:
        kind, published = kind_of(entry), _published(entry)
        properties = entry.get("properties", {})
        content = next((v for v in properties.get("content", []) if isinstance(v, dict)), None)
        if content and content.get("html", "").strip():
            words, shortened = text.from_html(content["html"])
        else:
            plain = (
                _first(properties, "content") or _first(properties, "summary") or _first(properties, "name")
            )
            words, shortened = text.from_plain(plain)
    if not words.strip() and kind not in ("like", "repost"):
        raise Unreadable("the source's entry has no words to show")
    return Remote(
        origin="webmention",
        source=source,
        name=" ".join(name.split())[:MAX_NAME],
        website=website if website and valid_website(website) else "",
        text=words,
        published=published,
        kind=kind,
        shortened=shortened,
    )


class _Title(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside, self.words = False, []

    def handle_starttag(self, tag, attrs):
        self.inside = self.inside or tag == "title"

    def handle_endtag(self, tag):
        if tag == "title":
            self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.words.append(data)


def _title(html: str) -> str:
    title = _Title()
    title.feed(text.well_formed(html, {"title"}, {}))
    return " ".join("".join(title.words).split())
