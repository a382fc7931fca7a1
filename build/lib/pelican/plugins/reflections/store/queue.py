"""The queue: everything not yet public lives here (pending items, private reflections, emails,
address hashes, the moderation log). SQLAlchemy 2; the schema is made by Alembic migrations.

SQLite (WAL) by default, a file in the site folder created on first use; PostgreSQL when
REFLECTIONS_DATABASE_URL names it, for several service instances.

Nothing SQLAlchemy makes leaves this package: methods take and return the plain records of
records.py, and a database that cannot be reached raises StoreUnavailable.
"""

import functools
import hashlib
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import bindparam, create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import sessionmaker

from ..core.errors import MissingExtra
from .records import LogEntry, Mail, Reflection, Subscriber
from .tables import (
    LogRow,
    MailRow,
    ReflectionRow,
    SecretRow,
    SessionRow,
    SubscriberRow,
    UsedTokenRow,
    UTCDateTime,
)

MIGRATIONS = Path(__file__).parent / "migrations"


class StoreUnavailable(Exception):
    """The database could not be reached, or stayed locked longer than the timeout."""


class Conflict(ValueError):
    """What was to be added is there already (the same id, the same key)."""


# Built once: making these statement objects costs more per submission than running them.
_DUPLICATE = (
    select(ReflectionRow.id)
    .where(
        ReflectionRow.essay == bindparam("essay"),
        ReflectionRow.body_hash == bindparam("digest"),
        ReflectionRow.created >= bindparam("since", type_=UTCDateTime()),
        ReflectionRow.state != "withdrawn",
    )
    .limit(1)
)
_INSERT_REFLECTION = insert(ReflectionRow.__table__)
_INSERT_LOG = insert(LogRow.__table__)


_USE_TOKEN = insert(UsedTokenRow.__table__)
_FORGET_TOKENS = delete(UsedTokenRow.__table__).where(
    UsedTokenRow.used < bindparam("before", type_=UTCDateTime())
)


#: A file effect of a change of state: (the item before, after or None) -> an undo, or None.
Effect = Callable[[Reflection, Reflection | None], Callable[[], None] | None]


def _record(kind, row):
    """The plain record of a row: a copy that outlives its session and follows none of its changes."""
    return kind(**{name: getattr(row, name) for name in kind.field_names()})


def _reflection(row: ReflectionRow) -> Reflection:
    return _record(Reflection, row)


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _row_dict(row) -> dict:
    return {column.name: _jsonable(getattr(row, column.name)) for column in row.__table__.columns}


def _translated(error: StatementError) -> Exception:
    """The store's own error for one of SQLAlchemy's: callers never see a database library."""
    if isinstance(error, IntegrityError):
        return Conflict(str(error.orig))
    if isinstance(error, DBAPIError):  # OperationalError among them: unreachable, locked, gone
        return StoreUnavailable((str(error.orig) or repr(error.orig)).strip().splitlines()[0])
    if isinstance(error.orig, ValueError):  # a value refused before it reached the database
        return ValueError(str(error.orig))
    return error


def _reachable(method):
    @functools.wraps(method)
    def guarded(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except StatementError as error:
            raise _translated(error) from error

    return guarded


def _guarded(cls):
    for name, member in list(vars(cls).items()):
        if callable(member) and (not name.startswith("_") or name == "__init__"):
            setattr(cls, name, _reachable(member))
    return cls


def now() -> datetime:
    return datetime.now(UTC)


def body_hash(body: str) -> str:
    """Equal for bodies that differ only in spacing or case: what duplicate detection compares."""
    return hashlib.sha256(" ".join(body.lower().split()).encode("utf-8")).hexdigest()


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    # WAL lets readers and one writer work at once; FULL makes every commit survive a power cut,
    # which is what "received" promises the reader.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def make_engine(url: str, timeout: float = 5.0) -> Engine:
    """An engine; `timeout` is how long a write waits for a locked database before giving up."""
    if url.startswith("postgresql"):
        try:
            import psycopg  # noqa: F401 - only to say which extra is missing, before SQLAlchemy does
        except ImportError:
            raise MissingExtra(
                "REFLECTIONS_DATABASE_URL names PostgreSQL, which needs the postgres extra: "
                "pip install 'withness[postgres]'"
            ) from None
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": max(1, int(timeout))})


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (run on every start; a no-op when current)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@_guarded
class Store:
    """The queue's operations. Every method is one transaction."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.engine = make_engine(url, timeout)
        migrate(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def secret(self, name: str, make) -> str:
        """A named secret, made once by `make()` and shared by every instance using this database."""
        with self.sessions() as session:
            found = session.get(SecretRow, name)
            if found is not None:
                return found.value
        try:
            with self.sessions.begin() as session:
                session.add(SecretRow(name=name, value=make()))
        except IntegrityError:
            pass  # another process made it first (two commands started at once): theirs is kept
        with self.sessions() as session:
            return session.get(SecretRow, name).value

    def get_secret(self, name: str) -> str | None:
        with self.sessions() as session:
            found = session.get(SecretRow, name)
            return found.value if found else None

    def replace_secret(self, name: str, value: str) -> None:
        with self.sessions.begin() as session:
            session.merge(SecretRow(name=name, value=value))

    def pending_since(self, moment: datetime) -> list[Reflection]:
        query = select(ReflectionRow).where(ReflectionRow.state == "pending", ReflectionRow.created > moment)
        with self.sessions() as session:
            return [_reflection(row) for row in session.scalars(query.order_by(ReflectionRow.created))]

    def add_unless_duplicate(
        self, reflection: Reflection, since: datetime, token: str = "", token_since: datetime | None = None
    ) -> str | None:
        """Queue a reader's submission in one short transaction. None when it is queued; else why
        not, with nothing stored: "duplicate" (the same body reached the same essay since `since`)
        or "token used" (the form token `token` already vouched for a submission; tokens used
        before `token_since` are forgotten, as they have expired).

        Prepared Core statements, not the ORM's unit of work: this is the intake service's hot path.
        """
        row = asdict(reflection)
        received = {
            "action": "received",
            "item": reflection.id,
            "at": reflection.created,
            "actor": "reader",
            "detail": "",
        }
        try:
            with self.engine.begin() as connection:
                found = connection.execute(
                    _DUPLICATE, {"essay": reflection.essay, "digest": reflection.body_hash, "since": since}
                ).first()
                if found is not None:
                    return "duplicate"
                if token:
                    if token_since is not None:
                        connection.execute(_FORGET_TOKENS, {"before": token_since})
                    connection.execute(_USE_TOKEN, [{"nonce": token, "used": reflection.created}])
                connection.execute(_INSERT_REFLECTION, [row])
                connection.execute(_INSERT_LOG, [received])
        except IntegrityError:
            return "token used"
        return None

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
            return _reflection(found) if found is not None else None

    def find(self, state: str | None = None, essay: str | None = None) -> list[Reflection]:
        query = select(ReflectionRow).order_by(ReflectionRow.created, ReflectionRow.id)
        if state:
            query = query.where(ReflectionRow.state == state)
        if essay:
            query = query.where(ReflectionRow.essay == essay)
        with self.sessions() as session:
            return [_reflection(row) for row in session.scalars(query)]

    def count_pending(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).where(ReflectionRow.state == "pending")) or 0

    def transition(
        self,
        item_id: str,
        to: str,
        allowed_from: tuple[str, ...],
        actor: str,
        detail: str = "",
        effect: Effect | None = None,
    ) -> Reflection | None:
        """Move an item to state `to` if it is in one of `allowed_from`. Returns the item as it was
        before (detached), or None when it was not in an allowed state (nothing changed).

        The row is locked first, so two moderators (or two processes) acting at once take turns and
        each decides from the state the other left. `effect(before, after)` (the published file)
        runs inside the same transaction, is decided from those locked rows, and is undone if the
        commit fails.
        """
        with self._locked(item_id) as (session, row, effects):
            if row is None or row.state not in allowed_from:
                return None
            before = _reflection(row)
            row.state, row.decided = to, now()
            session.add(LogRow(action=to, item=item_id, at=now(), actor=actor, detail=detail))
            effects.append((effect, before, row))
            return before

    def edit_body(
        self, item_id: str, body: str, actor: str, effect: Effect | None = None
    ) -> Reflection | None:
        """Replace an item's body; the original is kept in the moderation log. Returns the item as it
        was (None when there is no such item)."""
        with self._locked(item_id) as (session, row, effects):
            if row is None:
                return None
            before = _reflection(row)
            row.body, row.body_hash = body, body_hash(body)
            session.add(LogRow(action="edited", item=item_id, at=now(), actor=actor, detail=before.body))
            effects.append((effect, before, row))
            return before

    def delete(self, item_id: str, actor: str, effect: Effect | None = None) -> Reflection | None:
        """Remove an item for good; the log keeps that it existed and was deleted. Returns the item
        as it was (None when there is no such item)."""
        with self._locked(item_id) as (session, row, effects):
            if row is None:
                return None
            before = _reflection(row)
            session.delete(row)
            session.add(LogRow(action="deleted", item=item_id, at=now(), actor=actor))
            effects.append((effect, before, None))
            return before

    @contextmanager
    def _locked(self, item_id: str):
        """One transaction holding the item's row locked: yields (session, row or None, effects).

        The effects listed run after the caller's changes are flushed and before COMMIT; each
        returns an undo, run if anything after it (another effect, the commit) fails.
        """
        effects: list = []
        with self.sessions() as session:
            # A write first: SQLite takes its write lock (waiting up to the timeout) and PostgreSQL
            # the row's, so the row read next is the latest and stays so until COMMIT.
            session.execute(
                update(ReflectionRow).where(ReflectionRow.id == item_id).values(state=ReflectionRow.state)
            )
            row = session.get(ReflectionRow, item_id, populate_existing=True)
            yield session, row, effects
            undos = []
            try:
                session.flush()
                for effect, before, after in effects:
                    if effect is not None:
                        undos.append(effect(before, _reflection(after) if after is not None else None))
                session.commit()
            except BaseException:
                session.rollback()
                for undo in reversed(undos):
                    if undo is not None:
                        undo()
                raise

    # MailRow: the outbox and the readers who asked to hear back.
    def enqueue_mail(self, recipient: str, subject: str, body: str, headers: dict | None = None) -> None:
        moment = now()
        with self.sessions.begin() as session:
            session.add(
                MailRow(
                    recipient=recipient,
                    subject=subject,
                    body=body,
                    headers=json.dumps(headers or {}),
                    created=moment,
                    attempts=0,
                    next_attempt=moment,
                    last_error="",
                )
            )

    def due_mail(self, limit: int = 50) -> list[Mail]:
        query = (
            select(MailRow)
            .where(MailRow.sent.is_(None), MailRow.next_attempt <= now())
            .order_by(MailRow.next_attempt, MailRow.id)
            .limit(limit)
        )
        with self.sessions() as session:
            return [_record(Mail, row) for row in session.scalars(query)]

    def mail_sent(self, mail_id: int) -> None:
        """Mark a mail sent and forget its body: it may quote a reader's words, a private reflection
        among them. Who it went to, its subject and when stay, for the record."""
        with self.sessions.begin() as session:
            session.execute(update(MailRow).where(MailRow.id == mail_id).values(sent=now(), body=""))

    def mail_failed(self, mail_id: int, error: str, retry_at: datetime) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(MailRow)
                .where(MailRow.id == mail_id)
                .values(attempts=MailRow.attempts + 1, next_attempt=retry_at, last_error=error[:2000])
            )

    def outbox(self) -> list[Mail]:
        with self.sessions() as session:
            return [_record(Mail, row) for row in session.scalars(select(MailRow).order_by(MailRow.id))]

    def ask_subscriber(self, email: str) -> bool:
        """Record that `email` asked to hear back; True only the first time (send the confirm mail)."""
        with self.sessions.begin() as session:
            if session.get(SubscriberRow, email.lower()) is not None:
                return False
            session.add(
                SubscriberRow(
                    email=email.lower(), confirmed=False, asked=now(), key=secrets.token_urlsafe(18)
                )
            )
        return True

    def subscriber_by_key(self, key: str) -> Subscriber | None:
        if not key:
            return None
        with self.sessions() as session:
            found = session.scalars(select(SubscriberRow).where(SubscriberRow.key == key)).first()
            return _record(Subscriber, found) if found is not None else None

    def subscriber(self, email: str) -> Subscriber | None:
        with self.sessions() as session:
            found = session.get(SubscriberRow, email.lower())
            return _record(Subscriber, found) if found is not None else None

    def set_subscription(self, email: str, confirmed: bool | None = None, unsubscribed: bool = False) -> bool:
        with self.sessions.begin() as session:
            found = session.get(SubscriberRow, email.lower())
            if found is None:
                return False
            if confirmed is not None:
                found.confirmed = confirmed
            if unsubscribed:
                found.unsubscribed = now()
        return True

    # The author's sessions: a cookie is worth something only while its row is here.
    def open_session(self, lifetime: timedelta) -> str:
        session_id = secrets.token_urlsafe(32)
        moment = now()
        with self.sessions.begin() as session:
            session.execute(delete(SessionRow).where(SessionRow.expires < moment))
            session.add(SessionRow(id=session_id, created=moment, expires=moment + lifetime))
        return session_id

    def session_alive(self, session_id: str) -> bool:
        if not session_id:
            return False
        with self.sessions() as session:
            found = session.get(SessionRow, session_id)
            return found is not None and found.expires > now()

    def end_session(self, session_id: str) -> None:
        with self.sessions.begin() as session:
            session.execute(delete(SessionRow).where(SessionRow.id == session_id))

    def end_every_session(self) -> int:
        with self.sessions.begin() as session:
            return session.execute(delete(SessionRow)).rowcount

    def log(self, action: str, item_id: str, actor: str, detail: str = "") -> None:
        with self.sessions.begin() as session:
            session.add(LogRow(action=action, item=item_id, at=now(), actor=actor, detail=detail))

    def history(self) -> list[LogEntry]:
        query = select(LogRow).order_by(LogRow.at.desc(), LogRow.id.desc())
        with self.sessions() as session:
            return [_record(LogEntry, row) for row in session.scalars(query)]

    def export_lines(self) -> Iterator[str]:
        """Everything the service keeps, as JSON Lines, for backup: the queue, the moderation log,
        the subscribers, the outbox and the secrets (without which links already sent stop working)."""
        try:
            with self.sessions() as session:
                for kind, model, order in _BACKED_UP:
                    for row in session.scalars(select(model).order_by(*order)):
                        yield json.dumps({"type": kind, **_row_dict(row)}, ensure_ascii=False)
        except StatementError as error:  # a generator: the guard around the call has returned
            raise _translated(error) from error

    def import_lines(self, lines, with_secrets: bool = False) -> dict[str, int]:
        """Load an export in one transaction; rows already present are left alone. The secrets are
        taken too (replacing this database's) only `with_secrets`: a restore. Returns what was added,
        by record type. Raises ValueError naming the line for anything that is not a record."""
        added = {kind: 0 for kind, _model, _order in _BACKED_UP}
        models = {kind: model for kind, model, _order in _BACKED_UP}
        with self.sessions.begin() as session:
            # Log entries and mails have no id of their own across databases: what they say is theirs.
            seen = {
                kind: {_natural_key(kind, _row_dict(row)) for row in session.scalars(select(models[kind]))}
                for kind in _NATURAL_KEYS
            }
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    kind = record.pop("type", None)
                    if kind not in models:
                        raise ValueError("not a record of a reflections backup")
                    fields = _from_json(models[kind], record)
                except (ValueError, AttributeError, TypeError, KeyError) as error:
                    raise ValueError(f"line {number}: {error}") from None
                if kind in _NATURAL_KEYS:
                    fields.pop("id", None)
                    key = _natural_key(kind, fields)
                    if key in seen[kind]:
                        continue
                    seen[kind].add(key)
                elif kind == "secret":
                    if not with_secrets:
                        continue
                    session.merge(SecretRow(**fields))
                    added[kind] += 1
                    continue
                elif session.get(models[kind], fields[_primary_key(models[kind])]) is not None:
                    continue
                session.add(models[kind](**fields))
                added[kind] += 1
        return added


#: What makes a log entry or a mail the same one in another database (their ids are not).
_NATURAL_KEYS = {"log": ("action", "item", "at"), "mail": ("recipient", "subject", "created")}


def _natural_key(kind: str, fields: dict) -> tuple:
    return tuple(_jsonable(fields[name]) for name in _NATURAL_KEYS[kind])


def _primary_key(model) -> str:
    return model.__table__.primary_key.columns.keys()[0]


#: What a backup holds, in the order it is written and read back: (record type, table, order).
_BACKED_UP = (
    ("reflection", ReflectionRow, (ReflectionRow.created, ReflectionRow.id)),
    ("log", LogRow, (LogRow.id,)),
    ("subscriber", SubscriberRow, (SubscriberRow.email,)),
    ("mail", MailRow, (MailRow.id,)),
    ("secret", SecretRow, (SecretRow.name,)),
)


def _from_json(model, record: dict) -> dict:
    columns = {column.name: column for column in model.__table__.columns}
    values = {}
    for name, value in record.items():
        if name not in columns:
            continue
        if isinstance(columns[name].type, UTCDateTime) and isinstance(value, str):
            value = datetime.fromisoformat(value)
        values[name] = value
    return values
