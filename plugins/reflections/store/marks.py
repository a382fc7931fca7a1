"""The store's part for the author's marks on readers: blocked or trusted, by a confirmed email's
keyed hash (never the address), a site's domain, or an account elsewhere. Each method is one
transaction; a mark and its log entry are written together."""

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from .engine import now, record
from .records import Mark
from .tables import LogRow, MarkRow, ReflectionRow


class Marks:
    def mark(self, mark: str, what: str, value: str, label: str, actor: str = "author") -> bool:
        """Mark a reader; False when they were marked so already."""
        try:
            with self.sessions.begin() as session:
                session.add(MarkRow(mark=mark, what=what, value=value, label=label, created=now()))
                session.add(LogRow(action=mark, item="", at=now(), actor=actor, detail=f"{what}: {label}"))
        except IntegrityError:
            return False
        return True

    def unmark(self, mark_id: int, actor: str = "author") -> Mark | None:
        """Take a mark off; the mark as it was, or None when there was none."""
        with self.sessions.begin() as session:
            row = session.get(MarkRow, mark_id)
            if row is None:
                return None
            found = record(Mark, row)
            session.execute(delete(MarkRow).where(MarkRow.id == mark_id))
            action = "unblocked" if found.mark == "blocked" else "untrusted"
            session.add(
                LogRow(action=action, item="", at=now(), actor=actor, detail=f"{found.what}: {found.label}")
            )
            return found

    def marks(self, mark: str | None = None) -> list[Mark]:
        query = select(MarkRow).order_by(MarkRow.created.desc(), MarkRow.id.desc())
        if mark:
            query = query.where(MarkRow.mark == mark)
        with self.sessions() as session:
            return [record(Mark, row) for row in session.scalars(query)]

    def marked(self, mark: str, identities: list[tuple[str, str]]) -> bool:
        """Whether any of a reader's identities ((what, value) pairs) carries `mark`."""
        if not identities:
            return False
        wanted = or_(*(and_(MarkRow.what == what, MarkRow.value == value) for what, value in identities))
        with self.sessions() as session:
            return (
                session.scalars(select(MarkRow.id).where(MarkRow.mark == mark, wanted).limit(1)).first()
                is not None
            )

    def approved_from(self, email: str) -> bool:
        """Whether the author approved an earlier public reflection or comment sent with `email`."""
        query = select(ReflectionRow.id).where(
            func.lower(ReflectionRow.email) == email.strip().lower(),
            ReflectionRow.state == "approved",
            ReflectionRow.visibility == "public",
            ReflectionRow.kind != "response",
        )
        with self.sessions() as session:
            return session.scalars(query.limit(1)).first() is not None
