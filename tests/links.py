"""The link checker: every URL a built page refers to, resolved against the output folder."""

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlparse

SERVICE = "/reflections/"
#: Schemes a page may link to that are not this site's files (javascript:, file: and the like are
#: reported).
SAFE_SCHEMES = {
    "mailto",
    "data",
    "tel",
    "irc",
    "ircs",
    "xmpp",
    "ftp",
    "sms",
    "geo",
    "magnet",
}  # answered by the reflections service, not by a file in output/


class PageLinks(HTMLParser):
    """Every URL a page refers to, every id it defines, and its JSON-LD blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.ids: set[str] = set()
        self.scripts: list[tuple[str, str]] = []
        self._script_type: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        for name in ("href", "src"):
            if attributes.get(name) is not None:
                self.urls.append(attributes[name])
        if tag == "meta" and attributes.get("property") == "og:url":
            self.urls.append(attributes["content"])
        if tag == "script":
            self._script_type = attributes.get("type", "text/javascript")
            self.scripts.append((self._script_type, ""))

    def handle_data(self, data):
        if self._script_type is not None:
            kind, text = self.scripts[-1]
            self.scripts[-1] = (kind, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_type = None


def parse(page: Path) -> PageLinks:
    links = PageLinks()
    links.feed(page.read_text(encoding="utf-8"))
    return links


def target_file(output: Path, page: Path, url: str) -> tuple[Path, str]:
    """The file in `output` a relative or root-relative URL on `page` points at, and its fragment."""
    base = "http://site/" + page.relative_to(output).as_posix()
    absolute, fragment = urldefrag(urljoin(base, url))
    path = unquote(urlparse(absolute).path).lstrip("/")
    target = output / path
    if absolute.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target, fragment


def broken_links(output: Path, other_hosts: bool = False) -> list[tuple[Path, str, str]]:
    """(page, url, why) for every link or asset in `output` that resolves to nothing: a missing
    file, or a fragment the target page has no id for. A link to another host is broken too,
    unless `other_hosts` (an imported blog links out; this site's own pages never need to)."""
    broken = []
    for page in sorted(output.rglob("*.html")):
        for url in parse(page).urls:
            scheme = urlparse(url).scheme
            if scheme in ("http", "https") or url.startswith("//"):
                if not other_hosts:
                    broken.append((page, url, "points at another host"))
                continue
            if scheme in SAFE_SCHEMES or url.startswith(SERVICE):
                continue
            if scheme:
                broken.append((page, url, f"a {scheme}: link"))
                continue
            target, fragment = target_file(output, page, url)
            if not target.is_file():
                broken.append((page, url, "missing file"))
            elif fragment and target.suffix == ".html" and fragment not in parse(target).ids:
                broken.append((page, url, f"no id {fragment!r}"))
    return broken
