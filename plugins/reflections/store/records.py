"""What the store hands out and takes in: plain data, no database session behind it.

A record read from the store is a copy; changing it changes nothing stored. Only the store's own
methods change what is stored, each in one transaction.
"""

from dataclasses import asdict, dataclass, fields
from datetime import datetime

from ..core.published import display_name, shown_as

STATES = ("pending", "approved", "rejected", "spam", "withdrawn")
#: A webmention: received (kept, not yet verified), then accepted (in the queue, or counted),
#: refused (the reason says why) or removed (its source is gone or no longer links here).
MENTION_STATES = ("received", "accepted", "refused", "removed")
VISIBILITIES = ("public", "private")


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value


class _Record:
    def as_dict(self) -> dict:
        """The record as JSON-ready values (moments as ISO 8601), for `--json` and backups."""
        return {name: _jsonable(value) for name, value in asdict(self).items()}

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in fields(cls))


@dataclass(slots=True)
class Reflection(_Record):
    """One thing a reader (or the author) sent, in whatever state it is."""

    id: str
    essay: str
    body: str
    created: datetime
    parent: str = ""
    kind: str = "reflection"
    visibility: str = "public"
    state: str = "pending"
    name: str = ""
    email: str = ""
    notify: bool = False
    content_note: str = ""
    address_hash: str = ""
    body_hash: str = ""
    flags: str = ""
    decided: datetime | None = None
    #: How the reader's name is shown (published.NAME_SHOWN); the typed name is the author's only.
    name_shown: str = "full"
    #: The reader agreed that the author may quote it, without their name, in a future essay.
    quote_ok: bool = False
    #: The passage of the essay it answers (an anchor) and the words of it the reader quoted.
    passage: str = ""
    quote: str = ""
    #: From elsewhere (elsewhere.ORIGINS; "" for this site's form), its own address, its author's page.
    origin: str = ""
    source: str = ""
    website: str = ""

    @property
    def public_name(self) -> str:
        """The name as the reader chose it to be shown ("" for none): all that is ever published."""
        return shown_as(self.name, self.name_shown)

    @property
    def shown_name(self) -> str:
        """The name shown for it: as the reader chose, or the one default for a reader who gave none."""
        return display_name(self.public_name)

    @property
    def is_published(self) -> bool:
        """On the site: approved and public (a private item is never published, approved or not)."""
        return self.state == "approved" and self.visibility == "public"


@dataclass(frozen=True, slots=True)
class LogEntry(_Record):
    """One act of moderation: what, which item, when, by whom."""

    id: int
    action: str
    item: str
    at: datetime
    actor: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Mail(_Record):
    """One message waiting to be sent, or sent."""

    id: int
    recipient: str
    subject: str
    body: str
    headers: str
    created: datetime
    attempts: int
    next_attempt: datetime
    sent: datetime | None
    last_error: str
    claimed_until: datetime | None = None
    given_up: datetime | None = None
    kind: str = ""


@dataclass(frozen=True, slots=True)
class Subscriber(_Record):
    """A reader's address that asked to hear of the author's replies."""

    email: str
    confirmed: bool
    asked: datetime
    unsubscribed: datetime | None
    key: str


#: A publication job's states: waiting for the publisher, done, or failed (with its reason).
JOB_STATES = ("waiting", "done", "failed")


@dataclass(frozen=True, slots=True)
class Job(_Record):
    """A publication job: bring item `item`'s file, and essay `essay`'s pages, in line with the store."""

    id: int
    essay: str
    item: str
    created: datetime
    state: str
    attempts: int
    reason: str
    finished: datetime | None
    next_try: datetime | None = None


@dataclass(frozen=True, slots=True)
class Deployment(_Record):
    """Files a publication changed, on their way to the site's host."""

    id: int
    paths: str
    everything: bool
    created: datetime
    state: str
    attempts: int
    reason: str
    next_try: datetime | None
    finished: datetime | None

    @property
    def changed(self) -> list[str]:
        """The changed files: "output/…" (in OUTPUT_PATH) and "content/…" (in PATH)."""
        return [line for line in self.paths.splitlines() if line]


@dataclass(frozen=True, slots=True)
class Mention(_Record):
    """A webmention received, and what became of it."""

    id: str
    source: str
    target: str
    essay: str
    state: str
    reason: str
    kind: str
    item: str
    received: datetime
    checked: datetime | None
    claimed_until: datetime | None
    attempts: int


@dataclass(frozen=True, slots=True)
class RemotePost(_Record):
    """An essay's post elsewhere, whose replies are read, and when they are read next."""

    essay: str
    origin: str
    post: str
    next_read: datetime
    last_read: datetime | None
    last_result: str


#: The author's marks on readers, and what a mark is by.
MARKS = ("blocked", "trusted")
MARKED_BY = ("email", "domain", "account")


@dataclass(frozen=True, slots=True)
class Mark(_Record):
    """A reader the author blocked or trusts: by a confirmed email's keyed hash, a domain, an account."""

    id: int
    mark: str
    what: str
    value: str
    label: str
    created: datetime
