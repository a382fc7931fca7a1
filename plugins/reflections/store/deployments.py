"""Deployments: after a publication, the files it changed wait here until the publisher's deploy
target (a static host, a repository, a command) has taken them. A failed deploy is tried again
later with the ones that came after it; the publication itself is never held up or undone."""

from datetime import timedelta

from sqlalchemy import func, or_, select, update

from .engine import now, record
from .records import Deployment
from .tables import DeploymentRow

#: Seconds before a failed deploy is tried again: doubled each attempt, up to the longest.
RETRY_FIRST_SECONDS = 15
RETRY_LONGEST_SECONDS = 600


def retry_delay(attempts: int) -> timedelta:
    """How long after its `attempts`-th failure a deploy is tried again."""
    return timedelta(seconds=min(RETRY_FIRST_SECONDS * 2 ** max(attempts - 1, 0), RETRY_LONGEST_SECONDS))


class Deployments:
    def add_deployment(self, paths: list[str], everything: bool = False) -> None:
        with self.sessions.begin() as session:
            session.add(
                DeploymentRow(
                    paths="\n".join(paths), everything=everything, created=now(), state="waiting", attempts=0
                )
            )

    def due_deployments(self) -> list[Deployment]:
        """Waiting deployments, and failed ones whose next try has come, oldest first."""
        due = or_(
            DeploymentRow.state == "waiting",
            (DeploymentRow.state == "failed") & (DeploymentRow.next_try <= now()),
        )
        with self.sessions() as session:
            rows = session.scalars(select(DeploymentRow).where(due).order_by(DeploymentRow.id))
            return [record(Deployment, row) for row in rows]

    def finish_deployments(self, ids: list[int], reason: str = "") -> None:
        """Done, or failed with its one-line reason and a later next try."""
        if not ids:
            return
        with self.sessions.begin() as session:
            for row in session.scalars(select(DeploymentRow).where(DeploymentRow.id.in_(ids))):
                row.attempts += 1
                row.state = "failed" if reason else "done"
                row.reason = reason
                row.next_try = now() + retry_delay(row.attempts) if reason else None
                row.finished = now()

    def failed_deployments(self, limit: int = 20) -> list[Deployment]:
        query = (
            select(DeploymentRow)
            .where(DeploymentRow.state == "failed")
            .order_by(DeploymentRow.id.desc())
            .limit(limit)
        )
        with self.sessions() as session:
            return [record(Deployment, row) for row in session.scalars(query)]

    def count_deployments(self) -> dict[str, int]:
        query = (
            select(DeploymentRow.state, func.count())
            .where(DeploymentRow.state != "done")
            .group_by(DeploymentRow.state)
        )
        with self.sessions() as session:
            found = dict(session.execute(query).all())
        return {"waiting": found.get("waiting", 0), "failed": found.get("failed", 0)}

    def retry_failed_deployments(self) -> int:
        """Failed deployments are due at once (their cause may be fixed); returns how many."""
        with self.sessions.begin() as session:
            count = session.execute(
                update(DeploymentRow).where(DeploymentRow.state == "failed").values(next_try=now())
            ).rowcount
        if count:
            self._jobs_added.set()
        return count
