"""Import a WordPress export (WXR 1.0 to 1.2) with its comments.

Posts become essays, pages become pages, approved comments become published reflection files
(threads kept), unapproved comments go to the queue with their email, which never reaches
content/. Comment authors' IP addresses are never read into anything.

Two phases: `read_export` reads the whole file into a `Plan` (a bad file stops here, nothing
written); `apply` writes it, staging every new file in a temporary folder inside content/ and then
moving each into place. Importing the same file twice changes nothing.
"""

import html
import os
import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timezone, tzinfo
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from markdownify import MarkdownConverter
from pelican.utils import slugify

from ..core import published
from . import shortcodes
from .addresses import OldBlog, host_of
from .plan import ImportFailed, Plan, comment_id, kept_website, pending, read_xml
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


class WordPressError(ImportFailed):
    """A file that cannot be imported: one line saying which and why."""


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


def _text(element: Element | None, path: str, namespaces: dict) -> str:
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
    local, gmt = _moment(_text(element, f"wp:{name}", ns)), _moment(_text(element, f"wp:{name}_gmt", ns))
    offset = None
    if local is not None and gmt is not None:
        try:
            offset = timezone(local - gmt)
        except ValueError:  # more than a day apart: not a zone's offset
            offset = None
    return local, gmt, offset


def _when(element: Element, name: str, ns: dict, zone: tzinfo) -> datetime | None:
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


def _header(lines: dict[str, str], body: str) -> str:
    header = "".join(f"{key}: {published.one_line(value)}\n" for key, value in lines.items() if value)
    return header + "\n" + body + ("\n" if body else "")


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


def read_export(
    path: str | os.PathLike,
    include_pingbacks: bool = False,
    folders: tuple[str, str] = ("essays", "pages"),
    static: str = "",
) -> Plan:
    """Read a whole export; raises WordPressError for a file that is not a usable WXR export.
    `folders` are where essays and pages go, relative to the content folder, for the links
    between them; `static` is the static folder media goes into when it is to be downloaded."""
    root = read_xml(path, with_prefixes_declared)
    channel = root.find("channel") if root.tag == "rss" else None
    if channel is None:
        raise WordPressError(f"{path}: not a WordPress export (no <rss><channel>)")
    uris = {element.tag[1:].split("}")[0] for element in channel.iter() if element.tag.startswith("{")}
    wordpress = sorted(uri for uri in uris if "wordpress.org/export/" in uri and "excerpt" not in uri)
    if not wordpress:
        raise WordPressError(f"{path}: not a WordPress export (no wp: elements)")
    if wordpress[0] not in WXR_VERSIONS:
        raise WordPressError(f"{path}: unknown WordPress export version {wordpress[0]}")
    ns = {"wp": wordpress[0]}
    if channel.find("item/{http://www.disqus.com/}thread_identifier") is not None:
        raise WordPressError(
            f"{path}: a file in Disqus's import format (its items carry dsq:thread_identifier), "
            "not a WordPress export; `reflections import disqus` reads it"
        )
    excerpt = next((f"{{{uri}}}encoded" for uri in uris if uri in EXCERPT_NAMESPACES), "")
    site = _text(channel, "link", ns) or str(path)
    plan = Plan(
        site=site, version=f"WordPress export {WXR_VERSIONS[wordpress[0]]}", zone=blog_zone(channel, ns)
    )
    plan.media = _media(channel, ns)
    blog = OldBlog.of(site, _text(channel, "wp:base_blog_url", ns))
    blog.media_hosts = {host_of(address) for address, _ in plan.media.by_id.values()}
    blog.static = static
    authors = _blog_authors(channel, ns, blog.hosts)
    slugs: set[str] = set()
    bases: dict[tuple[str, str], str] = {}  # where each post and page was, for its relative links
    for item in channel.findall("item"):
        kind = _text(item, "wp:post_type", ns)
        if kind == "post":
            if slug := _read_post(item, ns, excerpt, authors, slugs, plan, include_pingbacks, blog):
                _remember(item, ns, blog, posixpath.join(folders[0], f"{slug}.md"))
                bases[("essay", slug)] = item.findtext("link") or ""
        elif kind == "page":
            if slug := _read_page(item, ns, plan):
                _remember(item, ns, blog, posixpath.join(folders[1], f"{slug}.md"))
                bases[("page", slug)] = item.findtext("link") or ""
        elif kind == "attachment":
            plan.counts["attachments skipped"] += 1
        elif kind == "nav_menu_item":
            plan.counts["menu items skipped"] += 1
        else:
            plan.counts[f"{kind or 'untyped'} items skipped"] += 1
    # Links are rewritten once every post's new place is known (a post links to later ones too).
    shown = {item.id for item in plan.comments}
    blog.comments = {number: anchor for number, anchor in blog.comments.items() if anchor[2:] in shown}
    for kind, files in (("essay", plan.essays), ("page", plan.pages)):
        files[:] = [
            (slug, blog.rewrite(text, plan.counts, bases.get((kind, slug), ""))) for slug, text in files
        ]
    plan.redirects = blog.redirects()
    plan.downloads = dict(blog.media)
    return plan


def _remember(item: Element, ns: dict, blog: OldBlog, source: str) -> None:
    """A published post's or page's old addresses, for links to it and its redirect."""
    if _text(item, "wp:status", ns) == "publish" and not _text(item, "wp:post_password", ns):
        blog.add(
            item.findtext("link") or "", item.findtext("guid") or "", _text(item, "wp:post_id", ns), source
        )


def _media(channel: Element, ns: dict) -> Media:
    media = Media()
    for item in channel.findall("item"):
        if _text(item, "wp:post_type", ns) != "attachment":
            continue
        number, address = _text(item, "wp:post_id", ns), _text(item, "wp:attachment_url", ns)
        if number and address:
            media.by_id[number] = (address, published.one_line(item.findtext("title") or ""))
            media.by_post.setdefault(_text(item, "wp:post_parent", ns), []).append(number)
    return media


def _slug(item: Element, ns: dict, title: str, taken: set[str]) -> str:
    slug = unquote(_text(item, "wp:post_name", ns)).strip().lower() or slugify(title or "untitled")
    slug = re.sub(r"[\s/\\]+", "-", slug).strip(".-") or "untitled"
    if slug in taken:
        slug = f"{slug}-{_text(item, 'wp:post_id', ns)}"
    taken.add(slug)
    return slug


@dataclass
class BlogAuthor:
    """Someone who wrote posts on the blog: their replies to comments are the author's responses."""

    name: str
    email: str = ""
    #: WordPress user ids: the export's own, and those the blog's comments in the author's name
    #: (by email) were written with (a WordPress.com account's id is not in the export otherwise).
    ids: set[str] = field(default_factory=set)
    #: The blog's own hosts: a comment in the author's name whose website is the blog itself is theirs.
    hosts: set[str] = field(default_factory=set)

    def wrote(self, comment: Element, ns: dict) -> bool:
        user = _text(comment, "wp:comment_user_id", ns)
        email = _text(comment, "wp:comment_author_email", ns).lower()
        if (user not in ("", "0") and user in self.ids) or (bool(email) and email == self.email):
            return True
        # Written logged out (user id 0) with another address: the author's name and the blog's
        # own address as its website, which a reader's comment does not have both of.
        name = " ".join(_text(comment, "wp:comment_author", ns).split()).lower()
        website = host_of(_text(comment, "wp:comment_author_url", ns))
        return bool(name) and name == " ".join(self.name.split()).lower() and website in self.hosts


def _blog_authors(channel: Element, ns: dict, hosts: set[str] = frozenset()) -> dict[str, BlogAuthor]:
    """The blog's authors by login, with every user id their comments carry."""
    authors = {}
    for author in channel.findall("wp:author", ns):
        ids = {_text(author, "wp:author_id", ns)} - {"", "0"}
        email = _text(author, "wp:author_email", ns).lower()
        authors[_text(author, "wp:author_login", ns)] = BlogAuthor(
            _text(author, "wp:author_display_name", ns), email, ids, set(hosts)
        )
    by_email = {author.email: author for author in authors.values() if author.email}
    for comment in channel.iter(f"{{{ns['wp']}}}comment"):
        author = by_email.get(_text(comment, "wp:comment_author_email", ns).lower())
        user = _text(comment, "wp:comment_user_id", ns)
        if author is not None and user not in ("", "0"):
            author.ids.add(user)
    return authors


def _read_post(
    item, ns, excerpt, authors, slugs, plan: Plan, include_pingbacks: bool, blog: OldBlog
) -> str | None:
    """The post as an essay with its comments; its slug (None when it is not imported)."""
    status = _text(item, "wp:status", ns)
    if status == "trash":
        plan.counts["posts in the trash skipped"] += 1
        return None
    title = (
        published.one_line(item.findtext("title") or "") or f"Untitled (post {_text(item, 'wp:post_id', ns)})"
    )
    slug = _slug(item, ns, title, slugs)
    public = status == "publish" and not _text(item, "wp:post_password", ns)
    date = _when(item, "post_date", ns, plan.zone) or datetime(1970, 1, 1, tzinfo=UTC)
    modified = _when(item, "post_modified", ns, plan.zone)
    categories = [c.text or "" for c in item.findall("category") if c.get("domain") == "category"]
    tags = [
        (c.text or "").replace(",", " ") for c in item.findall("category") if c.get("domain") == "post_tag"
    ]
    login = item.findtext(CREATOR) or ""
    summary = html_to_markdown(item.findtext(excerpt) or "") if excerpt else ""
    lines = {
        "Title": title,
        "Date": date.isoformat(sep=" "),
        "Modified": modified.isoformat(sep=" ") if modified and modified != date else "",
        "Slug": slug,
        "Category": categories[0] if categories else "",
        "Tags": ", ".join(t.strip() for t in tags if t.strip()),
        "Summary": summary,
        "Author": (authors[login].name if login in authors else "") or login,
        "Status": "" if public else "draft",
        "Reflections": "closed" if _text(item, "wp:comment_status", ns) == "closed" else "",
    }
    body = html_to_markdown(
        item.findtext(CONTENT) or "", plan.media, _text(item, "wp:post_id", ns), plan.counts
    )
    plan.essays.append((slug, _header(lines, body)))
    plan.counts["essays" if public else "essays kept as drafts (draft, future, private or password)"] += 1
    ids = {}
    comments = item.findall("wp:comment", ns)
    for comment in comments:
        moment = _when(comment, "comment_date", ns, plan.zone) or date
        ids[_text(comment, "wp:comment_id", ns)] = comment_id(
            plan.site, _text(comment, "wp:comment_id", ns), moment
        )
    blog.comments.update({number: f"r-{ours}" for number, ours in ids.items()})  # a reflection's anchor
    owner = authors.get(login)
    answers = _answered(comments, ns, owner)
    for comment in comments:
        by_owner = owner is not None and owner.wrote(comment, ns)
        wordpress_id = _text(comment, "wp:comment_id", ns)
        answered = ids.get(answers.get(wordpress_id, ""), "")
        _read_comment(comment, ns, slug, ids, plan, include_pingbacks, date, by_owner, answered)
    return slug


def _answered(comments: list[Element], ns: dict, owner: BlogAuthor | None) -> dict[str, str]:
    """For each comment of the post's author that answers nothing (a blog without threaded
    comments), the WordPress id of the reader's comment it answers: the latest one before it whose
    writer it names first ("@Ana", "Ana: thank you"). One that names no one ("Thanks, everyone!")
    stays a comment of its own."""
    if owner is None:
        return {}
    answers: dict[str, str] = {}
    by_name: dict[str, str] = {}

    def moment(comment: Element) -> tuple[str, int]:
        number = _text(comment, "wp:comment_id", ns)
        return _text(comment, "wp:comment_date_gmt", ns), int(number) if number.isdigit() else 0

    dated = sorted(comments, key=moment)
    for comment in dated:
        if _text(comment, "wp:comment_type", ns) in ("pingback", "trackback"):
            continue
        wordpress_id = _text(comment, "wp:comment_id", ns)
        if owner.wrote(comment, ns):
            if _text(comment, "wp:comment_parent", ns) in ("", "0"):
                opening = re.sub(r"<[^>]*>", "", _text(comment, "wp:comment_content", ns)).lstrip(" @\n\t")
                opening = opening.lower()
                named = [
                    number
                    for name, number in by_name.items()
                    if opening.startswith(name) and not opening[len(name) : len(name) + 1].isalnum()
                ]
                if named:
                    answers[wordpress_id] = named[-1]
        elif _text(comment, "wp:comment_approved", ns) == "1":
            name = _text(comment, "wp:comment_author", ns).lower()
            if name:
                by_name.pop(name, None)
                by_name[name] = wordpress_id
    return answers


def _read_comment(
    comment,
    ns,
    essay: str,
    ids: dict,
    plan: Plan,
    include_pingbacks: bool,
    fallback,
    by_owner=False,
    answered="",
) -> None:
    kind = _text(comment, "wp:comment_type", ns)
    approved = _text(comment, "wp:comment_approved", ns)
    wordpress_id = _text(comment, "wp:comment_id", ns)
    author = _text(comment, "wp:comment_author", ns)
    body = html_to_markdown(_text(comment, "wp:comment_content", ns))
    if kind in ("pingback", "trackback"):
        if not include_pingbacks or approved != "1":
            plan.counts["pingbacks and trackbacks skipped"] += 1
            return
        source = _text(comment, "wp:comment_author_url", ns)
        # A pingback's author is the linking post's title as WordPress stored it: with entities.
        author = published.one_line(html.unescape(author))
        body = f"Linked from [{author or source}]({source})" + (f":\n\n> {body}" if body else ".")
    if approved in ("spam", "trash"):
        plan.counts[f"comments marked {approved} skipped"] += 1
        return
    if not body.strip():
        plan.counts["empty comments skipped"] += 1
        return
    parent = ids.get(_text(comment, "wp:comment_parent", ns), "") or answered
    moment = _when(comment, "comment_date", ns, plan.zone) or fallback
    # The post's author answering a comment is the author's response; on the post itself, with
    # nothing to answer, their words stay a comment in their name.
    response = by_owner and bool(parent) and kind not in ("pingback", "trackback")
    website = _text(comment, "wp:comment_author_url", ns)
    if kind in ("pingback", "trackback") or response or website.lower() in ("http://", "https://"):
        website = ""  # a pingback's source is in its body; the author's link is the site itself
    website = kept_website(website, plan.counts)
    if approved == "1":
        plan.publish(
            ids[wordpress_id], essay, moment, body, author, parent=parent, website=website, response=response
        )
    else:
        email = _text(comment, "wp:comment_author_email", ns)
        plan.pending.append(pending(ids[wordpress_id], essay, parent, author, email, body, moment))
        plan.counts["comments queued as pending"] += 1


def _read_page(item, ns, plan: Plan) -> str | None:
    status = _text(item, "wp:status", ns)
    if status == "trash":
        plan.counts["pages in the trash skipped"] += 1
        return None
    title = published.one_line(item.findtext("title") or "") or "Untitled page"
    slug = _slug(item, ns, title, {slug for slug, _ in plan.pages})
    lines = {"Title": title, "Slug": slug, "Status": "" if status == "publish" else "draft"}
    body = html_to_markdown(
        item.findtext(CONTENT) or "", plan.media, _text(item, "wp:post_id", ns), plan.counts
    )
    plan.pages.append((slug, _header(lines, body)))
    plan.counts["pages"] += 1
    comments = len(item.findall("wp:comment", ns))
    if comments:
        plan.counts["comments on pages skipped (pages take no reflections)"] += comments
    return slug
