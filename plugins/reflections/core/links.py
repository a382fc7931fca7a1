"""The links an essay makes to other sites: what webmentions are sent for."""

import hashlib
import html as entities
import re
from urllib.parse import urlsplit

#: A link's address in the HTML that Pelican's readers make of the author's own text (well formed:
#: a regular expression reads it in microseconds, where a parser would add to every build).
_HREF = re.compile(r"""<a\b[^>]*?\shref\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def outbound(html: str, own_hosts: set[str]) -> list[str]:
    """The absolute http(s) links of an essay's HTML to other sites (not `own_hosts`), in order,
    each once, without their fragment."""
    own = {host.lower() for host in own_hosts}
    found: list[str] = []
    for match in _HREF.finditer(html):
        address = entities.unescape(match.group(1) if match.group(1) is not None else match.group(2)).strip()
        try:
            parts = urlsplit(address)
        except ValueError:
            continue
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.hostname.lower() in own:
            continue
        address = address.split("#", 1)[0]
        if address not in found:
            found.append(address)
    return found


def change_of(html: str) -> str:
    """What an essay's webmentions are sent once per: a digest of its HTML."""
    return hashlib.sha256(html.encode("utf-8")).hexdigest()[:32]
