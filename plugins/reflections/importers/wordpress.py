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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from pelican.utils import slugify

from ..core import published
from .addresses import OldBlog, host_of
from .plan import ImportFailed, Plan, comment_id, kept_website, pending, read_xml
from .shortcodes import Media
from .wxr import (
    CONTENT,
    CREATOR,
    EXCERPT_NAMESPACES,
    WXR_VERSIONS,
    blog_zone,
    html_to_markdown,
    text_at,
    when,
    with_prefixes_declared,
)


class WordPressError(ImportFailed):
    """A file that cannot be imported: one line saying which and why."""


def _header(lines: dict[str, str], body: str) -> str:
    header = "".join(f"{key}: {published.one_line(value)}\n" for key, value in lines.items() if value)
    return header + "\n" + body + ("\n" if body else "")


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
    site = text_at(channel, "link", ns) or str(path)
    plan = Plan(
        site=site, version=f"WordPress export {WXR_VERSIONS[wordpress[0]]}", zone=blog_zone(channel, ns)
    )
    plan.media = _media(channel, ns)
    blog = OldBlog.of(site, text_at(channel, "wp:base_blog_url", ns))
    blog.media_hosts = {host_of(address) for address, _ in plan.media.by_id.values()}
    blog.static = static
    authors = _blog_authors(channel, ns, blog.hosts)
    slugs: set[str] = set()
    bases: dict[tuple[str, str], str] = {}  # where each post and page was, for its relative links
    for item in channel.findall("item"):
        kind = text_at(item, "wp:post_type", ns)
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
    if text_at(item, "wp:status", ns) == "publish" and not text_at(item, "wp:post_password", ns):
        blog.add(
            item.findtext("link") or "", item.findtext("guid") or "", text_at(item, "wp:post_id", ns), source
        )


def _media(channel: Element, ns: dict) -> Media:
    media = Media()
    for item in channel.findall("item"):
        if text_at(item, "wp:post_type", ns) != "attachment":
            continue
        number, address = text_at(item, "wp:post_id", ns), text_at(item, "wp:attachment_url", ns)
        if number and address:
            media.by_id[number] = (address, published.one_line(item.findtext("title") or ""))
            media.by_post.setdefault(text_at(item, "wp:post_parent", ns), []).append(number)
    return media


def _slug(item: Element, ns: dict, title: str, taken: set[str]) -> str:
    slug = unquote(text_at(item, "wp:post_name", ns)).strip().lower() or slugify(title or "untitled")
    slug = re.sub(r"[\s/\\]+", "-", slug).strip(".-") or "untitled"
    if slug in taken:
        slug = f"{slug}-{text_at(item, 'wp:post_id', ns)}"
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
        user = text_at(comment, "wp:comment_user_id", ns)
        email = text_at(comment, "wp:comment_author_email", ns).lower()
        if (user not in ("", "0") and user in self.ids) or (bool(email) and email == self.email):
            return True
        # Written logged out (user id 0) with another address: the author's name and the blog's
        # own address as its website, which a reader's comment does not have both of.
        name = " ".join(text_at(comment, "wp:comment_author", ns).split()).lower()
        website = host_of(text_at(comment, "wp:comment_author_url", ns))
        return bool(name) and name == " ".join(self.name.split()).lower() and website in self.hosts


def _blog_authors(channel: Element, ns: dict, hosts: set[str] = frozenset()) -> dict[str, BlogAuthor]:
    """The blog's authors by login, with every user id their comments carry."""
    authors = {}
    for author in channel.findall("wp:author", ns):
        ids = {text_at(author, "wp:author_id", ns)} - {"", "0"}
        email = text_at(author, "wp:author_email", ns).lower()
        authors[text_at(author, "wp:author_login", ns)] = BlogAuthor(
            text_at(author, "wp:author_display_name", ns), email, ids, set(hosts)
        )
    by_email = {author.email: author for author in authors.values() if author.email}
    for comment in channel.iter(f"{{{ns['wp']}}}comment"):
        author = by_email.get(text_at(comment, "wp:comment_author_email", ns).lower())
        user = text_at(comment, "wp:comment_user_id", ns)
        if author is not None and user not in ("", "0"):
            author.ids.add(user)
    return authors


def _read_post(
    item, ns, excerpt, authors, slugs, plan: Plan, include_pingbacks: bool, blog: OldBlog
) -> str | None:
    """The post as an essay with its comments; its slug (None when it is not imported)."""
    status = text_at(item, "wp:status", ns)
    if status == "trash":
        plan.counts["posts in the trash skipped"] += 1
        return None
    title = (
        published.one_line(item.findtext("title") or "")
        or f"Untitled (post {text_at(item, 'wp:post_id', ns)})"
    )
    slug = _slug(item, ns, title, slugs)
    public = status == "publish" and not text_at(item, "wp:post_password", ns)
    date = when(item, "post_date", ns, plan.zone) or datetime(1970, 1, 1, tzinfo=UTC)
    modified = when(item, "post_modified", ns, plan.zone)
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
        "Reflections": "closed" if text_at(item, "wp:comment_status", ns) == "closed" else "",
    }
    body = html_to_markdown(
        item.findtext(CONTENT) or "", plan.media, text_at(item, "wp:post_id", ns), plan.counts
    )
    plan.essays.append((slug, _header(lines, body)))
    plan.counts["essays" if public else "essays kept as drafts (draft, future, private or password)"] += 1
    ids = {}
    comments = item.findall("wp:comment", ns)
    for comment in comments:
        moment = when(comment, "comment_date", ns, plan.zone) or date
        ids[text_at(comment, "wp:comment_id", ns)] = comment_id(
            plan.site, text_at(comment, "wp:comment_id", ns), moment
        )
    blog.comments.update({number: f"r-{ours}" for number, ours in ids.items()})  # a reflection's anchor
    owner = authors.get(login)
    answers = _answered(comments, ns, owner)
    for comment in comments:
        by_owner = owner is not None and owner.wrote(comment, ns)
        wordpress_id = text_at(comment, "wp:comment_id", ns)
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
        number = text_at(comment, "wp:comment_id", ns)
        return text_at(comment, "wp:comment_date_gmt", ns), int(number) if number.isdigit() else 0

    dated = sorted(comments, key=moment)
    for comment in dated:
        if text_at(comment, "wp:comment_type", ns) in ("pingback", "trackback"):
            continue
        wordpress_id = text_at(comment, "wp:comment_id", ns)
        if owner.wrote(comment, ns):
            if text_at(comment, "wp:comment_parent", ns) in ("", "0"):
                opening = re.sub(r"<[^>]*>", "", text_at(comment, "wp:comment_content", ns)).lstrip(" @\n\t")
                opening = opening.lower()
                named = [
                    number
                    for name, number in by_name.items()
                    if opening.startswith(name) and not opening[len(name) : len(name) + 1].isalnum()
                ]
                if named:
                    answers[wordpress_id] = named[-1]
        elif text_at(comment, "wp:comment_approved", ns) == "1":
            name = text_at(comment, "wp:comment_author", ns).lower()
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
    kind = text_at(comment, "wp:comment_type", ns)
    approved = text_at(comment, "wp:comment_approved", ns)
    wordpress_id = text_at(comment, "wp:comment_id", ns)
    author = text_at(comment, "wp:comment_author", ns)
    body = html_to_markdown(text_at(comment, "wp:comment_content", ns))
    if kind in ("pingback", "trackback"):
        if not include_pingbacks or approved != "1":
            plan.counts["pingbacks and trackbacks skipped"] += 1
            return
        source = text_at(comment, "wp:comment_author_url", ns)
        # A pingback's author is the linking post's title as WordPress stored it: with entities.
        author = published.one_line(html.unescape(author))
        body = f"Linked from [{author or source}]({source})" + (f":\n\n> {body}" if body else ".")
    if approved in ("spam", "trash"):
        plan.counts[f"comments marked {approved} skipped"] += 1
        return
    if not body.strip():
        plan.counts["empty comments skipped"] += 1
        return
    parent = ids.get(text_at(comment, "wp:comment_parent", ns), "") or answered
    moment = when(comment, "comment_date", ns, plan.zone) or fallback
    # The post's author answering a comment is the author's response; on the post itself, with
    # nothing to answer, their words stay a comment in their name.
    response = by_owner and bool(parent) and kind not in ("pingback", "trackback")
    website = text_at(comment, "wp:comment_author_url", ns)
    if kind in ("pingback", "trackback") or response or website.lower() in ("http://", "https://"):
        website = ""  # a pingback's source is in its body; the author's link is the site itself
    website = kept_website(website, plan.counts)
    if approved == "1":
        plan.publish(
            ids[wordpress_id], essay, moment, body, author, parent=parent, website=website, response=response
        )
    else:
        email = text_at(comment, "wp:comment_author_email", ns)
        plan.pending.append(pending(ids[wordpress_id], essay, parent, author, email, body, moment))
        plan.counts["comments queued as pending"] += 1


def _read_page(item, ns, plan: Plan) -> str | None:
    status = text_at(item, "wp:status", ns)
    if status == "trash":
        plan.counts["pages in the trash skipped"] += 1
        return None
    title = published.one_line(item.findtext("title") or "") or "Untitled page"
    slug = _slug(item, ns, title, {slug for slug, _ in plan.pages})
    lines = {"Title": title, "Slug": slug, "Status": "" if status == "publish" else "draft"}
    body = html_to_markdown(
        item.findtext(CONTENT) or "", plan.media, text_at(item, "wp:post_id", ns), plan.counts
    )
    plan.pages.append((slug, _header(lines, body)))
    plan.counts["pages"] += 1
    comments = len(item.findall("wp:comment", ns))
    if comments:
        plan.counts["comments on pages skipped (pages take no reflections)"] += comments
    return slug
