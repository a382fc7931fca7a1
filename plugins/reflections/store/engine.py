"""What every part of the store shares: the engine and its migrations, the store's own errors in
place of SQLAlchemy's, and rows made into plain records."""

import functools
import hashlib
import inspect
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, StatementError

from ..core.errors import MissingExtra, SettingError, install_hint
from .records import Reflection
from .tables import ReflectionRow

MIGRATIONS = Path(__file__).parent / "migrations"


class StoreUnavailable(Exception):
    """The database could not be reached, or stayed locked longer than the timeout."""


class DiskFull(StoreUnavailable):
    """The database could not write: the disk it is on is full."""


#: Less free space than this on the disk of the database (or the site's output) is a full disk: a
#: commit or a publication could not finish there.
MIN_FREE_BYTES = 1024 * 1024


def space_problem(folder: str | os.PathLike) -> str | None:
    """ "the disk is full" or "… is read-only" for the folder something must be written in, else None."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None  # not there (yet): the write itself says why, if it fails
    if free < MIN_FREE_BYTES:
        return f"the disk is full ({free // 1024} KiB free for {folder})"
    if not os.access(folder, os.W_OK):
        return f"{folder} is read-only"
    return None


class Conflict(ValueError):
    """What was to be added is there already (the same id, the same key)."""


def record(kind, row):
    """The plain record of a row: a copy that outlives its session and follows none of its changes."""
    return kind(**{name: getattr(row, name) for name in kind.field_names()})


def reflection_of(row: ReflectionRow) -> Reflection:
    return record(Reflection, row)


def jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value


def row_dict(row) -> dict:
    return {column.name: jsonable(getattr(row, column.name)) for column in row.__table__.columns}


def translated(error: StatementError) -> Exception:
    """The store's own error for one of SQLAlchemy's: callers never see a database library."""
    if isinstance(error, IntegrityError):
        return Conflict(str(error.orig))
    if isinstance(error, DBAPIError):  # OperationalError among them: unreachable, locked, gone
        said = (str(error.orig) or repr(error.orig)).strip().splitlines()[0]
        if "disk is full" in said or "No space left" in said or "could not extend file" in said:
            return DiskFull(said)
        return StoreUnavailable(said)
    if isinstance(error.orig, ValueError):  # a value refused before it reached the database
        return ValueError(str(error.orig))
    return error


def _reachable(method):
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def awaited(*args, **kwargs):
            try:
                return await method(*args, **kwargs)
            except StatementError as error:
                raise translated(error) from error

        return awaited

    @functools.wraps(method)
    def guarded(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except StatementError as error:
            raise translated(error) from error

    return guarded


def guarded(cls):
    """Every public method of the class (its mixins' too) raises the store's errors, never
    SQLAlchemy's."""
    for klass in reversed(cls.__mro__[:-1]):
        for name, member in list(vars(klass).items()):
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


#: What REFLECTIONS_DATABASE_URL may name, as an unsupported one is told.
SUPPORTED = "use sqlite:///PATH, or postgresql://USER:PASSWORD@HOST/DATABASE (or postgres://…)"
#: The spellings of PostgreSQL a host hands out, all read with psycopg (3).
POSTGRES_SCHEMES = ("postgres", "postgresql", "postgresql+psycopg")


def database_url(url: str) -> str:
    """The URL as SQLAlchemy takes it: `postgres://` and `postgresql://` (what PaaS hosts give)
    are PostgreSQL with psycopg; anything but SQLite and PostgreSQL is a SettingError of one line,
    which never shows the URL's password."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingError(f"REFLECTIONS_DATABASE_URL does not read as a database URL; {SUPPORTED}") from None
    if parsed.drivername == "sqlite":
        return url
    if parsed.drivername in POSTGRES_SCHEMES:
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise SettingError(
        f"REFLECTIONS_DATABASE_URL: {parsed.drivername} is not a database Withness supports; {SUPPORTED}"
    )


def make_engine(url: str, timeout: float = 5.0) -> Engine:
    """An engine; `timeout` is how long a write waits for a locked database before giving up."""
    url = database_url(url)
    if url.startswith("postgresql"):
        try:
            import psycopg  # noqa: F401 - only to say which extra is missing, before SQLAlchemy does
        except ImportError:
            raise MissingExtra(
                "REFLECTIONS_DATABASE_URL names PostgreSQL, which needs the postgres extra: "
                + install_hint("postgres")
            ) from None
    if url.startswith("sqlite"):
        engine = create_engine(
            url, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": timeout}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url, hide_parameters=True, pool_pre_ping=True, connect_args={"connect_timeout": max(1, int(timeout))}
    )


def _migrations():
    """Alembic's configuration of the store's migrations (imported here: a command that never
    opens the store, such as --help, starts without Alembic)."""
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def schema_revision() -> str:
    """The newest migration's revision: the queue schema this code writes."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_migrations()).get_current_head() or ""


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (run on every start; a no-op when current)."""
    from alembic import command

    config = _migrations()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
