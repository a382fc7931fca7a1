"""The store: everything not yet public (the queue, private reflections, the moderation log,
subscribers, the outbox, the service's secrets). The only part of Withness that uses SQLAlchemy;
what it hands out are plain records, and its failures are its own errors."""

from .queue import Conflict, Effect, Store, StoreUnavailable, body_hash, now
from .records import STATES, VISIBILITIES, LogEntry, Mail, Reflection, Subscriber

__all__ = [
    "STATES",
    "VISIBILITIES",
    "Conflict",
    "Effect",
    "LogEntry",
    "Mail",
    "Reflection",
    "Store",
    "StoreUnavailable",
    "Subscriber",
    "body_hash",
    "now",
]
