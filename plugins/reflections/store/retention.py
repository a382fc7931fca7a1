"""What is kept, and for how long: rejected and spam items go after a while (the log keeps that they
existed), and a reader's email goes when its purpose has ended. Every step one transaction."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update

from .engine import now
from .tables import LogRow, MailRow, ReflectionRow, SubscriberRow

#: What a forgotten address becomes: a one-way mark, so that "this address said stop" is kept
#: without the address (a later, freely given address starts afresh).
FORGOTTEN = "forgotten:"


def forgotten(email: str) -> str:
    return FORGOTTEN + hashlib.sha256(email.strip().lower().encode()).hexdigest()


@dataclass
class Purged:
    """What one purge removed."""

    items: int = 0
    emails: int = 0
    subscribers: int = 0
    mails: int = 0


class Retention:
    def forget_address(self, email: str) -> int:
        """A reader unsubscribed: their address leaves every item, and their subscription keeps only
        a one-way mark (their unsubscribe link still answers). Returns the items it left."""
        address = email.strip().lower()
        with self.sessions.begin() as session:
            cleared = session.execute(
                update(ReflectionRow)
                .where(func.lower(ReflectionRow.email) == address)
                .values(email="", notify=False)
            ).rowcount
            found = session.get(SubscriberRow, address)
            if found is not None:
                mark = forgotten(address)
                if session.get(SubscriberRow, mark) is None:
                    session.execute(
                        update(SubscriberRow).where(SubscriberRow.email == address).values(email=mark)
                    )
                else:
                    session.delete(found)
            session.execute(
                delete(MailRow).where(func.lower(MailRow.recipient) == address, MailRow.sent.is_not(None))
            )
        return cleared or 0

    def purge(self, declined_days: int, email_days: int, moment: datetime | None = None) -> Purged:
        """Remove what is kept past its time (0 days: keep that kind for ever): rejected and spam
        items decided `declined_days` ago (each logged as purged), and readers' addresses
        `email_days` after their item was decided (or the reader last heard from us): on items,
        in subscriptions that no item needs any more, and in sent mail."""
        moment = moment or now()
        done = Purged()
        with self.sessions.begin() as session:
            if declined_days > 0:
                cutoff = moment - timedelta(days=declined_days)
                old = session.scalars(
                    select(ReflectionRow.id).where(
                        ReflectionRow.state.in_(("rejected", "spam")), ReflectionRow.decided < cutoff
                    )
                ).all()
                for item in old:
                    session.add(LogRow(action="purged", item=item, at=moment, actor="retention"))
                if old:
                    session.execute(delete(ReflectionRow).where(ReflectionRow.id.in_(old)))
                done.items = len(old)
            if email_days > 0:
                cutoff = moment - timedelta(days=email_days)
                # Mail sent since the cutoff keeps its reader's address: a reply may still follow.
                recent = select(MailRow.recipient).where(MailRow.sent >= cutoff)
                done.emails = (
                    session.execute(
                        update(ReflectionRow)
                        .where(
                            ReflectionRow.email != "",
                            ReflectionRow.state != "pending",
                            or_(ReflectionRow.decided < cutoff, ReflectionRow.decided.is_(None)),
                            ReflectionRow.created < cutoff,
                            ReflectionRow.email.not_in(recent),
                        )
                        .values(email="", notify=False)
                    ).rowcount
                    or 0
                )
                needed = select(ReflectionRow.email).where(ReflectionRow.email != "")
                done.subscribers = (
                    session.execute(
                        delete(SubscriberRow).where(
                            ~SubscriberRow.email.startswith(FORGOTTEN),
                            SubscriberRow.asked < cutoff,
                            SubscriberRow.email.not_in(needed),
                        )
                    ).rowcount
                    or 0
                )
                done.mails = (
                    session.execute(
                        delete(MailRow).where(
                            or_(MailRow.sent < cutoff, (MailRow.sent.is_(None)) & (MailRow.created < cutoff))
                        )
                    ).rowcount
                    or 0
                )
        return done
