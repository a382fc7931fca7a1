"""Import pelican_comment_system's comments: its `content/comments/<essay-slug>/<name>.md` files.

Each file is a header (`date`, `author`, `email`, `replyto`, `website`), a blank line and the
comment in Markdown; `replyto` names the file it answers without its dot (`1234md` for `1234.md`).
A folder is matched to an essay by `--map` first, then by its name being the essay's slug; a folder
that matches none is reported with its count. The comments the name or email given with `--author`
wrote, when they answer one, become the author's responses. Emails are never read into anything.
"""

import os
from datetime import datetime, tzinfo
from pathlib import Path

from pelican.utils import get_date

from .plan import ImportFailed, Plan, Unmatched, comment_id, kept_website, read_text

SOURCE = "pelican-comment-system"


class CommentSystemError(ImportFailed):
    """A folder that cannot be imported: one line saying which and why."""


def _header(text: str) -> tuple[dict[str, str], str]:
    header, _, body = text.partition("\n\n")
    fields = {}
    for line in header.splitlines():
        key, colon, value = line.partition(":")
        if colon:
            fields[key.strip().lower()] = value.strip()
    return fields, body.strip("\n")


def read_folder(
    folder: str | os.PathLike,
    essays: set[str],
    zone: tzinfo,
    mapping: dict | None = None,
    author: str = "",
    pages: dict[str, str] | None = None,
) -> tuple[Plan, list[str]]:
    """The plan of a comments folder for the site's essays (their slugs), and one line per folder
    that matches none (a folder of one of the site's `pages`, slug → address, is counted as such).
    `zone` is the site's, for a date written without an offset."""
    root = Path(folder)
    if not root.is_dir():
        raise CommentSystemError(f"{root}: not a folder (give pelican_comment_system's content/comments/)")
    plan = Plan(
        site=str(root),
        version="pelican_comment_system files",
        source=SOURCE,
    )
    unmatched = Unmatched(plan, pages, threads="folders")
    threads = sorted(path for path in root.iterdir() if path.is_dir() and not path.name.startswith("."))
    if not threads:
        raise CommentSystemError(f"{root}: no comment folders (one folder per essay slug expected)")
    for thread in threads:
        files = sorted(path for path in thread.iterdir() if path.is_file() and not path.name.startswith("."))
        essay = (mapping or {}).get(thread.name) or (thread.name if thread.name in essays else None)
        if essay is None:
            unmatched.add(f"{thread.name}/", len(files), thread.name)
            continue
        _read_thread(thread, files, essay, zone, author, plan)
    return plan, unmatched.notes()


def _date(value: str) -> datetime:
    """A comment's date as the plugin wrote it (ISO 8601), or as Pelican reads dates (an imported
    Blogger comment says `Fri, 8 Jun 2018 04:22:37 +0000`)."""
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return get_date(value)


def _read_thread(thread: Path, files: list[Path], essay: str, zone: tzinfo, author: str, plan: Plan) -> None:
    read = []
    for path in files:
        name = f"{thread.name}/{path.name}"
        try:
            fields, body = _header(read_text(path))
        except ImportFailed as error:
            plan.unreadable.append((name, str(error).removeprefix(f"{path}: ")))
            continue
        try:
            moment = _date(fields.get("date", ""))
        except (ValueError, OverflowError):
            why = (
                f"date {fields['date']!r} is not a date"
                if fields.get("date")
                else "no `date:` line in its header"
            )
            plan.unreadable.append((name, why))
            continue
        moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
        read.append((path, fields, body, moment))
    # A file is answered by the name it had without its dot.
    ids = {
        path.name.replace(".", ""): comment_id(plan.site, f"{essay}/{path.name}", m) for path, _, _, m in read
    }
    for path, fields, body, moment in read:
        if not body.strip():
            plan.counts["empty comments skipped"] += 1
            continue
        name = fields.get("author", "")
        parent = ids.get(fields.get("replyto", "").strip(), "")
        mine = bool(author) and author.lower() in (name.lower(), fields.get("email", "").lower())
        website = kept_website(fields.get("website", ""), plan.counts)
        response = mine and bool(parent)
        item_id = ids[path.name.replace(".", "")]
        plan.publish(item_id, essay, moment, body, name, parent=parent, website=website, response=response)
