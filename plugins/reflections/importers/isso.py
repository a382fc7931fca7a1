"""Import an Isso database (the SQLite file its `dbpath` names), every Isso version's schema.

Isso keeps a thread per page address (`threads.uri`) and its comments in Markdown, with a mode:
1 accepted, 2 waiting for moderation, 4 deleted (kept only because it has replies). A thread is
matched to an essay by `--map`, by its address's last segment being a slug, or by its address
being the essay's. Accepted comments are published with their threads, waiting ones go to the
queue (with the email Isso kept, for the reply mail), deleted ones are counted. Isso knows no site
owner: the comments the name or email given with `--author` wrote become responses where they
answer one. The database is opened read-only; its `remote_addr` column is never read.
"""

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from ..core.essay_header import EssayInfo
from .plan import ImportFailed, Plan, Unmatched, comment_id, essay_matcher, kept_website, pending

SOURCE = "isso"
ACCEPTED, WAITING, DELETED = 1, 2, 4
#: The columns read, named: never `remote_addr`, `voters` or `notification`.
COLUMNS = ("tid", "id", "parent", "created", "mode", "text", "author", "email", "website")


class IssoError(ImportFailed):
    """A file that cannot be imported: one line saying which and why."""


def _open(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise IssoError(f"{path}: no such file (give the database Isso's `dbpath` names)")
    try:
        database = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        tables = {
            name: {column[1] for column in database.execute(f"PRAGMA table_info({name})")}
            for (name,) in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    except sqlite3.DatabaseError as error:
        raise IssoError(f"{path}: not an SQLite database ({error})") from None
    if not set(COLUMNS) <= tables.get("comments", set()) or not {"id", "uri"} <= tables.get("threads", set()):
        database.close()
        raise IssoError(f"{path}: not an Isso database (no threads and comments tables with Isso's columns)")
    return database


def read_database(
    path: str | os.PathLike,
    essays: dict[str, EssayInfo],
    mapping: dict | None = None,
    author: str = "",
    pages: dict[str, str] | None = None,
) -> tuple[Plan, list[str]]:
    """The plan of an Isso database for these essays, and one line per thread matching none (a
    thread on one of the site's `pages`, slug → address, is counted as such)."""
    database = _open(Path(path))
    try:
        threads = dict(database.execute("SELECT id, uri FROM threads"))
        rows = database.execute(f"SELECT {', '.join(COLUMNS)} FROM comments ORDER BY id").fetchall()
    except sqlite3.DatabaseError as error:
        raise IssoError(f"{path}: cannot be read ({error})") from None
    finally:
        database.close()
    plan = Plan(site="isso:" + Path(path).name, version="Isso database", source=SOURCE)
    essay_of = essay_matcher(essays, mapping or {})
    comments = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    ids = {row["id"]: comment_id(plan.site, str(row["id"]), _moment(row)) for row in comments}
    unmatched = Unmatched(plan, pages)
    wanted = author.strip().lower()
    for row in comments:
        uri = threads.get(row["tid"]) or ""
        essay = essay_of("", uri) if uri else None
        body = (row["text"] or "").replace("\r\n", "\n")
        if row["mode"] == DELETED:
            plan.counts["deleted comments skipped"] += 1
        elif essay is None:
            unmatched.add(uri or "(no thread)", 1, link=uri)
        elif not body.strip():
            plan.counts["empty comments skipped"] += 1
        elif row["mode"] == WAITING:
            name, email = row["author"] or "", row["email"] or ""
            parent = ids.get(row["parent"], "")
            plan.pending.append(pending(ids[row["id"]], essay, parent, name, email, body, _moment(row)))
            plan.counts["comments queued as pending"] += 1
        elif row["mode"] == ACCEPTED:
            name = row["author"] or ""
            parent = ids.get(row["parent"], "")
            mine = bool(wanted) and wanted in (name.lower(), (row["email"] or "").lower())
            website = kept_website(row["website"] or "", plan.counts)
            plan.publish(
                ids[row["id"]],
                essay,
                _moment(row),
                body,
                name,
                parent=parent,
                website=website,
                response=mine and bool(parent),
            )
        else:
            plan.counts[f"comments in an unknown mode ({row['mode']}) skipped"] += 1
    return plan, unmatched.notes()


def _moment(row: dict) -> datetime:
    try:
        return datetime.fromtimestamp(float(row["created"]), UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime(1970, 1, 1, tzinfo=UTC)
