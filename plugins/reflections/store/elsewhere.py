"""The store's part for replies from elsewhere: the webmentions received, the items from other
sites (found again by their own address, so a second mention or a second reading is an update),
and when each essay's posts elsewhere are read next. Each method is one transaction."""

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..core.published import new_id
from .engine import Conflict, now, record, reflection_of
from .records import Mention, Reflection, RemotePost
from .tables import LogRow, MentionRow, ReflectionRow, RemotePostRow, SentMentionRow

#: What an update from elsewhere may change: the words, and who they are by.
_UPDATED = ("body", "name", "website")


class Elsewhere:
    def add_mention(self, source: str, target: str, essay: str) -> Mention:
        """Keep a webmention, received, before it is acknowledged."""
        row = MentionRow(
            id=new_id(),
            source=source,
            target=target,
            essay=essay,
            state="received",
            received=now(),
            reason="",
            kind="",
            item="",
            attempts=0,
        )
        with self.sessions.begin() as session:
            session.add(row)
        return record(Mention, row)

    def mention(self, mention_id: str) -> Mention | None:
        with self.sessions() as session:
            row = session.get(MentionRow, mention_id)
            return record(Mention, row) if row is not None else None

    def mentions(self, limit: int = 50) -> list[Mention]:
        """The newest webmentions, newest first."""
        query = select(MentionRow).order_by(MentionRow.received.desc(), MentionRow.id.desc()).limit(limit)
        with self.sessions() as session:
            return [record(Mention, row) for row in session.scalars(query)]

    def claim_mention(self, seconds: float = 60.0) -> Mention | None:
        """The oldest webmention still to verify, claimed for `seconds` (None: nothing to do)."""
        moment = now()
        free = and_(
            MentionRow.state == "received",
            or_(MentionRow.claimed_until.is_(None), MentionRow.claimed_until < moment),
        )
        with self.sessions.begin() as session:
            found = session.scalars(
                select(MentionRow.id).where(free).order_by(MentionRow.received).limit(1)
            ).first()
            if found is None:
                return None
            claimed = session.execute(
                update(MentionRow)
                .where(MentionRow.id == found, free)
                .values(claimed_until=moment + timedelta(seconds=seconds), attempts=MentionRow.attempts + 1)
            ).rowcount
            return record(Mention, session.get(MentionRow, found)) if claimed else None

    def settle_mention(
        self, mention_id: str, state: str, reason: str, kind: str = "", item: str = ""
    ) -> None:
        """What a webmention came to: its state, the reason in words, its kind and its item."""
        with self.sessions.begin() as session:
            row = session.get(MentionRow, mention_id)
            if row is None:
                return
            row.state, row.reason, row.kind, row.item = state, reason, kind, item
            row.checked, row.claimed_until = now(), None
            # The moderation log says what became of every webmention, taken or not.
            session.add(
                LogRow(
                    action=f"webmention {state}",
                    item=item or mention_id,
                    at=now(),
                    actor="webmention",
                    detail=f"{row.source}: {reason}",
                )
            )

    def count_mentions(self, essay: str, kind: str) -> int:
        """How many sources mention `essay` as `kind` (a like, a repost) now."""
        query = select(MentionRow.source).where(
            MentionRow.essay == essay, MentionRow.kind == kind, MentionRow.state == "accepted"
        )
        with self.sessions() as session:
            return len(set(session.scalars(query)))

    def from_elsewhere(self, origin: str, source: str) -> Reflection | None:
        """The item that came from `source` (its own address elsewhere), in whatever state."""
        query = select(ReflectionRow).where(ReflectionRow.origin == origin, ReflectionRow.source == source)
        with self.sessions() as session:
            row = session.scalars(query).first()
            return reflection_of(row) if row is not None else None

    def items_from(self, essay: str, origin: str) -> list[Reflection]:
        """Every item of `essay` that came from `origin`."""
        query = select(ReflectionRow).where(ReflectionRow.essay == essay, ReflectionRow.origin == origin)
        with self.sessions() as session:
            return [reflection_of(row) for row in session.scalars(query)]

    def take_from_elsewhere(self, reflection: Reflection) -> tuple[str, str]:
        """Queue an item from elsewhere, or update the one from the same source. Returns (its id,
        what happened: "queued", "updated", "unchanged" or "returned" for one that was taken off
        and is back). A new item waits, pending, like any reader's."""
        for _ in range(2):  # a second worker may queue the same source between the look and the write
            known = self.from_elsewhere(reflection.origin, reflection.source)
            if known is None:
                try:
                    self.add_many([reflection], actor=reflection.origin)
                    return reflection.id, "queued"
                except Conflict:
                    continue
            with self._locked(known.id) as (session, row):
                before = reflection_of(row)
                changed = [name for name in _UPDATED if getattr(row, name) != getattr(reflection, name)]
                what = "unchanged"
                for name in changed:
                    setattr(row, name, getattr(reflection, name))
                if changed:
                    row.body_hash = reflection.body_hash
                    session.add(
                        LogRow(
                            action="edited",
                            item=row.id,
                            at=now(),
                            actor=reflection.origin,
                            detail=f"updated at its source ({', '.join(changed)}); before: {before.body}",
                        )
                    )
                    what = "updated"
                if row.state == "withdrawn" and row.flags.startswith("gone"):
                    row.state, row.decided, row.flags = "pending", None, ""
                    session.add(
                        LogRow(
                            action="pending",
                            item=row.id,
                            at=now(),
                            actor=reflection.origin,
                            detail="back at its source: waiting for the author again",
                        )
                    )
                    what = "returned"
                self._publication(session, before, reflection_of(row))
                return row.id, what
        raise RuntimeError("an item from elsewhere could be neither queued nor found")

    def gone_from_elsewhere(self, item_id: str, reason: str) -> Reflection | None:
        """Take an item whose source is gone (deleted, no longer linking here) off the site and out
        of the queue: withdrawn, the reason in the log. Returns it as it was (None: nothing to do)."""
        with self._locked(item_id) as (session, row):
            if row is None or row.state == "withdrawn":
                return None
            before = reflection_of(row)
            row.state, row.decided, row.flags = "withdrawn", now(), "gone"
            session.add(
                LogRow(
                    action="withdrawn", item=item_id, at=now(), actor=row.origin or "elsewhere", detail=reason
                )
            )
            self._publication(session, before, reflection_of(row))
            return before

    def watch_post(self, essay: str, origin: str, post: str, next_read: datetime) -> None:
        """Read the replies to `post` (an essay's post on `origin`) from `next_read` on; a post
        already watched keeps its schedule unless its address changed."""
        with self.sessions.begin() as session:
            row = session.get(RemotePostRow, (essay, origin))
            if row is None:
                session.add(
                    RemotePostRow(essay=essay, origin=origin, post=post, next_read=next_read, last_result="")
                )
            elif row.post != post:
                row.post, row.next_read, row.last_read, row.last_result = post, next_read, None, ""

    def due_posts(self, moment: datetime | None = None) -> list[RemotePost]:
        query = select(RemotePostRow).where(RemotePostRow.next_read <= (moment or now()))
        with self.sessions() as session:
            return [
                record(RemotePost, row) for row in session.scalars(query.order_by(RemotePostRow.next_read))
            ]

    def remote_posts(self) -> list[RemotePost]:
        with self.sessions() as session:
            return [record(RemotePost, row) for row in session.scalars(select(RemotePostRow))]

    def post_read(self, essay: str, origin: str, result: str, next_read: datetime) -> None:
        with self.sessions.begin() as session:
            row = session.get(RemotePostRow, (essay, origin))
            if row is not None:
                row.last_read, row.last_result, row.next_read = now(), result, next_read

    def claim_post(self, essay: str, origin: str, due: datetime, seconds: float = 120.0) -> bool:
        """Claim a post's reading that was due at `due`: True for the one worker that gets it."""
        with self.sessions.begin() as session:
            claimed = session.execute(
                update(RemotePostRow)
                .where(
                    RemotePostRow.essay == essay,
                    RemotePostRow.origin == origin,
                    RemotePostRow.next_read == due,
                )
                .values(next_read=now() + timedelta(seconds=seconds))
            ).rowcount
        return bool(claimed)

    def sent_for(self, essay: str, change: str) -> set[str]:
        """The links of `essay` already told of at this change of it."""
        query = select(SentMentionRow.target).where(
            SentMentionRow.essay == essay, SentMentionRow.change == change
        )
        with self.sessions() as session:
            return set(session.scalars(query))

    def record_sent(self, essay: str, target: str, change: str, endpoint: str, result: str) -> bool:
        """Keep that `target` was told of `essay` at `change` (False: another worker did already)."""
        try:
            with self.sessions.begin() as session:
                session.add(
                    SentMentionRow(
                        essay=essay,
                        target=target,
                        change=change,
                        endpoint=endpoint,
                        result=result,
                        sent=now(),
                    )
                )
        except IntegrityError:
            return False
        return True
