"""The tables (SQLAlchemy's declarative models). Only the store uses them: what it hands out are the
plain records of records.py. The schema itself is made by the Alembic migrations in migrations/.
"""

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from ..core.lengths import (
    MAX_ADDRESS,
    MAX_CONTENT_NOTE,
    MAX_EMAIL,
    MAX_ESSAY,
    MAX_ID,
    MAX_NAME,
    MAX_PASSAGE,
    MAX_QUOTE,
    MAX_WEBSITE,
)


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
    pass


class ReflectionRow(Base):
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
    name_shown: Mapped[str] = mapped_column(String(10), default="full")
    quote_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    passage: Mapped[str] = mapped_column(String(MAX_PASSAGE), default="")
    quote: Mapped[str] = mapped_column(String(MAX_QUOTE), default="")
    #: Where it came from: "" (this site's form, the author, an import) or elsewhere.ORIGINS.
    origin: Mapped[str] = mapped_column(String(16), default="", server_default="")
    #: From elsewhere: its own address (a blog post, a Mastodon reply), the same on every update.
    source: Mapped[str] = mapped_column(String(MAX_ADDRESS), default="", server_default="", index=True)
    #: From elsewhere: the address of its author's own page, shown as their name's link.
    website: Mapped[str] = mapped_column(String(MAX_WEBSITE), default="", server_default="")

    __table_args__ = (
        Index(
            "ix_reflections_origin_source",
            "origin",
            "source",
            unique=True,
            sqlite_where=text("source != ''"),
            postgresql_where=text("source != ''"),
        ),
    )


class LogRow(Base):
    """One act of moderation: what, which item, when, by whom."""

    __tablename__ = "moderation_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(32))
    item: Mapped[str] = mapped_column(String(MAX_ID), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(80), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class SecretRow(Base):
    """Service secrets made on first start (signing tokens, hashing addresses)."""

    __tablename__ = "service_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class MailRow(Base):
    """One message waiting to be sent, or sent: the retry queue."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(MAX_EMAIL))
    #: What the mail is (service.mail.KINDS): what a log line names instead of the address.
    kind: Mapped[str] = mapped_column(String(20), default="", server_default="")
    subject: Mapped[str] = mapped_column(String(250))
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[str] = mapped_column(Text, default="{}")
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sent: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    #: A worker is sending it until then (a worker that died lets it go when the moment passes).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Tried MAX_MAIL_ATTEMPTS times: no worker tries it again; the moderation pages show it.
    given_up: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SubscriberRow(Base):
    """A reader's address that asked to hear of the author's replies."""

    __tablename__ = "subscribers"

    email: Mapped[str] = mapped_column(String(MAX_EMAIL), primary_key=True)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    asked: Mapped[datetime] = mapped_column(UTCDateTime())
    unsubscribed: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Opaque: what the reader's confirm and unsubscribe links carry instead of the address.
    key: Mapped[str] = mapped_column(String(64), default="", index=True)


class SessionRow(Base):
    """One logged-in browser of the author's. Its cookie names it; ending the row ends the session."""

    __tablename__ = "author_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    expires: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class UsedTokenRow(Base):
    """A form token that has vouched for a submission: it cannot vouch for another."""

    __tablename__ = "used_tokens"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    used: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class JobRow(Base):
    """What the publisher is to do after a moderation act: bring one item's file and its essay's
    pages in line with the store. Committed in the act's own transaction."""

    __tablename__ = "publication_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    essay: Mapped[str] = mapped_column(String(MAX_ESSAY))
    item: Mapped[str] = mapped_column(String(MAX_ID), default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), index=True, default="waiting")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: When a failed job is tried again by itself (None: it is not failed).
    next_try: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DeploymentRow(Base):
    """Files a publication changed, still to reach the site's host (a static host, a repository).
    Kept until a deploy succeeds, so a failed or interrupted deploy is tried again, never lost."""

    __tablename__ = "deployments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: Changed files, one per line: "output/<path in OUTPUT_PATH>" or "content/<path in PATH>".
    paths: Mapped[str] = mapped_column(Text, default="")
    #: A whole build: everything may have changed.
    everything: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), index=True, default="waiting")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    next_try: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class MentionRow(Base):
    """A webmention received: kept before it is acknowledged, verified afterwards in the background."""

    __tablename__ = "mentions"

    id: Mapped[str] = mapped_column(String(MAX_ID), primary_key=True)
    source: Mapped[str] = mapped_column(String(MAX_ADDRESS), index=True)
    target: Mapped[str] = mapped_column(String(MAX_ADDRESS))
    essay: Mapped[str] = mapped_column(String(MAX_ESSAY), default="", server_default="")
    #: records.MENTION_STATES
    state: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    kind: Mapped[str] = mapped_column(String(16), default="", server_default="")
    #: The queue's item it became ("" for none: refused, or a like counted).
    item: Mapped[str] = mapped_column(String(MAX_ID), default="", server_default="")
    received: Mapped[datetime] = mapped_column(UTCDateTime())
    checked: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: A worker is verifying it until then (one that died lets it go when the moment passes).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RemotePostRow(Base):
    """An essay's post elsewhere (its announcement on Mastodon, on Bluesky), whose replies are read."""

    __tablename__ = "remote_posts"

    essay: Mapped[str] = mapped_column(String(MAX_ESSAY), primary_key=True)
    origin: Mapped[str] = mapped_column(String(16), primary_key=True)
    post: Mapped[str] = mapped_column(String(MAX_ADDRESS))
    next_read: Mapped[datetime] = mapped_column(UTCDateTime())
    last_read: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_result: Mapped[str] = mapped_column(Text, default="", server_default="")


class MarkRow(Base):
    """The author's mark on a reader (records.MARKS): by what (records.MARKED_BY) and its value."""

    __tablename__ = "reader_marks"
    __table_args__ = (UniqueConstraint("mark", "what", "value", name="uq_reader_marks"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mark: Mapped[str] = mapped_column(String(16))
    what: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(MAX_WEBSITE))
    #: What the author is shown of it: a name, a domain, an account (never an email address).
    label: Mapped[str] = mapped_column(String(MAX_WEBSITE), default="", server_default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime())


class SentMentionRow(Base):
    """A webmention sent for one link of an essay, at one change of it (a digest of its text)."""

    __tablename__ = "sent_mentions"

    essay: Mapped[str] = mapped_column(String(MAX_ESSAY), primary_key=True)
    target: Mapped[str] = mapped_column(String(MAX_ADDRESS), primary_key=True)
    change: Mapped[str] = mapped_column(String(64), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(MAX_ADDRESS), default="", server_default="")
    result: Mapped[str] = mapped_column(Text, default="", server_default="")
    sent: Mapped[datetime] = mapped_column(UTCDateTime())
