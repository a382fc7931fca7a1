"""Import a Disqus export (the XML Disqus mails from Moderation → Export) into a site's essays.

Disqus keeps comments by thread, and a thread by the page it was on: its `<link>` and the
identifier the page gave (`<id>`). A thread is matched to an essay by a `--map` file first, then by
its identifier or its link's last path segment being the essay's slug, then by its link's path
being the essay's address. Nothing is dropped silently: a thread that matches no essay is reported
with its comment count, and every comment is published, queued or counted with its reason.

Approved comments become published reflection files (threads kept); pending ones go to the queue;
deleted and spam ones are skipped and counted. The forum owner's replies (the thread's creator, or
the name given with `--author`) become the author's responses. Disqus exports no email or address.
"""

import os
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from ..core.essay_header import EssayInfo
from .plan import ImportFailed, Plan, Unmatched, comment_id, essay_matcher, kept_website, pending, read_xml
from .wxr import html_to_markdown

DISQUS = "{http://disqus.com}"
INTERNALS = "{http://disqus.com/disqus-internals}id"


#: Disqus's own import format: a WordPress-like RSS file whose items carry a dsq:thread_identifier.
IMPORT_FORMAT = "{http://www.disqus.com/}"
WP_NAMESPACES = (
    "http://wordpress.org/export/1.0/",
    "http://wordpress.org/export/1.1/",
    "http://wordpress.org/export/1.2/",
)


class DisqusError(ImportFailed):
    """A file that cannot be imported: one line saying which and why."""


def _text(element: Element | None, name: str) -> str:
    found = element.find(DISQUS + name) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def read_export(
    path: str | os.PathLike,
    essays: dict[str, EssayInfo],
    mapping: dict | None = None,
    author: str = "",
    pages: dict[str, str] | None = None,
) -> tuple[Plan, list[str]]:
    """The plan of a Disqus export for these essays, and one line for each thread matching none
    (a thread on one of the site's `pages`, slug → address, is counted as such)."""
    root = read_xml(path)
    if root.tag == "rss" and root.find("channel/item/" + IMPORT_FORMAT + "thread_identifier") is not None:
        return read_import_format(root, essays, mapping or {}, author, pages)
    if root.tag != DISQUS + "disqus":
        raise DisqusError(f"{path}: not a Disqus export (no <disqus> root)")
    essay_of = essay_matcher(essays, mapping or {})
    threads = {}
    for thread in root.findall(DISQUS + "thread"):
        owner = thread.find(DISQUS + "author")
        threads[thread.get(INTERNALS, "")] = {
            "essay": essay_of(_text(thread, "id"), _text(thread, "link")),
            "id": _text(thread, "id"),
            "link": _text(thread, "link") or _text(thread, "id") or thread.get(INTERNALS, ""),
            "owner": _text(owner, "username"),
            "owner_name": _text(owner, "name"),
        }
    forum = _text(root.find(DISQUS + "category"), "forum") or str(path)
    plan = Plan(site=f"disqus:{forum}", version="Disqus export", source="disqus")
    posts = root.findall(DISQUS + "post")
    ids = {
        post.get(INTERNALS, ""): comment_id(plan.site, post.get(INTERNALS, ""), _when(post)) for post in posts
    }
    copies = _copies(posts, threads)
    for copy, first in copies.items():
        ids[copy] = ids[first]  # a reply to the copy answers the comment kept
    unmatched = Unmatched(plan, pages)
    seen: set[str] = set()
    for post in posts:
        thread = threads.get(_reference(post, "thread"))
        number = post.get(INTERNALS, "")
        if number in copies or (number and number in seen):
            plan.counts[
                "comments in the export twice (two threads of one essay, or one post twice), imported once"
            ] += 1
            continue
        seen.add(number)
        if _text(post, "isDeleted") == "true":
            plan.counts["deleted comments skipped"] += 1
        elif _text(post, "isSpam") == "true":
            plan.counts["spam skipped"] += 1
        elif thread is None:
            unmatched.add("(no thread)", 1)
        elif thread["essay"] is None:
            unmatched.add(thread["link"], 1, thread["id"], thread["link"])
        else:
            _read_post(post, thread, ids, author, plan)
    return plan, unmatched.notes()


def _copies(posts: list[Element], threads: dict) -> dict[str, str]:
    """The posts that are another's copy, each with the Disqus id of the one kept (the first). A
    page that changed address (`/slug/`, then `/blog/slug.html`) has two threads in Disqus, often
    with the same comments in both: the same writer, moment and words on one essay are one."""
    first: dict[tuple, str] = {}
    copies: dict[str, str] = {}
    for post in posts:
        thread = threads.get(_reference(post, "thread"))
        if thread is None or thread["essay"] is None or _text(post, "isDeleted") == "true":
            continue
        writer = post.find(DISQUS + "author")
        who = _text(writer, "username") or _text(writer, "name")
        words = " ".join(_text(post, "message").split())
        key = (thread["essay"], who, _text(post, "createdAt"), words)
        number = post.get(INTERNALS, "")
        if key in first and first[key] != number:
            copies[number] = first[key]
        else:
            first.setdefault(key, number)
    return copies


def _reference(post: Element, name: str) -> str:
    """The Disqus id a post's <thread> or <parent> refers to ("" when it has none)."""
    found = post.find(DISQUS + name)
    return found.get(INTERNALS, "") if found is not None else ""


def _when(post: Element) -> datetime:
    """A post's moment: Disqus writes UTC, with a `Z` or, in files other tools wrote, without."""
    try:
        moment = datetime.fromisoformat(_text(post, "createdAt").replace("Z", "+00:00"))
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _is_owner(writer: Element | None, thread: dict, author: str) -> bool:
    """Whether the site's owner wrote this: signed in as the thread's creator, or, named by
    `--author`, by name. An owner who answered without signing in (`isAnonymous`) is recorded by
    name only, the name the thread's creator has or the one `--author` gives: only then is an
    anonymous post theirs, so a reader who typed the owner's name is not without `--author`."""
    name, username = _text(writer, "name"), _text(writer, "username")
    wanted = author.strip().lower()
    if _text(writer, "isAnonymous") != "true":
        return bool(username and username == thread["owner"]) or bool(wanted and name.lower() == wanted)
    if not wanted:
        return False
    owner = {thread["owner"].lower(), thread["owner_name"].lower()} - {""}
    return name.lower() == wanted or (wanted in owner and name.lower() in owner)


def _read_post(post: Element, thread: dict, ids: dict, author: str, plan: Plan) -> None:
    number = post.get(INTERNALS, "")
    writer = post.find(DISQUS + "author")
    name = _text(writer, "name")
    parent = ids.get(_reference(post, "parent"), "")
    body = html_to_markdown(_text(post, "message"))
    if not body.strip():
        plan.counts["empty comments skipped"] += 1
        return
    by_owner = _is_owner(writer, thread, author)
    response = bool(by_owner and parent)
    moment = _when(post)
    if _text(post, "isApproved") == "false":
        plan.pending.append(pending(ids[number], thread["essay"], parent, name, "", body, moment))
        plan.counts["comments queued as pending"] += 1
        return
    plan.publish(ids[number], thread["essay"], moment, body, name, parent=parent, response=response)


def read_import_format(
    root: Element,
    essays: dict[str, EssayInfo],
    mapping: dict,
    author: str,
    pages: dict[str, str] | None = None,
) -> tuple[Plan, list[str]]:
    """The plan of a file in Disqus's import format (what a blog hands Disqus, or another tool
    writes for it): one <item> per page with its <wp:comment>s, matched to essays as threads are."""
    channel = root.find("channel")
    items = channel.findall("item") if channel is not None else []
    wp = next(
        (f"{{{uri}}}" for uri in WP_NAMESPACES if root.find(f"channel/item/{{{uri}}}comment") is not None), ""
    )
    plan = Plan(
        site=f"disqus:{(channel.findtext('link') or 'import file').strip()}",
        version="Disqus import format",
        source="disqus",
    )
    essay_of = essay_matcher(essays, mapping)
    wanted = author.strip().lower()
    unmatched = Unmatched(plan, pages)
    for item in items:
        identifier = (item.findtext(IMPORT_FORMAT + "thread_identifier") or "").strip()
        link = (item.findtext("link") or "").strip()
        essay = essay_of(identifier, link)
        comments = item.findall(wp + "comment") if wp else []
        if essay is None:
            unmatched.add(link or identifier or "(no link)", len(comments), identifier, link)
            continue
        by_number = {(c.findtext(wp + "comment_id") or "").strip(): c for c in comments}
        ids = {
            number: comment_id(plan.site, f"{identifier or link}/{number}", _wp_when(c, wp))
            for number, c in by_number.items()
        }
        for number, comment in by_number.items():
            text = {
                name: (comment.findtext(wp + name) or "").strip()
                for name in (
                    "comment_author",
                    "comment_author_email",
                    "comment_author_url",
                    "comment_content",
                    "comment_approved",
                    "comment_parent",
                )
            }
            body = html_to_markdown(text["comment_content"])
            if not body.strip():
                plan.counts["empty comments skipped"] += 1
                continue
            if text["comment_approved"] in ("spam", "trash"):
                plan.counts[f"comments marked {text['comment_approved']} skipped"] += 1
                continue
            parent = ids.get(text["comment_parent"], "")
            mine = bool(wanted) and wanted in (
                text["comment_author"].lower(),
                text["comment_author_email"].lower(),
            )
            moment = _wp_when(comment, wp)
            name = text["comment_author"]
            if text["comment_approved"] != "1":
                plan.pending.append(
                    pending(ids[number], essay, parent, name, text["comment_author_email"], body, moment)
                )
                plan.counts["comments queued as pending"] += 1
                continue
            website = "" if mine else kept_website(text["comment_author_url"], plan.counts)
            plan.publish(
                ids[number],
                essay,
                moment,
                body,
                name,
                parent=parent,
                website=website,
                response=mine and bool(parent),
            )
    return plan, unmatched.notes()


def _wp_when(comment: Element, wp: str) -> datetime:
    """A comment's moment: `comment_date_gmt` is UTC, written without a zone."""
    value = (comment.findtext(wp + "comment_date_gmt") or "").strip()
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)
