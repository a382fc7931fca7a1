"""Backup and restore: everything the store keeps, as JSON Lines."""

import json
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import StatementError

from .engine import jsonable, row_dict, translated
from .tables import LogRow, MailRow, ReflectionRow, SecretRow, SubscriberRow, UTCDateTime


class Backup:
    def export_lines(self) -> Iterator[str]:
        """Everything the service keeps, as JSON Lines, for backup: the queue, the moderation log,
        the subscribers, the outbox and the secrets (without which links already sent stop working)."""
        try:
            with self.sessions() as session:
                for kind, model, order in _BACKED_UP:
                    for row in session.scalars(select(model).order_by(*order)):
                        yield json.dumps({"type": kind, **row_dict(row)}, ensure_ascii=False)
        except StatementError as error:  # a generator: the guard around the call has returned
            raise translated(error) from error

    def import_lines(self, lines, with_secrets: bool = False) -> dict[str, int]:
        """Load an export in one transaction; rows already present are left alone. The secrets are
        taken too (replacing this database's) only `with_secrets`: a restore. Returns what was added,
        by record type. Raises ValueError naming the line for anything that is not a record."""
        added = {kind: 0 for kind, _model, _order in _BACKED_UP}
        models = {kind: model for kind, model, _order in _BACKED_UP}
        with self.sessions.begin() as session:
            # Log entries and mails have no id of their own across databases: what they say is theirs.
            seen = {
                kind: {_natural_key(kind, row_dict(row)) for row in session.scalars(select(models[kind]))}
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
                    held = session.get(SecretRow, fields["name"])
                    if not with_secrets or (held is not None and held.value == fields["value"]):
                        continue  # not asked for, or already this database's: nothing new
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
    return tuple(jsonable(fields[name]) for name in _NATURAL_KEYS[kind])


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
