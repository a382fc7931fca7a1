"""An old blog's addresses in the new site: links between its posts rewritten to Pelican's
`{filename}` links (so they follow the site's URL settings), its media found (to download, or to
point at the old host absolutely), and a redirect map from every old permalink to its essay.

A link target is looked at where Markdown and HTML put one (`](…)`, `<…>`, `src=`, `href=`),
never inside a fenced code block.
"""

import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

#: What a post's media is, by the end of its address.
MEDIA_SUFFIXES = {
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".bmp", ".tif", ".tiff", ".ico",
    ".mp3", ".m4a", ".ogg", ".oga", ".wav", ".flac", ".mp4", ".m4v", ".mov", ".webm", ".ogv", ".pdf",
}  # fmt: skip
#: Where WordPress keeps uploads: the part of the address after it is the file's place.
UPLOAD_ROOTS = ("wp-content/uploads/", "files/")
_TARGET = re.compile(
    r"""(\]\(\s*<?|(?:src|href)\s*=\s*["'])((?:https?:)?//[^\s()<>"']+|/[^\s()<>"']*"""
    r"""|(?![a-zA-Z][\w+.-]*:)[^\s()<>"'#{/][^\s()<>"']*)"""
    r"""|(<)(https?://[^\s<>"']+)>"""  # an autolink
)
_DOMAIN_LIKE = re.compile(
    r"(?:www\.[\w-]+|[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|gov|info|io))(?:/|$)", re.I
)
_LEADING_DOTS = re.compile(r"^(?:\.\.?/)+")
_COMMENT_ANCHOR = re.compile(r"comment-(\d+)")
_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)


def host_of(address: str) -> str:
    netloc = urlsplit(address).netloc.lower()
    return netloc.removeprefix("www.")


def _key(address: str) -> str:
    """A permalink's path as links are matched to it: decoded, lower case, only the characters
    WordPress keeps in a slug (so a link written with curly quotes finds its post)."""
    return re.sub(r"[^\w/.-]", "", old_path(address).lower())


def old_path(address: str) -> str:
    """An address's path as a redirect map keys it: decoded, one leading slash, no trailing one."""
    return "/" + unquote(urlsplit(address).path).strip("/")


@dataclass
class OldBlog:
    """What the importer knows of the blog's addresses."""

    home: str
    #: The blog's own hosts (its address, and WordPress.com's media host for it).
    hosts: set[str] = field(default_factory=set)
    #: Hosts its media was on (its attachments'): only media there is the blog's.
    media_hosts: set[str] = field(default_factory=set)
    #: Old path → the content source that has it now ("essays/slug.md"), and the same by post id.
    by_path: dict[str, str] = field(default_factory=dict)
    by_id: dict[str, str] = field(default_factory=dict)
    #: The same, keyed as links are matched (_key).
    by_key: dict[str, str] = field(default_factory=dict)
    #: A published comment's WordPress id → its reflection's anchor on the new page.
    comments: dict[str, str] = field(default_factory=dict)
    #: Media to fetch: old address (no query) → its place under the static folder.
    media: dict[str, str] = field(default_factory=dict)
    #: The static folder media goes into ("images"); empty when media stays where it is.
    static: str = ""

    @classmethod
    def of(cls, home: str, base: str = "") -> "OldBlog":
        hosts = {host_of(a) for a in (home, base) if host_of(a)}
        for host in list(hosts):
            if host.endswith(".wordpress.com"):
                hosts.add(host.removesuffix(".wordpress.com") + ".files.wordpress.com")
        return cls(home=home.rstrip("/"), hosts=hosts)

    def add(self, link: str, guid: str, post_id: str, source: str) -> None:
        """A published post or page: where it was, where it is now."""
        for address in (link, guid):
            if address and host_of(address) in self.hosts and old_path(address) != "/":
                self.by_path.setdefault(old_path(address), source)
                self.by_key.setdefault(_key(address), source)
        if post_id:
            self.by_id[post_id] = source

    def redirects(self) -> list[tuple[str, str]]:
        """(old path, source) for every permalink the blog had, a folder-like one with its slash."""
        lines = []
        for path, source in sorted(self.by_path.items()):
            last = path.rsplit("/", 1)[-1]
            lines.append((path if "." in last else path + "/", source))
        return lines

    def is_media(self, address: str) -> bool:
        return PurePosixPath(urlsplit(address).path.lower()).suffix in MEDIA_SUFFIXES

    def media_place(self, address: str) -> str:
        """Where a media file goes under the static folder: its path after the uploads folder."""
        path = unquote(urlsplit(address).path).lstrip("/")
        for root in UPLOAD_ROOTS:
            if root in path:
                path = path.split(root, 1)[1]
                break
        parts = [part for part in PurePosixPath(path).parts if part not in ("", ".", "..")]
        return posixpath.join(self.static, *parts) if parts else ""

    def target(self, address: str, counts: Counter, base: str = "") -> str:
        """What a link to `address` on the page that was at `base` becomes in the new site (the
        address itself when nothing)."""
        parts = urlsplit(address)
        if parts.scheme not in ("", "http", "https") or address.startswith("#") or not address:
            return address  # another kind of link, or a place on the same page
        if not parts.netloc and not address.startswith("/"):
            if _DOMAIN_LIKE.match(address):  # "www.example.org/x": the writer forgot the http://
                counts["links missing their http:// completed"] += 1
                return "http://" + address
            # WordPress writers often meant the blog's root ("2011/02/23/slug/", "../2008/…").
            source = self._post("/" + _LEADING_DOTS.sub("", address))
            if source is not None:
                return self._to(source, parts.fragment, counts)
            if not base:
                return address
            address = urljoin(base, address)  # what the old page's link led to
            parts = urlsplit(address)
        own = not parts.netloc or host_of(address) in self.hosts
        number = (parse_qs(parts.query).get("p") or parse_qs(parts.query).get("page_id") or [""])[0]
        if own and number in self.by_id and old_path(address) in ("/", "/index.php"):
            return self._to(self.by_id[number], parts.fragment, counts)
        # A date-based permalink under any of the blog's names (it may have had several).
        deep = old_path(address).count("/") >= 3
        if (own or deep) and (source := self._post(parts.path)) is not None:
            return self._to(source, parts.fragment, counts)
        if not own and not (host_of(address) in self.media_hosts and self.is_media(address)):
            return address
        absolute = address if parts.netloc else self.home + address
        if absolute.startswith("//"):
            absolute = "http:" + absolute
        if self.is_media(address):
            place = self.media_place(address) if self.static else ""
            if place:
                self.media.setdefault(absolute.split("?", 1)[0].split("#", 1)[0], place)
                return f"{{static}}/{place}"
            counts["media left on the old blog (--download-media fetches it)"] += 1
            return absolute
        if not parts.netloc:
            counts["links to the old blog's other pages made absolute"] += 1
            return absolute
        return address

    def _post(self, path: str) -> str | None:
        return self.by_key.get(_key(path))

    def _to(self, source: str, fragment: str, counts: Counter) -> str:
        """A Pelican link to an imported file; a WordPress comment's anchor becomes its reflection's."""
        counts["links between posts rewritten"] += 1
        if found := _COMMENT_ANCHOR.fullmatch(fragment):
            fragment = self.comments.get(found.group(1), "")
        return f"{{filename}}/{source}" + (f"#{fragment}" if fragment else "")

    def rewrite(self, markdown: str, counts: Counter, base: str = "") -> str:
        """The links of a post's Markdown (the post was at `base`), outside its code blocks,
        pointed at the new site."""
        pieces, last = [], 0
        for fence in _FENCE.finditer(markdown):
            pieces.append(self._rewrite_links(markdown[last : fence.start()], counts, base))
            pieces.append(fence.group(0))
            last = fence.end()
        pieces.append(self._rewrite_links(markdown[last:], counts, base))
        return "".join(pieces)

    def _rewrite_links(self, text: str, counts: Counter, base: str) -> str:
        def replace(found: re.Match) -> str:
            if found.group(1):
                return found.group(1) + self.target(found.group(2), counts, base)
            address = found.group(4)
            target = self.target(address, counts, base)
            # A Pelican link is no autolink: it becomes a link showing the address it had.
            return f"<{address}>" if target == address else f"[{address}]({target})"

        return _TARGET.sub(replace, text)


def merge_redirects(existing: str, lines: list[tuple[str, str]]) -> tuple[str, int]:
    """A redirect map's text with `lines` added (what is there kept, an old path never twice),
    and how many were added."""
    known = {line.split()[0] for line in existing.splitlines() if line.split() and not line.startswith("#")}
    added = [f"{old} {source}" for old, source in lines if old not in known]
    if not existing.strip():
        existing = (
            "# Old address → where it is now (a content file, or an address). Read by every build,\n"
            "# which writes a redirect page at each old address, and by `reflections recipe nginx`.\n"
        )
    if not added:
        return existing, 0
    return existing.rstrip("\n") + "\n" + "\n".join(added) + "\n", len(added)
