"""The queue: everything a reader sent, in whatever state, and the moderation log. The Store class
gathers every part of the store (outbox.py, keys.py, backup.py, jobs.py): each method is one
transaction, takes and returns plain records, and raises the store's own errors.

SQLite (WAL) by default, a file in the site folder created on first use; PostgreSQL when
REFLECTIONS_DATABASE_URL names it, for several service instances.
"""

import asyncio
import os
import threading
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import datetime
from typing import NamedTuple

import anyio
from sqlalchemy import bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from .backup import Backup
from .deployments import Deployments
from .elsewhere import Elsewhere
from .engine import body_hash, guarded, make_engine, migrate, now, record, reflection_of, space_problem
from .groupcommit import GroupCommit
from .jobs import Jobs
from .keys import Keys
from .marks import Marks
from .outbox import Outbox
from .records import LogEntry, Reflection
from .retention import Retention
from .tables import LogRow, MarkRow, ReflectionRow, UsedTokenRow, UTCDateTime


class _Submission(NamedTuple):
    reflection: Reflection
    since: datetime
    token: str = ""
    token_since: datetime | None = None
    reader_key: str = ""


# Built once: making these statement objects costs more per submission than running them.
#: What a batch of submissions could repeat: the same words on an essay since the earliest `since`.
_DUPLICATES = select(ReflectionRow.essay, ReflectionRow.body_hash, ReflectionRow.created).where(
    ReflectionRow.body_hash.in_(bindparam("digests", expanding=True)),
    ReflectionRow.created >= bindparam("since", type_=UTCDateTime()),
    ReflectionRow.state != "withdrawn",
)
_INSERT_REFLECTION = insert(ReflectionRow.__table__)
_INSERT_LOG = insert(LogRow.__table__)


#: Which of a batch's readers (their emails' keyed hashes) the author blocked.
_BLOCKED = select(MarkRow.value).where(
    MarkRow.mark == "blocked", MarkRow.what == "email", MarkRow.value.in_(bindparam("keys", expanding=True))
)
_USE_TOKEN = insert(UsedTokenRow.__table__)
_TOKENS_USED = select(UsedTokenRow.nonce).where(UsedTokenRow.nonce.in_(bindparam("nonces", expanding=True)))
_FORGET_TOKENS = delete(UsedTokenRow.__table__).where(
    UsedTokenRow.used < bindparam("before", type_=UTCDateTime())
)


def _filtered(query, state, essay, visibility, not_kind, origin):
    """`query` narrowed as `Store.find` narrows the queue (each filter when given)."""
    for column, value in (
        (ReflectionRow.state, state),
        (ReflectionRow.essay, essay),
        (ReflectionRow.visibility, visibility),
    ):
        if value:
            query = query.where(column == value)
    if not_kind:
        query = query.where(ReflectionRow.kind != not_kind)
    if origin == "here":
        query = query.where(ReflectionRow.origin == "")
    elif origin == "elsewhere":
        query = query.where(ReflectionRow.origin != "")
    elif origin:
        query = query.where(ReflectionRow.origin == origin)
    return query


@guarded
class Store(Keys, Outbox, Backup, Jobs, Deployments, Retention, Elsewhere, Marks):
    """The queue's operations. Every method is one transaction."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.engine = make_engine(url, timeout)
        migrate(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        #: Set when this process commits a job: wakes a publisher in the same process at once.
        self._jobs_added = threading.Event()
        #: The lease on a database without a file (in memory), which only this process can see.
        self._memory_lease = threading.Lock()
        #: Submissions written together on SQLite (groupcommit.py); one by one on PostgreSQL.
        self._submissions = (
            GroupCommit(self._add_submissions, self._add_submission) if self.engine.name == "sqlite" else None
        )

    def write_problem(self) -> str | None:
        """Why the queue cannot take a write now (a full disk, a read-only database), or None."""
        if self.engine.dialect.name == "sqlite":
            database = self.engine.url.database
            if not database or database == ":memory:":
                return None
            problem = space_problem(os.path.dirname(os.path.abspath(database)))
            if problem is None and os.path.exists(database) and not os.access(database, os.W_OK):
                problem = "the database file is read-only"
            return problem
        with self.engine.connect() as connection:
            read_only = connection.exec_driver_sql("SHOW transaction_read_only").scalar()
        return "the database is read-only" if read_only == "on" else None

    def pending_since(self, moment: datetime) -> list[Reflection]:
        query = select(ReflectionRow).where(ReflectionRow.state == "pending", ReflectionRow.created > moment)
        with self.sessions() as session:
            return [reflection_of(row) for row in session.scalars(query.order_by(ReflectionRow.created))]

    def add_unless_duplicate(
        self,
        reflection: Reflection,
        since: datetime,
        token: str = "",
        token_since: datetime | None = None,
        reader_key: str = "",
    ) -> str | None:
        """Queue a reader's submission. None when it is queued, committed; "blocked" when it is
        queued as spam (flags "blocked"), because the author blocked `reader_key` (the keyed hash
        of its email, as marks keep it); else why not, with nothing stored: "duplicate" (the same
        body reached the same essay since `since`) or "token used" (the form token `token` already
        vouched for a submission; tokens used before `token_since` are forgotten, as they have
        expired).

        Prepared Core statements, not the ORM's unit of work: this is the intake service's hot path.
        The block list is read in the batch's own transaction, so a submission is never looked up
        apart from where it is written.
        """
        submission = _Submission(reflection, since, token, token_since, reader_key)
        if self._submissions is None:
            return self._add_submission(submission)
        return self._submissions.submit(submission)

    async def queue_submission(self, *arguments, **keywords) -> str | None:
        """`add_unless_duplicate` (the same arguments and answers), awaited on an event loop: on
        SQLite the group commit's answer is awaited without holding a thread; on PostgreSQL (each
        written alone) in a worker thread."""
        submission = _Submission(*arguments, **keywords)
        if self._submissions is None:
            return await anyio.to_thread.run_sync(self._add_submission, submission)
        return await asyncio.wrap_future(self._submissions.enqueue(submission))

    def _add_submission(self, submission: "_Submission") -> str | None:
        try:
            return self._add_submissions([submission])[0]
        except IntegrityError:
            return "token used"  # another process took the token between the look and the write

    def _add_submissions(self, submissions: list["_Submission"]) -> list[str | None]:
        """Submissions in one transaction, each looked at after the ones before it: what the
        store already holds is read for all of them at once, and what they add written at once."""
        answers: list[str | None] = []
        rows, logs, tokens = [], [], []
        with self.engine.begin() as connection:
            forget = [s.token_since for s in submissions if s.token and s.token_since is not None]
            if forget:
                connection.execute(_FORGET_TOKENS, {"before": min(forget)})
            digests = sorted({s.reflection.body_hash for s in submissions})
            earliest = min(s.since for s in submissions)
            written: dict[tuple[str, str], list[datetime]] = {}
            for essay, digest, created in connection.execute(
                _DUPLICATES, {"digests": digests, "since": earliest}
            ):
                written.setdefault((essay, digest), []).append(created)
            nonces = sorted({s.token for s in submissions if s.token})
            taken = (
                {row[0] for row in connection.execute(_TOKENS_USED, {"nonces": nonces})} if nonces else set()
            )
            keys = sorted({s.reader_key for s in submissions if s.reader_key})
            blocked = {row[0] for row in connection.execute(_BLOCKED, {"keys": keys})} if keys else set()
            for submission in submissions:
                reflection, token = submission.reflection, submission.token
                key = (reflection.essay, reflection.body_hash)
                if any(created >= submission.since for created in written.get(key, ())):
                    answers.append("duplicate")
                    continue
                if token and token in taken:
                    answers.append("token used")
                    continue
                if token:
                    taken.add(token)
                    tokens.append({"nonce": token, "used": reflection.created})
                written.setdefault(key, []).append(reflection.created)
                answer = None
                if submission.reader_key in blocked:
                    # Kept, out of sight, as spam: the reader is answered as anyone is.
                    reflection, answer = replace(reflection, state="spam", flags="blocked"), "blocked"
                rows.append(asdict(reflection))
                logs.append(
                    {
                        "action": "received",
                        "item": reflection.id,
                        "at": reflection.created,
                        "actor": "reader",
                        "detail": "",
                    }
                )
                answers.append(answer)
            for statement, values in ((_USE_TOKEN, tokens), (_INSERT_REFLECTION, rows), (_INSERT_LOG, logs)):
                if values:
                    connection.execute(statement, values)
        return answers

    def add(self, reflection: Reflection, actor: str = "reader") -> Reflection:
        self.add_many([reflection], actor)
        return reflection

    def add_many(self, reflections: list[Reflection], actor: str) -> None:
        """Queue items in one transaction, each with its "received" log entry: all of them, or none."""
        with self.sessions.begin() as session:
            for reflection in reflections:
                session.add(ReflectionRow(**asdict(reflection)))
                session.add(LogRow(action="received", item=reflection.id, at=reflection.created, actor=actor))

    def get(self, item_id: str) -> Reflection | None:
        with self.sessions() as session:
            found = session.get(ReflectionRow, item_id)
            return reflection_of(found) if found is not None else None

    def find(
        self,
        state: str | None = None,
        essay: str | None = None,
        visibility: str | None = None,
        not_kind: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        care_first: bool = False,
        origin: str | None = None,
    ) -> list[Reflection]:
        """Items oldest first, filtered by whichever of state, essay and visibility are given (and
        leaving out one kind); `limit` and `offset` page through them. `care_first`: the items
        marked as needing care (their flags start with `care`) before all others. `origin`: where
        they came from ("here" for this site's own, "elsewhere" for any other, or one origin)."""
        order = [ReflectionRow.created, ReflectionRow.id]
        if care_first:
            marked = or_(ReflectionRow.flags == "care", ReflectionRow.flags.like("care,%"))
            order.insert(0, case((marked, 0), else_=1))
        query = _filtered(select(ReflectionRow).order_by(*order), state, essay, visibility, not_kind, origin)
        query = query.offset(offset).limit(limit)  # limit None: no limit
        with self.sessions() as session:
            return [reflection_of(row) for row in session.scalars(query)]

    def essays_of(
        self, state: str | None = None, visibility: str | None = None, not_kind: str | None = None
    ) -> list[str]:
        """The essays (slugs) that have items in a view of the queue, filtered as `find` filters."""
        query = _filtered(select(ReflectionRow.essay).distinct(), state, None, visibility, not_kind, None)
        with self.sessions() as session:
            return sorted(session.scalars(query))

    def count_pending(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).where(ReflectionRow.state == "pending")) or 0

    def transition(
        self, item_id: str, to: str, allowed_from: tuple[str, ...], actor: str, detail: str = ""
    ) -> Reflection | None:
        """Move an item to state `to` if it is in one of `allowed_from`. Returns the item as it was
        before, or None when it was not in an allowed state (nothing changed).

        The row is locked first, so two moderators (or two processes) acting at once take turns and
        each decides from the state the other left. When the change shows or hides something on the
        site, a publication job is committed with it (jobs.py): the publisher does the rest.
        """
        with self._locked(item_id) as (session, row):
            if row is None or row.state not in allowed_from:
                return None
            before = reflection_of(row)
            row.state, row.decided = to, now()
            session.add(LogRow(action=to, item=item_id, at=now(), actor=actor, detail=detail))
            self._publication(session, before, reflection_of(row))
            return before

    def edit(self, item_id: str, changes: dict[str, str], actor: str) -> Reflection | None:
        """Change an item's body, name or content note (the keys of `changes`); each original is kept
        in the moderation log. Returns the item as it was (None when there is no such item)."""
        with self._locked(item_id) as (session, row):
            if row is None:
                return None
            before = reflection_of(row)
            for field in ("body", "name", "content_note"):
                if field not in changes or changes[field] == getattr(before, field):
                    continue
                setattr(row, field, changes[field])
                # The body's original is the whole detail (as ever); the others say which field.
                label = {"body": "", "name": "name: ", "content_note": "content note: "}[field]
                detail = label + getattr(before, field)
                session.add(LogRow(action="edited", item=item_id, at=now(), actor=actor, detail=detail))
            row.body_hash = body_hash(row.body)
            self._publication(session, before, reflection_of(row))
            return before

    def delete(self, item_id: str, actor: str) -> Reflection | None:
        """Remove an item for good; the log keeps that it existed and was deleted. Returns the item
        as it was (None when there is no such item)."""
        with self._locked(item_id) as (session, row):
            if row is None:
                return None
            before = reflection_of(row)
            session.delete(row)
            session.add(LogRow(action="deleted", item=item_id, at=now(), actor=actor))
            self._publication(session, before, None)
            return before

    @contextmanager
    def _locked(self, item_id: str):
        """One transaction holding the item's row locked: yields (session, row or None), commits
        when the caller's block ends (and rolls back if it raises)."""
        with self.sessions() as session:
            # A write first: SQLite takes its write lock (waiting up to the timeout) and PostgreSQL
            # the row's, so the row read next is the latest and stays so until COMMIT.
            session.execute(
                update(ReflectionRow).where(ReflectionRow.id == item_id).values(state=ReflectionRow.state)
            )
            row = session.get(ReflectionRow, item_id, populate_existing=True)
            yield session, row
            session.commit()
            self._jobs_committed(session)

    def log(self, action: str, item_id: str, actor: str, detail: str = "") -> None:
        with self.sessions.begin() as session:
            session.add(LogRow(action=action, item=item_id, at=now(), actor=actor, detail=detail))

    def history(self, limit: int | None = None, offset: int = 0) -> list[LogEntry]:
        """The moderation log, newest first (a page of it with `limit` and `offset`)."""
        query = select(LogRow).order_by(LogRow.at.desc(), LogRow.id.desc()).offset(offset).limit(limit)
        with self.sessions() as session:
            return [record(LogEntry, row) for row in session.scalars(query)]

    def history_of(self, item_id: str) -> list[LogEntry]:
        """One item's moderation log, oldest first."""
        query = select(LogRow).where(LogRow.item == item_id).order_by(LogRow.at, LogRow.id)
        with self.sessions() as session:
            return [record(LogEntry, row) for row in session.scalars(query)]
