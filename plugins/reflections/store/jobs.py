"""Publication jobs, and the lease that makes exactly one process the site's publisher.

A moderation act that shows or hides something commits a job in its own transaction (queue.py);
the publisher takes the waiting jobs in order, brings the files and pages in line with the store,
and records each job's outcome. Exactly one publisher per site: on PostgreSQL whoever holds an
advisory lock (released by the server the moment its connection dies, so a killed publisher is
replaced at once), on SQLite whoever holds a lock on a file beside the database.
"""

import fcntl
import os
import threading
from pathlib import Path

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.orm import Session

from .deployments import retry_delay
from .engine import StoreUnavailable, now, record
from .records import Job, Reflection
from .tables import JobRow

#: The PostgreSQL channel a committed job is announced on.
CHANNEL = "withness_publication"
#: The advisory lock the publisher holds (any constant; it names the lease, not a row).
LEASE_KEY = 0x5749_5448


class Lease:
    """Held by the one publisher until `release()` or the end of its process."""

    def __init__(self, wake: threading.Event) -> None:
        self._wake = wake

    def wait(self, timeout: float) -> None:
        """Until a job may be waiting (announced by this process, or another's on PostgreSQL), or
        `timeout` seconds: the poll that catches whatever was not announced."""
        self._wake.wait(timeout)
        self._wake.clear()

    def release(self) -> None:
        pass


class _FileLease(Lease):
    def __init__(self, wake: threading.Event, handle) -> None:
        super().__init__(wake)
        self._handle = handle

    def release(self) -> None:
        self._handle.close()  # closing the file drops its lock


class _ProcessLease(Lease):
    """A database with no file (in memory): the process is the only one that can see it."""

    def __init__(self, wake: threading.Event, lock: threading.Lock) -> None:
        super().__init__(wake)
        self._lock = lock

    def release(self) -> None:
        self._lock.release()


class _PostgresLease(Lease):
    def __init__(self, wake: threading.Event, connection) -> None:
        super().__init__(wake)
        self._connection = connection

    def wait(self, timeout: float) -> None:
        if self._wake.is_set():
            self._wake.clear()
            return
        try:
            for _notice in self._connection.notifies(timeout=timeout, stop_after=1):
                pass
        except Exception as error:  # the connection (and with it the lease) is gone
            raise StoreUnavailable(f"the publisher's connection was lost: {error}") from error

    def release(self) -> None:
        try:
            # Unlocked before the session ends: the server drops a closed session's locks a moment
            # later, and the next publisher would find the lease still held meanwhile.
            self._connection.execute("SELECT pg_advisory_unlock(%s)", (LEASE_KEY,))
        except Exception:
            pass  # the connection is gone already, and the lock with it
        try:
            self._connection.close()
        except Exception:
            pass


class Jobs:
    def _publication(self, session: Session, before: Reflection, after: Reflection | None) -> None:
        """In the act's transaction: a job when the act shows or hides something on the site."""
        if not (before.is_published or (after is not None and after.is_published)):
            return
        session.add(JobRow(essay=before.essay, item=before.id, created=now(), state="waiting", attempts=0))
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
        session.info["publication"] = True

    def waiting_jobs(self, limit: int = 500) -> list[Job]:
        """The jobs to run: those waiting, and the failed ones whose next try is due."""
        due = and_(JobRow.state == "failed", JobRow.next_try.is_not(None), JobRow.next_try <= now())
        query = select(JobRow).where(or_(JobRow.state == "waiting", due)).order_by(JobRow.id).limit(limit)
        with self.sessions() as session:
            return [record(Job, row) for row in session.scalars(query)]

    def jobs(self, state: str | None = None, limit: int = 50) -> list[Job]:
        """The newest jobs (in one state), newest first: what the moderation pages show."""
        query = select(JobRow).order_by(JobRow.id.desc()).limit(limit)
        if state:
            query = query.where(JobRow.state == state)
        with self.sessions() as session:
            return [record(Job, row) for row in session.scalars(query)]

    def count_jobs(self) -> dict[str, int]:
        """How many jobs are waiting and how many failed (done ones are history)."""
        query = select(JobRow.state, func.count()).where(JobRow.state != "done").group_by(JobRow.state)
        with self.sessions() as session:
            found = dict(session.execute(query).all())
        return {"waiting": found.get("waiting", 0), "failed": found.get("failed", 0)}

    def finish_jobs(self, ids: list[int], reason: str = "") -> None:
        """Done (no reason), or failed with its one-line reason and tried again by itself later
        (retry_delay: 15 s, doubling to 10 minutes); either way one more attempt."""
        if not ids:
            return
        moment = now()
        with self.sessions.begin() as session:
            for row in session.scalars(select(JobRow).where(JobRow.id.in_(ids))):
                row.attempts += 1
                row.state, row.reason, row.finished = ("failed" if reason else "done"), reason, moment
                row.next_try = moment + retry_delay(row.attempts) if reason else None

    def retry_failed_jobs(self, ids: list[int] | None = None) -> int:
        """Failed jobs (those of `ids`, or all) wait again at once (their cause may be fixed);
        returns how many."""
        chosen = JobRow.state == "failed"
        if ids is not None:
            chosen = and_(chosen, JobRow.id.in_(ids))
        with self.sessions.begin() as session:
            count = session.execute(
                update(JobRow).where(chosen).values(state="waiting", next_try=None)
            ).rowcount
        if count:
            self._jobs_added.set()
        return count

    def publisher_lease(self) -> Lease | None:
        """The publisher's lease if no one else holds it, else None (never waits)."""
        url = self.engine.url
        if url.get_backend_name() == "postgresql":
            return self._postgres_lease()
        database = url.database or ""
        if database in ("", ":memory:"):
            lock = self._memory_lease
            return _ProcessLease(self._jobs_added, lock) if lock.acquire(blocking=False) else None
        handle = open(Path(database).with_name(Path(database).name + ".publisher"), "a+b")  # noqa: SIM115
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        os.set_inheritable(handle.fileno(), False)
        return _FileLease(self._jobs_added, handle)

    def _postgres_lease(self) -> Lease | None:
        import psycopg

        address = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            connection = psycopg.connect(address, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as error:
            raise StoreUnavailable(str(error).strip().splitlines()[0]) from error
        held = connection.execute("SELECT pg_try_advisory_lock(%s)", (LEASE_KEY,)).fetchone()[0]
        if not held:
            connection.close()
            return None
        connection.execute(f"LISTEN {CHANNEL}")
        return _PostgresLease(self._jobs_added, connection)

    def _jobs_committed(self, session: Session) -> None:
        if session.info.pop("publication", False):
            self._jobs_added.set()
