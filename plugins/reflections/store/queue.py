"""The queue: everything not yet public lives here (pending items, private reflections, emails,
address hashes, the moderation log). SQLAlchemy 2; the schema is made by Alembic migrations.

SQLite (WAL) by default, a file in the site folder created on first use; PostgreSQL when
REFLECTIONS_DATABASE_URL names it, for several service instances.
"""

import hashlib
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    String,
    Text,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from ..core.errors import SettingError
from ..core.lengths import MAX_CONTENT_NOTE, MAX_EMAIL, MAX_ESSAY, MAX_ID, MAX_NAME

MIGRATIONS = Path(__file__).parent / "migrations"
STATES = ("pending", "approved", "rejected", "spam", "withdrawn")
VISIBILITIES = ("public", "private")


class UTCDateTime(TypeDecorator):
    """A moment in UTC; SQLite hands back naive datetimes, which would compare wrongly."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            # Whose clock would it be? Refused rather than guessed: every moment is stored aware.
            raise ValueError(f"a moment without a time zone cannot be stored: {value.isoformat()}")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class Base(DeclarativeBase):
    def as_dict(self) -> dict:
        return {column.name: _jsonable(getattr(self, column.name)) for column in self.__table__.columns}


class Reflection(Base):
    """One thing a reader (or the author) sent, in whatever state it is."""

    __tablename__ = "reflections"

    id: Mapped[str] = mapped_column(String(MAX_ID), primary_key=True)
    essay: Mapped[str] = mapped_column(String(MAX_ESSAY), index=True)
    parent: Mapped[str] = mapped_column(String(MAX_ID), default="")
    kind: Mapped[str] = mapped_column(String(16), default="reflection")
    visibility: Mapped[str] = mapped_column(String(8), default="public")
    state: Mapped[str] = mapped_column(String(16), index=True, default="pending")
    name: Mapped[str] = mapped_column(String(MAX_NAME), default="")
    email: Mapped[str] = mapped_column(String(MAX_EMAIL), default="")
    notify: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    content_note: Mapped[str] = mapped_column(String(MAX_CONTENT_NOTE), default="")
    address_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    body_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    flags: Mapped[str] = mapped_column(String(200), default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    decided: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LogEntry(Base):
    """One act of moderation: what, which item, when, by whom."""

    __tablename__ = "moderation_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(32))
    item: Mapped[str] = mapped_column(String(MAX_ID), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(80), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class Secret(Base):
    """Service secrets made on first start (signing tokens, hashing addresses)."""

    __tablename__ = "service_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


# Built once: making these statement objects costs more per submission than running them.
_DUPLICATE = (
    select(Reflection.id)
    .where(
        Reflection.essay == bindparam("essay"),
        Reflection.body_hash == bindparam("digest"),
        Reflection.created >= bindparam("since", type_=UTCDateTime()),
        Reflection.state != "withdrawn",
    )
    .limit(1)
)
_INSERT_REFLECTION = insert(Reflection.__table__)
_INSERT_LOG = insert(LogEntry.__table__)


class Mail(Base):
    """One message waiting to be sent, or sent: the retry queue."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(MAX_EMAIL))
    subject: Mapped[str] = mapped_column(String(250))
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[str] = mapped_column(Text, default="{}")
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sent: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")


class Subscriber(Base):
    """A reader's address that asked to hear of the author's replies."""

    __tablename__ = "subscribers"

    email: Mapped[str] = mapped_column(String(MAX_EMAIL), primary_key=True)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    asked: Mapped[datetime] = mapped_column(UTCDateTime())
    unsubscribed: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Opaque: what the reader's confirm and unsubscribe links carry instead of the address.
    key: Mapped[str] = mapped_column(String(64), default="", index=True)


class AuthorSession(Base):
    """One logged-in browser of the author's. Its cookie names it; ending the row ends the session."""

    __tablename__ = "author_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    expires: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class UsedToken(Base):
    """A form token that has vouched for a submission: it cannot vouch for another."""

    __tablename__ = "used_tokens"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    used: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


_USE_TOKEN = insert(UsedToken.__table__)
_FORGET_TOKENS = delete(UsedToken.__table__).where(UsedToken.used < bindparam("before", type_=UTCDateTime()))


#: A file effect of a change of state: (the item before, after or None) -> an undo, or None.
Effect = Callable[["Reflection", "Reflection | None"], Callable[[], None] | None]


def _detached(row: Reflection) -> Reflection:
    """A copy of the row that outlives its session and is not changed by what follows."""
    return Reflection(**{column.name: getattr(row, column.name) for column in Reflection.__table__.columns})


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value


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


class MissingExtra(SettingError):
    """A setting needs a package that is not installed; the message names the extra to install."""


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


class Store:
    """The queue's operations. Every method is one transaction."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.engine = make_engine(url, timeout)
        migrate(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def secret(self, name: str, make) -> str:
        """A named secret, made once by `make()` and shared by every instance using this database."""
        with self.sessions() as session:
            found = session.get(Secret, name)
            if found is not None:
                return found.value
        try:
            with self.sessions.begin() as session:
                session.add(Secret(name=name, value=make()))
        except IntegrityError:
            pass  # another process made it first (two commands started at once): theirs is kept
        with self.sessions() as session:
            return session.get(Secret, name).value

    def get_secret(self, name: str) -> str | None:
        with self.sessions() as session:
            found = session.get(Secret, name)
            return found.value if found else None

    def replace_secret(self, name: str, value: str) -> None:
        with self.sessions.begin() as session:
            session.merge(Secret(name=name, value=value))

    def pending_since(self, moment: datetime) -> list[Reflection]:
        query = select(Reflection).where(Reflection.state == "pending", Reflection.created > moment)
        with self.sessions() as session:
            return list(session.scalars(query.order_by(Reflection.created)))

    def add_unless_duplicate(
        self, reflection: Reflection, since: datetime, token: str = "", token_since: datetime | None = None
    ) -> str | None:
        """Queue a reader's submission in one short transaction. None when it is queued; else why
        not, with nothing stored: "duplicate" (the same body reached the same essay since `since`)
        or "token used" (the form token `token` already vouched for a submission; tokens used
        before `token_since` are forgotten, as they have expired).

        Prepared Core statements, not the ORM's unit of work: this is the intake service's hot path.
        """
        # Unset fields are left out so that the columns' defaults apply, as they would with the ORM.
        row = {
            column.name: getattr(reflection, column.name)
            for column in Reflection.__table__.columns
            if getattr(reflection, column.name) is not None
        }
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
                session.add(reflection)
                session.add(
                    LogEntry(action="received", item=reflection.id, at=reflection.created, actor=actor)
                )

    def get(self, item_id: str) -> Reflection | None:
        with self.sessions() as session:
            return session.get(Reflection, item_id)

    def find(self, state: str | None = None, essay: str | None = None) -> list[Reflection]:
        query = select(Reflection).order_by(Reflection.created, Reflection.id)
        if state:
            query = query.where(Reflection.state == state)
        if essay:
            query = query.where(Reflection.essay == essay)
        with self.sessions() as session:
            return list(session.scalars(query))

    def count_pending(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).where(Reflection.state == "pending")) or 0

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
            before = _detached(row)
            row.state, row.decided = to, now()
            session.add(LogEntry(action=to, item=item_id, at=now(), actor=actor, detail=detail))
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
            before = _detached(row)
            row.body, row.body_hash = body, body_hash(body)
            session.add(LogEntry(action="edited", item=item_id, at=now(), actor=actor, detail=before.body))
            effects.append((effect, before, row))
            return before

    def delete(self, item_id: str, actor: str, effect: Effect | None = None) -> Reflection | None:
        """Remove an item for good; the log keeps that it existed and was deleted. Returns the item
        as it was (None when there is no such item)."""
        with self._locked(item_id) as (session, row, effects):
            if row is None:
                return None
            before = _detached(row)
            session.delete(row)
            session.add(LogEntry(action="deleted", item=item_id, at=now(), actor=actor))
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
            session.execute(update(Reflection).where(Reflection.id == item_id).values(state=Reflection.state))
            row = session.get(Reflection, item_id, populate_existing=True)
            yield session, row, effects
            undos = []
            try:
                session.flush()
                for effect, before, after in effects:
                    if effect is not None:
                        undos.append(effect(before, after))
                session.commit()
            except BaseException:
                session.rollback()
                for undo in reversed(undos):
                    if undo is not None:
                        undo()
                raise

    # Mail: the outbox and the readers who asked to hear back.
    def enqueue_mail(self, recipient: str, subject: str, body: str, headers: dict | None = None) -> None:
        moment = now()
        with self.sessions.begin() as session:
            session.add(
                Mail(
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
            select(Mail)
            .where(Mail.sent.is_(None), Mail.next_attempt <= now())
            .order_by(Mail.next_attempt, Mail.id)
            .limit(limit)
        )
        with self.sessions() as session:
            return list(session.scalars(query))

    def mail_sent(self, mail_id: int) -> None:
        """Mark a mail sent and forget its body: it may quote a reader's words, a private reflection
        among them. Who it went to, its subject and when stay, for the record."""
        with self.sessions.begin() as session:
            session.execute(update(Mail).where(Mail.id == mail_id).values(sent=now(), body=""))

    def mail_failed(self, mail_id: int, error: str, retry_at: datetime) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(Mail)
                .where(Mail.id == mail_id)
                .values(attempts=Mail.attempts + 1, next_attempt=retry_at, last_error=error[:2000])
            )

    def outbox(self) -> list[Mail]:
        with self.sessions() as session:
            return list(session.scalars(select(Mail).order_by(Mail.id)))

    def ask_subscriber(self, email: str) -> bool:
        """Record that `email` asked to hear back; True only the first time (send the confirm mail)."""
        with self.sessions.begin() as session:
            if session.get(Subscriber, email.lower()) is not None:
                return False
            session.add(
                Subscriber(email=email.lower(), confirmed=False, asked=now(), key=secrets.token_urlsafe(18))
            )
        return True

    def subscriber_by_key(self, key: str) -> Subscriber | None:
        if not key:
            return None
        with self.sessions() as session:
            return session.scalars(select(Subscriber).where(Subscriber.key == key)).first()

    def subscriber(self, email: str) -> Subscriber | None:
        with self.sessions() as session:
            return session.get(Subscriber, email.lower())

    def set_subscription(self, email: str, confirmed: bool | None = None, unsubscribed: bool = False) -> bool:
        with self.sessions.begin() as session:
            found = session.get(Subscriber, email.lower())
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
            session.execute(delete(AuthorSession).where(AuthorSession.expires < moment))
            session.add(AuthorSession(id=session_id, created=moment, expires=moment + lifetime))
        return session_id

    def session_alive(self, session_id: str) -> bool:
        if not session_id:
            return False
        with self.sessions() as session:
            found = session.get(AuthorSession, session_id)
            return found is not None and found.expires > now()

    def end_session(self, session_id: str) -> None:
        with self.sessions.begin() as session:
            session.execute(delete(AuthorSession).where(AuthorSession.id == session_id))

    def end_every_session(self) -> int:
        with self.sessions.begin() as session:
            return session.execute(delete(AuthorSession)).rowcount

    def log(self, action: str, item_id: str, actor: str, detail: str = "") -> None:
        with self.sessions.begin() as session:
            session.add(LogEntry(action=action, item=item_id, at=now(), actor=actor, detail=detail))

    def history(self) -> list[LogEntry]:
        with self.sessions() as session:
            return list(session.scalars(select(LogEntry).order_by(LogEntry.at.desc(), LogEntry.id.desc())))

    def export_lines(self) -> Iterator[str]:
        """Everything the service keeps, as JSON Lines, for backup: the queue, the moderation log,
        the subscribers, the outbox and the secrets (without which links already sent stop working)."""
        with self.sessions() as session:
            for kind, model, order in _BACKED_UP:
                for row in session.scalars(select(model).order_by(*order)):
                    yield json.dumps({"type": kind, **row.as_dict()}, ensure_ascii=False)

    def import_lines(self, lines, with_secrets: bool = False) -> dict[str, int]:
        """Load an export in one transaction; rows already present are left alone. The secrets are
        taken too (replacing this database's) only `with_secrets`: a restore. Returns what was added,
        by record type. Raises ValueError naming the line for anything that is not a record."""
        added = {kind: 0 for kind, _model, _order in _BACKED_UP}
        models = {kind: model for kind, model, _order in _BACKED_UP}
        with self.sessions.begin() as session:
            # Log entries and mails have no id of their own across databases: what they say is theirs.
            seen = {
                kind: {_natural_key(kind, row.as_dict()) for row in session.scalars(select(models[kind]))}
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
                    session.merge(Secret(**fields))
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
    ("reflection", Reflection, (Reflection.created, Reflection.id)),
    ("log", LogEntry, (LogEntry.id,)),
    ("subscriber", Subscriber, (Subscriber.email,)),
    ("mail", Mail, (Mail.id,)),
    ("secret", Secret, (Secret.name,)),
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
