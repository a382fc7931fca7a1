"""Mail: the outbox, each message claimed by one worker at a time, and the readers who asked to hear
back."""

import json
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from .engine import now, record
from .records import Mail, Subscriber
from .tables import MailRow, SubscriberRow

#: Attempts before a mail is given up (about a day with the doubling wait, capped at an hour).
MAX_MAIL_ATTEMPTS = 12
#: How long a worker's claim on a mail lasts: far longer than one SMTP conversation.
CLAIM_HOLD = timedelta(minutes=5)


class Outbox:
    def enqueue_mail(
        self,
        recipient: str,
        subject: str,
        body: str,
        headers: dict | None = None,
        not_before: datetime | None = None,
        kind: str = "",
    ) -> None:
        """A mail to send, at once or from `not_before` (the author's quiet hours); `kind` is what
        the logs name it by."""
        moment = now()
        with self.sessions.begin() as session:
            session.add(
                MailRow(
                    recipient=recipient,
                    kind=kind,
                    subject=subject,
                    body=body,
                    headers=json.dumps(headers or {}),
                    created=moment,
                    attempts=0,
                    next_attempt=max(moment, not_before) if not_before else moment,
                    last_error="",
                )
            )

    def claim_mail(self, limit: int = 50, hold: timedelta = CLAIM_HOLD) -> list[Mail]:
        """The mail due now that no other worker is sending, claimed for this one for `hold`: of
        two workers asking at once, each message goes to one. A worker that dies lets its claims
        go when the hold passes."""
        moment = now()
        claimable = (
            MailRow.sent.is_(None),
            MailRow.given_up.is_(None),
            MailRow.next_attempt <= moment,
            (MailRow.claimed_until.is_(None)) | (MailRow.claimed_until < moment),
        )
        query = select(MailRow.id).where(*claimable).order_by(MailRow.next_attempt, MailRow.id).limit(limit)
        claimed = []
        with self.sessions.begin() as session:
            for mail_id in session.scalars(query).all():
                # Conditional: a row another worker claimed meanwhile no longer matches.
                taken = session.execute(
                    update(MailRow)
                    .where(MailRow.id == mail_id, *claimable)
                    .values(claimed_until=moment + hold)
                ).rowcount
                if taken:
                    claimed.append(mail_id)
            rows = session.scalars(select(MailRow).where(MailRow.id.in_(claimed)).order_by(MailRow.id))
            return [record(Mail, row) for row in rows]

    def mail_sent(self, mail_id: int) -> None:
        """Mark a mail sent and forget its body: it may quote a reader's words, a private reflection
        among them. Who it went to, its subject and when stay, for the record."""
        with self.sessions.begin() as session:
            session.execute(
                update(MailRow).where(MailRow.id == mail_id).values(sent=now(), body="", claimed_until=None)
            )

    def mail_failed(self, mail_id: int, error: str, retry_at: datetime) -> bool:
        """One more failed attempt; after MAX_MAIL_ATTEMPTS the mail is given up (True)."""
        with self.sessions.begin() as session:
            row = session.get(MailRow, mail_id)
            if row is None:
                return False
            row.attempts += 1
            row.next_attempt, row.last_error, row.claimed_until = retry_at, error[:2000], None
            if row.attempts >= MAX_MAIL_ATTEMPTS:
                row.given_up = now()
            return row.given_up is not None

    def given_up_mail(self) -> list[Mail]:
        """Mail no worker will try again: the moderation pages show it."""
        query = select(MailRow).where(MailRow.given_up.is_not(None)).order_by(MailRow.id.desc())
        with self.sessions() as session:
            return [record(Mail, row) for row in session.scalars(query)]

    def outbox(self) -> list[Mail]:
        with self.sessions() as session:
            return [record(Mail, row) for row in session.scalars(select(MailRow).order_by(MailRow.id))]

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
            return record(Subscriber, found) if found is not None else None

    def subscriber(self, email: str) -> Subscriber | None:
        with self.sessions() as session:
            found = session.get(SubscriberRow, email.lower())
            return record(Subscriber, found) if found is not None else None

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
