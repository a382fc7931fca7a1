"""Sending webmentions (W3C): when an essay is published, each site it links to is told, through
the endpoint that site names (its `Link: <…>; rel="webmention"` header, else the first `<link>` or
`<a>` with rel="webmention" in its page). Fetched and posted as hostile, like every fetch; each
link is sent once per change of the essay, recorded in the store."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

from . import text
from .fetch import HTML, Fetched, Fetcher, Refused
from .remote import Unreadable

#: What discovery takes: any page (an image's Link header names an endpoint too), read only if HTML.
DISCOVERY = (*HTML, "*/*")
_LINK_HEADER = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")


def _from_header(value: str) -> str | None:
    for match in _LINK_HEADER.finditer(value):
        params = match.group(2)
        rel = re.search(r'rel\s*=\s*"([^"]*)"|rel\s*=\s*([^\s;]+)', params, re.IGNORECASE)
        if rel and "webmention" in (rel.group(1) or rel.group(2) or "").lower().split():
            return match.group(1)
    return None


def endpoint_of(fetched: Fetched) -> str | None:
    """The webmention endpoint a fetched page names, absolute (None: it names none)."""
    headers = {name.lower(): value for name, value in fetched.headers.items()}
    found = _from_header(headers.get("link", ""))
    if found is None and fetched.text:
        found = _from_html(fetched.text)
    return None if found is None else urljoin(fetched.url, found)


def _from_html(html: str) -> str | None:
    endpoints: list[str] = []

    class Rels(HTMLParser):
        def handle_starttag(self, tag, attrs):
            values = dict(attrs)
            if tag in ("link", "a") and "webmention" in (values.get("rel") or "").lower().split():
                if "href" in values and not endpoints:
                    endpoints.append(values["href"] or "")

    parser = Rels(convert_charrefs=True)
    parser.feed(text.well_formed(html, {"link", "a"}, {"link": {"href", "rel"}, "a": {"href", "rel"}}))
    parser.close()
    return endpoints[0] if endpoints else None


def send(fetcher: Fetcher, source: str, target: str, dry_run: bool = False) -> tuple[str, str]:
    """Tell `target`'s site that `source` links to it: (endpoint or "", what happened in words)."""
    try:
        page = fetcher.get(target, DISCOVERY)
    except Refused as refused:
        return "", f"not fetched: {refused}"
    if not 200 <= page.status < 300:
        return "", f"the page answered {page.status}"
    try:
        endpoint = endpoint_of(page)
    except Unreadable as unreadable:
        return "", f"the page could not be read: {unreadable}"
    if endpoint is None:
        return "", "the site takes no webmentions"
    if dry_run:
        return endpoint, "would be sent"
    try:
        status = fetcher.post(endpoint, {"source": source, "target": target})
    except Refused as refused:
        return endpoint, f"not sent: {refused}"
    if 200 <= status < 300:
        return endpoint, f"sent ({status})"
    return endpoint, f"the endpoint answered {status}"
