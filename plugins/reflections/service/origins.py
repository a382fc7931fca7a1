"""Which web origins are the site's own: where a reader's form may be posted from, and which page
may read a form token across origins (a static host with the service elsewhere).

The site's origins come from its settings (SITEURL, REFLECTIONS_SERVICE_URL) and the service's
public address; a request's own host always counts, so a service that serves its site (or sits
behind the site's web server) needs no setting at all.
"""

from urllib.parse import urlsplit


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of an absolute address, lower-cased; "" for anything else."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def site_origins(*addresses: str) -> frozenset[str]:
    """The origins of the given addresses that are absolute (the others say "this origin")."""
    return frozenset(found for found in map(origin_of, addresses) if found)


def allowed(origin: str | None, host: str, known: frozenset[str]) -> bool:
    """Whether a request that says it comes from `origin` may post a form: no Origin header (not
    a browser, or an old one: the form token still guards it), the request's own host, or one of
    the site's origins. "null" (a sandboxed or file page) is no one's."""
    if origin is None:
        return True
    origin = origin.strip().lower()
    if origin in known:
        return True
    own = urlsplit(origin).netloc if origin_of(origin) else ""
    return bool(own) and own == host.strip().lower()


def of_form_post(headers) -> str | None:
    """Where a form post says it comes from: its Origin, else its Referer's origin ("null" when the
    Referer is no web address), else None (no browser, or one that sends neither)."""
    origin = headers.get("origin")
    if origin is None and "referer" in headers:
        origin = origin_of(headers["referer"]) or "null"
    return origin
