"""The WordPress export file (WXR 1.0 to 1.2) as a format: its namespaces, the repair of a prefix
it uses undeclared, the two clocks it writes each moment in, and its HTML (blocks, shortcodes, bare
paragraphs) as Markdown. What the file says is read into a plan by wordpress.py."""

import re
from collections import Counter
from datetime import UTC, datetime, timezone, tzinfo
from xml.etree.ElementTree import Element

from markdownify import MarkdownConverter

from . import shortcodes
from .shortcodes import Media

WXR_VERSIONS = {f"http://wordpress.org/export/{v}/": v for v in ("1.0", "1.1", "1.2")}
WXR_VERSIONS |= {f"https://wordpress.org/export/{v}/": v for v in ("1.0", "1.1", "1.2")}
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
EXCERPT_NAMESPACES = (
    "http://wordpress.org/export/1.2/excerpt/",
    "http://wordpress.org/export/1.1/excerpt/",
    "http://wordpress.org/export/1.0/excerpt/",
)
CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
NO_DATE = "0000-00-00 00:00:00"
_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->", re.DOTALL)
_BLOCK_TAG = re.compile(r"^\s*<(?:p|div|h[1-6]|ul|ol|li|blockquote|pre|table|figure|hr|dl|address)\b", re.I)


class _Converter(MarkdownConverter):
    """markdownify, but what a script, style or frame held is dropped, not kept as text."""

    def convert_script(self, el, text, parent_tags):
        return ""

    convert_style = convert_iframe = convert_noscript = convert_script


def html_to_markdown(
    html: str, media: Media | None = None, post: str = "", counts: Counter | None = None
) -> str:
    """WordPress post or comment HTML (blocks, shortcodes, bare paragraphs) as clean Markdown."""
    html = _BLOCK_COMMENT.sub("", html or "")
    html, code = shortcodes.expand(html, media or Media(), post, Counter() if counts is None else counts)
    # WordPress stores paragraphs as blank-line-separated text and adds <p> only when it renders.
    chunks = [chunk.strip() for chunk in re.split(r"\n\s*\n", html) if chunk.strip()]
    html = "\n".join(chunk if _BLOCK_TAG.match(chunk) else f"<p>{chunk}</p>" for chunk in chunks)
    markdown = _Converter(heading_style="ATX", bullets="-").convert(html)
    markdown = re.sub(r"\n{3,}", "\n\n", markdown)
    markdown = "\n".join(line.rstrip() for line in markdown.strip().splitlines())
    return shortcodes.restore_code(markdown, code)


def text_at(element: Element | None, path: str, namespaces: dict) -> str:
    found = element.find(path, namespaces) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def _moment(value: str) -> datetime | None:
    if not value or value == NO_DATE:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _written(
    element: Element, name: str, ns: dict
) -> tuple[datetime | None, datetime | None, timezone | None]:
    """(local time, UTC time, the offset between them) of a moment WordPress wrote twice."""
    local, gmt = _moment(text_at(element, f"wp:{name}", ns)), _moment(text_at(element, f"wp:{name}_gmt", ns))
    offset = None
    if local is not None and gmt is not None:
        try:
            offset = timezone(local - gmt)
        except ValueError:  # more than a day apart: not a zone's offset
            offset = None
    return local, gmt, offset


def when(element: Element, name: str, ns: dict, zone: tzinfo) -> datetime | None:
    """The moment as the blogger's clock showed it: its local time (wp:NAME) with the offset that
    time had from UTC (wp:NAME_gmt); with only one of the two, the blog's usual offset (`zone`).
    Never the importing machine's zone."""
    local, gmt, offset = _written(element, name, ns)
    if offset is not None:
        return local.replace(tzinfo=offset)
    if gmt is not None:
        return gmt.replace(tzinfo=UTC).astimezone(zone)
    return local.replace(tzinfo=zone) if local is not None else None


def blog_zone(channel: Element, ns: dict) -> tzinfo:
    """The offset from UTC most of the blog's posts and comments were written at (UTC if none
    says), for a time WordPress wrote only once (a draft has no UTC time)."""
    offsets: Counter = Counter()
    for item in channel.findall("item"):
        written = [_written(item, "post_date", ns)]
        written += [_written(comment, "comment_date", ns) for comment in item.findall("wp:comment", ns)]
        offsets.update(offset for _, _, offset in written if offset is not None)
    return offsets.most_common(1)[0][0] if offsets else UTC


#: Namespaces WordPress exports use, for a prefix an export uses without declaring it.
KNOWN_NAMESPACES = {
    b"atom": b"http://www.w3.org/2005/Atom",
    b"content": b"http://purl.org/rss/1.0/modules/content/",
    b"dc": b"http://purl.org/dc/elements/1.1/",
    b"wfw": b"http://wellformedweb.org/CommentAPI/",
    b"excerpt": b"http://wordpress.org/export/1.2/excerpt/",
    b"wp": b"http://wordpress.org/export/1.2/",
    b"sy": b"http://purl.org/rss/1.0/modules/syndication/",
    b"slash": b"http://purl.org/rss/1.0/modules/slash/",
    b"georss": b"http://www.georss.org/georss",
    b"geo": b"http://www.w3.org/2003/01/geo/wgs84_pos#",
    b"media": b"http://search.yahoo.com/mrss/",
}
_PREFIX_USED = re.compile(rb"</?([A-Za-z_][\w.-]*):[A-Za-z_]|\s([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*\s*=")
_PREFIX_DECLARED = re.compile(rb"xmlns:([A-Za-z_][\w.-]*)\s*=")
_RSS_START = re.compile(rb"<rss\b[^>]*>")


def with_prefixes_declared(data: bytes) -> bytes:
    """The export with every namespace prefix it uses but never declares declared on <rss>:
    WordPress.com writes `<atom:link>` without the Atom namespace, which no XML parser accepts
    (Pelican's importer reads such files with a forgiving HTML parser)."""
    start = _RSS_START.search(data)
    if start is None:
        return data
    used = {prefix for pair in _PREFIX_USED.findall(data) for prefix in pair if prefix}
    missing = sorted(used - set(_PREFIX_DECLARED.findall(data)) - {b"xml", b"xmlns"})
    declarations = b"".join(
        b' xmlns:%s="%s"' % (prefix, KNOWN_NAMESPACES.get(prefix, b"urn:withness:undeclared:" + prefix))
        for prefix in missing
    )
    return data[: start.end() - 1] + declarations + data[start.end() - 1 :]
