"""The store: everything not yet public (the queue, private reflections, the moderation log,
subscribers, the outbox, publication jobs, the service's secrets). The only part of Withness that
uses SQLAlchemy; what it hands out are plain records, and its failures are its own errors."""

from .engine import Conflict, DiskFull, StoreUnavailable, body_hash, now, space_problem
from .jobs import Lease
from .outbox import MAX_MAIL_ATTEMPTS
from .queue import Store
from .records import (
    JOB_STATES,
    MARKED_BY,
    MARKS,
    MENTION_STATES,
    STATES,
    VISIBILITIES,
    Deployment,
    Job,
    LogEntry,
    Mail,
    Mark,
    Mention,
    Reflection,
    RemotePost,
    Subscriber,
)

__all__ = [
    "JOB_STATES",
    "MARKED_BY",
    "MARKS",
    "MENTION_STATES",
    "MAX_MAIL_ATTEMPTS",
    "STATES",
    "VISIBILITIES",
    "Conflict",
    "Deployment",
    "DiskFull",
    "Job",
    "Lease",
    "LogEntry",
    "Mail",
    "Mark",
    "Mention",
    "Reflection",
    "RemotePost",
    "Store",
    "StoreUnavailable",
    "Subscriber",
    "body_hash",
    "now",
    "space_problem",
]
