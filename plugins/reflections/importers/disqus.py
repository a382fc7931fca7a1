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
from collections import Counter
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import parse as parse_xml

from ..core.essay_header import EssayInfo
from .plan import ImportFailed, Plan, comment_id, essay_matcher, pending
from .wordpress import html_to_markdown

DISQUS = "{http://disqus.com}"
INTERNALS = "{http://disqus.com/disqus-internals}id"


class DisqusError(ImportFailed):
    """A file that cannot be imported: one line saying which and why."""


def _text(element: Element | None, name: str) -> str:
    found = element.find(DISQUS + name) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def read_export(
    path: str | os.PathLike, essays: dict[str, EssayInfo], mapping: dict | None = None, author: str = ""
) -> tuple[Plan, list[str]]:
    """The plan of a Disqus export for these essays, and one line for each thread matching none."""
    try:
        root = parse_xml(path).getroot()
    except (ParseError, DefusedXmlException) as error:
        raise DisqusError(f"{path}: not a readable XML file ({error})") from None
    except OSError as error:
        raise DisqusError(f"{path}: cannot be read ({error.strerror})") from None
    if root.tag != DISQUS + "disqus":
        raise DisqusError(f"{path}: not a Disqus export (no <disqus> root)")
    essay_of = essay_matcher(essays, mapping or {})
    threads = {}
    for thread in root.findall(DISQUS + "thread"):
        owner = thread.find(DISQUS + "author")
        threads[thread.get(INTERNALS, "")] = {
            "essay": essay_of(_text(thread, "id"), _text(thread, "link")),
            "link": _text(thread, "link") or _text(thread, "id") or thread.get(INTERNALS, ""),
            "owner": _text(owner, "username"),
        }
    forum = _text(root.find(DISQUS + "category"), "forum") or str(path)
    plan = Plan(site=f"disqus:{forum}", version="Disqus export", source="disqus")
    posts = root.findall(DISQUS + "post")
    ids = {
        post.get(INTERNALS, ""): comment_id(plan.site, post.get(INTERNALS, ""), _when(post)) for post in posts
    }
    unmatched: Counter = Counter()
    for post in posts:
        thread = threads.get(_reference(post, "thread"))
        if _text(post, "isDeleted") == "true":
            plan.counts["deleted comments skipped"] += 1
        elif _text(post, "isSpam") == "true":
            plan.counts["spam skipped"] += 1
        elif thread is None or thread["essay"] is None:
            unmatched[thread["link"] if thread else "(no thread)"] += 1
            plan.counts["comments on threads that match no essay (see below; --map)"] += 1
        else:
            _read_post(post, thread, ids, author, plan)
    notes = [f"{link}: {count} comment(s), no essay matches" for link, count in sorted(unmatched.items())]
    return plan, notes


def _reference(post: Element, name: str) -> str:
    """The Disqus id a post's <thread> or <parent> refers to ("" when it has none)."""
    found = post.find(DISQUS + name)
    return found.get(INTERNALS, "") if found is not None else ""


def _when(post: Element) -> datetime:
    try:
        return datetime.fromisoformat(_text(post, "createdAt").replace("Z", "+00:00"))
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)


def _read_post(post: Element, thread: dict, ids: dict, author: str, plan: Plan) -> None:
    number = post.get(INTERNALS, "")
    writer = post.find(DISQUS + "author")
    name = _text(writer, "name")
    username = _text(writer, "username")
    parent = ids.get(_reference(post, "parent"), "")
    body = html_to_markdown(_text(post, "message"))
    if not body.strip():
        plan.counts["empty comments skipped"] += 1
        return
    by_owner = _text(writer, "isAnonymous") != "true" and (
        (username and username == thread["owner"]) or (author and name == author)
    )
    response = bool(by_owner and parent)
    moment = _when(post)
    if _text(post, "isApproved") == "false":
        plan.pending.append(pending(ids[number], thread["essay"], parent, name, "", body, moment))
        plan.counts["comments queued as pending"] += 1
        return
    plan.publish(ids[number], thread["essay"], moment, body, name, parent=parent, response=response)
